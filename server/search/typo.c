/* Spelling mistakes: the symmetric-deletion index built beside the terms, and the near
 * spellings of a query word looked up in it. Both halves are here because each is only
 * understood with the other. */
#include "config.h"
#include "search/index.h"

#include <stdlib.h>
#include <string.h>

static int cmp_del(const void *a, const void *b)
{
	const struct del_entry *x = a, *y = b;

	if (x->h != y->h)
		return x->h < y->h ? -1 : 1;
	return x->term < y->term ? -1 : x->term > y->term;
}

static int add_del(struct search_index *ix, size_t *cap, const char *s, size_t n, uint32_t term)
{
	if (ix->ndels == *cap) {
		*cap = *cap ? *cap * 2 : 1 << 16;
		struct del_entry *v = realloc(ix->dels, *cap * sizeof *v);
		if (!v)
			return -1;
		ix->dels = v;
	}
	ix->dels[ix->ndels].h = search_fnv(s, n);
	ix->dels[ix->ndels].term = term;
	ix->ndels++;
	return 0;
}

/* The symmetric-deletion index for spelling mistakes: each term under itself and every
 * string one deletion away (two for long terms). A query word matches a term when one of
 * its own deletions does; the edit distance is checked afterwards. */
int search_build_deletes(struct search_index *ix)
{
	size_t cap = 0;
	char a[TERM_MAX], b[TERM_MAX];

	for (uint32_t t = 0; t < ix->nterms; t++) {
		const char *w = search_term_str(ix, t);
		size_t n = strlen(w);

		if (n < 4)
			continue;
		if (add_del(ix, &cap, w, n, t) < 0)
			return -1;
		for (size_t i = 0; i < n; i++) {
			memcpy(a, w, i);
			memcpy(a + i, w + i + 1, n - i - 1);
			if (add_del(ix, &cap, a, n - 1, t) < 0)
				return -1;
			if (n < 8)
				continue;
			for (size_t j = i; j < n - 1; j++) {
				memcpy(b, a, j);
				memcpy(b + j, a + j + 1, n - 2 - j);
				if (add_del(ix, &cap, b, n - 2, t) < 0)
					return -1;
			}
		}
	}
	search_sort(ix->dels, ix->ndels, sizeof *ix->dels, cmp_del);
	return 0;
}

/* Optimal string alignment distance, capped: returns max + 1 when above max. */
static int edit_distance(const char *a, const char *b, int max)
{
	int la = (int)strlen(a), lb = (int)strlen(b);
	int d[TERM_MAX + 1][TERM_MAX + 1];

	if (abs(la - lb) > max || la > TERM_MAX || lb > TERM_MAX)
		return max + 1;
	for (int i = 0; i <= la; i++)
		d[i][0] = i;
	for (int j = 0; j <= lb; j++)
		d[0][j] = j;
	for (int i = 1; i <= la; i++) {
		int best = max + 1;

		for (int j = 1; j <= lb; j++) {
			int c = a[i - 1] != b[j - 1];
			int v = d[i - 1][j] + 1;

			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (d[i - 1][j - 1] + c < v)
				v = d[i - 1][j - 1] + c;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
			if (v < best)
				best = v;
		}
		if (best > max)
			return max + 1;
	}
	return d[la][lb];
}

static void typo_lookup(const struct search_index *ix, struct qtok *t, const char *s, size_t n, int max)
{
	uint64_t h = search_fnv(s, n);
	size_t lo = 0, hi = ix->ndels;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ix->dels[mid].h < h)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < ix->ndels && ix->dels[lo].h == h && t->ntypos < MAX_TYPO_ALTS; lo++) {
		uint32_t term = ix->dels[lo].term;
		bool seen = false;

		for (int k = 0; k < t->ntypos; k++)
			seen |= t->typos[k] == term;
		if (!seen && edit_distance(t->text, search_term_str(ix, term), max) <= max)
			t->typos[t->ntypos++] = term;
	}
}

/* Near spellings of a word the catalog does not have. */
void search_find_typos(const struct search_index *ix, struct qtok *t)
{
	size_t n = strlen(t->text);
	int max = n >= 8 ? 2 : 1;
	char a[TERM_MAX], b[TERM_MAX];

	if (n < 4 || n >= TERM_MAX)
		return;
	typo_lookup(ix, t, t->text, n, max);
	for (size_t i = 0; i < n; i++) {
		memcpy(a, t->text, i);
		memcpy(a + i, t->text + i + 1, n - i - 1);
		typo_lookup(ix, t, a, n - 1, max);
		if (max < 2)
			continue;
		for (size_t j = i; j < n - 1; j++) {
			memcpy(b, a, j);
			memcpy(b + j, a + j + 1, n - 2 - j);
			typo_lookup(ix, t, b, n - 2, max);
		}
	}
}
