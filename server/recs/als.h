/* Alternating least squares for implicit feedback (Hu, Koren and Volinsky 2008), each row
 * solved by a few conjugate-gradient steps from its previous value (Takacs, Pilaszy and Tikk
 * 2011), so an iteration costs O(nnz * k + rows * k^2) instead of a k^3 solve per row.
 *
 * The matrix holds, for each observed (row, column), a confidence c >= 1 and a preference:
 * a listened track has preference 1; a track the user only skipped has preference 0 with a
 * confidence above the unobserved baseline of 1, which is how skips count as weak negative
 * evidence. A preference-0 entry is stored with its confidence negated. Pure computation:
 * no I/O, no globals; threads are started and joined inside each call. */
#ifndef SEGUE_ALS_H
#define SEGUE_ALS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

struct als_matrix {
	int rows, cols;
	int64_t *ptr;   /* rows + 1 offsets */
	int32_t *col;
	float *conf;    /* c, or -c for preference 0 */
};

struct als_params {
	int factors;      /* k */
	int iterations;
	int cg_steps;
	float reg;        /* lambda */
	int threads;
	uint64_t seed;
};

/* The transpose, for the other half of each iteration. -1 when out of memory. */
int als_transpose(const struct als_matrix *m, struct als_matrix *t);
void als_matrix_free(struct als_matrix *m);

/* Trains X (ui.rows x k) and Y (ui.cols x k), both allocated by the caller; they are
 * initialised here. *stop, when set by another thread, ends training early (-1).
 * Returns 0, or -1 when out of memory or stopped. */
int als_train(const struct als_matrix *ui, const struct als_matrix *iu, const struct als_params *p,
              float *X, float *Y, const atomic_bool *stop);

/* G = Y^T Y (k x k) over n rows. */
void als_gram(const float *Y, int n, int k, int threads, float *G);

/* One row solved against fixed Y and G = Y^T Y: n observed columns with their confidences
 * (negative for preference 0). x holds the starting point (zeros for a new user) and
 * receives the result. This is how a user is folded in without retraining. */
void als_solve_row(const float *Y, const float *G, int k, float reg, const int32_t *cols,
                   const float *conf, int64_t n, int steps, float *x);

#endif
