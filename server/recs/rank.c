#include "config.h"
#include "recs/rank.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CAND_MAX 6000
#define ALS_TAKE 600
#define COOC_FROM 60       /* the profile's strongest items whose neighbours are candidates */
#define GENRE_TAKE 150
#define ARTIST_TAKE 40
#define POPULAR_TAKE 200
#define FOLD_STEPS 8
#define PER_ARTIST_IN_30 2

struct recs_weights recs_default_weights(enum recs_surface s)
{
	switch (s) {
	case RECS_RADIO:
		return (struct recs_weights){ .als = 1.0f, .cooc = 1.0f, .content = 0.35f, .pop = 0.05f };
	case RECS_MIX:
		return (struct recs_weights){ .als = 1.0f, .cooc = 0.5f, .content = 0.3f, .pop = 0.05f };
	case RECS_SEEDED:
		return (struct recs_weights){ .als = 0.8f, .cooc = 0.8f, .content = 0.5f, .pop = 0.1f };
	case RECS_DISCOVER:
	default:
		return (struct recs_weights){ .als = 1.0f, .cooc = 0.6f, .content = 0.25f, .pop = 0.1f };
	}
}

int recs_profile_add(struct recs_profile *p, int item, float listen)
{
	if (!(p->n & (p->n - 1)) || p->n == 0) {
		size_t cap = p->n ? (size_t)p->n * 2 : 16;
		int32_t *i = realloc(p->item, cap * sizeof *i);
		float *l;

		if (!i)
			return -1;
		p->item = i;
		if (!(l = realloc(p->listen, cap * sizeof *l)))
			return -1;
		p->listen = l;
	}
	p->item[p->n] = item;
	p->listen[p->n++] = listen;
	return 0;
}

int recs_profile_exclude(struct recs_profile *p, int item)
{
	if (!(p->n_exclude & (p->n_exclude - 1)) || p->n_exclude == 0) {
		size_t cap = p->n_exclude ? (size_t)p->n_exclude * 2 : 16;
		int32_t *e = realloc(p->exclude, cap * sizeof *e);

		if (!e)
			return -1;
		p->exclude = e;
	}
	p->exclude[p->n_exclude++] = item;
	return 0;
}

static int cmp_i32(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;

	return (x > y) - (x < y);
}

void recs_profile_seal(struct recs_profile *p)
{
	int w = 0;

	if (p->n_exclude > 1) /* qsort's array may not be NULL, even empty */
		qsort(p->exclude, (size_t)p->n_exclude, sizeof *p->exclude, cmp_i32);
	for (int i = 0; i < p->n_exclude; i++)
		if (!w || p->exclude[w - 1] != p->exclude[i])
			p->exclude[w++] = p->exclude[i];
	p->n_exclude = w;
}

bool recs_profile_excludes(const struct recs_profile *p, int item)
{
	int32_t key = item;

	return p->n_exclude && bsearch(&key, p->exclude, (size_t)p->n_exclude, sizeof key, cmp_i32);
}

void recs_profile_free(struct recs_profile *p)
{
	free(p->item);
	free(p->listen);
	free(p->exclude);
	memset(p, 0, sizeof *p);
}

/* The confidence training gave such listening (server/recs/model_listening.c scan_user). */
static float confidence(const struct recs_model *m, float listen)
{
	return listen > 0 ? 1 + m->alpha * log1pf(listen) : -(1 + m->skip_weight * -listen);
}

bool recs_fold_in(const struct recs_model *m, const struct recs_profile *p, float *u)
{
	int32_t *cols;
	float *conf;
	int n = 0;

	if (!m->k || !p->n)
		return false;
	cols = malloc((size_t)p->n * sizeof *cols);
	conf = malloc((size_t)p->n * sizeof *conf);
	if (!cols || !conf) {
		free(cols);
		free(conf);
		return false;
	}
	for (int i = 0; i < p->n; i++) {
		/* als_solve_row reads rows of V: an item's row, not its number */
		int32_t row = m->row[p->item[i]];

		if (row == m->zero_row || p->listen[i] == 0)
			continue;
		cols[n] = row;
		conf[n++] = confidence(m, p->listen[i]);
	}
	memset(u, 0, (size_t)m->k * sizeof *u);
	if (n)
		als_solve_row(m->V, m->G, m->k, m->reg, cols, conf, n, FOLD_STEPS, u);
	free(cols);
	free(conf);
	return n > 0;
}

struct cand {
	int32_t item;
	float als, cooc, score;
	bool familiar;
};

struct pool {
	struct cand *c;
	int n;
	int32_t *slot;     /* open addressing: item -> index in c */
	uint32_t mask;
};

static struct cand *pool_get(struct pool *p, int32_t item)
{
	uint32_t h = ((uint32_t)item * 2654435761u) & p->mask;

	for (; p->slot[h] >= 0; h = (h + 1) & p->mask)
		if (p->c[p->slot[h]].item == item)
			return &p->c[p->slot[h]];
	if (p->n >= CAND_MAX)
		return NULL;
	p->slot[h] = p->n;
	p->c[p->n] = (struct cand){ .item = item, .als = NAN };
	return &p->c[p->n++];
}

static struct cand *pool_find(const struct pool *p, int32_t item)
{
	for (uint32_t h = ((uint32_t)item * 2654435761u) & p->mask; p->slot[h] >= 0; h = (h + 1) & p->mask)
		if (p->c[p->slot[h]].item == item)
			return &p->c[p->slot[h]];
	return NULL;
}

/* Eight partial sums: without them the compiler may not reorder a float sum, and the scan
 * runs a multiply-add at a time instead of a vector of them. */
static float dotk(const float *a, const float *b, int k)
{
	float p[8] = { 0 }, s;
	int f = 0;

	for (; f + 8 <= k; f += 8)
		for (int j = 0; j < 8; j++)
			p[j] += a[f + j] * b[f + j];
	s = ((p[0] + p[4]) + (p[1] + p[5])) + ((p[2] + p[6]) + (p[3] + p[7]));
	for (; f < k; f++)
		s += a[f] * b[f];
	return s;
}

struct scored {
	int32_t i;
	float s;
};

static int cmp_scored_desc(const void *a, const void *b)
{
	const struct scored *x = a, *y = b;

	return x->s < y->s ? 1 : x->s > y->s ? -1 : (x->i > y->i) - (x->i < y->i);
}

/* The items scoring highest against u: the lists whose centroids score highest until enough
 * items were scanned (or every item, for the evaluation's exact ALS). */
static int als_candidates(const struct recs_model *m, const float *u, bool exact, struct scored *top, int want)
{
	int64_t scanned = 0, budget = m->list_ptr[m->nlist] / 16;
	float cut = -INFINITY;
	struct scored *lists = malloc((size_t)m->nlist * sizeof *lists);
	int n = 0;

	if (!lists)
		return 0;
	if (budget < 8192)
		budget = 8192;
	for (int l = 0; l < m->nlist; l++)
		lists[l] = (struct scored){ l, dotk(u, m->centroid + (size_t)l * m->k, m->k) };
	qsort(lists, (size_t)m->nlist, sizeof *lists, cmp_scored_desc);
	/* A buffer of twice what is wanted, cut back to the best half whenever it fills; once
	 * cut, nothing below the weakest kept can enter. */
	for (int l = 0; l < m->nlist && (exact || scanned < budget); l++) {
		int64_t a = m->list_ptr[lists[l].i], b = m->list_ptr[lists[l].i + 1];

		for (int64_t j = a; j < b; j++) {
			float s = dotk(u, m->V + (size_t)j * m->k, m->k);   /* row j is list_items[j] */

			if (s <= cut)
				continue;
			top[n++] = (struct scored){ m->list_items[j], s };
			if (n == 2 * want) {
				qsort(top, (size_t)n, sizeof *top, cmp_scored_desc);
				n = want;
				cut = top[want - 1].s;
			}
		}
		scanned += b - a;
	}
	free(lists);
	qsort(top, (size_t)n, sizeof *top, cmp_scored_desc);
	return n < want ? n : want;
}

static int cmp_listen_desc(const void *a, const void *b)
{
	return cmp_scored_desc(a, b);
}

int recs_rank(const struct recs_model *m, const struct recs_profile *p, const struct recs_query *q,
              int32_t *out)
{
	struct recs_weights w = q->w;
	struct pool pool = { 0 };
	float u[RECS_MAX_K], mean[RECS_NFEAT] = { 0 }, *genre_w = NULL, *artist_pen = NULL;
	float max_als = 0, max_cooc = 0, trust, wsum = 0;
	struct scored *tmp = NULL;
	int32_t *artist_count = NULL, *genre_count = NULL;
	bool have_u, have_mean = false;
	int picked = 0, per_artist, per_genre, ngenres_seen = 0, familiar = 0, rc = -1;

	if (!w.als && !w.cooc && !w.content && !w.pop && !w.fresh)
		w = recs_default_weights(q->surface);
	pool.c = malloc(CAND_MAX * sizeof *pool.c);
	pool.mask = 16383;
	pool.slot = malloc((pool.mask + 1) * sizeof *pool.slot);
	genre_w = calloc((size_t)m->n_genres + 1, sizeof *genre_w);
	artist_pen = calloc((size_t)m->n_artists + 1, sizeof *artist_pen);
	artist_count = calloc((size_t)m->n_artists + 1, sizeof *artist_count);
	genre_count = calloc((size_t)m->n_genres + 1, sizeof *genre_count);
	tmp = malloc(((size_t)(p->n > 2 * ALS_TAKE + 1 ? p->n : 2 * ALS_TAKE + 1)) * sizeof *tmp);
	if (!pool.c || !pool.slot || !genre_w || !artist_pen || !artist_count || !genre_count || !tmp)
		goto out;
	memset(pool.slot, 0xff, (pool.mask + 1) * sizeof *pool.slot);

	/* The profile's taste in content terms: the mean features and genre shares of what it
	 * liked, the genres and artists it names, penalties for artists it skipped. */
	for (int i = 0; i < p->n; i++) {
		int it = p->item[i];
		float l = p->listen[i];

		if (l > 0) {
			float wt = log1pf(l);

			for (int f = 0; f < RECS_NFEAT; f++)
				mean[f] += wt * m->feat[it][f];
			wsum += wt;
			if (m->genre[it] >= 0)
				genre_w[m->genre[it]] += wt;
		} else if (m->artist[it] >= 0) {
			artist_pen[m->artist[it]] += -l;
		}
	}
	if (wsum > 0) {
		for (int f = 0; f < RECS_NFEAT; f++)
			mean[f] /= wsum;
		for (int g = 0; g < m->n_genres; g++)
			genre_w[g] /= wsum;
		have_mean = true;
	}
	for (int i = 0; i < p->n_genres; i++)
		genre_w[p->genres[i]] += 1.0f / (float)p->n_genres;
	for (int f = 0; f < RECS_NFEAT; f++)
		if (p->has_target[f])
			have_mean = true;
	/* How far personal signals are trusted: a handful of plays says little. */
	trust = (float)p->history / ((float)p->history + 20.0f);

	/* Candidates. */
	have_u = recs_fold_in(m, p, u);
	if (have_u && m->nlist) {
		int n = als_candidates(m, u, q->exact_als, tmp, ALS_TAKE);

		for (int i = 0; i < n; i++) {
			struct cand *c = pool_get(&pool, tmp[i].i);

			if (c)
				c->als = tmp[i].s;
		}
	}
	if (m->nb_ptr && p->n) {
		int n = 0;

		for (int i = 0; i < p->n; i++)
			tmp[n++] = (struct scored){ i, p->listen[i] > 0 ? p->listen[i] : -p->listen[i] * 0.5f };
		qsort(tmp, (size_t)n, sizeof *tmp, cmp_listen_desc);
		if (n > COOC_FROM)
			n = COOC_FROM;
		for (int k = 0; k < n; k++) {
			int it = p->item[tmp[k].i];
			float l = p->listen[tmp[k].i];
			/* skipped items push their neighbours down, liked ones pull them up */
			float wt = l > 0 ? log1pf(l) : -0.5f * log1pf(-l);

			for (int64_t j = m->nb_ptr[it]; j < m->nb_ptr[it + 1]; j++) {
				/* only candidates already present are pushed down */
				struct cand *c = wt > 0 ? pool_get(&pool, m->nb_item[j]) : pool_find(&pool, m->nb_item[j]);

				if (c)
					c->cooc += wt * m->nb_sim[j];
			}
		}
	}
	{
		/* The strongest genres of the profile, each with its most popular tracks. */
		struct scored g[RECS_PROFILE_TAGS];
		int ng = 0;

		for (int x = 0; x < m->n_genres; x++) {
			if (genre_w[x] <= 0)
				continue;
			if (ng < RECS_PROFILE_TAGS)
				g[ng++] = (struct scored){ x, genre_w[x] };
			else if (genre_w[x] > g[ng - 1].s)
				g[ng - 1] = (struct scored){ x, genre_w[x] };
			qsort(g, (size_t)ng, sizeof *g, cmp_scored_desc);
		}
		for (int k = 0; k < ng && k < 5; k++) {
			int64_t a = m->genre_ptr[g[k].i], b = m->genre_ptr[g[k].i + 1];

			for (int64_t j = a; j < b && j < a + GENRE_TAKE; j++)
				pool_get(&pool, m->genre_items[j]);
		}
	}
	for (int k = 0; k < p->n_artists; k++) {
		int64_t a = m->artist_ptr[p->artists[k]], b = m->artist_ptr[p->artists[k] + 1];

		for (int64_t j = a; j < b && j < a + ARTIST_TAKE; j++)
			pool_get(&pool, m->artist_items[j]);
	}
	if (q->surface == RECS_MIX)
		for (int i = 0; i < p->n; i++)
			if (p->listen[i] > 0) {
				struct cand *c = pool_get(&pool, p->item[i]);

				if (c)
					c->familiar = true;
			}
	for (int j = 0; j < m->n_popular && j < POPULAR_TAKE; j++)
		pool_get(&pool, m->popular[j]);

	/* Scores. */
	for (int i = 0; i < pool.n; i++) {
		struct cand *c = &pool.c[i];

		if (isnan(c->als))
			c->als = have_u ? dotk(u, recs_vec(m, c->item), m->k) : 0;
		if (c->als > max_als)
			max_als = c->als;
		if (c->cooc > max_cooc)
			max_cooc = c->cooc;
	}
	for (int i = 0; i < pool.n; i++) {
		struct cand *c = &pool.c[i];
		int it = c->item;
		float content = 0, d = 0, nd = 0, fresh = 0;
		float als = max_als > 0 && c->als > 0 ? c->als / max_als : 0;
		float cooc = max_cooc > 0 ? c->cooc / max_cooc : 0;
		bool seed_artist = false;

		for (int f = 0; f < RECS_NFEAT; f++) {
			float want = p->has_target[f] ? p->target[f] : mean[f];

			if (!have_mean || (!p->has_target[f] && wsum <= 0))
				continue;
			d += (m->feat[it][f] - want) * (m->feat[it][f] - want);
			nd += 1;
		}
		content = nd ? 0.5f * (1 - sqrtf(d / nd)) : 0;
		if (m->genre[it] >= 0)
			content += 0.5f * (genre_w[m->genre[it]] < 1 ? genre_w[m->genre[it]] : 1);
		for (int k = 0; k < p->n_artists && !seed_artist; k++)
			seed_artist = m->artist[it] == p->artists[k];
		if (seed_artist)
			content += 0.3f;
		if (q->today && m->released[it] && q->today >= m->released[it])
			fresh = expf(-(float)(q->today - m->released[it]) / 60.0f);
		/* Personal signals weigh by trust; content carries a profile without history. */
		c->score = trust * (w.als * als + w.cooc * cooc) + (1 - 0.5f * trust) * w.content * content +
		           w.pop * m->pop[it] + w.fresh * fresh;
		if (m->artist[it] >= 0 && artist_pen[m->artist[it]] > 0)
			c->score -= 0.15f * artist_pen[m->artist[it]];
		if (c->familiar)
			c->score += 0.15f;
	}

	/* The rules, in score order. */
	free(tmp);
	if (!(tmp = malloc(((size_t)pool.n + 1) * sizeof *tmp)))
		goto out;
	for (int i = 0; i < pool.n; i++)
		tmp[i] = (struct scored){ i, pool.c[i].score };
	qsort(tmp, (size_t)pool.n, sizeof *tmp, cmp_scored_desc);
	/* two per artist in thirty, and proportionally more in longer lists */
	per_artist = (PER_ARTIST_IN_30 * q->limit + 29) / 30;
	if (per_artist < PER_ARTIST_IN_30)
		per_artist = PER_ARTIST_IN_30;
	/* Variety across the genres the profile really spans, not the ones it brushed past. */
	for (int g = 0; g < m->n_genres; g++)
		ngenres_seen += genre_w[g] >= 0.15f;
	per_genre = q->surface == RECS_DISCOVER && ngenres_seen > 1 ? (q->limit + 1) / 2 : q->limit;
	/* Variety is a preference, not a hard rule: a second pass lifts the genre cap when the
	 * first could not fill the list; the artist cap always holds. */
	for (int pass = 0; pass < 2 && picked < q->limit; pass++)
		for (int i = 0; i < pool.n && picked < q->limit; i++) {
			struct cand *c = &pool.c[tmp[i].i];
			int it = c->item, ar = m->artist[it], ge = m->genre[it];

			if (c->score == -INFINITY)
				continue;
			if ((q->surface != RECS_MIX || !c->familiar) && recs_profile_excludes(p, it)) {
				c->score = -INFINITY;
				continue;
			}
			if (!q->no_rules && ar >= 0 && artist_count[ar] >= per_artist)
				continue;
			if (pass == 0 && !q->no_rules && ge >= 0 && genre_count[ge] >= per_genre)
				continue;
			/* a mix is half familiar, half new, while both last */
			if (pass == 0 && q->surface == RECS_MIX &&
			    (c->familiar ? familiar >= q->limit / 2 : picked - familiar >= q->limit - q->limit / 2))
				continue;
			if (q->keep && !q->keep(q->ctx, it)) {
				c->score = -INFINITY;
				continue;
			}
			out[picked++] = it;
			familiar += c->familiar;
			c->score = -INFINITY;
			if (ar >= 0)
				artist_count[ar]++;
			if (ge >= 0)
				genre_count[ge]++;
		}
	rc = picked;
out:
	free(pool.c);
	free(pool.slot);
	free(genre_w);
	free(artist_pen);
	free(artist_count);
	free(genre_count);
	free(tmp);
	return rc;
}
