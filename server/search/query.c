/* Answering a query: parsing it into words and filters against an index (and its delta),
 * collecting the docs that match every word, ranking them, and cutting the page. */
#include "config.h"
#include "search/index.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define F_TITLE 1u
#define F_ARTIST 2u
#define F_ALBUM 4u
#define F_ALL 7u
#define MAX_TOKENS 16
#define SCAN_BUDGET 300000
#define MATCH_CAP (SEARCH_MAX_OFFSET + 50)

enum match { M_NONE, M_TYPO, M_PREFIX, M_EXACT };

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
	uint32_t i = search_first_ge(ix, w);

	return i < ix->nterms && !strcmp(search_term_str(ix, i), w) ? i : UINT32_MAX;
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
			t->plo = search_first_ge(ix, t->text);
			t->phi = search_prefix_end(ix, t->text, strlen(t->text));
		}
		if (t->exact == UINT32_MAX && t->plo == t->phi)
			search_find_typos(ix, t);
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
				bsearch(&key, ti->tops, ti->ntops, sizeof key, search_cmp_top) : NULL;
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
				search_sort(list, nlist, sizeof *list, search_cmp_u32);
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
				best = search_term_str(ix, t->typos[a]);
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
	search_sort(c, (size_t)n, sizeof *c, cmp_cand);
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
