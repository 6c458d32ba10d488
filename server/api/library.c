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

#define LIBRARY_MAX_IDS 50

struct collection {
	const char *kind;      /* "track", "album", "artist" */
	const char *catalog;   /* the table the ids must exist in */
	const char *insert;    /* SQL: (user, id, time) */
	const char *remove;    /* SQL: (user, id) */
	const char *contains;  /* SQL: (user, id) -> row */
	const char *latest;    /* SQL: (user) -> the newest time in the collection */
};

static const struct collection saved_tracks = {
	"track", "tracks",
	"INSERT INTO saved_tracks (user_id, track_id, added_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
	"DELETE FROM saved_tracks WHERE user_id = ? AND track_id = ?",
	"SELECT 1 FROM saved_tracks WHERE user_id = ? AND track_id = ?",
	"SELECT max(added_at) FROM saved_tracks WHERE user_id = ?",
};
static const struct collection saved_albums = {
	"album", "albums",
	"INSERT INTO saved_albums (user_id, album_id, added_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
	"DELETE FROM saved_albums WHERE user_id = ? AND album_id = ?",
	"SELECT 1 FROM saved_albums WHERE user_id = ? AND album_id = ?",
	"SELECT max(added_at) FROM saved_albums WHERE user_id = ?",
};
static const struct collection followed_artists = {
	"artist", "artists",
	"INSERT INTO followed_artists (user_id, artist_id, followed_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
	"DELETE FROM followed_artists WHERE user_id = ? AND artist_id = ?",
	"SELECT 1 FROM followed_artists WHERE user_id = ? AND artist_id = ?",
	"SELECT max(followed_at) FROM followed_artists WHERE user_id = ?",
};

/* Ids from ?ids= or, failing that, from a JSON body {"ids": [...]}, as the Web API takes
 * them. Replies 400 and returns -1 on a bad list. */
static int ids_arg(struct req *r, char ***ids, int *n)
{
	json_t *body, *arr, *v;
	size_t i;

	if (req_arg(r, "ids") || !r->body.len)
		return catalog_ids_arg(r, LIBRARY_MAX_IDS, ids, n);
	if (!(body = req_json_body(r, false)))
		return -1;
	arr = json_object_get(body, "ids");
	if (!json_is_array(arr) || !json_array_size(arr)) {
		json_decref(body);
		reply_error(r, 400, "ids is required: ?ids= or a JSON body {\"ids\": [...]}");
		return -1;
	}
	if (json_array_size(arr) > LIBRARY_MAX_IDS) {
		json_decref(body);
		reply_error(r, 400, "too many ids: at most %d per request", LIBRARY_MAX_IDS);
		return -1;
	}
	*ids = calloc(json_array_size(arr), sizeof **ids);
	*n = 0;
	json_array_foreach(arr, i, v) {
		const char *s = json_string_value(v);

		if (!s || !base62_is_id(s)) {
			reply_error(r, 400, "invalid id at ids[%zu]", i);
			catalog_free_ids(*ids, *n);
			json_decref(body);
			return -1;
		}
		(*ids)[(*n)++] = strdup(s);
	}
	json_decref(body);
	return 0;
}

/* Saves or removes every id, all or nothing. */
static void change(struct req *r, const struct collection *c, bool save, int ok_status)
{
	struct store *s = &r->srv->store;
	long long now = store_now_ms();
	char **ids;
	int n;

	if (ids_arg(r, &ids, &n) < 0)
		return;
	if (save)
		for (int i = 0; i < n; i++)
			if (!catalog_exists(r, c->kind, ids[i])) {
				reply_error(r, 404, "no %s with id %s", c->kind, ids[i]);
				goto out;
			}
	if (store_begin(s) < 0)
		goto fail;
	if (save) {
		/* Times strictly increase within a collection, so "newest first" is the order of
		 * the requests (and of the ids within one) even within one millisecond. */
		sqlite3_stmt *st = store_stmt(s, c->latest);

		if (!st)
			goto fail_tx;
		store_bind_text(st, 1, r->user.id);
		if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int64(st, 0) >= now)
			now = sqlite3_column_int64(st, 0) + 1;
		sqlite3_reset(st);
	}
	for (int i = 0; i < n; i++) {
		sqlite3_stmt *st = store_stmt(s, save ? c->insert : c->remove);

		if (!st)
			goto fail_tx;
		store_bind_text(st, 1, r->user.id);
		store_bind_text(st, 2, ids[i]);
		if (save)
			sqlite3_bind_int64(st, 3, now + i);
		if (sqlite3_step(st) != SQLITE_DONE)
			goto fail_tx;
	}
	if (store_commit(s) < 0)
		goto fail_tx;
	reply_empty(r, ok_status);
	goto out;
fail_tx:
	store_rollback(s);
fail:
	reply_error(r, 500, "the library could not be changed");
out:
	catalog_free_ids(ids, n);
}

static void contains(struct req *r, const struct collection *c)
{
	json_t *list = json_array();
	char **ids;
	int n;

	if (catalog_ids_arg(r, LIBRARY_MAX_IDS, &ids, &n) < 0) {
		json_decref(list);
		return;
	}
	for (int i = 0; i < n; i++) {
		sqlite3_stmt *st = store_stmt(&r->srv->store, c->contains);
		bool has = false;

		if (st) {
			store_bind_text(st, 1, r->user.id);
			store_bind_text(st, 2, ids[i]);
			has = sqlite3_step(st) == SQLITE_ROW;
			sqlite3_reset(st);
		}
		json_array_append_new(list, json_boolean(has));
	}
	catalog_free_ids(ids, n);
	reply_json(r, 200, list);
}

static long long count_for_user(struct req *r, const char *sql)
{
	sqlite3_stmt *st = store_stmt(&r->srv->store, sql);
	long long n = 0;

	if (st) {
		store_bind_text(st, 1, r->user.id);
		if (sqlite3_step(st) == SQLITE_ROW)
			n = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
	}
	return n;
}

/* GET /v1/me/tracks and /v1/me/albums: newest first, offset paging. */
static void list_saved(struct req *r, bool tracks)
{
	const char *market;
	int limit, offset;
	long long total = 0;
	sqlite3_stmt *st;
	json_t *items = json_array();
	bool bad;

	market = catalog_market(r, &bad);
	if (bad || catalog_int_arg(r, "limit", 20, 1, 50, &limit) < 0 ||
	    catalog_int_arg(r, "offset", 0, 0, 100000, &offset) < 0) {
		json_decref(items);
		return;
	}
	total = count_for_user(r, tracks ? "SELECT count(*) FROM saved_tracks WHERE user_id = ?"
	                                 : "SELECT count(*) FROM saved_albums WHERE user_id = ?");
	st = store_stmt(&r->srv->store,
	                tracks ? "SELECT track_id, added_at FROM saved_tracks WHERE user_id = ?"
	                         " ORDER BY added_at DESC, track_id LIMIT ? OFFSET ?"
	                       : "SELECT album_id, added_at FROM saved_albums WHERE user_id = ?"
	                         " ORDER BY added_at DESC, album_id LIMIT ? OFFSET ?");
	if (st) {
		store_bind_text(st, 1, r->user.id);
		sqlite3_bind_int(st, 2, limit);
		sqlite3_bind_int(st, 3, offset);
		while (sqlite3_step(st) == SQLITE_ROW) {
			char id[BASE62_ID_LEN + 1];
			long long added = sqlite3_column_int64(st, 1);
			json_t *o;

			snprintf(id, sizeof id, "%s", store_col_text(st, 0));
			o = tracks ? catalog_track(r, id, market) : catalog_album(r, id, market);
			if (o)
				json_array_append_new(items, json_pack("{s:o,s:o}", "added_at", catalog_time(added, false),
				                                       tracks ? "track" : "album", o));
		}
		sqlite3_reset(st);
	}
	reply_json(r, 200, catalog_paging(r, items, limit, offset, total));
}

void h_saved_tracks(struct req *r)
{
	if (r->method == M_PUT)
		change(r, &saved_tracks, true, 200);
	else if (r->method == M_DELETE)
		change(r, &saved_tracks, false, 200);
	else
		list_saved(r, true);
}

void h_saved_tracks_contains(struct req *r) { contains(r, &saved_tracks); }

void h_saved_albums(struct req *r)
{
	if (r->method == M_PUT)
		change(r, &saved_albums, true, 200);
	else if (r->method == M_DELETE)
		change(r, &saved_albums, false, 200);
	else
		list_saved(r, false);
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
	char cursor[BASE62_ID_LEN + 1] = "", base[512];
	json_t *items, *next = json_null();
	bool more = false;
	sqlite3_stmt *st;
	int limit;

	if (catalog_int_arg(r, "limit", 20, 1, 50, &limit) < 0)
		return;
	if (after && !catalog_check_id(r, after, "artist"))
		return;
	items = json_array();
	st = store_stmt(&r->srv->store, "SELECT artist_id FROM followed_artists WHERE user_id = ?"
	                                " AND artist_id > ? ORDER BY artist_id LIMIT ?");
	if (st) {
		store_bind_text(st, 1, r->user.id);
		store_bind_text(st, 2, after ? after : "");
		sqlite3_bind_int(st, 3, limit + 1); /* one more tells whether a next page exists */
		while (sqlite3_step(st) == SQLITE_ROW) {
			char id[BASE62_ID_LEN + 1];
			json_t *a;

			if ((int)json_array_size(items) == limit) {
				more = true;
				break;
			}
			snprintf(id, sizeof id, "%s", store_col_text(st, 0));
			snprintf(cursor, sizeof cursor, "%s", id);
			if ((a = catalog_artist(r, id)))
				json_array_append_new(items, a);
		}
		sqlite3_reset(st);
	}
	req_base_url(r, base, sizeof base);
	if (more)
		next = json_sprintf("%s/v1/me/following?type=artist&after=%s&limit=%d", base, cursor, limit);
	reply_json(r, 200, json_pack("{s:{s:o,s:o,s:i,s:o,s:{s:o},s:I}}", "artists",
		"href", json_sprintf("%s/v1/me/following?type=artist&limit=%d", base, limit),
		"items", items, "limit", limit, "next", next,
		"cursors", "after", more ? json_string(cursor) : json_null(),
		"total", (json_int_t)count_for_user(r, "SELECT count(*) FROM followed_artists WHERE user_id = ?")));
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
