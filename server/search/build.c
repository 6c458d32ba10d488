/* Building the search index from the store: the whole catalog, or a delta of the rows changed
 * since a base was built and the base's docs they supersede. Read once in one transaction, then
 * tokenised into forward entries, postings in popularity order and the short prefixes' tops. */
#include "config.h"
#include "search/index.h"

#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/search.h"

#define TOP_N 256

/* ---- reading and tokenising ---- */

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
	uint64_t h = search_fnv(w, n);
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

/* The changes of a delta: the search_changes rows in (since, upto]. */
struct span {
	long long since, upto;
};

static char *dup_or_null(const char *v)
{
	return v ? strdup(v) : NULL;
}

/* One row from the store, kept (its strings copied) for tokenising. */
static int keep_row(void *ud, const struct search_source *src)
{
	struct row *r = rows_add(ud);

	if (!r)
		return -1;
	snprintf(r->id, sizeof r->id, "%s", src->id);
	for (int f = 0; f < 3; f++)
		if (src->text[f] && !(r->text[f] = strdup(src->text[f])))
			return -1;
	if ((src->genre && !(r->genre = dup_or_null(src->genre))) ||
	    (src->markets && !(r->markets = dup_or_null(src->markets))))
		return -1;
	r->year = src->year;
	r->score = src->score;
	snprintf(r->artist_id, sizeof r->artist_id, "%s", src->artist_id);
	return 0;
}

/* Reads the rows of a type: all of them, or with a span only those it changed. */
static int load_rows(struct store *s, enum search_type type, const struct span *sp, struct rows *rs)
{
	return store_search_rows(s, (int)type, sp ? sp->since : -1, sp ? sp->upto : 0, keep_row, rs);
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

/* ---- terms, forward entries, postings, prefix tops ---- */

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
		search_sort(v, d->nfwd, sizeof *v, search_cmp_u32);
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
		const char *term = search_term_str(ix, i);

		for (size_t len = 1; len <= TOP_PREFIX_LEN && len <= strlen(term); len++) {
			uint32_t lo, hi, n, buf[TOP_N];

			/* each prefix once: at the first term that has it */
			if (i > 0 && !strncmp(search_term_str(ix, i - 1), term, len) && strlen(search_term_str(ix, i - 1)) >= len)
				continue;
			lo = i;
			hi = search_prefix_end(ix, term, len);
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

/* ---- the delta: finding the base's docs that changes supersede ---- */

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
struct dead_marks {
	const struct tindex *base;
	uint64_t *bits;
	long *n;
};

static int mark_one(void *ud, const char *id)
{
	struct dead_marks *dm = ud;
	uint32_t d = doc_by_id(dm->base, id);

	if (d != UINT32_MAX && !(dm->bits[d / 64] & (1ULL << (d % 64)))) {
		dm->bits[d / 64] |= 1ULL << (d % 64);
		(*dm->n)++;
	}
	return 0;
}

static int mark_dead(struct store *s, struct search_index *ix, const struct span *sp)
{
	for (int ty = 0; ty < ST_NTYPES; ty++) {
		const struct tindex *bt = &ix->base->t[ty];
		struct dead_marks dm;

		if (!(ix->dead[ty] = calloc(bt->ndocs / 64 + 1, sizeof *ix->dead[ty])))
			return -1;
		dm = (struct dead_marks){ bt, ix->dead[ty], &ix->ndead[ty] };
		if (store_search_changed(s, ty, sp->since, sp->upto, mark_one, &dm) < 0)
			return -1;
	}
	return 0;
}

/* ---- the whole build ---- */

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
	/* A full build reads the whole catalog, mapped. */
	if (store_snapshot_begin(s, !base) < 0)
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
		search_sort(rs[ty].v, rs[ty].n, sizeof *rs[ty].v, by_score);
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
	store_snapshot_end(s, !base);
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
		search_sort(ix->t[ty].tops, ix->t[ty].ntops, sizeof *ix->t[ty].tops, search_cmp_top);
	}
	if (search_build_deletes(ix) < 0)
		goto oom;
	free(order);
	free(remap);
	strtab_free(&st);
	return ix;
db_fail:
	snprintf(err, errlen, "reading the catalog failed (the log says why)");
	goto fail;
oom:
	snprintf(err, errlen, "out of memory building the search index");
fail:
	if (in_tx)
		store_snapshot_end(s, !base);
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
