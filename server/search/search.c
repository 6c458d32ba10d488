#include "config.h"
#include "search/search.h"

#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "log.h"

#define F_TITLE 1u
#define F_ARTIST 2u
#define F_ALBUM 4u
#define F_ALL 7u
#define TERM_MAX 64
#define TOP_PREFIX_LEN 3
#define TOP_N 256
#define MAX_TOKENS 16
#define MAX_TYPO_ALTS 12
#define SCAN_BUDGET 300000
#define MATCH_CAP (SEARCH_MAX_OFFSET + 50)

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

/* ---- small helpers ---- */

static const char *term_str(const struct search_index *ix, uint32_t t)
{
	return ix->term_pool + ix->term_off[t];
}

static uint64_t fnv(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	return h;
}

static uint32_t pool_add(struct search_index *ix, const char *s)
{
	size_t n = strlen(s) + 1;
	uint32_t off;

	if (ix->pool_len + n > ix->pool_cap) {
		size_t cap = ix->pool_cap ? ix->pool_cap * 2 : 1 << 16;
		char *p;

		while (cap < ix->pool_len + n)
			cap *= 2;
		if (!(p = realloc(ix->pool, cap)))
			return UINT32_MAX;
		ix->pool = p;
		ix->pool_cap = cap;
	}
	off = (uint32_t)ix->pool_len;
	memcpy(ix->pool + off, s, n);
	ix->pool_len += n;
	return off;
}

/* qsort with an empty array allowed: the C library declares base non-null even for n = 0. */
static void sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	if (n > 1)
		qsort(base, n, size, cmp);
}

/* ---- building ---- */

/* A string -> temporary term id hash table used while building. */
struct strtab {
	struct { uint64_t h; uint32_t id; uint32_t off; } *slots;
	size_t cap, n;
	char *chars;
	size_t chars_len, chars_cap;
	uint32_t *offs; /* id -> offset in chars */
	size_t offs_cap;
};

static int strtab_grow(struct strtab *st)
{
	size_t cap = st->cap ? st->cap * 2 : 1 << 14;
	__typeof__(st->slots) s = calloc(cap, sizeof *s);

	if (!s)
		return -1;
	for (size_t i = 0; i < st->cap; i++)
		if (st->slots[i].off) {
			size_t j = st->slots[i].h & (cap - 1);
			while (s[j].off)
				j = (j + 1) & (cap - 1);
			s[j] = st->slots[i];
		}
	free(st->slots);
	st->slots = s;
	st->cap = cap;
	return 0;
}

/* Returns the id of word[0..n), adding it. Offsets are stored +1 so 0 marks a free slot. */
static int64_t strtab_id(struct strtab *st, const char *w, size_t n)
{
	uint64_t h = fnv(w, n);
	size_t j;

	if ((st->n + 1) * 2 > st->cap && strtab_grow(st) < 0)
		return -1;
	for (j = h & (st->cap - 1); st->slots[j].off; j = (j + 1) & (st->cap - 1))
		if (st->slots[j].h == h && !strncmp(st->chars + st->slots[j].off - 1, w, n) &&
		    !st->chars[st->slots[j].off - 1 + n])
			return st->slots[j].id;
	if (st->chars_len + n + 1 > st->chars_cap) {
		size_t cap = st->chars_cap ? st->chars_cap * 2 : 1 << 16;
		char *c;

		while (cap < st->chars_len + n + 1)
			cap *= 2;
		if (!(c = realloc(st->chars, cap)))
			return -1;
		st->chars = c;
		st->chars_cap = cap;
	}
	if (st->n == st->offs_cap) {
		size_t cap = st->offs_cap ? st->offs_cap * 2 : 1 << 12;
		uint32_t *o = realloc(st->offs, cap * sizeof *o);

		if (!o)
			return -1;
		st->offs = o;
		st->offs_cap = cap;
	}
	memcpy(st->chars + st->chars_len, w, n);
	st->chars[st->chars_len + n] = '\0';
	st->slots[j].h = h;
	st->slots[j].id = (uint32_t)st->n;
	st->slots[j].off = (uint32_t)st->chars_len + 1;
	st->offs[st->n] = (uint32_t)st->chars_len;
	st->chars_len += n + 1;
	return (int64_t)st->n++;
}

static void strtab_free(struct strtab *st)
{
	free(st->slots);
	free(st->chars);
	free(st->offs);
}

/* A row as read from the store, before tokenising. */
struct row {
	char id[23];
	char artist_id[23];
	char *text[3];  /* title, artist, album (owned) */
	char *genre;
	char *markets;
	double score;
	int year;
};

struct rows {
	struct row *v;
	size_t n, cap;
};

static struct row *rows_add(struct rows *rs)
{
	if (rs->n == rs->cap) {
		size_t cap = rs->cap ? rs->cap * 2 : 1024;
		struct row *v = realloc(rs->v, cap * sizeof *v);

		if (!v)
			return NULL;
		rs->v = v;
		rs->cap = cap;
	}
	memset(&rs->v[rs->n], 0, sizeof rs->v[0]);
	return &rs->v[rs->n++];
}

static void rows_free(struct rows *rs)
{
	for (size_t i = 0; i < rs->n; i++) {
		for (int f = 0; f < 3; f++)
			free(rs->v[i].text[f]);
		free(rs->v[i].genre);
		free(rs->v[i].markets);
	}
	free(rs->v);
}

static int by_score(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	if (x->score != y->score)
		return x->score < y->score ? 1 : -1;
	return strcmp(x->id, y->id);
}

static char *dup_col(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? NULL : strdup(store_col_text(st, i));
}

/* Each ends in a WHERE clause, so that a delta can narrow it to the changed ids. */
static const struct {
	const char *sql;
	const char *id;
} load[ST_NTYPES] = {
	{ "SELECT t.id, t.name, ar.name, al.name, t.genre, substr(al.release_date, 1, 4),"
	" t.popularity + ln(1 + t.play_count) / 100.0, t.markets, t.artist_id"
	" FROM tracks t JOIN artists ar ON ar.id = t.artist_id JOIN albums al ON al.id = t.album_id"
	" WHERE 1", "t.id" },
	{ "SELECT ar.id, ar.name, NULL, NULL,"
	" (SELECT genre FROM tracks WHERE artist_id = ar.id AND genre <> '' GROUP BY genre ORDER BY count(*) DESC, genre LIMIT 1),"
	" NULL, coalesce((SELECT max(popularity) FROM tracks WHERE artist_id = ar.id), 0), NULL, ar.id"
	" FROM artists ar WHERE EXISTS (SELECT 1 FROM tracks WHERE artist_id = ar.id)", "ar.id" },
	{ "SELECT al.id, al.name, ar.name, NULL,"
	" (SELECT genre FROM tracks WHERE album_id = al.id AND genre <> '' LIMIT 1),"
	" substr(al.release_date, 1, 4),"
	" coalesce((SELECT max(popularity) FROM tracks WHERE album_id = al.id), 0), NULL, al.artist_id"
	" FROM albums al JOIN artists ar ON ar.id = al.artist_id WHERE 1", "al.id" },
	{ "SELECT p.id, p.name, u.display_name, NULL, NULL, NULL,"
	" (SELECT count(*) FROM playlist_followers f WHERE f.playlist_id = p.id) + p.length / 1000.0, NULL, NULL"
	" FROM playlists p JOIN users u ON u.id = p.owner_id WHERE p.public", "p.id" },
};

/* The changes of a delta: the search_changes rows in (since, upto]. */
struct span {
	long long since, upto;
};

/* Reads the rows of a type: all of them, or with a span only those it changed. */
static int load_rows(struct store *s, enum search_type type, const struct span *sp, struct rows *rs)
{
	char sql[1024];
	sqlite3_stmt *st;
	int rc;

	if (sp)
		snprintf(sql, sizeof sql, "%s AND %s IN (SELECT id FROM search_changes"
		         " WHERE seq > ?1 AND seq <= ?2 AND type = %d)", load[type].sql, load[type].id, (int)type);
	else
		snprintf(sql, sizeof sql, "%s", load[type].sql);
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sp) {
		sqlite3_bind_int64(st, 1, sp->since);
		sqlite3_bind_int64(st, 2, sp->upto);
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct row *r = rows_add(rs);

		if (!r) {
			sqlite3_finalize(st);
			return -1;
		}
		snprintf(r->id, sizeof r->id, "%s", store_col_text(st, 0));
		for (int f = 0; f < 3; f++)
			r->text[f] = dup_col(st, 1 + f);
		r->genre = dup_col(st, 4);
		r->year = atoi(store_col_text(st, 5));
		r->score = sqlite3_column_double(st, 6);
		r->markets = dup_col(st, 7);
		snprintf(r->artist_id, sizeof r->artist_id, "%s", store_col_text(st, 8));
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int genre_id(struct search_index *ix, const char *g)
{
	char folded[128];

	if (!g || !*g)
		return 0;
	search_fold(g, folded, sizeof folded);
	for (int i = 0; i < ix->ngenres; i++)
		if (!strcmp(ix->genres[i], folded))
			return i + 1;
	char **v = realloc(ix->genres, (size_t)(ix->ngenres + 1) * sizeof *v);
	if (!v)
		return 0;
	ix->genres = v;
	ix->genres[ix->ngenres] = strdup(folded);
	return ++ix->ngenres;
}

/* Temporary forward entries, with temporary term ids, for one type. */
struct tmpfwd {
	uint32_t *v;
	size_t n, cap;
};

static int tmpfwd_add(struct tmpfwd *f, uint32_t x)
{
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 1 << 16;
		uint32_t *v = realloc(f->v, cap * sizeof *v);

		if (!v)
			return -1;
		f->v = v;
		f->cap = cap;
	}
	f->v[f->n++] = x;
	return 0;
}

static int tokenise(struct search_index *ix, struct strtab *st, struct rows *rs, struct tindex *t,
                    struct tmpfwd *f)
{
	char folded[2048];

	t->docs = calloc(rs->n ? rs->n : 1, sizeof *t->docs);
	if (!t->docs)
		return -1;
	t->ndocs = (uint32_t)rs->n;
	for (size_t i = 0; i < rs->n; i++) {
		struct row *r = &rs->v[i];
		struct doc *d = &t->docs[i];

		memcpy(d->id, r->id, sizeof d->id);
		memcpy(d->artist_id, r->artist_id, sizeof d->artist_id);
		d->year = (int16_t)r->year;
		d->genre = (uint16_t)genre_id(ix, r->genre);
		d->fwd = (uint32_t)f->n;
		d->markets = r->markets && *r->markets ? pool_add(ix, r->markets) : UINT32_MAX;
		for (int fi = 0; fi < 3; fi++) {
			const char *w;

			if (!r->text[fi])
				continue;
			search_fold(r->text[fi], folded, sizeof folded);
			if (fi == 0)
				d->title = pool_add(ix, folded);
			else if (fi == 1)
				d->artist = pool_add(ix, folded);
			for (w = folded; *w; ) {
				size_t n = strcspn(w, " ");
				int64_t id;

				if (n && n < TERM_MAX) {
					if ((id = strtab_id(st, w, n)) < 0 || tmpfwd_add(f, (uint32_t)id << 3 | (1u << fi)) < 0)
						return -1;
				}
				w += n + (w[n] == ' ');
			}
		}
		if (!r->text[1])
			d->artist = pool_add(ix, "");
		d->nfwd = (uint32_t)(f->n - d->fwd);
	}
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int cmp_del(const void *a, const void *b)
{
	const struct del_entry *x = a, *y = b;

	if (x->h != y->h)
		return x->h < y->h ? -1 : 1;
	return x->term < y->term ? -1 : x->term > y->term;
}

static int cmp_tmp_term(const void *a, const void *b, void *ctx)
{
	const struct strtab *st = ctx;

	return strcmp(st->chars + st->offs[*(const uint32_t *)a], st->chars + st->offs[*(const uint32_t *)b]);
}

/* Maps temporary ids to sorted ids, and sorts and merges each doc's entries. */
static void finish_forward(struct tindex *t, struct tmpfwd *f, const uint32_t *remap)
{
	size_t out = 0;

	for (uint32_t i = 0; i < t->ndocs; i++) {
		struct doc *d = &t->docs[i];
		uint32_t *v = f->v + d->fwd;
		uint32_t start = (uint32_t)out;

		for (uint32_t k = 0; k < d->nfwd; k++)
			v[k] = remap[v[k] >> 3] << 3 | (v[k] & 7);
		sort(v, d->nfwd, sizeof *v, cmp_u32);
		for (uint32_t k = 0; k < d->nfwd; k++) {
			if (out > start && (f->v[out - 1] >> 3) == (v[k] >> 3))
				f->v[out - 1] |= v[k] & 7;
			else
				f->v[out++] = v[k];
		}
		d->fwd = start;
		d->nfwd = (uint32_t)(out - start);
	}
	t->fwd = f->v;
	t->nfwd = out;
	f->v = NULL;
}

static int build_postings(struct tindex *t, uint32_t nterms)
{
	uint32_t *fill;

	t->post_off = calloc((size_t)nterms + 1, sizeof *t->post_off);
	t->post = malloc((t->nfwd ? t->nfwd : 1) * sizeof *t->post);
	fill = calloc((size_t)nterms + 1, sizeof *fill);
	if (!t->post_off || !t->post || !fill) {
		free(fill);
		return -1;
	}
	for (size_t i = 0; i < t->nfwd; i++)
		t->post_off[(t->fwd[i] >> 3) + 1]++;
	for (uint32_t i = 0; i < nterms; i++)
		t->post_off[i + 1] += t->post_off[i];
	for (uint32_t d = 0; d < t->ndocs; d++)
		for (uint32_t k = 0; k < t->docs[d].nfwd; k++) {
			uint32_t term = t->fwd[t->docs[d].fwd + k] >> 3;
			t->post[t->post_off[term] + fill[term]++] = d;
		}
	free(fill);
	return 0;
}

/* The first term not less than s. */
static uint32_t first_ge(const struct search_index *ix, const char *s)
{
	uint32_t lo = 0, hi = ix->nterms;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (strcmp(term_str(ix, mid), s) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The first term that sorts after every term starting with s[0..n). */
static uint32_t prefix_end(const struct search_index *ix, const char *s, size_t n)
{
	uint32_t lo = 0, hi = ix->nterms;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (strncmp(term_str(ix, mid), s, n) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The TOP_N most popular docs having a term in [lo, hi): a k-way merge that stops early. */
static int top_of_range(const struct tindex *t, uint32_t lo, uint32_t hi, uint32_t *out, uint32_t *n)
{
	uint32_t m = hi - lo, hn = 0, *pos = calloc(m ? m : 1, sizeof *pos);
	uint64_t *heap = malloc((m ? m : 1) * sizeof *heap); /* doc << 32 | list */

	*n = 0;
	if (!pos || !heap) {
		free(pos);
		free(heap);
		return -1;
	}
	for (uint32_t i = 0; i < m; i++) {
		uint32_t term = lo + i;

		if (t->post_off[term] == t->post_off[term + 1])
			continue;
		uint64_t v = (uint64_t)t->post[t->post_off[term]] << 32 | i;
		uint32_t c = hn++;
		while (c && heap[(c - 1) / 2] > v) {
			heap[c] = heap[(c - 1) / 2];
			c = (c - 1) / 2;
		}
		heap[c] = v;
	}
	while (hn && *n < TOP_N) {
		uint64_t top = heap[0];
		uint32_t doc = (uint32_t)(top >> 32), i = (uint32_t)top, term = lo + i;

		if (!*n || out[*n - 1] != doc)
			out[(*n)++] = doc;
		pos[i]++;
		uint64_t v = t->post_off[term] + pos[i] < t->post_off[term + 1] ?
		             (uint64_t)t->post[t->post_off[term] + pos[i]] << 32 | i : UINT64_MAX;
		if (v == UINT64_MAX)
			v = heap[--hn];
		/* sift down */
		uint32_t c = 0;
		for (;;) {
			uint32_t l = 2 * c + 1, r = l + 1, s = c;
			uint64_t sv = v;

			if (l < hn && heap[l] < sv) {
				s = l;
				sv = heap[l];
			}
			if (r < hn && heap[r] < sv)
				s = r;
			if (s == c)
				break;
			heap[c] = heap[s];
			c = s;
		}
		if (hn)
			heap[c] = v;
	}
	free(pos);
	free(heap);
	return 0;
}

static int build_tops(struct search_index *ix, struct tindex *t)
{
	size_t cap = 0;
	size_t pool_n = 0, pool_cap = 0;

	for (uint32_t i = 0; i < ix->nterms; i++) {
		const char *term = term_str(ix, i);

		for (size_t len = 1; len <= TOP_PREFIX_LEN && len <= strlen(term); len++) {
			uint32_t lo, hi, n, buf[TOP_N];

			/* each prefix once: at the first term that has it */
			if (i > 0 && !strncmp(term_str(ix, i - 1), term, len) && strlen(term_str(ix, i - 1)) >= len)
				continue;
			lo = i;
			hi = prefix_end(ix, term, len);
			if (hi - lo < 16)
				continue; /* small ranges are merged at query time */
			if (top_of_range(t, lo, hi, buf, &n) < 0)
				return -1;
			if (t->ntops == cap) {
				cap = cap ? cap * 2 : 1024;
				struct prefix_top *v = realloc(t->tops, cap * sizeof *v);
				if (!v)
					return -1;
				t->tops = v;
			}
			if (pool_n + n > pool_cap) {
				pool_cap = pool_cap ? pool_cap * 2 : 1 << 16;
				while (pool_cap < pool_n + n)
					pool_cap *= 2;
				uint32_t *v = realloc(t->tops_pool, pool_cap * sizeof *v);
				if (!v)
					return -1;
				t->tops_pool = v;
			}
			snprintf(t->tops[t->ntops].prefix, sizeof t->tops[0].prefix, "%.*s", (int)len, term);
			t->tops[t->ntops].off = (uint32_t)pool_n;
			t->tops[t->ntops].n = n;
			if (n)
				memcpy(t->tops_pool + pool_n, buf, n * sizeof *buf);
			pool_n += n;
			t->ntops++;
		}
	}
	return 0;
}

static int cmp_top(const void *a, const void *b)
{
	return strcmp(((const struct prefix_top *)a)->prefix, ((const struct prefix_top *)b)->prefix);
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
	ix->dels[ix->ndels].h = fnv(s, n);
	ix->dels[ix->ndels].term = term;
	ix->ndels++;
	return 0;
}

/* The symmetric-deletion index for spelling mistakes: each term under itself and every
 * string one deletion away (two for long terms). A query word matches a term when one of
 * its own deletions does; the edit distance is checked afterwards. */
static int build_deletes(struct search_index *ix)
{
	size_t cap = 0;
	char a[TERM_MAX], b[TERM_MAX];

	for (uint32_t t = 0; t < ix->nterms; t++) {
		const char *w = term_str(ix, t);
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
	sort(ix->dels, ix->ndels, sizeof *ix->dels, cmp_del);
	return 0;
}

static int cmp_doc_id(const void *a, const void *b, void *ctx)
{
	const struct doc *docs = ctx;

	return strcmp(docs[*(const uint32_t *)a].id, docs[*(const uint32_t *)b].id);
}

static int build_byid(struct tindex *t)
{
	if (!(t->byid = malloc((t->ndocs ? t->ndocs : 1) * sizeof *t->byid)))
		return -1;
	for (uint32_t i = 0; i < t->ndocs; i++)
		t->byid[i] = i;
	if (t->ndocs > 1)
		qsort_r(t->byid, t->ndocs, sizeof *t->byid, cmp_doc_id, t->docs);
	return 0;
}

static uint32_t doc_by_id(const struct tindex *t, const char *id)
{
	uint32_t lo = 0, hi = t->ndocs;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		int c = strcmp(t->docs[t->byid[mid]].id, id);

		if (!c)
			return t->byid[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return UINT32_MAX;
}

/* A delta's bits: every doc of its base that a change in the span touched, whether the
 * delta has the row again (changed) or not (removed, or no longer searchable). */
static int mark_dead(struct store *s, struct search_index *ix, const struct span *sp)
{
	for (int ty = 0; ty < ST_NTYPES; ty++) {
		const struct tindex *bt = &ix->base->t[ty];
		sqlite3_stmt *st;
		int rc;

		if (!(ix->dead[ty] = calloc(bt->ndocs / 64 + 1, sizeof *ix->dead[ty])))
			return -1;
		if (sqlite3_prepare_v2(s->db, "SELECT DISTINCT id FROM search_changes"
		                       " WHERE seq > ?1 AND seq <= ?2 AND type = ?3", -1, &st, NULL) != SQLITE_OK)
			return -1;
		sqlite3_bind_int64(st, 1, sp->since);
		sqlite3_bind_int64(st, 2, sp->upto);
		sqlite3_bind_int(st, 3, ty);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			uint32_t d = doc_by_id(bt, store_col_text(st, 0));

			if (d != UINT32_MAX && !(ix->dead[ty][d / 64] & (1ULL << (d % 64)))) {
				ix->dead[ty][d / 64] |= 1ULL << (d % 64);
				ix->ndead[ty]++;
			}
		}
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE)
			return -1;
	}
	return 0;
}

/* Builds an index of the catalog, or with a base, of what changed since the base was built.
 * Everything is read in one transaction, so the rows and the change log's head agree. */
static struct search_index *build(struct store *s, const struct search_index *base, char *err, size_t errlen)
{
	struct search_index *ix = calloc(1, sizeof *ix);
	struct rows rs[ST_NTYPES];
	struct tmpfwd f[ST_NTYPES];
	struct strtab st;
	struct span span;
	uint32_t *order = NULL, *remap = NULL;
	time_t now = time(NULL);
	struct tm tm;
	bool in_tx = false;

	memset(rs, 0, sizeof rs);
	memset(f, 0, sizeof f);
	memset(&st, 0, sizeof st);
	if (!ix)
		goto oom;
	atomic_init(&ix->refs, 1);
	ix->base = base;
	gmtime_r(&now, &tm);
	ix->this_year = tm.tm_year + 1900;
	pool_add(ix, "");
	/* A full build reads the whole catalog: mapped, it is read without a system call a page.
	 * Unmapped again afterwards, so the server's memory is not the database's size. */
	if (!base)
		sqlite3_exec(s->db, "PRAGMA mmap_size = 2147418112", NULL, NULL, NULL);
	if (sqlite3_exec(s->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		goto db_fail;
	in_tx = true;
	if ((ix->seq = store_search_head(s)) < 0)
		goto db_fail;
	span.since = base ? base->seq : 0;
	span.upto = ix->seq;
	for (int ty = 0; ty < ST_NTYPES; ty++) {
		if (load_rows(s, ty, base ? &span : NULL, &rs[ty]) < 0)
			goto db_fail;
		/* Docs in order of popularity: every postings list is then in that order too. */
		sort(rs[ty].v, rs[ty].n, sizeof *rs[ty].v, by_score);
		if (tokenise(ix, &st, &rs[ty], &ix->t[ty], &f[ty]) < 0)
			goto oom;
		for (size_t i = 0; i < rs[ty].n; i++) {
			double sc = rs[ty].v[i].score;
			ix->t[ty].docs[i].pop = ty == ST_PLAYLIST ? (float)(log1p(sc) / log1p(1000.0)) :
			                        (float)(sc > 100 ? 1.0 : sc / 100.0);
		}
		rows_free(&rs[ty]);
		memset(&rs[ty], 0, sizeof rs[ty]);
	}
	if (base && mark_dead(s, ix, &span) < 0)
		goto db_fail;
	sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
	sqlite3_exec(s->db, "PRAGMA mmap_size = 0", NULL, NULL, NULL);
	in_tx = false;
	/* Terms in sorted order, so a prefix is a range of term ids. */
	ix->nterms = (uint32_t)st.n;
	order = malloc((st.n ? st.n : 1) * sizeof *order);
	remap = malloc((st.n ? st.n : 1) * sizeof *remap);
	ix->term_off = malloc((st.n ? st.n : 1) * sizeof *ix->term_off);
	if (!order || !remap || !ix->term_off)
		goto oom;
	for (uint32_t i = 0; i < st.n; i++)
		order[i] = i;
	if (st.n > 1)
		qsort_r(order, st.n, sizeof *order, cmp_tmp_term, &st);
	for (uint32_t i = 0; i < st.n; i++) {
		remap[order[i]] = i;
		ix->term_off[i] = st.offs[order[i]];
	}
	ix->term_pool = st.chars;
	st.chars = NULL;
	for (int ty = 0; ty < ST_NTYPES; ty++) {
		finish_forward(&ix->t[ty], &f[ty], remap);
		if (build_postings(&ix->t[ty], ix->nterms) < 0 || build_tops(ix, &ix->t[ty]) < 0 ||
		    build_byid(&ix->t[ty]) < 0)
			goto oom;
		sort(ix->t[ty].tops, ix->t[ty].ntops, sizeof *ix->t[ty].tops, cmp_top);
	}
	if (build_deletes(ix) < 0)
		goto oom;
	free(order);
	free(remap);
	strtab_free(&st);
	return ix;
db_fail:
	snprintf(err, errlen, "reading the catalog: %s", sqlite3_errmsg(s->db));
	goto fail;
oom:
	snprintf(err, errlen, "out of memory building the search index");
fail:
	if (in_tx)
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_exec(s->db, "PRAGMA mmap_size = 0", NULL, NULL, NULL);
	for (int ty = 0; ty < ST_NTYPES; ty++) {
		rows_free(&rs[ty]);
		free(f[ty].v);
	}
	free(order);
	free(remap);
	strtab_free(&st);
	search_free(ix);
	return NULL;
}

struct search_index *search_build(struct store *s, char *err, size_t errlen)
{
	return build(s, NULL, err, errlen);
}

struct search_index *search_build_delta(struct store *s, const struct search_index *base, char *err,
                                        size_t errlen)
{
	return build(s, base, err, errlen);
}

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

/* ---- querying ---- */

enum match { M_NONE, M_TYPO, M_PREFIX, M_EXACT };

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

struct parsed {
	struct qtok tok[MAX_TOKENS];
	int ntok;
	int year_lo, year_hi;       /* 0 = none */
	int genre;                  /* -1 none, 0 unknown genre (no match), else id */
	bool exclude[ST_NTYPES];    /* a filter that does not apply to the type */
	char free_text[SEARCH_QUERY_MAX + 1]; /* folded free words, for the title bonus */
};

static uint32_t find_term(const struct search_index *ix, const char *w)
{
	uint32_t i = first_ge(ix, w);

	return i < ix->nterms && !strcmp(term_str(ix, i), w) ? i : UINT32_MAX;
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
	uint64_t h = fnv(s, n);
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
		if (!seen && edit_distance(t->text, term_str(ix, term), max) <= max)
			t->typos[t->ntypos++] = term;
	}
}

/* Near spellings of a word the catalog does not have. */
static void find_typos(const struct search_index *ix, struct qtok *t)
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

static int add_words(struct parsed *p, const char *value, const unsigned fields[ST_NTYPES], bool filter,
                     char *err, size_t errlen)
{
	char folded[SEARCH_QUERY_MAX * 2 + 1];

	search_fold(value, folded, sizeof folded);
	for (const char *w = folded; *w; ) {
		size_t n = strcspn(w, " ");

		if (n) {
			struct qtok *t;

			if (p->ntok == MAX_TOKENS) {
				snprintf(err, errlen, "too many words (at most %d)", MAX_TOKENS);
				return -1;
			}
			t = &p->tok[p->ntok++];
			memset(t, 0, sizeof *t);
			snprintf(t->text, sizeof t->text, "%.*s", (int)(n < TERM_MAX ? n : TERM_MAX - 1), w);
			memcpy(t->fields, fields, sizeof t->fields);
			t->is_filter = filter;
			if (!filter) {
				size_t fl = strlen(p->free_text);
				snprintf(p->free_text + fl, sizeof p->free_text - fl, "%s%s", fl ? " " : "", t->text);
			}
		}
		w += n + (w[n] == ' ');
	}
	return 0;
}

static int parse_query(const struct search_index *ix, const char *q, struct parsed *p, char *err, size_t errlen)
{
	static const unsigned all[ST_NTYPES] = { F_ALL, F_ALL, F_ALL, F_ALL };
	static const unsigned artist_f[ST_NTYPES] = { F_ARTIST, F_TITLE, F_ARTIST, 0 };
	static const unsigned album_f[ST_NTYPES] = { F_ALBUM, 0, F_TITLE, 0 };
	static const unsigned track_f[ST_NTYPES] = { F_TITLE, 0, 0, 0 };
	char word[SEARCH_QUERY_MAX + 1];
	const char *s = q;

	memset(p, 0, sizeof *p);
	p->genre = -1;
	while (*s) {
		const char *colon, *end;
		size_t n;

		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s)
			break;
		end = s + strcspn(s, " \t");
		colon = memchr(s, ':', (size_t)(end - s));
		if (colon && colon > s) {
			char field[16], value[SEARCH_QUERY_MAX + 1];
			size_t fl = (size_t)(colon - s);
			const char *v = colon + 1;

			if (*v == '"') {
				const char *close = strchr(v + 1, '"');
				v++;
				end = close ? close : v + strlen(v);
				n = (size_t)(end - v);
				if (close)
					end++;
			} else {
				n = (size_t)(end - v);
			}
			snprintf(field, sizeof field, "%.*s", (int)(fl < sizeof field ? fl : sizeof field - 1), s);
			snprintf(value, sizeof value, "%.*s", (int)n, v);
			if (!strcasecmp(field, "artist")) {
				if (add_words(p, value, artist_f, true, err, errlen) < 0)
					return -1;
				p->exclude[ST_PLAYLIST] = true;
			} else if (!strcasecmp(field, "album")) {
				if (add_words(p, value, album_f, true, err, errlen) < 0)
					return -1;
				p->exclude[ST_ARTIST] = p->exclude[ST_PLAYLIST] = true;
			} else if (!strcasecmp(field, "track")) {
				if (add_words(p, value, track_f, true, err, errlen) < 0)
					return -1;
				p->exclude[ST_ARTIST] = p->exclude[ST_ALBUM] = p->exclude[ST_PLAYLIST] = true;
			} else if (!strcasecmp(field, "year")) {
				char *e;
				long a = strtol(value, &e, 10), b = a;

				if (*e == '-')
					b = strtol(e + 1, &e, 10);
				if (*e || !*value || a < 1000 || b < a || b > 9999) {
					snprintf(err, errlen, "year takes a year or a range such as 1990-1999");
					return -1;
				}
				p->year_lo = (int)a;
				p->year_hi = (int)b;
				p->exclude[ST_PLAYLIST] = p->exclude[ST_ARTIST] = true;
			} else if (!strcasecmp(field, "genre")) {
				char folded[128];

				search_fold(value, folded, sizeof folded);
				p->genre = 0;
				for (int i = 0; i < ix->ngenres; i++)
					if (!strcmp(ix->genres[i], folded))
						p->genre = i + 1;
				p->exclude[ST_PLAYLIST] = true;
			} else {
				snprintf(err, errlen, "unknown filter \"%s:\" (artist, album, track, year, genre)", field);
				return -1;
			}
			s = end;
			continue;
		}
		n = (size_t)(end - s);
		snprintf(word, sizeof word, "%.*s", (int)n, s);
		if (add_words(p, word, all, false, err, errlen) < 0)
			return -1;
		s = end;
	}
	/* The last free word is still being typed. */
	for (int i = p->ntok - 1; i >= 0; i--)
		if (!p->tok[i].is_filter) {
			p->tok[i].last_free = true;
			break;
		}
	if (!p->ntok && !p->year_lo && p->genre < 0) {
		snprintf(err, errlen, "the query has no words to search for");
		return -1;
	}
	for (int i = 0; i < p->ntok; i++) {
		struct qtok *t = &p->tok[i];

		t->exact = find_term(ix, t->text);
		t->plo = t->phi = 0;
		if (t->last_free) {
			t->plo = first_ge(ix, t->text);
			t->phi = prefix_end(ix, t->text, strlen(t->text));
		}
		if (t->exact == UINT32_MAX && t->plo == t->phi)
			find_typos(ix, t);
	}
	return 0;
}

/* How the doc matches the word: the best kind and the fields it was found in. */
static enum match doc_match(const struct tindex *ti, const struct doc *d, const struct qtok *t,
                            unsigned fields, unsigned *where)
{
	const uint32_t *f = ti->fwd + d->fwd;
	uint32_t n = d->nfwd;
	enum match best = M_NONE;

	*where = 0;
	if (t->exact != UINT32_MAX || t->plo < t->phi) {
		uint32_t lo = t->exact != UINT32_MAX ? t->exact : t->plo;
		uint32_t hi = t->plo < t->phi ? t->phi : t->exact + 1;
		uint32_t a = 0, b = n;

		if (t->exact != UINT32_MAX && t->exact < lo)
			lo = t->exact;
		while (a < b) {
			uint32_t m = (a + b) / 2;
			if ((f[m] >> 3) < lo)
				a = m + 1;
			else
				b = m;
		}
		for (; a < n && (f[a] >> 3) < hi; a++) {
			if (!(f[a] & fields))
				continue;
			enum match k = (f[a] >> 3) == t->exact ? M_EXACT : M_PREFIX;
			if (k > best)
				best = k;
			*where |= f[a] & fields;
		}
	}
	if (best == M_NONE)
		for (int k = 0; k < t->ntypos; k++) {
			uint32_t a = 0, b = n;
			while (a < b) {
				uint32_t m = (a + b) / 2;
				if ((f[m] >> 3) < t->typos[k])
					a = m + 1;
				else
					b = m;
			}
			if (a < n && (f[a] >> 3) == t->typos[k] && (f[a] & fields)) {
				best = M_TYPO;
				*where |= f[a] & fields;
			}
		}
	return best;
}

static size_t estimate(const struct search_index *ix, const struct tindex *ti, const struct qtok *t)
{
	size_t n = 0;

	(void)ix;
	if (t->plo < t->phi)
		n += ti->post_off[t->phi] - ti->post_off[t->plo];
	else if (t->exact != UINT32_MAX)
		n += ti->post_off[t->exact + 1] - ti->post_off[t->exact];
	for (int k = 0; k < t->ntypos; k++)
		n += ti->post_off[t->typos[k] + 1] - ti->post_off[t->typos[k]];
	return n;
}

static bool available(const struct search_index *ix, const struct doc *d, const char *market)
{
	const char *m;
	size_t n;

	if (!market || d->markets == UINT32_MAX)
		return true;
	n = strlen(market);
	for (m = ix->pool + d->markets; *m; ) {
		size_t k = strcspn(m, ",");
		if (k == n && !strncmp(m, market, n))
			return true;
		m += k + (m[k] == ',');
	}
	return false;
}

static float affinity(const struct search_affinity *a, const char *id)
{
	int lo = 0, hi = a ? a->n : 0;

	while (lo < hi) {
		int mid = (lo + hi) / 2;
		int c = strcmp(a->ids[mid], id);

		if (!c)
			return a->weights[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

struct cand {
	uint32_t doc;
	uint8_t part; /* which index of the query's parts */
	double score;
	bool playable;
};

/* A query runs over the base index and, when there is one, its delta: each parses the query
 * into its own term ids. The base's docs that the delta supersedes are skipped. */
struct part {
	const struct search_index *ix;
	uint64_t *const *dead; /* per type, or NULL */
	struct parsed p;
};

static int cmp_cand(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	if (x->score != y->score)
		return x->score < y->score ? 1 : -1;
	if (x->part != y->part)
		return x->part < y->part ? -1 : 1;
	return x->doc < y->doc ? -1 : x->doc > y->doc;
}

/* Scores a doc that matched every word: text first, then popularity, the user's own
 * affinity, freshness; a doc not playable in the market sinks. */
static double score_doc(const struct search_index *ix, enum search_type ty, const struct doc *d,
                        const struct parsed *p, const enum match *kinds, const unsigned *where,
                        const struct search_query *q, bool playable)
{
	static const double kind_w[] = { 0, 0.55, 0.75, 1.0 };
	double text = 0, bonus = 0, fresh = 0;
	int nfree = 0;

	for (int i = 0; i < p->ntok; i++) {
		double fw = where[i] & F_TITLE ? 1.0 : where[i] & F_ARTIST ? 0.8 : 0.6;
		text += kind_w[kinds[i]] * fw;
		nfree += !p->tok[i].is_filter;
	}
	if (p->ntok)
		text /= p->ntok;
	if (nfree && p->free_text[0]) {
		const char *title = ix->pool + d->title;
		size_t fl = strlen(p->free_text);

		if (!strcmp(title, p->free_text))
			bonus = 1.0;  /* the whole title, exactly */
		else if (!strncmp(title, p->free_text, fl) && (title[fl] == ' ' || !title[fl]))
			bonus = 0.5;  /* the title starts with the query's words */
		else if (ty == ST_TRACK) {
			/* "title artist" typed together */
			size_t tl = strlen(title);
			if (!strncmp(p->free_text, title, tl) && p->free_text[tl] == ' ' &&
			    !strcmp(p->free_text + tl + 1, ix->pool + d->artist))
				bonus = 1.0;
		}
	}
	if (d->year > 0 && d->year >= ix->this_year - 1)
		fresh = 1.0;
	double aff = 0;
	if (q->affinity) {
		aff = affinity(q->affinity, d->id);
		if (ty != ST_ARTIST && d->artist_id[0]) {
			float a2 = affinity(q->affinity, d->artist_id) * 0.6f;
			if (a2 > aff)
				aff = a2;
		}
	}
	return 2.0 * text + 1.2 * bonus + 0.8 * d->pop + 1.0 * aff + 0.1 * fresh - (playable ? 0 : 3.0);
}

static bool attrs_ok(const struct doc *d, const struct parsed *p)
{
	if (p->year_lo && (d->year < p->year_lo || d->year > p->year_hi))
		return false;
	if (p->genre == 0 || (p->genre > 0 && d->genre != p->genre))
		return false; /* 0: a genre this index does not have */
	return true;
}

/* Collects the matching docs of one type in one part, most popular first, up to MATCH_CAP,
 * appending them to c (room for MATCH_CAP more). Returns how many, or -1. */
static int collect(const struct part *pt, uint8_t part, enum search_type ty, const struct search_query *q,
                   struct cand *c, long *total)
{
	const struct search_index *ix = pt->ix;
	const struct parsed *p = &pt->p;
	const struct tindex *ti = &ix->t[ty];
	const uint64_t *dead = pt->dead ? pt->dead[ty] : NULL;
	enum match kinds[MAX_TOKENS];
	unsigned where[MAX_TOKENS];
	int driver = -1, n = 0;
	size_t best = SIZE_MAX;
	uint32_t *list = NULL, nlist = 0;
	bool own_list = false, scan = false;
	long checked = 0;

	*total = 0;
	for (int i = 0; i < p->ntok; i++) {
		size_t e = estimate(ix, ti, &p->tok[i]);

		if (!p->tok[i].fields[ty] || e == 0)
			return 0; /* a word no doc of this type has: nothing matches */
		if (e < best) {
			best = e;
			driver = i;
		}
	}
	if (driver < 0 || best > ti->ndocs / 4) {
		scan = true; /* dense matches: walk the docs from the most popular */
	} else {
		const struct qtok *t = &p->tok[driver];

		if (t->plo < t->phi && t->phi - t->plo > 16 && strlen(t->text) <= TOP_PREFIX_LEN) {
			/* a short prefix: its precomputed most popular docs */
			struct prefix_top key;
			snprintf(key.prefix, sizeof key.prefix, "%s", t->text);
			const struct prefix_top *top = ti->ntops ?
				bsearch(&key, ti->tops, ti->ntops, sizeof key, cmp_top) : NULL;
			if (top) {
				list = ti->tops_pool + top->off;
				nlist = top->n;
			} else {
				scan = true;
			}
		} else {
			/* merge the driver's postings into one list in popularity order */
			uint32_t ranges[MAX_TYPO_ALTS + 1][2];
			int nr = 0;

			if (t->plo < t->phi) {
				ranges[nr][0] = t->plo;
				ranges[nr++][1] = t->phi;
			} else if (t->exact != UINT32_MAX) {
				ranges[nr][0] = t->exact;
				ranges[nr++][1] = t->exact + 1;
			}
			for (int k = 0; k < t->ntypos; k++) {
				ranges[nr][0] = t->typos[k];
				ranges[nr++][1] = t->typos[k] + 1;
			}
			list = malloc((best ? best : 1) * sizeof *list);
			if (!list)
				return -1;
			own_list = true;
			for (int r = 0; r < nr; r++)
				for (uint32_t term = ranges[r][0]; term < ranges[r][1]; term++) {
					memcpy(list + nlist, ti->post + ti->post_off[term],
					       (ti->post_off[term + 1] - ti->post_off[term]) * sizeof *list);
					nlist += ti->post_off[term + 1] - ti->post_off[term];
				}
			if (nr > 1 || (nr == 1 && ranges[0][1] - ranges[0][0] > 1))
				sort(list, nlist, sizeof *list, cmp_u32);
		}
	}
	uint32_t limit = scan ? ti->ndocs : nlist;
	uint32_t prev = UINT32_MAX;
	for (uint32_t k = 0; k < limit && checked < SCAN_BUDGET; k++) {
		uint32_t di = scan ? k : list[k];
		const struct doc *d = &ti->docs[di];
		bool ok = true;

		if (di == prev)
			continue; /* a doc under several of the driver's terms */
		prev = di;
		checked++;
		if (dead && (dead[di / 64] & (1ULL << (di % 64))))
			continue;
		if (!attrs_ok(d, p))
			continue;
		for (int i = 0; i < p->ntok && ok; i++) {
			kinds[i] = doc_match(ti, d, &p->tok[i], p->tok[i].fields[ty], &where[i]);
			ok = kinds[i] != M_NONE;
		}
		if (!ok)
			continue;
		(*total)++;
		if (n < MATCH_CAP) {
			bool playable = ty == ST_TRACK ? available(ix, d, q->market) : true;

			c[n].doc = di;
			c[n].part = part;
			c[n].playable = playable;
			c[n].score = score_doc(ix, ty, d, p, kinds, where, q, playable);
			n++;
		}
		if (*total >= MATCH_CAP)
			break;
	}
	if (own_list)
		free(list);
	return n;
}

/* Whether a word is in an index as itself or (the last word) as a prefix. */
static bool word_known(const struct qtok *t)
{
	return t->exact != UINT32_MAX || t->plo < t->phi;
}

/* The spelling the word most likely meant, or NULL when it needs none: the near spelling most
 * documents of all parts use, when no part has the word itself. */
static const char *correction(const struct part *parts, int nparts, int i)
{
	const char *best = NULL;
	size_t bestn = 0;

	for (int k = 0; k < nparts; k++)
		if (word_known(&parts[k].p.tok[i]))
			return NULL;
	for (int k = 0; k < nparts; k++) {
		const struct qtok *t = &parts[k].p.tok[i];
		const struct search_index *ix = parts[k].ix;

		for (int a = 0; a < t->ntypos; a++) {
			size_t cnt = 0;

			for (int ty = 0; ty < ST_NTYPES; ty++)
				cnt += ix->t[ty].post_off[t->typos[a] + 1] - ix->t[ty].post_off[t->typos[a]];
			if (!best || cnt > bestn) {
				bestn = cnt;
				best = term_str(ix, t->typos[a]);
			}
		}
	}
	return best;
}

/* One type's page: the parts' matches ranked together, one per title and artist for tracks
 * (a single and its album's version), then offset and limit. */
static int page(const struct part *parts, int nparts, enum search_type ty, const struct search_query *q,
                struct search_result *out)
{
	struct cand *c = malloc((size_t)nparts * MATCH_CAP * sizeof *c);
	struct cand *acc = malloc(((size_t)q->offset + (size_t)q->limit + 1) * sizeof *acc);
	int n = 0, nacc = 0, rc = -1;

	out->hits[ty] = calloc((size_t)(q->limit > 0 ? q->limit : 1), sizeof *out->hits[ty]);
	if (!c || !acc || !out->hits[ty])
		goto out;
	for (int k = 0; k < nparts; k++) {
		long total;
		int got = collect(&parts[k], (uint8_t)k, ty, q, c + n, &total);

		if (got < 0)
			goto out;
		n += got;
		out->total[ty] += total;
	}
	if (out->total[ty] > MATCH_CAP)
		out->total[ty] = MATCH_CAP;
	sort(c, (size_t)n, sizeof *c, cmp_cand);
	for (int i = 0; i < n && out->nhits[ty] < q->limit; i++) {
		const struct search_index *ix = parts[c[i].part].ix;
		const struct doc *d = &ix->t[ty].docs[c[i].doc];
		bool dup = false;

		for (int j = 0; ty == ST_TRACK && j < nacc && !dup; j++) {
			const struct search_index *ex = parts[acc[j].part].ix;
			const struct doc *e = &ex->t[ty].docs[acc[j].doc];

			dup = !strcmp(ix->pool + d->title, ex->pool + e->title) &&
			      !strcmp(ix->pool + d->artist, ex->pool + e->artist);
		}
		if (dup) {
			out->total[ty]--;
			continue;
		}
		acc[nacc++] = c[i];
		if (nacc <= q->offset)
			continue;
		struct search_hit *h = &out->hits[ty][out->nhits[ty]++];
		memcpy(h->id, d->id, sizeof h->id);
		h->score = c[i].score;
		h->playable = c[i].playable;
	}
	rc = 0;
out:
	free(c);
	free(acc);
	return rc;
}

int search_run(const struct search_index *ix, const struct search_index *delta, const struct search_query *q,
               struct search_result *out)
{
	struct part *parts = calloc(2, sizeof *parts);
	int nparts = delta ? 2 : 1, rc = -1;

	memset(out, 0, sizeof *out);
	if (!parts) {
		snprintf(out->error, sizeof out->error, "out of memory");
		return -1;
	}
	if (!q->q || !*q->q) {
		snprintf(out->error, sizeof out->error, "q is required");
		goto done;
	}
	if (strlen(q->q) > SEARCH_QUERY_MAX) {
		snprintf(out->error, sizeof out->error, "the query is too long (at most %d bytes)", SEARCH_QUERY_MAX);
		goto done;
	}
	if (delta && delta->base != ix) {
		snprintf(out->error, sizeof out->error, "internal error: a delta of another index");
		goto done;
	}
	parts[0].ix = ix;
	parts[0].dead = delta ? delta->dead : NULL;
	parts[1].ix = delta;
	for (int k = 0; k < nparts; k++)
		if (parse_query(parts[k].ix, q->q, &parts[k].p, out->error, sizeof out->error) < 0)
			goto done;
	/* Near spellings only for a word that no part has: as if the parts were one index. */
	for (int i = 0; i < parts[0].p.ntok; i++) {
		bool known = false;

		for (int k = 0; k < nparts; k++)
			known |= word_known(&parts[k].p.tok[i]);
		for (int k = 0; known && k < nparts; k++)
			parts[k].p.tok[i].ntypos = 0;
	}
	for (int ty = 0; ty < ST_NTYPES; ty++) {
		if (!(q->types & (1u << ty)))
			continue;
		if (parts[0].p.exclude[ty]) {
			out->hits[ty] = calloc(1, sizeof *out->hits[ty]);
			continue;
		}
		if (page(parts, nparts, ty, q, out) < 0) {
			snprintf(out->error, sizeof out->error, "out of memory");
			goto done;
		}
	}
	/* "Did you mean": when a word was corrected. */
	bool corrected = false;
	char sugg[SEARCH_QUERY_MAX + 64] = "";
	for (int i = 0; i < parts[0].p.ntok; i++) {
		const char *w = correction(parts, nparts, i);
		size_t sl = strlen(sugg);

		corrected |= w != NULL;
		snprintf(sugg + sl, sizeof sugg - sl, "%s%s", sl ? " " : "", w ? w : parts[0].p.tok[i].text);
	}
	if (corrected)
		snprintf(out->did_you_mean, sizeof out->did_you_mean, "%s", sugg);
	rc = 0;
done:
	free(parts);
	return rc;
}

void search_result_free(struct search_result *out)
{
	for (int ty = 0; ty < ST_NTYPES; ty++)
		free(out->hits[ty]);
	memset(out->hits, 0, sizeof out->hits);
}
