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
#include "store/recs.h"

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

static int list_pick(void *ud, bool genre, const char *value)
{
	json_t **lists = ud;

	json_array_append_new(lists[genre ? 0 : 1], json_string(value));
	return 0;
}

void h_taste(struct req *r)
{
	json_t *lists[2];

	if (r->method == M_PUT) {
		taste_set(r);
		return;
	}
	lists[0] = json_array();
	lists[1] = json_array();
	store_taste(&r->srv->store, r->user.id, list_pick, lists);
	reply_json(r, 200, json_pack("{s:o,s:o}", "genres", lists[0], "artists", lists[1]));
}

/* PUT /v1/me/taste {genres: [...], artists: [ids]}: replaces the picks. */
static void taste_set(struct req *r)
{
	struct store *s = &r->srv->store;
	json_t *body = req_json_body(r, false), *lists[2];
	static const char *const names[2] = { "genres", "artists" };
	long long now = store_now_ms();

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
			    (k == 0 ? store_genre_exists(s, x) <= 0 : !base62_is_id(x) || !api_exists(r, "artist", x))) {
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
		char low[TASTE_MAX][65];
		const char *values[TASTE_MAX];
		size_t i;
		json_t *v;

		if (!lists[k])
			continue;
		/* Genres are kept in lower case, as the catalog's genre seeds are listed. */
		json_array_foreach(lists[k], i, v) {
			const char *x = json_string_value(v);
			size_t j;

			for (j = 0; x[j] && j < sizeof low[i] - 1; j++)
				low[i][j] = k == 0 ? (char)tolower((unsigned char)x[j]) : x[j];
			low[i][j] = '\0';
			values[i] = low[i];
		}
		if (store_taste_set(s, r->user.id, k == 0, values, (int)json_array_size(lists[k]), now) < 0)
			goto fail_tx;
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
