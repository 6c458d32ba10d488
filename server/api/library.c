/* The user's library: saved tracks and albums (/v1/me/tracks, /v1/me/albums) and followed
 * artists (/v1/me/following?type=artist), in the Web API's shapes and limits. The three
 * collections differ only in their table and their objects, so one description each drives
 * the same save, remove, contains and list code. */
#include "config.h"
#include "api/handlers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base62.h"
#include "catalog/catalog.h"
#include "server.h"
#include "store/catalog.h"
#include "store/library.h"

#define LIBRARY_MAX_IDS 50

struct collection {
	const char *kind; /* "track", "album", "artist" */
	enum library_kind store;
};

static const struct collection saved_tracks = { "track", LIBRARY_TRACKS };
static const struct collection saved_albums = { "album", LIBRARY_ALBUMS };
static const struct collection followed_artists = { "artist", LIBRARY_ARTISTS };

/* The ids of ids[0..n) in collection k, in order, into of (their times into of_at when at is
 * given) and their positions into pos. Returns how many. */
static int of_kind(const struct collection *const *cs, char **ids, const long long *at, int n,
                   enum library_kind k, const char **of, long long *of_at, int *pos)
{
	int m = 0;

	for (int i = 0; i < n; i++)
		if (cs[i]->store == k) {
			of[m] = ids[i];
			if (at)
				of_at[m] = at[i];
			pos[m++] = i;
		}
	return m;
}

/* The position of the first id that names nothing, n when all do, -1 on a database error:
 * one statement per collection, whatever the number of ids. */
static int first_missing(struct store *s, const struct collection *const *cs, char **ids, int n)
{
	static const enum catalog_kind catalog[] = {
		[LIBRARY_TRACKS] = CATALOG_TRACK, [LIBRARY_ALBUMS] = CATALOG_ALBUM,
		[LIBRARY_ARTISTS] = CATALOG_ARTIST,
	};
	const char *of[LIBRARY_MAX_IDS];
	int pos[LIBRARY_MAX_IDS], first = n;

	for (int k = LIBRARY_TRACKS; k <= LIBRARY_ARTISTS; k++) {
		int m = of_kind(cs, ids, NULL, n, k, of, NULL, pos), miss;

		if (!m)
			continue;
		if ((miss = store_catalog_missing(s, catalog[k], of, m)) < 0)
			return -1;
		if (miss < m && pos[miss] < first)
			first = pos[miss];
	}
	return first;
}

/* Saves or removes every id (at most LIBRARY_MAX_IDS), all or nothing: ids[i] in collection
 * cs[i], saved at at[i] when the client gave the times, else now. On PostgreSQL each
 * statement is a round trip, so each collection the request names costs a fixed number of
 * them whatever the number of ids. */
static void apply(struct req *r, const struct collection *const *cs, char **ids, int n, bool save,
                  int ok_status, const long long *at)
{
	struct store *s = &r->srv->store;
	long long now = store_now_ms(), times[LIBRARY_MAX_IDS], of_at[LIBRARY_MAX_IDS];
	const char *of[LIBRARY_MAX_IDS];
	int pos[LIBRARY_MAX_IDS];

	if (save) {
		int miss = first_missing(s, cs, ids, n);

		if (miss < 0)
			goto fail;
		if (miss < n) {
			reply_error(r, 404, "no %s with id %s", cs[miss]->kind, ids[miss]);
			return;
		}
	}
	if (store_begin(s) < 0)
		goto fail;
	/* Times strictly increase within a collection, so "newest first" is the order of the
	 * requests (and of the ids within one) even within one millisecond. */
	for (int k = LIBRARY_TRACKS; save && !at && k <= LIBRARY_ARTISTS; k++) {
		long long latest;
		int found;

		if (!of_kind(cs, ids, NULL, n, k, of, NULL, pos))
			continue;
		if ((found = store_library_latest(s, k, r->user.id, &latest)) < 0)
			goto fail_tx;
		if (found && latest >= now)
			now = latest + 1;
	}
	for (int i = 0; i < n; i++)
		times[i] = at ? at[i] : now + i;
	for (int k = LIBRARY_TRACKS; k <= LIBRARY_ARTISTS; k++) {
		int m = of_kind(cs, ids, times, n, k, of, of_at, pos);

		if (m && (save ? store_library_add_many(s, k, r->user.id, of, of_at, m)
		               : store_library_remove_many(s, k, r->user.id, of, m)) < 0)
			goto fail_tx;
	}
	if (store_commit(s) < 0)
		goto fail_tx;
	reply_empty(r, ok_status);
	return;
fail_tx:
	store_rollback(s);
fail:
	reply_error(r, 500, "the library could not be changed");
}

/* Saves or removes the request's ids in one collection. */
static void change(struct req *r, const struct collection *c, bool save, int ok_status)
{
	const struct collection *cs[LIBRARY_MAX_IDS];
	char **ids;
	int n;

	if (api_ids_arg(r, LIBRARY_MAX_IDS, &ids, &n) < 0)
		return;
	for (int i = 0; i < n; i++)
		cs[i] = c;
	apply(r, cs, ids, n, save, ok_status, NULL);
	api_free_ids(ids, n);
}

/* An ISO 8601 time in UTC ("2023-01-15T14:30:00Z", fractions of a second allowed) in ms
 * since 1970; -1 when it is not one. */
static long long iso_time(const char *v)
{
	struct tm tm = { 0 };
	const char *end = v ? strptime(v, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
	long long ms = 0, scale = 100;

	if (!end)
		return -1;
	if (*end == '.')
		for (end++; *end >= '0' && *end <= '9'; end++, scale /= 10)
			ms += (*end - '0') * scale;
	if (strcmp(end, "Z"))
		return -1;
	return (long long)timegm(&tm) * 1000 + ms;
}

/* PUT /v1/me/tracks with {"timestamped_ids": [{"id", "added_at"}, ...]}: each saved at the
 * time given, which the reference lets a client give to import a library in its order; it
 * takes precedence over any other ids. Returns false when the body has none (nothing
 * replied), true when it has answered. */
static bool save_timestamped(struct req *r)
{
	const struct collection *cs[LIBRARY_MAX_IDS];
	json_t *body, *list, *v;
	long long at[LIBRARY_MAX_IDS], now = store_now_ms();
	char *ids[LIBRARY_MAX_IDS];
	size_t i;
	int n = 0;

	if (!r->body.len || !(body = json_loadb(r->body.p, r->body.len, 0, NULL)))
		return false; /* api_ids_arg reads it and says what is wrong */
	if (!(list = json_object_get(body, "timestamped_ids"))) {
		json_decref(body);
		return false;
	}
	if (!json_is_array(list) || !json_array_size(list) || json_array_size(list) > LIBRARY_MAX_IDS) {
		reply_error(r, 400, "timestamped_ids must be an array of 1 to %d {\"id\", \"added_at\"} objects",
		            LIBRARY_MAX_IDS);
		goto out;
	}
	json_array_foreach(list, i, v) {
		const char *id = json_string_value(json_object_get(v, "id"));

		at[n] = iso_time(json_string_value(json_object_get(v, "added_at")));
		if (!id || !base62_is_id(id)) {
			reply_error(r, 400, "timestamped_ids[%zu].id is not a track id", i);
			goto out;
		}
		if (at[n] < 0 || at[n] > now) {
			reply_error(r, 400, "timestamped_ids[%zu].added_at must be a past time in ISO 8601, "
			            "in UTC (2023-01-15T14:30:00Z)", i);
			goto out;
		}
		if (!(ids[n] = strdup(id))) {
			reply_error(r, 500, "out of memory");
			goto out;
		}
		cs[n++] = &saved_tracks;
	}
	apply(r, cs, ids, n, true, 200, at);
out:
	for (int k = 0; k < n; k++)
		free(ids[k]);
	json_decref(body);
	return true;
}

/* Answers whether each ids[i] (at most LIBRARY_MAX_IDS) is in its collection cs[i]: one
 * statement per collection asked about, and 500 when the store cannot tell. */
static void answer_contains(struct req *r, const struct collection *const *cs, char **ids, int n)
{
	const char *of[LIBRARY_MAX_IDS];
	bool got[LIBRARY_MAX_IDS], has[LIBRARY_MAX_IDS];
	int pos[LIBRARY_MAX_IDS];
	json_t *list;

	for (int k = LIBRARY_TRACKS; k <= LIBRARY_ARTISTS; k++) {
		int m = of_kind(cs, ids, NULL, n, k, of, NULL, pos);

		if (m && store_library_has_many(&r->srv->store, k, r->user.id, of, m, got) < 0) {
			reply_error(r, 500, "database error");
			return;
		}
		for (int j = 0; j < m; j++)
			has[pos[j]] = got[j];
	}
	list = json_array();
	for (int i = 0; i < n; i++)
		json_array_append_new(list, json_boolean(has[i]));
	reply_json(r, 200, list);
}

static void contains(struct req *r, const struct collection *c)
{
	const struct collection *cs[LIBRARY_MAX_IDS];
	char **ids;
	int n;

	if (api_ids_arg(r, LIBRARY_MAX_IDS, &ids, &n) < 0)
		return;
	for (int i = 0; i < n; i++)
		cs[i] = c;
	answer_contains(r, cs, ids, n);
	api_free_ids(ids, n);
}

/* GET /v1/me/tracks and /v1/me/albums: newest first, offset paging. */
static void list_saved(struct req *r, const struct collection *c)
{
	struct library_item page[50];
	const char *market, *ids[50];
	bool track = c->store == LIBRARY_TRACKS;
	json_t *objs[50];
	int limit, offset, n;
	json_t *items;
	bool bad;

	market = api_market(r, &bad);
	if (bad || api_int_arg(r, "limit", 20, 1, 50, &limit) < 0 ||
	    api_int_arg(r, "offset", 0, 0, 100000, &offset) < 0)
		return;
	if ((n = store_library_page(&r->srv->store, c->store, r->user.id, offset, page, limit)) < 0) {
		reply_error(r, 500, "database error");
		return;
	}
	if (track) {
		for (int i = 0; i < n; i++)
			ids[i] = page[i].id;
		if (api_tracks(r, ids, n, market, objs) < 0) {
			reply_error(r, 500, "the catalog could not be read");
			return;
		}
	}
	items = json_array();
	for (int i = 0; i < n; i++) {
		json_t *o = track ? objs[i] : api_album(r, page[i].id, market);

		if (o)
			json_array_append_new(items, json_pack("{s:o,s:o}", "added_at",
			                      catalog_time(page[i].added_at, false), track ? "track" : "album", o));
	}
	reply_json(r, 200, api_paging(r, items, limit, offset,
	                                  store_library_count(&r->srv->store, c->store, r->user.id)));
}

void h_saved_tracks(struct req *r)
{
	if (r->method == M_PUT) {
		if (!save_timestamped(r))
			change(r, &saved_tracks, true, 200);
	} else if (r->method == M_DELETE) {
		change(r, &saved_tracks, false, 200);
	} else {
		list_saved(r, &saved_tracks);
	}
}

void h_saved_tracks_contains(struct req *r) { contains(r, &saved_tracks); }

void h_saved_albums(struct req *r)
{
	if (r->method == M_PUT)
		change(r, &saved_albums, true, 200);
	else if (r->method == M_DELETE)
		change(r, &saved_albums, false, 200);
	else
		list_saved(r, &saved_albums);
}

void h_saved_albums_contains(struct req *r) { contains(r, &saved_albums); }

static bool artist_type(struct req *r)
{
	const char *type = req_arg(r, "type");

	if (!type || strcmp(type, "artist") != 0) {
		reply_error(r, 400, "type must be artist");
		return false;
	}
	return true;
}

/* GET /v1/me/following?type=artist: cursor paging by artist id, as the Web API does. */
static void list_following(struct req *r)
{
	const char *after = req_arg(r, "after");
	struct library_item page[51];
	const char *ids[50];
	char cursor[BASE62_ID_LEN + 1] = "", base[512];
	json_t *items, *objs[50], *next = json_null();
	bool more;
	int limit, n;

	if (api_int_arg(r, "limit", 20, 1, 50, &limit) < 0)
		return;
	if (after && !api_check_id(r, after, "artist"))
		return;
	/* One more than the page tells whether a next page exists. */
	n = store_library_page_by_id(&r->srv->store, LIBRARY_ARTISTS, r->user.id, after, page, limit + 1);
	if (n < 0) {
		reply_error(r, 500, "database error");
		return;
	}
	more = n > limit;
	if (n > limit)
		n = limit;
	for (int i = 0; i < n; i++)
		ids[i] = page[i].id;
	if (api_artists(r, ids, n, objs) < 0) {
		reply_error(r, 500, "database error");
		return;
	}
	items = json_array();
	for (int i = 0; i < n; i++) {
		snprintf(cursor, sizeof cursor, "%s", page[i].id);
		if (objs[i])
			json_array_append_new(items, objs[i]);
	}
	req_base_url(r, base, sizeof base);
	if (more)
		next = json_sprintf("%s/v1/me/following?type=artist&after=%s&limit=%d", base, cursor, limit);
	reply_json(r, 200, json_pack("{s:{s:o,s:o,s:i,s:o,s:{s:o},s:I}}", "artists",
		"href", json_sprintf("%s/v1/me/following?type=artist&limit=%d", base, limit),
		"items", items, "limit", limit, "next", next,
		"cursors", "after", more ? json_string(cursor) : json_null(),
		"total", (json_int_t)store_library_count(&r->srv->store, LIBRARY_ARTISTS, r->user.id)));
}

void h_following(struct req *r)
{
	if (!artist_type(r))
		return;
	if (r->method == M_PUT)
		change(r, &followed_artists, true, 204);
	else if (r->method == M_DELETE)
		change(r, &followed_artists, false, 204);
	else
		list_following(r);
}

void h_following_contains(struct req *r)
{
	if (artist_type(r))
		contains(r, &followed_artists);
}

/* ---- /v1/me/library: every collection by URI, the reference's newer door ---- */

#define LIBRARY_MAX_URIS 40

/* The collection a URI names, its id into id; NULL after replying 400. Playlists are
 * followed at /v1/playlists/{id}/followers, where what unfollowing one's own playlist means
 * (deleting it) is plain; Segue has no episodes, shows, audiobooks or following of users. */
static const struct collection *uri_collection(struct req *r, const char *uri, int i, char id[BASE62_ID_LEN + 1])
{
	static const struct collection *const all[] = { &saved_tracks, &saved_albums, &followed_artists };
	const char *x;

	for (size_t k = 0; k < sizeof all / sizeof all[0]; k++)
		if ((x = api_uri_id(uri, all[k]->kind))) {
			snprintf(id, BASE62_ID_LEN + 1, "%s", x);
			return all[k];
		}
	if (api_uri_id(uri, "playlist"))
		reply_error(r, 400, "uris[%d]: follow a playlist at /v1/playlists/{id}/followers", i);
	else
		reply_error(r, 400, "uris[%d] \"%.60s\": the library holds track, album and artist URIs "
		            "(segue: or spotify:)", i, uri);
	return NULL;
}

/* ?uris=, at most 40, each a track, album or artist URI: their collections and ids (the
 * caller frees ids with api_free_ids). Returns -1 after replying. */
static int uris_arg(struct req *r, const struct collection **cs, char ***out, int *n)
{
	const char *v = req_arg(r, "uris");
	char **ids, uri[API_URI_MAX];
	int count = 1;

	*n = 0;
	if (!v || !*v) {
		reply_error(r, 400, "uris is required: a comma-separated list of URIs");
		return -1;
	}
	for (const char *p = v; *p; p++)
		count += *p == ',';
	if (count > LIBRARY_MAX_URIS) {
		reply_error(r, 400, "too many uris: at most %d per request", LIBRARY_MAX_URIS);
		return -1;
	}
	if (!(ids = calloc((size_t)count, sizeof *ids))) {
		reply_error(r, 500, "out of memory");
		return -1;
	}
	for (const char *p = v;; ) {
		size_t len = strcspn(p, ",");
		char id[BASE62_ID_LEN + 1];

		snprintf(uri, sizeof uri, "%.*s", (int)(len < sizeof uri ? len : sizeof uri - 1), p);
		if (!(cs[*n] = uri_collection(r, uri, *n, id)) || !(ids[*n] = strdup(id))) {
			if (cs[*n])
				reply_error(r, 500, "out of memory");
			api_free_ids(ids, *n);
			return -1;
		}
		(*n)++;
		if (!p[len])
			break;
		p += len + 1;
	}
	*out = ids;
	return 0;
}

void h_library(struct req *r)
{
	const struct collection *cs[LIBRARY_MAX_URIS];
	char **ids;
	int n;

	if (uris_arg(r, cs, &ids, &n) < 0)
		return;
	apply(r, cs, ids, n, r->method == M_PUT, 200, NULL);
	api_free_ids(ids, n);
}

void h_library_contains(struct req *r)
{
	const struct collection *cs[LIBRARY_MAX_URIS];
	char **ids;
	int n;

	if (uris_arg(r, cs, &ids, &n) < 0)
		return;
	answer_contains(r, cs, ids, n);
	api_free_ids(ids, n);
}
