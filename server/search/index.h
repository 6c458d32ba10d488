/* The search index's insides, private to server/search/: its structures and the helpers its
 * parts share. build.c makes an index (whole, or a delta), typo.c its spelling part, query.c
 * answers queries over it, index.c holds its term lookups and its lifetime. Callers use
 * search/search.h. */
#ifndef SEGUE_SEARCH_INDEX_H
#define SEGUE_SEARCH_INDEX_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "search/search.h"

#define TERM_MAX 64
#define TOP_PREFIX_LEN 3
#define MAX_TYPO_ALTS 12

struct doc {
	char id[23];
	char artist_id[23];
	float pop;          /* 0..1 */
	int16_t year;
	uint16_t genre;     /* 1-based index into genres; 0 = none */
	uint32_t fwd;       /* first forward entry */
	uint32_t nfwd;
	uint32_t title;     /* folded title in the text pool */
	uint32_t artist;    /* folded artist name in the text pool */
	uint32_t markets;   /* markets string in the text pool, or UINT32_MAX for everywhere */
};

struct prefix_top {
	char prefix[TOP_PREFIX_LEN * 4 + 1];
	uint32_t off, n; /* into tops_pool */
};

struct tindex {
	struct doc *docs;
	uint32_t ndocs;
	uint32_t *fwd;      /* term << 3 | fields, ascending per doc */
	size_t nfwd;
	uint32_t *post_off; /* nterms + 1 */
	uint32_t *post;     /* doc indexes, ascending = most popular first */
	struct prefix_top *tops;
	size_t ntops;
	uint32_t *tops_pool;
	uint32_t *byid;     /* doc indexes in order of id, to find a doc a change supersedes */
};

struct del_entry {
	uint64_t h;
	uint32_t term;
};

struct search_index {
	char *term_pool;
	uint32_t *term_off; /* nterms, into term_pool, sorted by text */
	uint32_t nterms;
	struct del_entry *dels;
	size_t ndels;
	char **genres;
	int ngenres;
	char *pool;         /* folded titles, artists, markets */
	size_t pool_len, pool_cap;
	struct tindex t[ST_NTYPES];
	int this_year;
	atomic_int refs;
	long long seq;      /* the last search_changes row it reflects */
	/* A delta only: the index it amends, and that index's docs it supersedes (changed or
	 * removed since), a bit each. */
	const struct search_index *base;
	uint64_t *dead[ST_NTYPES];
	long ndead[ST_NTYPES];
};

/* A word of a query as parsed against one index (query.c); typo.c adds its near spellings. */
struct qtok {
	char text[TERM_MAX];
	unsigned fields[ST_NTYPES]; /* which fields of each type the word may match; 0 = excluded */
	bool last_free;             /* the last free word: also a prefix */
	uint32_t exact;             /* term id, or UINT32_MAX */
	uint32_t plo, phi;          /* prefix range (empty unless last_free) */
	uint32_t typos[MAX_TYPO_ALTS];
	int ntypos;
	bool is_filter;
};

/* index.c */
const char *search_term_str(const struct search_index *ix, uint32_t t);
uint64_t search_fnv(const char *s, size_t n);
void search_sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *));
int search_cmp_u32(const void *a, const void *b);
/* The first term not less than s; the first term past every term starting with s[0..n). */
uint32_t search_first_ge(const struct search_index *ix, const char *s);
uint32_t search_prefix_end(const struct search_index *ix, const char *s, size_t n);
int search_cmp_top(const void *a, const void *b);

/* typo.c */
int search_build_deletes(struct search_index *ix);
void search_find_typos(const struct search_index *ix, struct qtok *t);

#endif
