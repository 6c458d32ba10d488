/* GET /v1/artists/{id}/related-artists: the artists whose tracks the recommender ranks
 * nearest an artist's own. The artist is a seed, as a radio's is (its best tracks and
 * itself); the ranked tracks' artists, in rank order, other than the artist, are the answer.
 * The ranker's rule of at most two tracks per artist in thirty keeps one prolific neighbour
 * from filling the list. With listening, nearness is listeners' (ALS, co-occurrence); on a
 * catalog nobody has played yet it is genre and sound. */
#include "config.h"

#include <string.h>

#include "api/handlers.h"
#include "recs/profile.h"
#include "server.h"

#define RELATED_MAX 20   /* the Web API answers up to 20 */
#define RELATED_SCAN 300 /* ranked tracks read for them */

void h_related_artists(struct req *r)
{
	const char *id = r->params[0];
	struct recs_model *m = NULL;
	struct recs_profile p = { 0 };
	struct recs_query q = { .surface = RECS_SEEDED, .limit = RELATED_SCAN };
	struct api_view v;
	struct recs_ctx c;
	int32_t items[RELATED_SCAN];
	int seen[RELATED_MAX], nseen = 0, n;
	const char *ids[RELATED_MAX];
	json_t *objs[RELATED_MAX];
	char uri[64];
	json_t *list;

	if (!api_check_id(r, id, "artist"))
		return;
	if (!api_exists(r, "artist", id)) {
		reply_error(r, 404, "no artist with id %s", id);
		return;
	}
	if (!(m = recommender_get(&r->srv->recs))) {
		reply_header(r, "Retry-After", "5");
		reply_error(r, 503, "recommendations are warming up");
		return;
	}
	c = (struct recs_ctx){ api_view(r, &v), m, &r->user, NULL, store_now_ms() };
	snprintf(uri, sizeof uri, "segue:artist:%s", id);
	list = json_array();
	switch (recs_profile_seed(&c, &p, uri, 1.0f)) {
	case 0:
		break;
	case 1: /* known to the catalog, not yet to the model: nothing to relate it by */
		goto reply;
	default:
		json_decref(list);
		reply_error(r, 500, "could not read the artist's tracks");
		goto out;
	}
	p.history = 40;
	recs_profile_seal(&p);
	q.today = recs_today(&c);
	if ((n = recs_rank(m, &p, &q, items)) < 0) {
		json_decref(list);
		reply_error(r, 500, "out of memory");
		goto out;
	}
	for (int i = 0; i < n && nseen < RELATED_MAX; i++) {
		int a = m->artist[items[i]], k;

		if (a < 0 || a >= m->n_artists || !strcmp(m->artist_id[a], id))
			continue;
		for (k = 0; k < nseen && seen[k] != a; k++)
			;
		if (k < nseen)
			continue;
		ids[nseen] = m->artist_id[a];
		seen[nseen++] = a;
	}
	/* Rendered together; an artist gone from the catalog since the model was built is left
	 * out. */
	if (api_artists(r, ids, nseen, objs) < 0) {
		json_decref(list);
		reply_error(r, 500, "the catalog could not be read");
		goto out;
	}
	for (int i = 0; i < nseen; i++)
		if (objs[i])
			json_array_append_new(list, objs[i]);
reply:
	reply_json(r, 200, json_pack("{s:o}", "artists", list));
out:
	recs_profile_free(&p);
	recs_model_unref(m);
}
