/* GET /v1/segue/made-for-you: the user's made-for-you playlists (recs/made_for_you.h), brought
 * up to their periods first; and GET/PUT /v1/me/taste, the onboarding taste a new user picks
 * (genres and artists) that recommendations start from. */
#include "config.h"

#include <ctype.h>
#include <string.h>

#include "base62.h"
#include "api/handlers.h"
#include "recs/made_for_you.h"
#include "server.h"

#define TASTE_MAX 10

/* Without a model the lists stay as they are; a failure is logged and the listing goes on
 * with what exists. */
void mfy_refresh(struct req *r)
{
	struct recs_model *m = recommender_get(&r->srv->recs);
	struct api_view v;

	if (!m)
		return;
	recs_mfy_refresh(&(struct recs_ctx){ api_view(r, &v), m, &r->user, r->user.country, store_now_ms() });
	recs_model_unref(m);
}

void h_made_for_you(struct req *r)
{
	char ids[RECS_MFY_LISTS][BASE62_ID_LEN + 1];
	json_t *items;
	int n;

	mfy_refresh(r);
	if ((n = recs_mfy_lists(&r->srv->store, r->user.id, ids)) < 0) {
		reply_error(r, 500, "database error");
		return;
	}
	/* Discover Weekly, the mixes in order, then Release Radar. */
	items = json_array();
	for (int i = 0; i < n; i++) {
		json_t *o = api_playlist_simple(r, ids[i]);

		if (o)
			json_array_append_new(items, o);
	}
	reply_json(r, 200, json_pack("{s:o,s:i}", "items", items, "total", (int)json_array_size(items)));
}

/* ---- onboarding taste ---- */

static void taste_set(struct req *r);

void h_taste(struct req *r)
{
	struct store *s = &r->srv->store;
	sqlite3_stmt *st;
	json_t *genres, *artists;

	if (r->method == M_PUT) {
		taste_set(r);
		return;
	}
	genres = json_array();
	artists = json_array();
	st = store_stmt(s, "SELECT kind, value FROM taste WHERE user_id = ? ORDER BY added_at, value");
	if (st) {
		store_bind_text(st, 1, r->user.id);
		while (sqlite3_step(st) == SQLITE_ROW)
			json_array_append_new(!strcmp(store_col_text(st, 0), "genre") ? genres : artists,
			                      json_string(store_col_text(st, 1)));
		sqlite3_reset(st);
	}
	reply_json(r, 200, json_pack("{s:o,s:o}", "genres", genres, "artists", artists));
}

static bool genre_known(struct req *r, const char *g)
{
	sqlite3_stmt *st = store_stmt(&r->srv->store, "SELECT 1 FROM tracks WHERE genre = ? COLLATE NOCASE LIMIT 1");
	bool ok;

	if (!st)
		return false;
	store_bind_text(st, 1, g);
	ok = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_reset(st);
	return ok;
}

/* PUT /v1/me/taste {genres: [...], artists: [ids]}: replaces the picks. */
static void taste_set(struct req *r)
{
	struct store *s = &r->srv->store;
	json_t *body = req_json_body(r, false), *lists[2];
	static const char *const names[2] = { "genres", "artists" };
	long long now = store_now_ms();
	sqlite3_stmt *st;

	if (!body)
		return;
	for (int k = 0; k < 2; k++) {
		size_t i;
		json_t *v;

		lists[k] = json_object_get(body, names[k]);
		if (lists[k] && (!json_is_array(lists[k]) || json_array_size(lists[k]) > TASTE_MAX)) {
			reply_error(r, 400, "%s must be an array of at most %d", names[k], TASTE_MAX);
			goto out;
		}
		json_array_foreach(lists[k], i, v) {
			const char *x = json_string_value(v);

			if (!x || !*x || strlen(x) > 64 ||
			    (k == 0 ? !genre_known(r, x) : !base62_is_id(x) || !api_exists(r, "artist", x))) {
				reply_error(r, 400, "%s[%zu]: no such %s in the catalog (see %s)", names[k], i,
				            k == 0 ? "genre" : "artist",
				            k == 0 ? "/v1/recommendations/available-genre-seeds" : "/v1/search");
				goto out;
			}
		}
	}
	if (!lists[0] && !lists[1]) {
		reply_error(r, 400, "give genres, artists or both");
		goto out;
	}
	if (store_begin(s) < 0)
		goto fail;
	for (int k = 0; k < 2; k++) {
		size_t i;
		json_t *v;

		if (!lists[k])
			continue;
		st = store_stmt(s, "DELETE FROM taste WHERE user_id = ? AND kind = ?");
		if (!st)
			goto fail_tx;
		store_bind_text(st, 1, r->user.id);
		store_bind_text(st, 2, k == 0 ? "genre" : "artist");
		if (sqlite3_step(st) != SQLITE_DONE)
			goto fail_tx;
		json_array_foreach(lists[k], i, v) {
			char low[65];
			const char *x = json_string_value(v);
			size_t j;

			for (j = 0; x[j] && j < sizeof low - 1; j++)
				low[j] = k == 0 ? (char)tolower((unsigned char)x[j]) : x[j];
			low[j] = '\0';
			st = store_stmt(s, "INSERT INTO taste (user_id, kind, value, added_at) VALUES (?, ?, ?, ?)"
			                   " ON CONFLICT DO NOTHING");
			if (!st)
				goto fail_tx;
			store_bind_text(st, 1, r->user.id);
			store_bind_text(st, 2, k == 0 ? "genre" : "artist");
			store_bind_text(st, 3, low);
			sqlite3_bind_int64(st, 4, now + (long long)i);
			if (sqlite3_step(st) != SQLITE_DONE)
				goto fail_tx;
		}
	}
	if (store_commit(s) < 0)
		goto fail_tx;
	reply_empty(r, 204);
	goto out;
fail_tx:
	store_rollback(s);
fail:
	reply_error(r, 500, "database error");
out:
	json_decref(body);
}
