/* Exact lookups over the index, for callers that know the whole of what they look for
 * (matching an imported playlist's entries, library/match.c): no ranking, near spellings or
 * prefixes, and no cap on how many candidates are looked at, which a query has. */
#include "config.h"
#include "search/index.h"

#include <string.h>

static uint32_t term_id(const struct search_index *ix, const char *w, size_t n)
{
	char word[TERM_MAX];
	uint32_t i;

	memcpy(word, w, n);
	word[n] = '\0';
	i = search_first_ge(ix, word);
	return i < ix->nterms && !strcmp(search_term_str(ix, i), word) ? i : UINT32_MAX;
}

/* One index's tracks titled title: the postings of the title's rarest word, each doc's
 * whole title compared. dead: the docs a delta supersedes (NULL: none). */
static long titled(const struct search_index *ix, const uint64_t *dead, const char *title,
                   int (*each)(void *ud, const char *id, const char *artist), void *ud,
                   bool *stop)
{
	const struct tindex *ti = &ix->t[ST_TRACK];
	uint32_t best = UINT32_MAX, prev = UINT32_MAX;
	size_t best_n = SIZE_MAX;
	long found = 0;

	if (!ti->ndocs || !ti->post_off)
		return 0;
	for (const char *w = title; *w; ) {
		size_t n = strcspn(w, " ");

		if (n && n < TERM_MAX) {
			uint32_t t = term_id(ix, w, n);

			if (t == UINT32_MAX)
				return 0; /* a word no doc has */
			if (ti->post_off[t + 1] - ti->post_off[t] < best_n) {
				best_n = ti->post_off[t + 1] - ti->post_off[t];
				best = t;
			}
		}
		w += n + (w[n] == ' ');
	}
	if (best == UINT32_MAX)
		return 0; /* only words too long to be indexed */
	for (uint32_t k = ti->post_off[best]; k < ti->post_off[best + 1] && !*stop; k++) {
		uint32_t di = ti->post[k];
		const struct doc *d = &ti->docs[di];

		if (di == prev || (dead && (dead[di / 64] & (1ULL << (di % 64)))))
			continue;
		prev = di;
		if (strcmp(ix->pool + d->title, title))
			continue;
		found++;
		if (each(ud, d->id, ix->pool + d->artist))
			*stop = true;
	}
	return found;
}

long search_tracks_titled(const struct search_index *ix, const struct search_index *delta,
                          const char *title, int (*each)(void *ud, const char *id, const char *artist),
                          void *ud)
{
	bool stop = false;
	long n;

	if (!*title || (delta && delta->base != ix))
		return 0;
	n = titled(ix, delta ? delta->dead[ST_TRACK] : NULL, title, each, ud, &stop);
	if (delta && !stop)
		n += titled(delta, NULL, title, each, ud, &stop);
	return n;
}
