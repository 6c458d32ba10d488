/* Implicit ALS with conjugate-gradient row updates; see server/recs/als.h for the model. The loops over
 * k are written plainly so the compiler vectorises them; everything per row works in float,
 * the Gram matrix is summed in double because it adds up a million outer products. */
#include "config.h"
#include "recs/als.h"
#include "recs/pfor.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK 256

static inline float dot(const float *a, const float *b, int k)
{
	float s = 0;

	for (int i = 0; i < k; i++)
		s += a[i] * b[i];
	return s;
}

static inline void axpy(float a, const float *x, float *y, int k)
{
	for (int i = 0; i < k; i++)
		y[i] += a * x[i];
}

/* out = G v */
static inline void symv(const float *G, const float *v, float *out, int k)
{
	memset(out, 0, (size_t)k * sizeof *out);
	for (int a = 0; a < k; a++)
		axpy(v[a], G + (size_t)a * k, out, k);
}

void als_solve_row(const float *Y, const float *G, int k, float reg, const int32_t *cols,
                   const float *conf, int64_t n, int steps, float *x)
{
	float r[k], p[k], Ap[k];
	float rs, rs_new;

	/* r = b - A x, with A = G + Y_u^T (C_u - I) Y_u + reg I and b = Y_u^T C_u p_u. */
	symv(G, x, r, k);
	for (int i = 0; i < k; i++)
		r[i] = -r[i] - reg * x[i];
	for (int64_t j = 0; j < n; j++) {
		const float *y = Y + (size_t)cols[j] * k;
		float c = fabsf(conf[j]), pref = conf[j] > 0 ? 1.0f : 0.0f;

		axpy(c * pref - (c - 1) * dot(y, x, k), y, r, k);
	}
	memcpy(p, r, sizeof p);
	rs = dot(r, r, k);
	for (int s = 0; s < steps && rs > 1e-10f; s++) {
		float alpha, pAp;

		symv(G, p, Ap, k);
		axpy(reg, p, Ap, k);
		for (int64_t j = 0; j < n; j++) {
			const float *y = Y + (size_t)cols[j] * k;

			axpy((fabsf(conf[j]) - 1) * dot(y, p, k), y, Ap, k);
		}
		pAp = dot(p, Ap, k);
		if (!(pAp > 0))
			break;
		alpha = rs / pAp;
		axpy(alpha, p, x, k);
		axpy(-alpha, Ap, r, k);
		rs_new = dot(r, r, k);
		for (int i = 0; i < k; i++)
			p[i] = r[i] + rs_new / rs * p[i];
		rs = rs_new;
	}
}

struct gram_ctx {
	const float *Y;
	int k;
	double *part;   /* one k x k block per thread */
};

static void gram_chunk(void *v, int64_t lo, int64_t hi, int thread)
{
	struct gram_ctx *g = v;
	int k = g->k;
	float acc[k * k];
	double *out = g->part + (size_t)thread * k * k;

	memset(acc, 0, sizeof acc);
	for (int64_t i = lo; i < hi; i++) {
		const float *y = g->Y + (size_t)i * k;

		for (int a = 0; a < k; a++)
			axpy(y[a], y, acc + a * k, k);
	}
	for (int i = 0; i < k * k; i++)
		out[i] += acc[i];
}

void als_gram(const float *Y, int n, int k, int threads, float *G)
{
	struct gram_ctx g = { Y, k, NULL };

	if (threads < 1)
		threads = 1;
	if (threads > PFOR_MAX_THREADS)
		threads = PFOR_MAX_THREADS;
	g.part = calloc((size_t)threads * k * k, sizeof *g.part);
	if (!g.part) {
		/* No memory for per-thread sums: do it in one pass, still exact. */
		memset(G, 0, (size_t)k * k * sizeof *G);
		for (int i = 0; i < n; i++)
			for (int a = 0; a < k; a++)
				axpy(Y[(size_t)i * k + a], Y + (size_t)i * k, G + a * k, k);
		return;
	}
	pfor(threads, n, CHUNK * 16, gram_chunk, &g, NULL);
	for (int i = 0; i < k * k; i++) {
		double s = 0;

		for (int t = 0; t < threads; t++)
			s += g.part[(size_t)t * k * k + i];
		G[i] = (float)s;
	}
	free(g.part);
}

struct half_ctx {
	const struct als_matrix *m;
	const float *Y, *G;
	float *X;
	int k, steps;
	float reg;
};

static void half_chunk(void *v, int64_t lo, int64_t hi, int thread)
{
	struct half_ctx *h = v;

	(void)thread;
	for (int64_t row = lo; row < hi; row++) {
		int64_t a = h->m->ptr[row], b = h->m->ptr[row + 1];
		float *x = h->X + (size_t)row * h->k;

		if (a == b) {
			/* Nothing observed: the least-squares answer is exactly zero. */
			memset(x, 0, (size_t)h->k * sizeof *x);
			continue;
		}
		als_solve_row(h->Y, h->G, h->k, h->reg, h->m->col + a, h->m->conf + a, b - a, h->steps, x);
	}
}

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static void init_factors(float *F, int64_t n, int k, uint64_t *seed)
{
	float scale = 0.1f / sqrtf((float)k);

	for (int64_t i = 0; i < n * k; i++)
		F[i] = ((float)(splitmix(seed) >> 40) / (float)(1 << 24) - 0.5f) * 2 * scale;
}

int als_train(const struct als_matrix *ui, const struct als_matrix *iu, const struct als_params *p,
              float *X, float *Y, const atomic_bool *stop)
{
	int k = p->factors;
	uint64_t seed = p->seed;
	float *G = malloc((size_t)k * k * sizeof *G);

	if (!G)
		return -1;
	init_factors(X, ui->rows, k, &seed);
	init_factors(Y, ui->cols, k, &seed);
	for (int it = 0; it < p->iterations; it++) {
		struct half_ctx users = { ui, Y, G, X, k, p->cg_steps, p->reg };
		struct half_ctx items = { iu, X, G, Y, k, p->cg_steps, p->reg };

		als_gram(Y, ui->cols, k, p->threads, G);
		pfor(p->threads, ui->rows, CHUNK, half_chunk, &users, stop);
		als_gram(X, ui->rows, k, p->threads, G);
		pfor(p->threads, iu->rows, CHUNK, half_chunk, &items, stop);
		if (stop && *stop) {
			free(G);
			return -1;
		}
	}
	free(G);
	return 0;
}

int als_transpose(const struct als_matrix *m, struct als_matrix *t)
{
	int64_t nnz = m->ptr[m->rows];
	int64_t *fill = NULL;

	memset(t, 0, sizeof *t);
	t->rows = m->cols;
	t->cols = m->rows;
	t->ptr = calloc((size_t)t->rows + 1, sizeof *t->ptr);
	t->col = malloc((size_t)(nnz ? nnz : 1) * sizeof *t->col);
	t->conf = malloc((size_t)(nnz ? nnz : 1) * sizeof *t->conf);
	fill = malloc(((size_t)t->rows + 1) * sizeof *fill);
	if (!t->ptr || !t->col || !t->conf || !fill)
		goto fail;
	for (int64_t j = 0; j < nnz; j++)
		t->ptr[m->col[j] + 1]++;
	for (int r = 0; r < t->rows; r++)
		t->ptr[r + 1] += t->ptr[r];
	memcpy(fill, t->ptr, ((size_t)t->rows + 1) * sizeof *fill);
	/* Rows of m in order: each row of t comes out sorted by column. */
	for (int r = 0; r < m->rows; r++)
		for (int64_t j = m->ptr[r]; j < m->ptr[r + 1]; j++) {
			int64_t at = fill[m->col[j]]++;

			t->col[at] = r;
			t->conf[at] = m->conf[j];
		}
	free(fill);
	return 0;
fail:
	free(fill);
	als_matrix_free(t);
	return -1;
}

void als_matrix_free(struct als_matrix *m)
{
	free(m->ptr);
	free(m->col);
	free(m->conf);
	memset(m, 0, sizeof *m);
}
