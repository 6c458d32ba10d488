/* segue-gen-listening's catalog: the artists and tracks loaded, then given structure a
 * recommender can find (taste communities, their genres and feature centroids, popularity
 * within each), and every track's genre, features, play count and popularity written back. */
#include "config.h"
#include "listening.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Shape of the world. Exponents are for weights (rank + 1)^-x. */
#define COMMUNITY_SIZE_EXP 0.8  /* community share of the catalog's tracks */
#define COMMUNITY_PICK_EXP 0.6  /* how many users a community draws: flatter than its size */
#define ARTIST_EXP 1.0          /* artist popularity within its community */
#define TRACK_EXP 0.9           /* track popularity within its artist */

#define MARKET_UNKNOWN (1u << 31) /* restricted to markets none of our users live in */

/* The features' ranges, how far communities, artists and tracks scatter, each genre's
 * prototype. */
static const double FEAT_LO[NFEAT] = { 60, 0, 0, 0, 0, -20 };
static const double FEAT_HI[NFEAT] = { 180, 1, 1, 1, 1, -4 };
static const double SD_COMMUNITY[NFEAT] = { 10, 0.10, 0.10, 0.10, 0.08, 2.0 };
static const double SD_ARTIST[NFEAT] = { 5, 0.05, 0.05, 0.06, 0.05, 1.0 };
static const double SD_TRACK[NFEAT] = { 6, 0.06, 0.06, 0.07, 0.06, 1.2 };
static const double GENRE_PROTO[NGENRES][NFEAT] = {
	/* tempo energy dance acoustic bright loudness */
	{ 118, 0.70, 0.70, 0.15, 0.65, -6 },  /* pop */
	{ 125, 0.80, 0.50, 0.10, 0.60, -6 },  /* rock */
	{ 92, 0.65, 0.80, 0.10, 0.45, -7 },   /* hip-hop */
	{ 126, 0.80, 0.70, 0.05, 0.70, -6 },  /* electronic */
	{ 110, 0.40, 0.50, 0.70, 0.45, -13 }, /* jazz */
	{ 90, 0.20, 0.25, 0.95, 0.40, -18 },  /* classical */
	{ 105, 0.60, 0.60, 0.45, 0.55, -8 },  /* country */
	{ 95, 0.55, 0.70, 0.20, 0.45, -8 },   /* r&b */
	{ 100, 0.75, 0.80, 0.25, 0.60, -6 },  /* latin */
	{ 150, 0.95, 0.35, 0.02, 0.70, -5 },  /* metal */
	{ 100, 0.35, 0.45, 0.85, 0.45, -12 }, /* folk */
	{ 75, 0.15, 0.20, 0.60, 0.30, -19 },  /* ambient */
	{ 124, 0.75, 0.85, 0.05, 0.60, -7 },  /* house */
	{ 132, 0.85, 0.75, 0.02, 0.55, -7 },  /* techno */
	{ 120, 0.60, 0.50, 0.30, 0.55, -9 },  /* indie */
	{ 100, 0.50, 0.65, 0.35, 0.45, -10 }, /* soul */
	{ 80, 0.55, 0.75, 0.25, 0.50, -9 },   /* reggae */
	{ 95, 0.45, 0.45, 0.55, 0.40, -11 },  /* blues */
};

/* ---- loading the catalog ---- */

static int cmp_artist_id(const void *a, const void *b)
{
	return strcmp(((const struct artist *)a)->id, ((const struct artist *)b)->id);
}

int gen_load_artists(struct gen *g)
{
	sqlite3_stmt *st = NULL;
	long long n = gen_scalar(g, "SELECT count(*) FROM artists");
	int rc, i = 0;

	if (n < 0)
		return -1;
	if (!(g->artists = gen_xcalloc((size_t)n, sizeof *g->artists)))
		return -1;
	/* Ordered by id so a track's artist_id is found by binary search. */
	if (gen_prepare(g, &st, "SELECT id FROM artists ORDER BY id") < 0)
		return -1;
	while (i < n && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		snprintf(g->artists[i].id, sizeof g->artists[i].id, "%s",
		         (const char *)sqlite3_column_text(st, 0));
		g->artists[i].comm = -1;
		i++;
	}
	sqlite3_finalize(st);
	g->nartists = i;
	return 0;
}

static int artist_index(struct gen *g, const char *id)
{
	struct artist key;
	struct artist *a;

	snprintf(key.id, sizeof key.id, "%s", id);
	a = bsearch(&key, g->artists, (size_t)g->nartists, sizeof *g->artists, cmp_artist_id);
	return a ? (int)(a - g->artists) : -1;
}

static uint32_t markets_mask(const char *csv)
{
	uint32_t mask = 0;

	if (!csv || !*csv)
		return 0;
	for (const char *p = csv; *p; ) {
		size_t len = strcspn(p, ",");
		bool known = false;

		for (int m = 0; m < NMARKETS; m++)
			if (len == 2 && !strncmp(p, MARKETS[m], 2)) {
				mask |= 1u << m;
				known = true;
			}
		if (!known)
			mask |= MARKET_UNKNOWN;
		p += len + (p[len] == ',');
	}
	return mask ? mask : MARKET_UNKNOWN;
}

int gen_load_tracks(struct gen *g)
{
	sqlite3_stmt *st = NULL;
	long long n = gen_scalar(g, "SELECT count(*) FROM tracks");
	long long have_plays = gen_scalar(g, "SELECT EXISTS (SELECT 1 FROM plays)");
	int rc, i = 0;

	if (n < 0 || have_plays < 0)
		return -1;
	g->tracks = gen_xcalloc((size_t)n, sizeof *g->tracks);
	g->counts = gen_xcalloc((size_t)n, sizeof *g->counts);
	if (!g->tracks || !g->counts)
		return -1;
	/* Plays already there (from real users) keep counting towards play_count; the subquery
	 * costs an index probe per track, so it is only asked for when there are any. */
	if (gen_prepare(g, &st, have_plays
	                ? "SELECT rowid, id, artist_id, duration_ms, markets,"
	                  " (SELECT count(*) FROM plays p WHERE p.track_id = t.id AND p.counted)"
	                  " FROM tracks t ORDER BY rowid"
	                : "SELECT rowid, id, artist_id, duration_ms, markets, 0 FROM tracks ORDER BY rowid") < 0)
		return -1;
	while (i < n && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct track *t = &g->tracks[i];

		t->rowid = sqlite3_column_int64(st, 0);
		snprintf(t->id, sizeof t->id, "%s", (const char *)sqlite3_column_text(st, 1));
		t->artist = artist_index(g, (const char *)sqlite3_column_text(st, 2));
		t->duration = sqlite3_column_int(st, 3);
		t->markets = markets_mask((const char *)sqlite3_column_text(st, 4));
		g->counts[i] = (uint32_t)sqlite3_column_int(st, 5);
		i++;
	}
	if (i < n && rc != SQLITE_DONE) {
		gen_db_fail(g, "reading tracks");
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	g->ntracks = i;
	return 0;
}

/* ---- restructuring the catalog ---- */

void gen_shuffle32(int32_t *a, int n, struct rng *r)
{
	for (int i = n - 1; i > 0; i--) {
		int j = (int)below(r, (uint32_t)i + 1);
		int32_t t = a[i];

		a[i] = a[j];
		a[j] = t;
	}
}

/* Groups track indices by artist (counting sort), each artist's in a random rank order. */
int gen_group_by_artist(struct gen *g)
{
	int32_t *fill;

	if (!(g->byartist = gen_xcalloc((size_t)g->ntracks, sizeof *g->byartist)) ||
	    !(fill = gen_xcalloc((size_t)g->nartists + 1, sizeof *fill)))
		return -1;
	for (int i = 0; i < g->ntracks; i++)
		if (g->tracks[i].artist >= 0)
			g->artists[g->tracks[i].artist].n++;
	for (int a = 0, pos = 0; a < g->nartists; a++) {
		g->artists[a].first = pos;
		fill[a] = pos;
		pos += g->artists[a].n;
	}
	for (int i = 0; i < g->ntracks; i++)
		if (g->tracks[i].artist >= 0)
			g->byartist[fill[g->tracks[i].artist]++] = i;
	for (int a = 0; a < g->nartists; a++) {
		struct rng r = rng_for(g->o.seed, R_TRACK_RANK, (uint64_t)a);

		gen_shuffle32(g->byartist + g->artists[a].first, g->artists[a].n, &r);
	}
	free(fill);
	return 0;
}

static int cmp_by_tracks_desc(const void *a, const void *b, void *arg)
{
	const struct artist *art = arg;
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;

	if (art[x].n != art[y].n)
		return art[x].n > art[y].n ? -1 : 1;
	return x < y ? -1 : x > y;
}

/* Artists into communities so that community sizes, counted in tracks, follow a power law.
 * Counting artists would not do: gen-meta gives a handful of artists most of the tracks, so
 * equal artist counts would still make wildly random track shares. Greedy, largest artist
 * first, into the community furthest below its target; the last artists fill any community
 * still empty, so every community has at least one artist when there are enough. */
static int assign_communities(struct gen *g)
{
	struct rng r = rng_for(g->o.seed, R_COMMUNITY, 0);
	int32_t *order = gen_xcalloc((size_t)g->nartists, sizeof *order);
	double *target = gen_xcalloc((size_t)g->ncomm, sizeof *target), wsum = 0;
	int32_t *have = gen_xcalloc((size_t)g->ncomm, sizeof *have);
	int with_tracks = 0, empty = g->ncomm, rc = -1;

	if (!order || !target || !have)
		goto out;
	for (int k = 0; k < g->ncomm; k++)
		wsum += target[k] = pow(k + 1, -COMMUNITY_SIZE_EXP);
	for (int k = 0; k < g->ncomm; k++)
		target[k] *= g->ntracks / wsum;
	for (int a = 0; a < g->nartists; a++)
		order[a] = a;
	gen_shuffle32(order, g->nartists, &r);
	qsort_r(order, (size_t)g->nartists, sizeof *order, cmp_by_tracks_desc, g->artists);
	while (with_tracks < g->nartists && g->artists[order[with_tracks]].n > 0)
		with_tracks++;
	for (int i = 0; i < with_tracks; i++) {
		struct artist *a = &g->artists[order[i]];
		bool only_empty = with_tracks - i <= empty;
		int best = -1;

		for (int k = 0; k < g->ncomm; k++) {
			if (only_empty && have[k])
				continue;
			if (best < 0 || target[k] - have[k] > target[best] - have[best])
				best = k;
		}
		if (!have[best])
			empty--;
		a->comm = best;
		have[best] += a->n;
		g->comms[best].nartists++;
	}
	/* Artists without tracks change nothing anyone sees; they join by weight all the same. */
	for (int i = with_tracks; i < g->nartists; i++) {
		double x = unit(&r) * wsum, acc = 0;
		int k = 0;

		while (k < g->ncomm - 1 && (acc += pow(k + 1, -COMMUNITY_SIZE_EXP)) <= x)
			k++;
		g->artists[order[i]].comm = k;
		g->comms[k].nartists++;
	}
	rc = 0;
out:
	free(order);
	free(target);
	free(have);
	return rc;
}

static double clampd(double v, double lo, double hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static void make_centroids(struct gen *g)
{
	for (int k = 0; k < g->ncomm; k++) {
		struct community *c = &g->comms[k];
		struct rng r = rng_for(g->o.seed, R_CENTROID, (uint64_t)k);

		c->genre = k % NGENRES;
		for (int f = 0; f < NFEAT; f++)
			c->centroid[f] = clampd(GENRE_PROTO[c->genre][f] + SD_COMMUNITY[f] * gauss(&r),
			                        FEAT_LO[f], FEAT_HI[f]);
	}
	for (int a = 0; a < g->nartists; a++) {
		struct artist *art = &g->artists[a];
		struct rng r = rng_for(g->o.seed, R_ARTIST_FEAT, (uint64_t)a);

		for (int f = 0; f < NFEAT; f++)
			art->feat[f] = (float)clampd(g->comms[art->comm].centroid[f] + SD_ARTIST[f] * gauss(&r),
			                             FEAT_LO[f], FEAT_HI[f]);
	}
}

/* Lays out each community's tracks, most popular artist first, with cumulative weights
 * artist_rank^-ARTIST_EXP * track_rank^-TRACK_EXP (normalised within the artist), so a draw
 * is one binary search. Artist ranks are a shuffle of the community's artists. */
static int build_popularity(struct gen *g)
{
	int32_t *arts = gen_xcalloc((size_t)g->nartists, sizeof *arts);
	int32_t *fill = gen_xcalloc((size_t)g->ncomm, sizeof *fill);
	int pos = 0, rc = -1;

	g->ctrack = gen_xcalloc((size_t)g->ntracks, sizeof *g->ctrack);
	g->ccdf = gen_xcalloc((size_t)g->ntracks, sizeof *g->ccdf);
	if (!arts || !fill || !g->ctrack || !g->ccdf)
		goto out;
	for (int k = 0, p = 0; k < g->ncomm; k++) {
		fill[k] = p;
		p += g->comms[k].nartists;
	}
	for (int a = 0; a < g->nartists; a++)
		arts[fill[g->artists[a].comm]++] = a;
	for (int k = 0, p = 0; k < g->ncomm; k++) {
		struct community *c = &g->comms[k];
		struct rng r = rng_for(g->o.seed, R_ARTIST_RANK, (uint64_t)k);
		double acc = 0;
		int rank = 0;

		gen_shuffle32(arts + p, c->nartists, &r);
		c->first = pos;
		for (int i = 0; i < c->nartists; i++) {
			const struct artist *art = &g->artists[arts[p + i]];
			double aw, z = 0;

			if (!art->n)
				continue;
			aw = pow(++rank, -ARTIST_EXP);
			for (int j = 0; j < art->n; j++)
				z += pow(j + 1, -TRACK_EXP);
			for (int j = 0; j < art->n; j++) {
				g->ctrack[pos] = g->byartist[art->first + j];
				acc += aw * pow(j + 1, -TRACK_EXP) / z;
				g->ccdf[pos++] = acc;
			}
		}
		c->n = pos - c->first;
		c->total = acc;
		p += c->nartists;
	}
	for (int i = 0; i < g->ntracks; i++)
		g->tracks[i].comm = g->tracks[i].artist >= 0 ? g->artists[g->tracks[i].artist].comm
		                                             : (int32_t)(g->tracks[i].rowid % g->ncomm);
	rc = 0;
out:
	free(arts);
	free(fill);
	return rc;
}

/* Cumulative weights for drawing users' communities: bigger ones draw more listeners. */
static int build_comm_pick(struct gen *g)
{
	double acc = 0;

	if (!(g->comm_pick = gen_xcalloc((size_t)g->ncomm, sizeof *g->comm_pick)))
		return -1;
	for (int k = 0; k < g->ncomm; k++) {
		acc += g->comms[k].n ? pow(k + 1, -COMMUNITY_PICK_EXP) : 0;
		g->comm_pick[k] = acc;
	}
	return 0;
}

int gen_restructure(struct gen *g)
{
	int with_tracks = 0;

	for (int a = 0; a < g->nartists; a++)
		with_tracks += g->artists[a].n > 0;
	if (with_tracks == 0) {
		fprintf(stderr, PROG ": no track belongs to a known artist\n");
		return -1;
	}
	/* A community without artists would never be played and only skews the weights. */
	if (with_tracks < g->ncomm) {
		fprintf(stderr, PROG ": only %d artists have tracks: using %d communities, not %d\n",
		        with_tracks, with_tracks, g->ncomm);
		g->ncomm = with_tracks;
	}
	if (!(g->comms = gen_xcalloc((size_t)g->ncomm, sizeof *g->comms)))
		return -1;
	if (assign_communities(g) < 0)
		return -1;
	make_centroids(g);
	if (build_popularity(g) < 0 || build_comm_pick(g) < 0)
		return -1;
	return 0;
}

/* ---- writing the catalog back ---- */

/* Genre, audio features, play_count and popularity of every track, in one pass in rowid
 * order (the table's own order, so pages are written once each). Features are drawn here,
 * from a stream per track, so they do not depend on anything the listening drew. */
int gen_update_tracks(struct gen *g)
{
	sqlite3_stmt *st = NULL;
	uint32_t top = 0;
	double ltop;
	int rc = -1;

	for (int i = 0; i < g->ntracks; i++)
		top = g->counts[i] > top ? g->counts[i] : top;
	ltop = log1p((double)top);
	if (gen_prepare(g, &st, "UPDATE tracks SET genre = ?, tempo = ?, energy = ?, danceability = ?,"
	                " acousticness = ?, brightness = ?, loudness = ?, play_count = ?, popularity = ?"
	                " WHERE rowid = ?") < 0)
		return -1;
	for (int i = 0; i < g->ntracks; i++) {
		const struct track *t = &g->tracks[i];
		struct rng r = rng_for(g->o.seed, R_TRACK_FEAT, (uint64_t)t->rowid);
		double f[NFEAT];

		for (int k = 0; k < NFEAT; k++) {
			double base = t->artist >= 0 ? g->artists[t->artist].feat[k] : g->comms[t->comm].centroid[k];

			f[k] = clampd(base + SD_TRACK[k] * gauss(&r), FEAT_LO[k], FEAT_HI[k]);
		}
		sqlite3_bind_text(st, 1, GENRES[g->comms[t->comm].genre], -1, SQLITE_STATIC);
		sqlite3_bind_double(st, 2, round(f[F_TEMPO] * 10) / 10);
		sqlite3_bind_double(st, 3, round(f[F_ENERGY] * 1000) / 1000);
		sqlite3_bind_double(st, 4, round(f[F_DANCE] * 1000) / 1000);
		sqlite3_bind_double(st, 5, round(f[F_ACOUSTIC] * 1000) / 1000);
		sqlite3_bind_double(st, 6, round(f[F_BRIGHT] * 1000) / 1000);
		sqlite3_bind_double(st, 7, round(f[F_LOUD] * 100) / 100);
		sqlite3_bind_int64(st, 8, g->counts[i]);
		sqlite3_bind_int(st, 9, top ? (int)lround(100.0 * log1p(g->counts[i]) / ltop) : 0);
		sqlite3_bind_int64(st, 10, t->rowid);
		if (gen_run(g, st, "updating a track") < 0)
			goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(st);
	return rc;
}
