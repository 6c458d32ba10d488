/* What every part of the search index uses: small helpers, the term dictionary's lookups
 * (terms are sorted, so a prefix is a range of term ids), and the index's lifetime. Apart
 * because build.c, typo.c and query.c all lean on them. */
#include "config.h"
#include "search/index.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* ---- small helpers ---- */

const char *search_term_str(const struct search_index *ix, uint32_t t)
{
	return ix->term_pool + ix->term_off[t];
}

uint64_t search_fnv(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	return h;
}

/* qsort with an empty array allowed: the C library declares base non-null even for n = 0. */
void search_sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	if (n > 1)
		qsort(base, n, size, cmp);
}

int search_cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

int search_cmp_top(const void *a, const void *b)
{
	return strcmp(((const struct prefix_top *)a)->prefix, ((const struct prefix_top *)b)->prefix);
}

/* ---- the term dictionary ---- */

/* The first term not less than s. */
uint32_t search_first_ge(const struct search_index *ix, const char *s)
{
	uint32_t lo = 0, hi = ix->nterms;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (strcmp(search_term_str(ix, mid), s) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The first term that sorts after every term starting with s[0..n). */
uint32_t search_prefix_end(const struct search_index *ix, const char *s, size_t n)
{
	uint32_t lo = 0, hi = ix->nterms;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (strncmp(search_term_str(ix, mid), s, n) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* ---- the index's lifetime ---- */

struct search_index *search_hold(struct search_index *ix)
{
	if (ix)
		atomic_fetch_add(&ix->refs, 1);
	return ix;
}

void search_free(struct search_index *ix)
{
	if (!ix || atomic_fetch_sub(&ix->refs, 1) > 1)
		return;
	for (int ty = 0; ty < ST_NTYPES; ty++) {
		free(ix->t[ty].docs);
		free(ix->t[ty].fwd);
		free(ix->t[ty].post_off);
		free(ix->t[ty].post);
		free(ix->t[ty].tops);
		free(ix->t[ty].tops_pool);
		free(ix->t[ty].byid);
		free(ix->dead[ty]);
	}
	for (int i = 0; i < ix->ngenres; i++)
		free(ix->genres[i]);
	free(ix->genres);
	free(ix->term_pool);
	free(ix->term_off);
	free(ix->dels);
	free(ix->pool);
	free(ix);
}

long long search_seq(const struct search_index *ix)
{
	return ix->seq;
}

long search_superseded(const struct search_index *delta)
{
	long n = 0;

	for (int ty = 0; ty < ST_NTYPES; ty++)
		n += delta->ndead[ty];
	return n;
}

long search_count(const struct search_index *ix, enum search_type type)
{
	return ix ? (long)ix->t[type].ndocs : 0;
}
