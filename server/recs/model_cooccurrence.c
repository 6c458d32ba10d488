/* Co-occurrence: item neighbours mined from the sequence of sessions and playlists, in parallel
 * chunks of items. Apart because it is its own phase of the build, with its own working set. */
#include "config.h"
#include "recs/model_build.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "recs/pfor.h"

#define SESSION_WINDOW 3
#define PLAYLIST_WINDOW 8
#define PLAYLIST_WEIGHT 1.5f
#define NB_CHUNK 1024

struct nb_ctx {
	const struct recs_model *m;
	const int32_t *seq;
	int64_t seq_n, playlists_at;
	const int64_t *occ_ptr;
	const uint32_t *occ;
	int keep;
	float **acc;       /* per thread, n_items */
	int32_t **touched; /* per thread */
	struct nb_chunk { int32_t *count, *item; float *sim; } *chunks;
	bool failed;
};

struct scored {
	int32_t item;
	float s;
};

static int cmp_scored(const void *a, const void *b)
{
	float x = ((const struct scored *)a)->s, y = ((const struct scored *)b)->s;

	return x < y ? 1 : x > y ? -1 : ((const struct scored *)a)->item - ((const struct scored *)b)->item;
}

static void nb_range(void *v, int64_t lo, int64_t hi, int thread)
{
	struct nb_ctx *c = v;
	float *acc = c->acc[thread];
	int32_t *touched = c->touched[thread];
	struct nb_chunk *out = &c->chunks[lo / NB_CHUNK];
	struct vec items = { .size = sizeof(int32_t) }, sims = { .size = sizeof(float) };
	struct scored *best = malloc((size_t)c->m->n_items > 4096 ? 4096 * sizeof *best : ((size_t)c->m->n_items + 1) * sizeof *best);

	out->count = calloc((size_t)(hi - lo), sizeof *out->count);
	if (!out->count || !best) {
		c->failed = true;
		free(best);
		return;
	}
	for (int64_t i = lo; i < hi; i++) {
		int64_t a = c->occ_ptr[i], b = c->occ_ptr[i + 1];
		int nt = 0, nb = 0;
		float ci = (float)(b - a);

		for (int64_t o = a; o < b; o++) {
			int64_t pos = c->occ[o];
			bool in_list = pos >= c->playlists_at;
			int w = in_list ? PLAYLIST_WINDOW : SESSION_WINDOW;
			float weight = in_list ? PLAYLIST_WEIGHT : 1.0f;

			for (int dir = -1; dir <= 1; dir += 2)
				for (int d = 1; d <= w; d++) {
					int64_t q = pos + dir * d;
					int32_t j;

					if (q < 0 || q >= c->seq_n || (j = c->seq[q]) < 0)
						break;
					if (j == (int32_t)i)
						continue;
					if (acc[j] == 0)
						touched[nt++] = j;
					acc[j] += weight / (float)d;
				}
		}
		for (int t = 0; t < nt; t++) {
			int32_t j = touched[t];
			float cj = (float)(c->occ_ptr[j + 1] - c->occ_ptr[j]);
			/* cosine of the occurrence counts, shrunk when the evidence is thin */
			float s = acc[j] / sqrtf(ci * cj) * (acc[j] / (acc[j] + 2.0f));

			acc[j] = 0;
			if (nb < 4096)
				best[nb++] = (struct scored){ j, s };
			else if (s > best[4095].s) {
				/* keep the buffer bounded: sort once, then replace the weakest */
				qsort(best, (size_t)nb, sizeof *best, cmp_scored);
				best[4095] = (struct scored){ j, s };
			}
		}
		qsort(best, (size_t)nb, sizeof *best, cmp_scored);
		if (nb > c->keep)
			nb = c->keep;
		int32_t *di = recs_vec_push(&items, (size_t)nb);
		float *ds = recs_vec_push(&sims, (size_t)nb);

		if ((nb && (!di || !ds))) {
			c->failed = true;
			break;
		}
		for (int k = 0; k < nb; k++)
			di[k] = best[k].item, ds[k] = best[k].s;
		out->count[i - lo] = nb;
	}
	free(best);
	out->item = items.p;
	out->sim = sims.p;
}

int recs_build_neighbours(struct recs_model *m, struct scan *sc, int64_t playlists_at, int threads, int keep)
{
	struct nb_ctx c = { .m = m, .seq = sc->seq.p, .seq_n = (int64_t)sc->seq.n, .playlists_at = playlists_at,
	                    .keep = keep };
	int64_t *occ_ptr = calloc((size_t)m->n_items + 1, sizeof *occ_ptr), *fill = NULL;
	uint32_t *occ = NULL;
	int nchunks = (m->n_items + NB_CHUNK - 1) / NB_CHUNK, rc = -1;
	int64_t total = 0;

	if (sc->seq.n > UINT32_MAX)
		goto out;
	c.acc = calloc((size_t)threads, sizeof *c.acc);
	c.touched = calloc((size_t)threads, sizeof *c.touched);
	c.chunks = calloc((size_t)nchunks + 1, sizeof *c.chunks);
	if (!occ_ptr || !c.acc || !c.touched || !c.chunks)
		goto out;
	for (int t = 0; t < threads; t++)
		if (!(c.acc[t] = calloc((size_t)m->n_items + 1, sizeof **c.acc)) ||
		    !(c.touched[t] = malloc(((size_t)m->n_items + 1) * sizeof **c.touched)))
			goto out;
	for (size_t q = 0; q < sc->seq.n; q++)
		if (c.seq[q] >= 0)
			occ_ptr[c.seq[q] + 1]++;
	for (int i = 0; i < m->n_items; i++)
		occ_ptr[i + 1] += occ_ptr[i];
	if (!(occ = malloc(((size_t)occ_ptr[m->n_items] + 1) * sizeof *occ)) ||
	    !(fill = malloc(((size_t)m->n_items + 1) * sizeof *fill)))
		goto out;
	memcpy(fill, occ_ptr, ((size_t)m->n_items + 1) * sizeof *fill);
	for (size_t q = 0; q < sc->seq.n; q++)
		if (c.seq[q] >= 0)
			occ[fill[c.seq[q]]++] = (uint32_t)q;
	c.occ_ptr = occ_ptr;
	c.occ = occ;
	pfor(threads, m->n_items, NB_CHUNK, nb_range, &c, NULL);
	/* the index of occurrences is done with: not held while the neighbours are gathered */
	free(occ);
	free(occ_ptr);
	occ = NULL;
	occ_ptr = NULL;
	if (c.failed)
		goto out;
	for (int k = 0; k < nchunks; k++) {
		int lo = k * NB_CHUNK, hi = lo + NB_CHUNK < m->n_items ? lo + NB_CHUNK : m->n_items;

		for (int i = lo; i < hi; i++)
			total += c.chunks[k].count[i - lo];
	}
	m->nb_ptr = malloc(((size_t)m->n_items + 1) * sizeof *m->nb_ptr);
	m->nb_item = malloc(((size_t)total + 1) * sizeof *m->nb_item);
	m->nb_sim = malloc(((size_t)total + 1) * sizeof *m->nb_sim);
	if (!m->nb_ptr || !m->nb_item || !m->nb_sim)
		goto out;
	m->nb_ptr[0] = 0;
	for (int k = 0; k < nchunks; k++) {
		int lo = k * NB_CHUNK, hi = lo + NB_CHUNK < m->n_items ? lo + NB_CHUNK : m->n_items;
		int64_t at = m->nb_ptr[lo], n = 0;

		for (int i = lo; i < hi; i++) {
			m->nb_ptr[i + 1] = m->nb_ptr[i] + c.chunks[k].count[i - lo];
			n += c.chunks[k].count[i - lo];
		}
		if (n) {
			memcpy(m->nb_item + at, c.chunks[k].item, (size_t)n * sizeof *m->nb_item);
			memcpy(m->nb_sim + at, c.chunks[k].sim, (size_t)n * sizeof *m->nb_sim);
		}
		/* Freed as copied, and handed back every so often (the threads' arenas keep small
		 * blocks), so the neighbours are never held twice. */
		free(c.chunks[k].item);
		free(c.chunks[k].sim);
		c.chunks[k].item = NULL;
		c.chunks[k].sim = NULL;
		if (k % 64 == 63)
			recs_give_back();
	}
	rc = 0;
out:
	for (int k = 0; c.chunks && k < nchunks; k++) {
		free(c.chunks[k].count);
		free(c.chunks[k].item);
		free(c.chunks[k].sim);
	}
	for (int t = 0; t < threads; t++) {
		if (c.acc)
			free(c.acc[t]);
		if (c.touched)
			free(c.touched[t]);
	}
	free(c.acc);
	free(c.touched);
	free(c.chunks);
	free(occ_ptr);
	free(occ);
	free(fill);
	return rc;
}
