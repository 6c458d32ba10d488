/* The Web API's /v1/recommendations (seeds, audio feature bounds and targets), its genre
 * seeds, and /v1/audio-features. With a model (server/recs/recommender.h), the seeds become a profile for
 * the hybrid ranker. Until the first model exists, the catalog alone answers, and this is
 * what every surface falls back to: candidates from the seeds' genres and artists and the
 * most played tracks, ranked by closeness in audio-feature space to the seeds (or the
 * targets asked for), genre and popularity, then the rules: no seed track, nothing the
 * market does not have, at most two tracks of one artist. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base62.h"
#include "catalog/catalog.h"
#include "api/handlers.h"
#include "recs/profile.h"
#include "server.h"
#include "store/recs.h"

#define SEEDS_MAX 5
#define POOL_MAX 4000
#define PER_GENRE 600
#define PER_ARTIST 100
#define PER_ARTIST_IN_LIST 2
#define SEED_ARTIST_TRACKS 10

/* The features a bound or target can name, with how to bring each to about [0, 1]. */
enum feat { F_ACOUSTICNESS, F_DANCEABILITY, F_ENERGY, F_LOUDNESS, F_TEMPO, F_BRIGHTNESS,
            F_POPULARITY, F_DURATION, NFEAT };
static const struct {
	const char *name;
	double lo, hi;   /* the span that maps to [0, 1] */
	bool distance;   /* part of the closeness measure */
} feats[NFEAT] = {
	[F_ACOUSTICNESS] = { "acousticness", 0, 1, true },
	[F_DANCEABILITY] = { "danceability", 0, 1, true },
	[F_ENERGY] = { "energy", 0, 1, true },
	[F_LOUDNESS] = { "loudness", -60, 0, true },
	[F_TEMPO] = { "tempo", 0, 220, true },
	[F_BRIGHTNESS] = { "brightness", 0, 1, true },
	[F_POPULARITY] = { "popularity", 0, 100, false },
	[F_DURATION] = { "duration_ms", 0, 1200000, false },
};

struct cand {
	char id[BASE62_ID_LEN + 1];
	char artist[BASE62_ID_LEN + 1];
	double f[NFEAT];
	bool genre_hit, artist_hit;
	double score;
};

struct bounds {
	double min[NFEAT], max[NFEAT], target[NFEAT];
	bool has_min[NFEAT], has_max[NFEAT], has_target[NFEAT];
};

static void read_feats(const struct track_features *t, double f[NFEAT])
{
	f[F_ACOUSTICNESS] = t->acousticness;
	f[F_DANCEABILITY] = t->danceability;
	f[F_ENERGY] = t->energy;
	f[F_LOUDNESS] = t->loudness;
	f[F_TEMPO] = t->tempo;
	f[F_BRIGHTNESS] = t->brightness;
	f[F_POPULARITY] = t->popularity;
	f[F_DURATION] = t->duration_ms;
}

static double norm(int i, double v)
{
	return (v - feats[i].lo) / (feats[i].hi - feats[i].lo);
}

/* Parses min_X, max_X and target_X; false after replying 400. */
static bool read_bounds(struct req *r, struct bounds *b)
{
	static const char *const kinds[] = { "min_", "max_", "target_" };

	memset(b, 0, sizeof *b);
	for (int i = 0; i < NFEAT; i++)
		for (int k = 0; k < 3; k++) {
			char name[48], *end;
			const char *v;
			double x;

			snprintf(name, sizeof name, "%s%s", kinds[k], feats[i].name);
			if (!(v = req_arg(r, name)))
				continue;
			x = strtod(v, &end);
			if (!*v || *end || !isfinite(x)) {
				reply_error(r, 400, "invalid %s: expected a number", name);
				return false;
			}
			if (k == 0)
				b->min[i] = x, b->has_min[i] = true;
			else if (k == 1)
				b->max[i] = x, b->has_max[i] = true;
			else
				b->target[i] = x, b->has_target[i] = true;
		}
	/* A bound on what analysis does not measure (key, mode, valence, liveness...) could
	 * only be ignored, and a client would take the list for one that honours it. */
	for (int a = 0; a < r->nargs; a++) {
		const char *name = r->args[a].name, *f = NULL;
		int i;

		for (int k = 0; k < 3 && !f; k++)
			if (!strncmp(name, kinds[k], strlen(kinds[k])))
				f = name + strlen(kinds[k]);
		if (!f)
			continue;
		for (i = 0; i < NFEAT && strcmp(f, feats[i].name); i++)
			;
		if (i == NFEAT) {
			reply_error(r, 400, "%.40s: Segue does not measure %.30s (it measures acousticness, "
			            "danceability, energy, loudness, tempo, brightness, popularity and duration_ms)",
			            name, f);
			return false;
		}
	}
	return true;
}

/* Splits a comma-separated seed list; false after replying 400. */
static int read_seeds(struct req *r, const char *name, char seeds[SEEDS_MAX][64], int *n, bool ids)
{
	const char *v = req_arg(r, name);

	*n = 0;
	if (!v || !*v)
		return 0;
	for (const char *p = v;;) {
		const char *c = strchrnul(p, ',');
		size_t len = (size_t)(c - p);

		if (*n == SEEDS_MAX || len == 0 || len >= 64) {
			reply_error(r, 400, "%s: at most %d seeds in all, each non-empty", name, SEEDS_MAX);
			return -1;
		}
		memcpy(seeds[*n], p, len);
		seeds[*n][len] = '\0';
		if (ids && !base62_is_id(seeds[*n])) {
			reply_error(r, 400, "%s: invalid id \"%s\"", name, seeds[*n]);
			return -1;
		}
		(*n)++;
		if (!*c)
			return 0;
		p = c + 1;
	}
}

struct pool {
	struct cand *c;
	int n;
};

static int cand_cmp_id(const void *a, const void *b)
{
	return strcmp(((const struct cand *)a)->id, ((const struct cand *)b)->id);
}

static void pool_add(struct req *r, struct pool *p, enum recs_pool pool, const char *key, int limit)
{
	int room = POOL_MAX - p->n, n;
	char (*ids)[BASE62_ID_LEN + 1] = room > 0 ? malloc((size_t)room * sizeof *ids) : NULL;

	if (!ids)
		return;
	n = store_recs_pool(&r->srv->store, pool, key, limit, ids, room);
	for (int i = 0; i < n; i++)
		snprintf(p->c[p->n++].id, sizeof p->c[0].id, "%s", ids[i]);
	free(ids);
}

/* The seeds' place in feature space: the mean of the seed tracks and of the seed artists'
 * most played tracks. false when there is nothing to average (genre seeds only). */
static bool seed_profile(struct req *r, char tracks[][64], int nt, char artists[][64], int na,
                         double mean[NFEAT], char genres[][64], int *ng)
{
	struct track_features rows[SEED_ARTIST_TRACKS];
	int count = 0;

	memset(mean, 0, NFEAT * sizeof *mean);
	for (int k = 0; k < nt + na; k++) {
		int n = k < nt ? store_track_features(&r->srv->store, tracks[k], &rows[0])
		               : store_artist_features(&r->srv->store, artists[k - nt], rows, SEED_ARTIST_TRACKS);

		for (int row = 0; row < n; row++) {
			double f[NFEAT];
			const char *g = rows[row].genre;

			read_feats(&rows[row], f);
			for (int i = 0; i < NFEAT; i++)
				mean[i] += f[i];
			count++;
			/* The seeds' own genres widen the pool. */
			bool have = false;

			for (int i = 0; i < *ng; i++)
				have |= !strcasecmp(genres[i], g);
			if (*g && !have && *ng < SEEDS_MAX * 3)
				snprintf(genres[(*ng)++], 64, "%s", g);
		}
	}
	if (!count)
		return false;
	for (int i = 0; i < NFEAT; i++)
		mean[i] /= count;
	return true;
}

static int cand_cmp_score(const void *a, const void *b)
{
	double x = ((const struct cand *)a)->score, y = ((const struct cand *)b)->score;

	return x < y ? 1 : x > y ? -1 : strcmp(((const struct cand *)a)->id, ((const struct cand *)b)->id);
}

/* The Web API's seed objects: one per seed, with the candidate pool's sizes. */
static void append_seeds(json_t *seeds, char tracks[][64], int nt, char artists[][64], int na,
                         char genres[][64], int ng, int pool, int kept)
{
	for (int k = 0; k < nt + na + ng; k++) {
		const char *type = k < nt ? "TRACK" : k < nt + na ? "ARTIST" : "GENRE";
		const char *id = k < nt ? tracks[k] : k < nt + na ? artists[k - nt] : genres[k - nt - na];

		json_array_append_new(seeds, json_pack("{s:i,s:i,s:i,s:s,s:s,s:o}", "initialPoolSize", pool,
		                                       "afterFilteringSize", kept, "afterRelinkingSize", kept,
		                                       "id", id, "type", type, "href", json_null()));
	}
}

/* The model's feature order (recs_features) for the bounds' enum. */
static const int model_feat[NFEAT] = {
	[F_TEMPO] = 0, [F_ENERGY] = 1, [F_DANCEABILITY] = 2, [F_ACOUSTICNESS] = 3, [F_BRIGHTNESS] = 4,
	[F_LOUDNESS] = 5, [F_POPULARITY] = -1, [F_DURATION] = -1,
};

struct bounds_ctx {
	struct recs_ctx *c;
	const struct bounds *b;
};

/* Market, then min_ and max_ against the track's own row. */
static bool keep_bounded(void *ctx, int item)
{
	struct bounds_ctx *k = ctx;
	struct track_features t;
	double f[NFEAT];
	bool ok = true;

	if (!recs_keep_market(k->c, item))
		return false;
	for (int i = 0; i < NFEAT && ok; i++)
		ok = !k->b->has_min[i] && !k->b->has_max[i];
	if (ok)
		return true;
	ok = store_track_features(k->c->view->store, k->c->m->item_id[item], &t) > 0;
	if (ok)
		read_feats(&t, f);
	for (int i = 0; ok && i < NFEAT; i++)
		ok = !(k->b->has_min[i] && f[i] < k->b->min[i]) && !(k->b->has_max[i] && f[i] > k->b->max[i]);
	return ok;
}

/* The seeds as a profile for the ranker; false after replying. */
static bool model_recommendations(struct req *r, struct recs_model *m, char tracks[][64], int nt,
                                  char artists[][64], int na, char genres[][64], int ng,
                                  const struct bounds *b, const char *market, int limit, json_t **out)
{
	struct api_view v;
	struct recs_ctx c = { api_view(r, &v), m, &r->user, market, store_now_ms() };
	struct recs_profile p = { 0 };
	struct bounds_ctx k = { &c, b };
	struct recs_query q = { .surface = RECS_SEEDED, .limit = limit, .keep = keep_bounded, .ctx = &k,
	                        .today = recs_today(&c) };
	float f[RECS_NFEAT];
	int32_t *items = malloc((size_t)limit * sizeof *items);
	int n = -1;

	if (!items)
		goto oom;
	for (int i = 0; i < nt + na; i++) {
		char uri[96];

		snprintf(uri, sizeof uri, "segue:%s:%s", i < nt ? "track" : "artist", i < nt ? tracks[i] : artists[i - nt]);
		/* Seeds were checked against the catalog above: 1 is one deleted since. */
		if (recs_profile_seed(&c, &p, uri, 1.0f) < 0)
			goto oom;
	}
	for (int i = 0; i < ng && p.n_genres < RECS_PROFILE_TAGS; i++) {
		int g = recs_genre(m, genres[i]);

		if (g >= 0)
			p.genres[p.n_genres++] = g;
	}
	/* target_ values in the model's own scale */
	recs_features(b->target[F_TEMPO], b->target[F_ENERGY], b->target[F_DANCEABILITY], b->target[F_ACOUSTICNESS],
	              b->target[F_BRIGHTNESS], b->target[F_LOUDNESS], f);
	for (int i = 0; i < NFEAT; i++)
		if (b->has_target[i] && model_feat[i] >= 0) {
			p.target[model_feat[i]] = f[model_feat[i]];
			p.has_target[model_feat[i]] = true;
		}
	p.history = 40;
	recs_profile_seal(&p);
	if ((n = recs_rank(m, &p, &q, items)) < 0)
		goto oom;
	*out = recs_tracks_json(&c, items, n);
	free(items);
	recs_profile_free(&p);
	return true;
oom:
	free(items);
	recs_profile_free(&p);
	reply_error(r, 500, "out of memory");
	return false;
}

void h_recommendations(struct req *r)
{
	char tracks[SEEDS_MAX][64], artists[SEEDS_MAX][64], genres[SEEDS_MAX * 4][64];
	int nt, na, ng, ngs, limit, kept = 0;
	struct bounds b;
	struct pool p = { 0 };
	double mean[NFEAT];
	bool have_profile;
	const char *market;
	bool bad;
	json_t *out, *seeds;
	struct track_features row;

	market = api_market(r, &bad);
	if (bad || api_int_arg(r, "limit", 20, 1, 100, &limit) < 0 || !read_bounds(r, &b) ||
	    read_seeds(r, "seed_tracks", tracks, &nt, true) < 0 ||
	    read_seeds(r, "seed_artists", artists, &na, true) < 0 ||
	    read_seeds(r, "seed_genres", genres, &ng, false) < 0)
		return;
	if (!market)
		market = r->user.country;
	if (nt + na + ng == 0 || nt + na + ng > SEEDS_MAX) {
		reply_error(r, 400, "give 1 to %d seeds in all (seed_tracks, seed_artists, seed_genres)", SEEDS_MAX);
		return;
	}
	seeds = json_array();
	for (int k = 0; k < nt + na; k++) {
		const char *kind = k < nt ? "track" : "artist", *id = k < nt ? tracks[k] : artists[k - nt];

		if (!api_exists(r, kind, id)) {
			json_decref(seeds);
			reply_error(r, 400, "no %s with id %s", kind, id);
			return;
		}
	}
	ngs = ng;
	{
		struct recs_model *m = recommender_get(&r->srv->recs);

		if (m) {
			bool ok = model_recommendations(r, m, tracks, nt, artists, na, genres, ng, &b, market, limit, &out);

			recs_model_unref(m);
			if (!ok) {
				json_decref(seeds);
				return;
			}
			append_seeds(seeds, tracks, nt, artists, na, genres, ngs, (int)json_array_size(out),
			             (int)json_array_size(out));
			reply_json(r, 200, json_pack("{s:o,s:o}", "tracks", out, "seeds", seeds));
			return;
		}
	}
	have_profile = seed_profile(r, tracks, nt, artists, na, mean, genres, &ng);
	if (!(p.c = calloc(POOL_MAX, sizeof *p.c))) {
		json_decref(seeds);
		reply_error(r, 500, "out of memory");
		return;
	}
	/* Candidates: the genres' and artists' most played tracks, and the catalog's. */
	for (int i = 0; i < ng; i++)
		pool_add(r, &p, RECS_POOL_GENRE, genres[i], PER_GENRE);
	for (int i = 0; i < na; i++)
		pool_add(r, &p, RECS_POOL_ARTIST, artists[i], PER_ARTIST);
	pool_add(r, &p, RECS_POOL_TOP, NULL, 300);
	qsort(p.c, (size_t)p.n, sizeof *p.c, cand_cmp_id);
	/* Each candidate once, scored; the ones the rules exclude dropped. */
	char prev[BASE62_ID_LEN + 1] = "";

	for (int i = 0; i < p.n; i++) {
		struct cand *c = &p.c[i];
		/* Sorted by id: a repeat follows its first (kept compacts below i, so compare with
		 * a copy, not with p.c[i - 1]). */
		bool keep = strcmp(c->id, prev) != 0;
		double d = 0, w = 0;

		snprintf(prev, sizeof prev, "%s", c->id);
		for (int k = 0; keep && k < nt; k++)
			keep = strcmp(c->id, tracks[k]) != 0;
		if (!keep)
			continue;
		if (store_track_features(&r->srv->store, c->id, &row) <= 0)
			continue;
		read_feats(&row, c->f);
		snprintf(c->artist, sizeof c->artist, "%s", row.artist_id);
		for (int k = 0; k < ng; k++)
			c->genre_hit |= !strcasecmp(genres[k], row.genre);
		for (int k = 0; k < na; k++)
			c->artist_hit |= !strcmp(artists[k], c->artist);
		keep = api_available(r, row.markets, market);
		for (int k = 0; keep && k < NFEAT; k++)
			keep = !(b.has_min[k] && c->f[k] < b.min[k]) && !(b.has_max[k] && c->f[k] > b.max[k]);
		if (!keep)
			continue;
		for (int k = 0; k < NFEAT; k++) {
			double want;

			if (b.has_target[k])
				want = b.target[k];
			else if (have_profile && feats[k].distance)
				want = mean[k];
			else
				continue;
			d += (norm(k, c->f[k]) - norm(k, want)) * (norm(k, c->f[k]) - norm(k, want));
			w += 1;
		}
		c->score = (w ? 1.0 - sqrt(d / w) : 0.5) + 0.25 * c->genre_hit + 0.15 * c->artist_hit +
		           0.1 * c->f[F_POPULARITY] / 100.0;
		p.c[kept++] = *c;
	}
	qsort(p.c, (size_t)kept, sizeof *p.c, cand_cmp_score);
	out = json_array();
	for (int i = 0, picked = 0; i < kept && picked < limit; ) {
		const char *ids[API_SEVERAL_MAX];
		json_t *objs[API_SEVERAL_MAX];
		int idx[API_SEVERAL_MAX], m = 0, k;

		/* At most two tracks of one artist in a list: the best two (p.c is in score order,
		 * and what was picked sits compacted at its front). The picks are rendered together;
		 * one that is gone from the catalog ends the batch there, and the candidates after it
		 * are weighed again without it. */
		for (; i < kept && m < limit - picked && m < API_SEVERAL_MAX; i++) {
			int same = 0;

			for (int j = 0; j < picked; j++)
				same += !strcmp(p.c[j].artist, p.c[i].artist);
			for (int j = 0; j < m; j++)
				same += !strcmp(p.c[idx[j]].artist, p.c[i].artist);
			if (same >= PER_ARTIST_IN_LIST)
				continue;
			idx[m] = i;
			ids[m++] = p.c[i].id;
		}
		if (api_tracks(r, ids, m, market, objs) < 0) {
			json_decref(out);
			json_decref(seeds);
			free(p.c);
			reply_error(r, 500, "the catalog could not be read");
			return;
		}
		for (k = 0; k < m && objs[k]; k++) {
			json_array_append_new(out, objs[k]);
			p.c[picked++] = p.c[idx[k]];
		}
		if (k < m) {
			i = idx[k] + 1;
			for (; k < m; k++)
				json_decref(objs[k]);
		}
	}
	append_seeds(seeds, tracks, nt, artists, na, genres, ngs, p.n, kept);
	free(p.c);
	reply_json(r, 200, json_pack("{s:o,s:o}", "tracks", out, "seeds", seeds));
}

static int list_genre(void *ud, const char *genre)
{
	json_array_append_new(ud, json_string(genre));
	return 0;
}

void h_genre_seeds(struct req *r)
{
	json_t *a = json_array();

	store_genres(&r->srv->store, list_genre, a);
	reply_json(r, 200, json_pack("{s:o}", "genres", a));
}

static json_t *features_of(struct req *r, const char *id)
{
	struct track_features t;
	char base[300], href[400];
	json_t *o = NULL;
	double f[NFEAT];

	if (store_track_features(&r->srv->store, id, &t) > 0) {
		read_feats(&t, f);
		req_base_url(r, base, sizeof base);
		snprintf(href, sizeof href, "%s/v1/tracks/%s", base, id);
		/* The Web API's object; what ingest does not measure is null. */
		o = json_pack("{s:f,s:f,s:f,s:f,s:f,s:I,s:s,s:s,s:s,s:s,s:n,s:n,s:n,s:n,s:n,s:n,s:n,s:n,s:f}",
		              "acousticness", f[F_ACOUSTICNESS], "danceability", f[F_DANCEABILITY],
		              "energy", f[F_ENERGY], "loudness", f[F_LOUDNESS], "tempo", f[F_TEMPO],
		              "duration_ms", (json_int_t)f[F_DURATION], "id", id, "type", "audio_features",
		              "track_href", href, "uri", "", "instrumentalness", "key", "liveness", "mode",
		              "speechiness", "time_signature", "valence", "analysis_url",
		              "brightness", f[F_BRIGHTNESS]);
		char uri[64];

		snprintf(uri, sizeof uri, "segue:track:%s", id);
		json_object_set_new(o, "uri", json_string(uri));
	}
	return o;
}

void h_audio_features_one(struct req *r)
{
	json_t *o;

	if (!api_check_id(r, r->params[0], "track"))
		return;
	if (!(o = features_of(r, r->params[0]))) {
		reply_error(r, 404, "no track with id %s", r->params[0]);
		return;
	}
	reply_json(r, 200, o);
}

void h_audio_features(struct req *r)
{
	char **ids;
	int n;
	json_t *a;

	if (api_ids_arg(r, 100, &ids, &n) < 0)
		return;
	a = json_array();
	for (int i = 0; i < n; i++) {
		json_t *o = features_of(r, ids[i]);

		json_array_append_new(a, o ? o : json_null());
	}
	api_free_ids(ids, n);
	reply_json(r, 200, json_pack("{s:o}", "audio_features", a));
}
