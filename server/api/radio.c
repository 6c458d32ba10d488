/* Radio: an endless queue from a seed, served in batches. The server keeps no session: the
 * client sends what the session has played and skipped so far, so a batch after three skips
 * of one artist leans away from that artist and its neighbours, and a restart of either side
 * loses nothing. POST /v1/segue/radio
 *   { "seed": URI, "played": [ids], "skipped": [ids], "queued": [ids], "limit": 1..50 (30) }
 * played and skipped are the listener's feedback; queued is what the station already holds
 * (excluded, no opinion).
 * -> { "seed": URI, "tracks": [track objects] } */
#include "config.h"

#include <string.h>

#include "catalog/catalog.h"
#include "api/handlers.h"
#include "recs/profile.h"
#include "server.h"

#define RADIO_HISTORY_MAX 1000

/* Adds the session's played (liked) or skipped tracks; -1 after a 400. */
static int session_tracks(struct req *r, const struct recs_ctx *c, struct recs_profile *p, json_t *list,
                          const char *name, float listen)
{
	size_t i;
	json_t *v;

	if (!list)
		return 0;
	if (!json_is_array(list) || json_array_size(list) > RADIO_HISTORY_MAX) {
		reply_error(r, 400, "%s must be an array of at most %d track ids", name, RADIO_HISTORY_MAX);
		return -1;
	}
	json_array_foreach(list, i, v) {
		const char *id = json_string_value(v), *in_uri = api_uri_id(id, "track");
		int item;

		if (in_uri)
			id = in_uri;
		if (!id) {
			reply_error(r, 400, "%s[%zu] is not a track id", name, i);
			return -1;
		}
		/* A track removed from the catalog since is no reason to refuse the batch. */
		if ((item = recs_item(c->m, id)) < 0)
			continue;
		if ((listen != 0 && recs_profile_add(p, item, listen) < 0) || recs_profile_exclude(p, item) < 0) {
			reply_error(r, 500, "out of memory");
			return -1;
		}
		p->history += listen > 0;
	}
	return 0;
}

void h_radio(struct req *r)
{
	json_t *body = req_json_body(r, false), *lim;
	struct recs_model *m = NULL;
	struct recs_profile p = { 0 };
	struct api_view v;
	struct recs_ctx c;
	struct recs_query q = { .surface = RECS_RADIO, .limit = 30 };
	const char *seed;
	int32_t out[50];
	int n;

	if (!body)
		return;
	api_uri_canon_member(body, "seed");
	seed = json_string_value(json_object_get(body, "seed"));
	lim = json_object_get(body, "limit");
	if (!seed || strlen(seed) > 100) {
		reply_error(r, 400, "seed must be a track, artist, album or playlist URI");
		goto out;
	}
	if (lim && (!json_is_integer(lim) || json_integer_value(lim) < 1 || json_integer_value(lim) > 50)) {
		reply_error(r, 400, "limit must be a whole number from 1 to 50");
		goto out;
	}
	if (lim)
		q.limit = (int)json_integer_value(lim);
	if (!(m = recommender_get(&r->srv->recs))) {
		/* The first model is still being built: seconds after a start. */
		reply_header(r, "Retry-After", "5");
		reply_error(r, 503, "recommendations are warming up");
		goto out;
	}
	c = (struct recs_ctx){ api_view(r, &v), m, &r->user, r->user.country, store_now_ms() };
	switch (recs_profile_seed(&c, &p, seed, 1.0f)) {
	case 0:
		break;
	case 1:
		reply_error(r, 404, "no track, artist, album or playlist %s", seed);
		goto out;
	default:
		reply_error(r, 500, "could not read the seed %s", seed);
		goto out;
	}
	/* The seed speaks for the station as a long history would. */
	p.history = 40;
	if (session_tracks(r, &c, &p, json_object_get(body, "played"), "played", 1.0f) < 0 ||
	    session_tracks(r, &c, &p, json_object_get(body, "skipped"), "skipped", -2.0f) < 0 ||
	    session_tracks(r, &c, &p, json_object_get(body, "queued"), "queued", 0.0f) < 0)
		goto out;
	recs_profile_seal(&p);
	q.keep = recs_keep_market;
	q.ctx = &c;
	q.today = recs_today(&c);
	if ((n = recs_rank(m, &p, &q, out)) < 0) {
		reply_error(r, 500, "out of memory");
		goto out;
	}
	reply_json(r, 200, json_pack("{s:s,s:o}", "seed", seed, "tracks", recs_tracks_json(&c, out, n)));
out:
	recs_profile_free(&p);
	recs_model_unref(m);
	json_decref(body);
}
