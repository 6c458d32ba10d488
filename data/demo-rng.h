/* Deterministic pseudo-random numbers for the demo generator.
 *
 * A stream is splitmix64 over a 64-bit counter: tiny, fast and good enough for music. Every
 * consumer derives its own stream from (seed, purpose, index) with rng_derive(), so adding a
 * draw in one place never shifts the numbers any other place sees, and the same seed always
 * yields the same catalog. Nothing here reads the clock or calls rand(). */
#ifndef SEGUE_DEMO_RNG_H
#define SEGUE_DEMO_RNG_H

#include <stdint.h>

struct rng {
	uint64_t s;
};

static inline uint64_t rng_mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline struct rng rng_derive(uint64_t seed, uint64_t purpose, uint64_t index)
{
	struct rng r;

	r.s = rng_mix(seed + 0x9e3779b97f4a7c15ULL * (purpose + 1)) ^ rng_mix(~index);
	return r;
}

static inline uint64_t rng_u64(struct rng *r)
{
	r->s += 0x9e3779b97f4a7c15ULL;
	return rng_mix(r->s);
}

/* Uniform in [0, n); n > 0. */
static inline uint32_t rng_below(struct rng *r, uint32_t n)
{
	return (uint32_t)(((rng_u64(r) >> 32) * (uint64_t)n) >> 32);
}

/* Uniform integer in [lo, hi]. */
static inline int rng_int(struct rng *r, int lo, int hi)
{
	return lo + (int)rng_below(r, (uint32_t)(hi - lo + 1));
}

/* Uniform in [0, 1). */
static inline double rng_unit(struct rng *r)
{
	return (double)(rng_u64(r) >> 11) * 0x1.0p-53;
}

static inline float rng_range(struct rng *r, float lo, float hi)
{
	return lo + (hi - lo) * (float)rng_unit(r);
}

static inline int rng_chance(struct rng *r, double p)
{
	return rng_unit(r) < p;
}

#define rng_pick(r, arr) ((arr)[rng_below((r), (uint32_t)(sizeof(arr) / sizeof((arr)[0])))])

#endif
