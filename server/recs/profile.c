#include "config.h"
#include "recs/profile.h"

#include <stdio.h>
#include <string.h>
#include "base62.h"
#include "library/playlists.h"
#include "store/catalog.h"

#define SAVED_TRACKS 200
#define SEED_ARTIST_TRACKS 5
#define SEED_LIST_TRACKS 100

int recs_today(const struct recs_ctx *c)
{
	return (int)(c->now / 86400000);
}

int recs_user_profile(const struct recs_ctx *c, struct recs_profile *p, bool all_heard)
{
	const struct recs_model *m = c->m;
	struct store *s = c->view->store;
	sqlite3_stmt *st;

	memset(p, 0, sizeof *p);
	/* Completion of counted plays, less half a play per skip: as training counts them. */
	st = store_stmt(s, "SELECT p.track_id,"
	                   " sum(CASE WHEN p.counted THEN min(1.0, p.ms_played * 1.0 / max(t.duration_ms, 1)) ELSE 0 END),"
	                   " sum(NOT p.counted AND p.reason_end = 'skipped'), sum(p.counted)"
	                   " FROM (SELECT track_id, counted, ms_played, reason_end FROM plays WHERE user_id = ?"
	                   "       ORDER BY started_at DESC LIMIT ?) p"
	                   " JOIN tracks t ON t.id = p.track_id GROUP BY p.track_id");
	if (!st)
		return -1;
	store_bind_text(st, 1, c->user->id);
	sqlite3_bind_int(st, 2, RECS_RECENT_PLAYS);
	while (sqlite3_step(st) == SQLITE_ROW) {
		int item = recs_item(m, store_col_text(st, 0));
		double full = sqlite3_column_double(st, 1), skips = sqlite3_column_double(st, 2);
		double net = full - 0.5 * skips;

		if (item < 0)
			continue;
		p->history += sqlite3_column_int(st, 3);
		if ((net > 0 && recs_profile_add(p, item, (float)net) < 0) ||
		    (net <= 0 && skips > 0 && recs_profile_add(p, item, (float)-skips) < 0) ||
		    recs_profile_exclude(p, item) < 0)
			goto oom;
	}
	sqlite3_reset(st);
	/* A saved track is as good as a listen, and never a discovery. */
	st = store_stmt(s, "SELECT track_id FROM saved_tracks WHERE user_id = ? ORDER BY added_at DESC LIMIT ?");
	if (!st)
		return -1;
	store_bind_text(st, 1, c->user->id);
	sqlite3_bind_int(st, 2, SAVED_TRACKS);
	while (sqlite3_step(st) == SQLITE_ROW) {
		int item = recs_item(m, store_col_text(st, 0));

		if (item >= 0 && (recs_profile_add(p, item, 1.0f) < 0 || recs_profile_exclude(p, item) < 0))
			goto oom;
	}
	sqlite3_reset(st);
	if (all_heard) {
		st = store_stmt(s, "SELECT DISTINCT track_id FROM plays WHERE user_id = ?");
		if (!st)
			return -1;
		store_bind_text(st, 1, c->user->id);
		while (sqlite3_step(st) == SQLITE_ROW) {
			int item = recs_item(m, store_col_text(st, 0));

			if (item >= 0 && recs_profile_exclude(p, item) < 0)
				goto oom;
		}
		sqlite3_reset(st);
	}
	st = store_stmt(s, "SELECT kind, value FROM taste WHERE user_id = ? ORDER BY added_at, value");
	if (!st)
		return -1;
	store_bind_text(st, 1, c->user->id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		bool genre = !strcmp(store_col_text(st, 0), "genre");
		int x = genre ? recs_genre(m, store_col_text(st, 1)) : recs_artist(m, store_col_text(st, 1));

		if (x < 0)
			continue;
		if (genre && p->n_genres < RECS_PROFILE_TAGS)
			p->genres[p->n_genres++] = x;
		else if (!genre && p->n_artists < RECS_PROFILE_TAGS)
			p->artists[p->n_artists++] = x;
	}
	sqlite3_reset(st);
	recs_profile_seal(p);
	return 0;
oom:
	sqlite3_reset(st);
	recs_profile_free(p);
	return -1;
}

static int add_tracks(struct recs_profile *p, const struct recs_model *m, sqlite3_stmt *st, float weight)
{
	while (sqlite3_step(st) == SQLITE_ROW) {
		int item = recs_item(m, store_col_text(st, 0));

		if (item >= 0 && (recs_profile_add(p, item, weight) < 0 || recs_profile_exclude(p, item) < 0)) {
			sqlite3_reset(st);
			return -1;
		}
	}
	sqlite3_reset(st);
	return 0;
}

/* A track or artist the catalog has but the model does not (ingested since it was built):
 * its artist and genre still place it, through the tags the ranker matches. */
static int seed_unmodelled(const struct recs_ctx *c, struct recs_profile *p, bool track, const char *id)
{
	const struct recs_model *m = c->m;
	sqlite3_stmt *st = store_stmt(c->view->store, track ? "SELECT artist_id, genre FROM tracks WHERE id = ?"
	                                                    : "SELECT artist_id, genre FROM tracks WHERE artist_id = ?"
	                                                      " ORDER BY play_count DESC LIMIT 1");
	int found = 0;

	if (!st)
		return -1;
	store_bind_text(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		int a = recs_artist(m, store_col_text(st, 0));
		int g = sqlite3_column_text(st, 1) ? recs_genre(m, store_col_text(st, 1)) : -1;

		found = 1;
		if (a >= 0 && p->n_artists < RECS_PROFILE_TAGS)
			p->artists[p->n_artists++] = a;
		if (g >= 0 && p->n_genres < RECS_PROFILE_TAGS)
			p->genres[p->n_genres++] = g;
	} else if (!track && store_catalog_exists(c->view->store, CATALOG_ARTIST, id) > 0) {
		found = 1;   /* an artist with no tracks yet: nothing to place it by */
	}
	sqlite3_reset(st);
	return found ? 0 : 1;
}

int recs_profile_seed(const struct recs_ctx *c, struct recs_profile *p, const char *uri, float weight)
{
	const struct recs_model *m = c->m;
	struct store *s = c->view->store;
	const char *id = uri;
	char kind[16] = "track";
	sqlite3_stmt *st = NULL;

	if (!strncmp(uri, "segue:", 6)) {
		const char *colon = strchr(uri + 6, ':');
		size_t len = colon ? (size_t)(colon - uri - 6) : 0;

		if (!colon || len >= sizeof kind)
			return 1;
		memcpy(kind, uri + 6, len);
		kind[len] = '\0';
		id = colon + 1;
	}
	if (!base62_is_id(id))
		return 1;
	if (!strcmp(kind, "track")) {
		int item = recs_item(m, id);

		if (item < 0)
			return seed_unmodelled(c, p, true, id);
		return recs_profile_add(p, item, 3 * weight) < 0 || recs_profile_exclude(p, item) < 0 ? -1 : 0;
	}
	if (!strcmp(kind, "artist")) {
		int a = recs_artist(m, id);

		if (a < 0)
			return seed_unmodelled(c, p, false, id);
		if (p->n_artists < RECS_PROFILE_TAGS)
			p->artists[p->n_artists++] = a;
		for (int64_t j = m->artist_ptr[a]; j < m->artist_ptr[a + 1] && j < m->artist_ptr[a] + SEED_ARTIST_TRACKS; j++)
			if (recs_profile_add(p, m->artist_items[j], weight) < 0)
				return -1;
		return 0;
	}
	if (!strcmp(kind, "album")) {
		if (store_catalog_exists(s, CATALOG_ALBUM, id) <= 0)
			return 1;
		st = store_stmt(s, "SELECT id FROM tracks WHERE album_id = ? ORDER BY disc_number, track_number LIMIT ?");
	} else if (!strcmp(kind, "playlist")) {
		struct playlist pl;

		if (playlist_load(s, id, &pl) != 0 || playlist_access(s, &pl, c->user->id) == PL_NONE)
			return 1;
		st = store_stmt(s, "SELECT track_id FROM playlist_items WHERE playlist_id = ? ORDER BY pos LIMIT ?");
	} else {
		return 1;
	}
	if (!st)
		return -1;
	store_bind_text(st, 1, id);
	sqlite3_bind_int(st, 2, SEED_LIST_TRACKS);
	return add_tracks(p, m, st, weight);
}

bool recs_keep_market(void *ctx, int item)
{
	const struct recs_ctx *c = ctx;
	sqlite3_stmt *st;
	bool ok;

	if (!c->market || !c->m->restricted[item])
		return !c->market || catalog_available(c->view, NULL, c->market);
	st = store_stmt(c->view->store, "SELECT markets FROM tracks WHERE id = ?");
	if (!st)
		return false;
	store_bind_text(st, 1, c->m->item_id[item]);
	ok = sqlite3_step(st) == SQLITE_ROW &&
	     catalog_available(c->view, sqlite3_column_text(st, 0) ? store_col_text(st, 0) : NULL, c->market);
	sqlite3_reset(st);
	return ok;
}

json_t *recs_tracks_json(const struct recs_ctx *c, const int32_t *items, int n)
{
	json_t *a = json_array();

	for (int i = 0; i < n; i++) {
		json_t *t = catalog_track(c->view, c->m->item_id[items[i]], c->market);

		if (t)
			json_array_append_new(a, t);
	}
	return a;
}
