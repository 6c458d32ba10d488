#include "config.h"
#include "api/handlers.h"

#include <string.h>

#include "base62.h"
#include "catalog/catalog.h"
#include "server.h"

void h_artist(struct req *r)
{
	const char *id = r->params[0];
	json_t *o;

	if (!api_check_id(r, id, "artist"))
		return;
	if (!(o = api_artist(r, id))) {
		reply_error(r, 404, "no artist with id %s", id);
		return;
	}
	reply_json(r, 200, o);
}

void h_artist_albums(struct req *r)
{
	const char *id = r->params[0];
	const char *groups = req_arg(r, "include_groups");
	const char *market;
	int limit, offset;
	bool bad, want_album = true, want_single = true, want_comp = true;
	sqlite3_stmt *st;
	json_t *all, *items;
	size_t i;
	json_t *v;

	if (!api_check_id(r, id, "artist"))
		return;
	market = api_market(r, &bad);
	if (bad || api_int_arg(r, "limit", 20, 1, 50, &limit) < 0 ||
	    api_int_arg(r, "offset", 0, 0, 1000000, &offset) < 0)
		return;
	if (groups && *groups) {
		want_album = strstr(groups, "album") != NULL;
		want_single = strstr(groups, "single") != NULL;
		want_comp = strstr(groups, "compilation") != NULL;
		if (!want_album && !want_single && !want_comp && !strstr(groups, "appears_on")) {
			reply_error(r, 400, "include_groups takes album, single, appears_on and compilation");
			return;
		}
	}
	if (!api_exists(r, "artist", id)) {
		reply_error(r, 404, "no artist with id %s", id);
		return;
	}
	/* An artist's albums are few: build the filtered list, then page it. */
	st = store_stmt(&r->srv->store, "SELECT id FROM albums WHERE artist_id = ?"
	                                " ORDER BY release_date DESC, name");
	all = json_array();
	if (st) {
		store_bind_text(st, 1, id);
		while (sqlite3_step(st) == SQLITE_ROW) {
			char album_id[BASE62_ID_LEN + 1];
			json_t *a;
			const char *type;

			snprintf(album_id, sizeof album_id, "%s", store_col_text(st, 0));
			a = api_album_simple(r, album_id, market);
			if (!a)
				continue;
			type = json_string_value(json_object_get(a, "album_type"));
			if ((market && !json_is_true(json_object_get(a, "is_playable"))) ||
			    (!strcmp(type, "album") && !want_album) ||
			    (!strcmp(type, "single") && !want_single) ||
			    (!strcmp(type, "compilation") && !want_comp)) {
				json_decref(a);
				continue;
			}
			json_object_set_new(a, "album_group", json_string(type));
			json_array_append_new(all, a);
		}
		sqlite3_reset(st);
	}
	items = json_array();
	json_array_foreach(all, i, v)
		if ((int)i >= offset && (int)i < offset + limit)
			json_array_append(items, v);
	reply_json(r, 200, api_paging(r, items, limit, offset, (long long)json_array_size(all)));
	json_decref(all);
}

/* The full objects of the track ids st selects that are playable in market, in its order:
 * up to want of them, looking at no more than scan rows (-1: all). st may be NULL. */
static json_t *playable(struct req *r, sqlite3_stmt *st, const char *market, size_t want, int scan)
{
	json_t *tracks = json_array();

	if (!st)
		return tracks;
	while (json_array_size(tracks) < want && scan-- != 0 && sqlite3_step(st) == SQLITE_ROW) {
		char track_id[BASE62_ID_LEN + 1];
		json_t *t;

		snprintf(track_id, sizeof track_id, "%s", store_col_text(st, 0));
		t = api_track(r, track_id, market);
		if (t && json_is_true(json_object_get(t, "is_playable")))
			json_array_append_new(tracks, t);
		else
			json_decref(t);
	}
	sqlite3_reset(st);
	return tracks;
}

/* GET /v1/segue/popular: the catalog's most played tracks the user may play, for a Home
 * page before there is anything personal to show. A Segue extension: the Web API has none.
 * Tracks nobody has played yet (a new catalog is all of them) follow the played ones newest
 * release first, album by album in their order: in id order they read as noise. Two
 * statements, each walking an index (the join's order and index are forced: the planner
 * would otherwise take tracks_popular's equality and sort), so a catalog of a million
 * unplayed tracks is not sorted on every request. */
void h_popular(struct req *r)
{
	const char *market;
	sqlite3_stmt *st;
	json_t *tracks, *more;
	int limit;
	bool bad;

	market = api_market(r, &bad);
	if (bad || api_int_arg(r, "limit", 20, 1, 50, &limit) < 0)
		return;
	if (!market)
		market = r->user.country;
	st = store_stmt(&r->srv->store, "SELECT id FROM tracks WHERE play_count > 0 OR popularity > 0"
	                                " ORDER BY play_count DESC, popularity DESC, id");
	/* Bounded: a market that has few of the most played tracks does not scan the whole
	 * catalog. */
	tracks = playable(r, st, market, (size_t)limit, limit * 20);
	if (json_array_size(tracks) < (size_t)limit) {
		size_t i;
		json_t *t;

		st = store_stmt(&r->srv->store, "SELECT t.id FROM albums al CROSS JOIN tracks t INDEXED BY tracks_album"
		                                " ON t.album_id = al.id"
		                                " WHERE t.play_count = 0 AND t.popularity = 0"
		                                " ORDER BY al.release_date DESC, al.id, t.disc_number, t.track_number");
		more = playable(r, st, market, (size_t)limit - json_array_size(tracks), limit * 20);
		json_array_foreach(more, i, t)
			json_array_append(tracks, t);
		json_decref(more);
	}
	reply_json(r, 200, json_pack("{s:o}", "tracks", tracks));
}

void h_artist_top_tracks(struct req *r)
{
	const char *id = r->params[0];
	const char *market;
	sqlite3_stmt *st;
	bool bad;

	if (!api_check_id(r, id, "artist"))
		return;
	market = api_market(r, &bad);
	if (bad)
		return;
	if (!market)
		market = r->user.country;
	if (!api_exists(r, "artist", id)) {
		reply_error(r, 404, "no artist with id %s", id);
		return;
	}
	st = store_stmt(&r->srv->store, "SELECT t.id FROM tracks t WHERE t.artist_id = ?"
	                                " ORDER BY t.play_count DESC, t.popularity DESC, t.created_at, t.id");
	if (st)
		store_bind_text(st, 1, id);
	reply_json(r, 200, json_pack("{s:o}", "tracks", playable(r, st, market, 10, -1)));
}
