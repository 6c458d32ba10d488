/* The model's catalog part: every track as a dense item number with its artist, genre,
 * popularity, release day and audio features, grouped by artist, by genre and as a whole. It
 * needs no listening, so a model without plays has it too. */
#include "config.h"
#include "recs/model_build.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "store/recs.h"

#define GENRE_TOP 500
#define POPULAR_TOP 1000

static int cmp_id(const void *a, const void *b)
{
	return strcmp(a, b);
}

int recs_item(const struct recs_model *m, const char *id)
{
	const char (*hit)[RECS_ID_LEN + 1];

	if (strlen(id) != RECS_ID_LEN)
		return -1;
	hit = bsearch(id, m->item_id, (size_t)m->n_items, sizeof *m->item_id, cmp_id);
	return hit ? (int)(hit - m->item_id) : -1;
}

int recs_artist(const struct recs_model *m, const char *id)
{
	const char (*hit)[RECS_ID_LEN + 1];

	if (strlen(id) != RECS_ID_LEN)
		return -1;
	hit = bsearch(id, m->artist_id, (size_t)m->n_artists, sizeof *m->artist_id, cmp_id);
	return hit ? (int)(hit - m->artist_id) : -1;
}

int recs_genre(const struct recs_model *m, const char *name)
{
	for (int g = 0; g < m->n_genres; g++)
		if (!strcasecmp(m->genre_name[g], name))
			return g;
	return -1;
}

static float clamp01(double x)
{
	return x < 0 ? 0 : x > 1 ? 1 : (float)x;
}

void recs_features(double tempo, double energy, double danceability, double acousticness,
                   double brightness, double loudness, float out[RECS_NFEAT])
{
	out[0] = clamp01((tempo - 40) / 180);
	out[1] = clamp01(energy);
	out[2] = clamp01(danceability);
	out[3] = clamp01(acousticness);
	out[4] = clamp01(brightness);
	out[5] = clamp01((loudness + 40) / 40);
}

static int days_of(const char *date)
{
	int y, mo = 1, d = 1;
	struct tm tm = { 0 };

	if (sscanf(date, "%d-%d-%d", &y, &mo, &d) < 1 || y < 1900 || y > 9999)
		return 0;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	return (int)(timegm(&tm) / 86400);
}

/* Genre names seen so far; catalogs have tens to a few hundred, so a linear scan with the
 * last hit remembered is enough. */
static int genre_index(struct recs_model *m, struct vec *names, const char *g, int *last)
{
	char low[48];
	size_t i;

	for (i = 0; g[i] && i < sizeof low - 1; i++)
		low[i] = (char)tolower((unsigned char)g[i]);
	low[i] = '\0';
	if (*last >= 0 && !strcmp(((char (*)[48])names->p)[*last], low))
		return *last;
	for (size_t k = 0; k < names->n; k++)
		if (!strcmp(((char (*)[48])names->p)[k], low))
			return *last = (int)k;
	char *slot = recs_vec_push(names, 1);

	if (!slot)
		return -1;
	memcpy(slot, low, sizeof low);
	m->n_genres = (int)names->n;
	return *last = (int)names->n - 1;
}

static int cmp_pop_desc(const void *a, const void *b, void *ctx)
{
	const float *pop = ctx;
	float x = pop[*(const int32_t *)a], y = pop[*(const int32_t *)b];

	return x < y ? 1 : x > y ? -1 : *(const int32_t *)a - *(const int32_t *)b;
}

/* Items grouped by a key (artist or genre), each group by popularity, at most `top` each. */
static int group_items(struct recs_model *m, const int32_t *key, int groups, int top,
                       int64_t **ptr_out, int32_t **items_out)
{
	int64_t *ptr = calloc((size_t)groups + 1, sizeof *ptr), *fill = NULL;
	int32_t *items = malloc((size_t)(m->n_items ? m->n_items : 1) * sizeof *items);
	int64_t w = 0;

	if (!ptr || !items || !(fill = malloc(((size_t)groups + 1) * sizeof *fill)))
		goto fail;
	for (int i = 0; i < m->n_items; i++)
		if (key[i] >= 0)
			ptr[key[i] + 1]++;
	for (int g = 0; g < groups; g++)
		ptr[g + 1] += ptr[g];
	memcpy(fill, ptr, ((size_t)groups + 1) * sizeof *fill);
	for (int i = 0; i < m->n_items; i++)
		if (key[i] >= 0)
			items[fill[key[i]]++] = i;
	for (int g = 0; g < groups; g++) {
		int64_t a = ptr[g], n = ptr[g + 1] - a;

		qsort_r(items + a, (size_t)n, sizeof *items, cmp_pop_desc, m->pop);
		if (n > top)
			n = top;
		memmove(items + w, items + a, (size_t)n * sizeof *items);
		ptr[g] = w;   /* safe: a >= w and ptr[g + 1] is read before being rewritten */
		w += n;
	}
	ptr[groups] = w;
	free(fill);
	*ptr_out = ptr;
	*items_out = items;
	return 0;
fail:
	free(ptr);
	free(items);
	free(fill);
	return -1;
}

/* The catalog being read into the model. */
struct load {
	struct recs_model *m;
	struct vec artists, genres;
	int32_t *duration;
	int n, cap, last_genre;
	bool oom;
};

static int add_artist(void *ud, const char *id)
{
	struct load *l = ud;
	char *slot = recs_vec_push(&l->artists, 1);

	if (!slot) {
		l->oom = true;
		return -1;
	}
	snprintf(slot, RECS_ID_LEN + 1, "%s", id);
	return 0;
}

static int add_track(void *ud, const struct recs_track_source *t)
{
	struct load *l = ud;
	struct recs_model *m = l->m;
	int n = l->n;
	const char (*hit)[RECS_ID_LEN + 1];

	/* more rows than counted: none, within one read transaction */
	if (n == l->cap)
		return 0;
	hit = bsearch(t->artist_id, m->artist_id, (size_t)m->n_artists, sizeof *m->artist_id, cmp_id);
	snprintf(m->item_id[n], RECS_ID_LEN + 1, "%s", t->id);
	m->artist[n] = hit ? (int32_t)(hit - m->artist_id) : -1;
	m->genre[n] = *t->genre ? genre_index(m, &l->genres, t->genre, &l->last_genre) : -1;
	m->pop[n] = (float)t->popularity / 100.0f;
	m->released[n] = days_of(t->release_date);
	recs_features(t->tempo, t->energy, t->danceability, t->acousticness, t->brightness, t->loudness, m->feat[n]);
	m->restricted[n] = (uint8_t)t->restricted;
	l->duration[n] = t->duration_ms;
	l->n++;
	return 0;
}

int recs_load_catalog(struct store *s, struct recs_model *m, int32_t **duration, char *err, size_t errlen)
{
	struct load l = { .m = m, .artists = { .size = sizeof *m->artist_id }, .genres = { .size = 48 },
	                  .last_genre = -1 };
	long long cap;
	int rc;

	rc = store_recs_artists(s, add_artist, &l);
	m->artist_id = l.artists.p;
	m->n_artists = (int)l.artists.n;
	if (rc < 0)
		goto fail;
	if ((cap = store_recs_track_count(s)) < 0)
		goto fail;
	l.cap = (int)cap;
	m->item_id = malloc(((size_t)cap + 1) * sizeof *m->item_id);
	m->artist = malloc(((size_t)cap + 1) * sizeof *m->artist);
	m->genre = malloc(((size_t)cap + 1) * sizeof *m->genre);
	m->released = malloc(((size_t)cap + 1) * sizeof *m->released);
	m->pop = malloc(((size_t)cap + 1) * sizeof *m->pop);
	m->feat = malloc(((size_t)cap + 1) * sizeof *m->feat);
	m->restricted = malloc((size_t)cap + 1);
	*duration = l.duration = malloc(((size_t)cap + 1) * sizeof **duration);
	if (!m->item_id || !m->artist || !m->genre || !m->released || !m->pop || !m->feat ||
	    !m->restricted || !*duration) {
		l.oom = true;
		goto fail;
	}
	rc = store_recs_tracks(s, add_track, &l);
	m->n_items = l.n;
	m->genre_name = l.genres.p;
	m->n_genres = (int)l.genres.n;
	if (rc < 0)
		goto fail;
	return 0;
fail:
	snprintf(err, errlen, l.oom ? "out of memory loading the catalog" : "cannot read the catalog");
	return -1;
}

/* The catalog by artist, by genre and as a whole, each by popularity. */
int recs_group_catalog(struct recs_model *m)
{
	if (group_items(m, m->artist, m->n_artists, m->n_items, &m->artist_ptr, &m->artist_items) < 0 ||
	    group_items(m, m->genre, m->n_genres, GENRE_TOP, &m->genre_ptr, &m->genre_items) < 0)
		goto oom;
	{
		int32_t *all = calloc((size_t)m->n_items + 1, sizeof *all);
		int64_t *ptr;
		int32_t *items;

		if (!all)
			goto oom;
		/* Every item in one group: the catalog's most popular. */
		if (group_items(m, all, 1, POPULAR_TOP, &ptr, &items) < 0) {
			free(all);
			goto oom;
		}
		free(all);
		m->n_popular = (int)ptr[1];
		m->popular = items;
		free(ptr);
	}
	return 0;
oom:
	return -1;
}

/* Popularity from the training rows alone: how many users listened, log-scaled. */
void recs_pop_from_rows(struct recs_model *m, const int32_t *col, const float *conf, size_t n)
{
	float top = 0;

	memset(m->pop, 0, (size_t)m->n_items * sizeof *m->pop);
	for (size_t j = 0; j < n; j++)
		if (conf[j] > 0)
			m->pop[col[j]] += 1;
	for (int i = 0; i < m->n_items; i++)
		if ((m->pop[i] = log1pf(m->pop[i])) > top)
			top = m->pop[i];
	for (int i = 0; top > 0 && i < m->n_items; i++)
		m->pop[i] /= top;
}
