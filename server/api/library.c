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
#include "store/library.h"

#define LIBRARY_MAX_IDS 50

struct collection {
	const char *kind; /* "track", "album", "artist" */
	enum library_kind store;
};

static const struct collection saved_tracks = { "track", LIBRARY_TRACKS };
static const struct collection saved_albums = { "album", LIBRARY_ALBUMS };
static const struct collection followed_artists = { "artist", LIBRARY_ARTISTS };

/* Saves or removes every id, all or nothing. */
static void change(struct req *r, const struct collection *c, bool save, int ok_status)
{
	struct store *s = &r->srv->store;
	long long now = store_now_ms();
	char **ids;
	int n;

	if (api_ids_arg(r, LIBRARY_MAX_IDS, &ids, &n) < 0)
		return;
	if (save)
		for (int i = 0; i < n; i++)
			if (!api_exists(r, c->kind, ids[i])) {
				reply_error(r, 404, "no %s with id %s", c->kind, ids[i]);
				goto out;
			}
	if (store_begin(s) < 0)
		goto fail;
	if (save) {
		/* Times strictly increase within a collection, so "newest first" is the order of
		 * the requests (and of the ids within one) even within one millisecond. */
		long long latest;
		int found = store_library_latest(s, c->store, r->user.id, &latest);

		if (found < 0)
			goto fail_tx;
		if (found && latest >= now)
			now = latest + 1;
	}
	for (int i = 0; i < n; i++)
		if ((save ? store_library_add(s, c->store, r->user.id, ids[i], now + i)
		          : store_library_remove(s, c->store, r->user.id, ids[i])) < 0)
			goto fail_tx;
	if (store_commit(s) < 0)
		goto fail_tx;
	reply_empty(r, ok_status);
	goto out;
fail_tx:
	store_rollback(s);
fail:
	reply_error(r, 500, "the library could not be changed");
out:
	api_free_ids(ids, n);
}

static void contains(struct req *r, const struct collection *c)
{
	json_t *list = json_array();
	char **ids;
	int n;

	if (api_ids_arg(r, LIBRARY_MAX_IDS, &ids, &n) < 0) {
		json_decref(list);
		return;
	}
	for (int i = 0; i < n; i++)
		json_array_append_new(list, json_boolean(
			store_library_has(&r->srv->store, c->store, r->user.id, ids[i]) > 0));
	api_free_ids(ids, n);
	reply_json(r, 200, list);
}

/* GET /v1/me/tracks and /v1/me/albums: newest first, offset paging. */
static void list_saved(struct req *r, const struct collection *c)
{
	struct library_item page[50];
	const char *market;
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
	items = json_array();
	for (int i = 0; i < n; i++) {
		bool track = c->store == LIBRARY_TRACKS;
		json_t *o = track ? api_track(r, page[i].id, market) : api_album(r, page[i].id, market);

		if (o)
			json_array_append_new(items, json_pack("{s:o,s:o}", "added_at",
			                      catalog_time(page[i].added_at, false), track ? "track" : "album", o));
	}
	reply_json(r, 200, api_paging(r, items, limit, offset,
	                                  store_library_count(&r->srv->store, c->store, r->user.id)));
}

void h_saved_tracks(struct req *r)
{
	if (r->method == M_PUT)
		change(r, &saved_tracks, true, 200);
	else if (r->method == M_DELETE)
		change(r, &saved_tracks, false, 200);
	else
		list_saved(r, &saved_tracks);
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
	char cursor[BASE62_ID_LEN + 1] = "", base[512];
	json_t *items, *next = json_null();
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
	items = json_array();
	for (int i = 0; i < n && i < limit; i++) {
		json_t *a;

		snprintf(cursor, sizeof cursor, "%s", page[i].id);
		if ((a = api_artist(r, page[i].id)))
			json_array_append_new(items, a);
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
