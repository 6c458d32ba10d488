/* A parallel for: [0, n) cut into chunks that threads take from a shared counter, so rows of
 * very different cost (power-law listening) still keep every thread busy. The calling thread
 * works too; the others are started and joined inside the call. */
#ifndef SEGUE_PFOR_H
#define SEGUE_PFOR_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define PFOR_MAX_THREADS 64

/* fn(ctx, lo, hi, thread) for consecutive ranges of at most chunk; thread is 0..threads-1.
 * When *stop (optional) becomes true, no further chunk starts. */
void pfor(int threads, int64_t n, int64_t chunk, void (*fn)(void *ctx, int64_t lo, int64_t hi, int thread),
          void *ctx, const atomic_bool *stop);

/* The number of online CPUs, at least 1. */
int pfor_cpus(void);

#endif
