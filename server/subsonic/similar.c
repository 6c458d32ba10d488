/* What the recommender says of an artist: songs like theirs (getSimilarSongs2) and the
 * artists those songs are by (getArtistInfo2's similarArtist), ranked as a radio from the
 * artist would be, in the user's market. */
#include "config.h"
#include "subsonic/endpoints.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recs/profile.h"
#include "server.h"
#include "store/subsonic_catalog.h"
#include "subsonic/render.h"

#define SIMILAR_MAX 500

/* Up to limit items ranked from the artist into out; the count, 0 without a model, -1 on
 * error; *missing when the model does not know the artist. */
static int rank_from_artist(struct sub_call *c, struct recs_model *m, const char *artist_id, int limit,
                            int32_t *out, bool *missing)
{
	struct recs_profile p = { 0 };
	struct recs_query q = { .surface = RECS_SEEDED, .limit = limit };
	struct catalog_view v = { &c->r->srv->store, "", c->r->srv->cfg.markets, NULL };
	struct recs_ctx ctx = { &v, m, &c->r->user, c->r->user.country, store_now_ms() };
	char uri[64];
	int n = -1;

	*missing = false;
	snprintf(uri, sizeof uri, "segue:artist:%s", artist_id);
	switch (recs_profile_seed(&ctx, &p, uri, 1.0f)) {
	case 0:
		break;
	case 1:
		*missing = true;
		n = 0;
		goto out;
	default:
		goto out;
	}
	p.history = 40; /* the seed speaks as a long history would, as radio's does */
	recs_profile_seal(&p);
	q.keep = recs_keep_market;
	q.ctx = &ctx;
	q.today = recs_today(&ctx);
	n = recs_rank(m, &p, &q, out);
out:
	recs_profile_free(&p);
	return n;
}

void sub_get_similar_songs2(struct sub_call *c)
{
	const char *id = sub_arg(c, "id");
	struct sub_scope sc = sub_scope_of(c);
	struct recs_model *m = NULL;
	struct sub_song *s = NULL;
	struct sub_artist a;
	int32_t *items = NULL;
	json_t *list = NULL;
	long count;
	bool missing;
	int n, rc;

	if (!sub_catalog_id(c, id, "artist") || !sub_int(c, "count", 50, 1, SIMILAR_MAX, &count))
		return;
	if ((rc = store_sub_artist(&c->r->srv->store, &sc, id, &a)) != 1) {
		if (rc == 0)
			sub_error(c, SUB_ERR_NOT_FOUND, "artist not found");
		else
			sub_error(c, SUB_ERR_GENERIC, "the artist could not be read");
		return;
	}
	if (!(m = recommender_get(&c->r->srv->recs))) {
		sub_error(c, SUB_ERR_GENERIC, "recommendations are warming up: try again in a few seconds");
		return;
	}
	items = malloc((size_t)count * sizeof *items);
	s = malloc(sizeof *s);
	list = json_array();
	if (!items || !s || !list || (n = rank_from_artist(c, m, id, (int)count, items, &missing)) < 0) {
		sub_error(c, SUB_ERR_GENERIC, "the recommendations could not be made");
		goto out;
	}
	for (int i = 0; i < n; i++) {
		json_t *o;

		if ((rc = store_sub_song(&c->r->srv->store, &sc, m->item_id[items[i]], s)) < 0) {
			sub_error(c, SUB_ERR_GENERIC, "the songs could not be read");
			goto out;
		}
		/* A song withdrawn since the model was built is skipped. */
		if (rc == 1 && s->playable && (o = sub_song_json(c, s)))
			json_array_append_new(list, o);
	}
	sub_ok(c, "similarSongs2", json_pack("{s:O}", "song", list));
out:
	json_decref(list);
	free(s);
	free(items);
	recs_model_unref(m);
}

/* The artists of the songs ranked from id, best first, without id, up to max, into list. */
static int similar_artists(struct sub_call *c, const struct sub_scope *sc, const char *id, int max,
                           json_t *list)
{
	struct recs_model *m = recommender_get(&c->r->srv->recs);
	int32_t items[200];
	int n, found = 0, rc = 0;
	bool missing;
	struct sub_artist *a = NULL;
	json_t *seen = json_object();

	/* No model yet: no similar artists yet, which is no error. */
	if (!m)
		goto out;
	if (!seen || !(a = malloc(sizeof *a)) || (n = rank_from_artist(c, m, id, 200, items, &missing)) < 0) {
		rc = -1;
		goto out;
	}
	for (int i = 0; i < n && found < max; i++) {
		int ai = m->artist[items[i]];
		const char *artist;
		json_t *o;

		if (ai < 0 || ai >= m->n_artists)
			continue;
		artist = m->artist_id[ai];
		if (!strcmp(artist, id) || json_object_get(seen, artist))
			continue;
		json_object_set_new(seen, artist, json_true());
		if ((rc = store_sub_artist(&c->r->srv->store, sc, artist, a)) < 0)
			goto out;
		if (rc == 1 && (o = sub_artist_json(c, a))) {
			json_array_append_new(list, o);
			found++;
		}
		rc = 0;
	}
out:
	json_decref(seen);
	free(a);
	recs_model_unref(m);
	return rc;
}

void sub_get_artist_info2(struct sub_call *c)
{
	const char *id = sub_arg(c, "id");
	struct sub_scope sc = sub_scope_of(c);
	struct sub_artist a;
	json_t *info, *similar;
	char base[512];
	long count;
	int rc;

	if (!sub_catalog_id(c, id, "artist") || !sub_int(c, "count", 20, 0, 100, &count))
		return;
	if ((rc = store_sub_artist(&c->r->srv->store, &sc, id, &a)) != 1) {
		if (rc == 0)
			sub_error(c, SUB_ERR_NOT_FOUND, "artist not found");
		else
			sub_error(c, SUB_ERR_GENERIC, "the artist could not be read");
		return;
	}
	similar = json_array();
	if (!similar || similar_artists(c, &sc, id, (int)count, similar) < 0) {
		json_decref(similar);
		sub_error(c, SUB_ERR_GENERIC, "the similar artists could not be found");
		return;
	}
	/* Segue keeps no biographies: what it has is the picture and the MusicBrainz id. */
	info = json_pack("{s:o}", "similarArtist", similar);
	if (info && a.mb_artist_id[0])
		json_object_set_new(info, "musicBrainzId", json_string(a.mb_artist_id));
	if (info && a.image[0]) {
		req_base_url(c->r, base, sizeof base);
		json_object_set_new(info, "smallImageUrl", json_sprintf("%s/images/%s/64.jpg", base, a.image));
		json_object_set_new(info, "mediumImageUrl", json_sprintf("%s/images/%s/300.jpg", base, a.image));
		json_object_set_new(info, "largeImageUrl", json_sprintf("%s/images/%s/640.jpg", base, a.image));
	}
	sub_ok(c, "artistInfo2", info);
}
