#include "config.h"
#include "recs/model_file.h"

#include "fileio.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAGIC "SEGUEREC"
#define FORMAT 1
/* Bounds on the header's counts, far above any catalog, so that sizes cannot overflow. */
#define MAX_COUNT (1LL << 28)

struct header {
	char magic[8];
	int32_t format, catalog_only;
	int64_t n_items, n_artists, n_genres, n_popular, k, zero_row, nlist;
	float reg, alpha, skip_weight, pad;
	int64_t built_at_ms, plays, users, interactions;
	double seconds, als_seconds;
};

/* ---- writing ---- */

static int put(FILE *f, const void *p, size_t bytes)
{
	uint64_t len = p ? bytes : 0;

	if (fwrite(&len, sizeof len, 1, f) != 1)
		return -1;
	return !len || fwrite(p, 1, bytes, f) == bytes ? 0 : -1;
}

static int64_t last(const int64_t *ptr, int64_t n)
{
	return ptr ? ptr[n] : 0;
}

static int put_all(FILE *f, const struct recs_model *m)
{
	size_t n = (size_t)m->n_items, k = (size_t)m->k;
	int rc = 0;

	rc |= put(f, m->item_id, n * sizeof *m->item_id);
	rc |= put(f, m->artist, n * sizeof *m->artist);
	rc |= put(f, m->genre, n * sizeof *m->genre);
	rc |= put(f, m->released, n * sizeof *m->released);
	rc |= put(f, m->pop, n * sizeof *m->pop);
	rc |= put(f, m->feat, n * sizeof *m->feat);
	rc |= put(f, m->restricted, n * sizeof *m->restricted);
	rc |= put(f, m->artist_id, (size_t)m->n_artists * sizeof *m->artist_id);
	rc |= put(f, m->artist_ptr, ((size_t)m->n_artists + 1) * sizeof *m->artist_ptr);
	rc |= put(f, m->artist_items, (size_t)last(m->artist_ptr, m->n_artists) * sizeof *m->artist_items);
	rc |= put(f, m->genre_name, (size_t)m->n_genres * sizeof *m->genre_name);
	rc |= put(f, m->genre_ptr, ((size_t)m->n_genres + 1) * sizeof *m->genre_ptr);
	rc |= put(f, m->genre_items, (size_t)last(m->genre_ptr, m->n_genres) * sizeof *m->genre_items);
	rc |= put(f, m->popular, (size_t)m->n_popular * sizeof *m->popular);
	rc |= put(f, k ? m->V : NULL, ((size_t)m->zero_row + 1) * k * sizeof *m->V);
	rc |= put(f, k ? m->row : NULL, n * sizeof *m->row);
	rc |= put(f, k ? m->G : NULL, k * k * sizeof *m->G);
	rc |= put(f, k ? m->centroid : NULL, (size_t)m->nlist * k * sizeof *m->centroid);
	rc |= put(f, k ? m->list_ptr : NULL, ((size_t)m->nlist + 1) * sizeof *m->list_ptr);
	rc |= put(f, k ? m->list_items : NULL, (size_t)last(m->list_ptr, m->nlist) * sizeof *m->list_items);
	rc |= put(f, m->nb_ptr, (n + 1) * sizeof *m->nb_ptr);
	rc |= put(f, m->nb_item, (size_t)last(m->nb_ptr, m->n_items) * sizeof *m->nb_item);
	rc |= put(f, m->nb_sim, (size_t)last(m->nb_ptr, m->n_items) * sizeof *m->nb_sim);
	return rc;
}

struct model_out {
	const struct header *h;
	const struct recs_model *m;
};

static int put_model(FILE *f, void *ctx)
{
	const struct model_out *o = ctx;

	if (fwrite(o->h, sizeof *o->h, 1, f) != 1)
		return -1;
	return put_all(f, o->m);
}

int recs_model_save(const struct recs_model *m, const char *path, char *err, size_t errlen)
{
	struct header h;

	memset(&h, 0, sizeof h);
	memcpy(h.magic, MAGIC, sizeof h.magic);
	h.format = FORMAT;
	h.catalog_only = m->catalog_only;
	h.n_items = m->n_items;
	h.n_artists = m->n_artists;
	h.n_genres = m->n_genres;
	h.n_popular = m->n_popular;
	h.k = m->k;
	h.zero_row = m->k ? m->zero_row : 0;
	h.nlist = m->k ? m->nlist : 0;
	h.reg = m->reg;
	h.alpha = m->alpha;
	h.skip_weight = m->skip_weight;
	h.built_at_ms = m->built_at_ms;
	h.plays = m->plays;
	h.users = m->users;
	h.interactions = m->interactions;
	h.seconds = m->seconds;
	h.als_seconds = m->als_seconds;
	/* 0644: every instance reads the model; it holds no secret. */
	return file_write_atomic(path, 0644, false, put_model, &(struct model_out){ &h, m }, err, errlen);
}

/* ---- reading ---- */

struct reader {
	FILE *f;
	long long left; /* bytes of the file not read yet */
	bool bad;
};

/* Reads the next array, which must be exactly bytes long (or absent when may_lack), into a
 * fresh allocation. */
static void *take(struct reader *r, size_t bytes, bool may_lack)
{
	uint64_t len;
	void *p;

	if (r->bad || r->left < (long long)sizeof len || fread(&len, sizeof len, 1, r->f) != 1)
		goto bad;
	r->left -= (long long)sizeof len;
	if (!len && (may_lack || !bytes))
		return NULL;
	if (len != bytes || (long long)len > r->left || !(p = malloc(bytes)))
		goto bad;
	if (fread(p, 1, bytes, r->f) != bytes) {
		free(p);
		goto bad;
	}
	r->left -= (long long)bytes;
	return p;
bad:
	r->bad = true;
	return NULL;
}

/* Whether ptr (n + 1 offsets) runs from 0 upwards, and where it ends. */
static bool offsets_ok(const int64_t *ptr, int64_t n, int64_t *end)
{
	if (!ptr || ptr[0] != 0)
		return false;
	for (int64_t i = 0; i < n; i++)
		if (ptr[i + 1] < ptr[i] || ptr[i + 1] > MAX_COUNT)
			return false;
	*end = ptr[n];
	return true;
}

static bool indexes_ok(const int32_t *v, int64_t n, int64_t lo, int64_t hi)
{
	for (int64_t i = 0; i < n; i++)
		if (v[i] < lo || v[i] >= hi)
			return false;
	return true;
}

static bool header_ok(const struct header *h)
{
	return !memcmp(h->magic, MAGIC, sizeof h->magic) && h->format == FORMAT &&
	       h->n_items >= 0 && h->n_items <= MAX_COUNT && h->n_artists >= 0 &&
	       h->n_artists <= MAX_COUNT && h->n_genres >= 0 && h->n_genres <= MAX_COUNT &&
	       h->n_popular >= 0 && h->n_popular <= h->n_items && h->k >= 0 &&
	       h->k <= RECS_MAX_K && h->zero_row >= 0 && h->zero_row <= h->n_items &&
	       h->nlist >= 0 && h->nlist <= h->n_items + 1;
}

static int read_arrays(struct reader *r, const struct header *h, struct recs_model *m)
{
	size_t n = (size_t)h->n_items, k = (size_t)h->k;
	int64_t end;

	m->item_id = take(r, n * sizeof *m->item_id, false);
	m->artist = take(r, n * sizeof *m->artist, false);
	m->genre = take(r, n * sizeof *m->genre, false);
	m->released = take(r, n * sizeof *m->released, false);
	m->pop = take(r, n * sizeof *m->pop, false);
	m->feat = take(r, n * sizeof *m->feat, false);
	m->restricted = take(r, n * sizeof *m->restricted, false);
	m->artist_id = take(r, (size_t)h->n_artists * sizeof *m->artist_id, false);
	m->artist_ptr = take(r, ((size_t)h->n_artists + 1) * sizeof *m->artist_ptr, true);
	if (r->bad || (m->artist_ptr && !offsets_ok(m->artist_ptr, h->n_artists, &end)))
		return -1;
	m->artist_items = take(r, (size_t)last(m->artist_ptr, h->n_artists) * sizeof *m->artist_items, false);
	m->genre_name = take(r, (size_t)h->n_genres * sizeof *m->genre_name, false);
	m->genre_ptr = take(r, ((size_t)h->n_genres + 1) * sizeof *m->genre_ptr, true);
	if (r->bad || (m->genre_ptr && !offsets_ok(m->genre_ptr, h->n_genres, &end)))
		return -1;
	m->genre_items = take(r, (size_t)last(m->genre_ptr, h->n_genres) * sizeof *m->genre_items, false);
	m->popular = take(r, (size_t)h->n_popular * sizeof *m->popular, false);
	m->V = take(r, ((size_t)h->zero_row + 1) * k * sizeof *m->V, !k);
	m->row = take(r, n * sizeof *m->row, !k);
	m->G = take(r, k * k * sizeof *m->G, !k);
	m->centroid = take(r, (size_t)h->nlist * k * sizeof *m->centroid, !k);
	m->list_ptr = take(r, ((size_t)h->nlist + 1) * sizeof *m->list_ptr, !k);
	if (r->bad || (m->list_ptr && !offsets_ok(m->list_ptr, h->nlist, &end)))
		return -1;
	m->list_items = take(r, (size_t)last(m->list_ptr, h->nlist) * sizeof *m->list_items, !k);
	m->nb_ptr = take(r, (n + 1) * sizeof *m->nb_ptr, true);
	if (r->bad || (m->nb_ptr && !offsets_ok(m->nb_ptr, h->n_items, &end)))
		return -1;
	m->nb_item = take(r, (size_t)last(m->nb_ptr, h->n_items) * sizeof *m->nb_item, false);
	m->nb_sim = take(r, (size_t)last(m->nb_ptr, h->n_items) * sizeof *m->nb_sim, false);
	if (r->bad || r->left != 0)
		return -1;
	/* Every index within what it indexes; every name ends. */
	for (size_t i = 0; i < n; i++)
		m->item_id[i][RECS_ID_LEN] = '\0';
	for (int64_t i = 0; i < h->n_artists; i++)
		m->artist_id[i][RECS_ID_LEN] = '\0';
	for (int64_t i = 0; i < h->n_genres; i++)
		m->genre_name[i][sizeof m->genre_name[i] - 1] = '\0';
	if (!indexes_ok(m->artist, h->n_items, -1, h->n_artists) ||
	    !indexes_ok(m->genre, h->n_items, -1, h->n_genres) ||
	    !indexes_ok(m->artist_items, last(m->artist_ptr, h->n_artists), 0, h->n_items) ||
	    !indexes_ok(m->genre_items, last(m->genre_ptr, h->n_genres), 0, h->n_items) ||
	    !indexes_ok(m->popular, h->n_popular, 0, h->n_items) ||
	    !indexes_ok(m->nb_item, last(m->nb_ptr, h->n_items), 0, h->n_items))
		return -1;
	if (k && (!m->V || !m->row || !m->G || !m->list_ptr ||
	          !indexes_ok(m->row, h->n_items, 0, h->zero_row + 1) ||
	          !indexes_ok(m->list_items, last(m->list_ptr, h->nlist), 0, h->n_items)))
		return -1;
	return 0;
}

struct recs_model *recs_model_load(const char *path, char *err, size_t errlen)
{
	struct reader r = { 0 };
	struct recs_model *m = NULL;
	struct header h;
	struct stat st;

	if (!(r.f = fopen(path, "rb"))) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fileno(r.f), &st) < 0 || !S_ISREG(st.st_mode) ||
	    fread(&h, sizeof h, 1, r.f) != 1 || !header_ok(&h)) {
		snprintf(err, errlen, "%s: not a model this segue-server wrote", path);
		goto fail;
	}
	r.left = (long long)st.st_size - (long long)sizeof h;
	if (!(m = calloc(1, sizeof *m))) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	atomic_init(&m->refs, 1);
	m->n_items = (int)h.n_items;
	m->n_artists = (int)h.n_artists;
	m->n_genres = (int)h.n_genres;
	m->n_popular = (int)h.n_popular;
	m->k = (int)h.k;
	m->zero_row = (int32_t)h.zero_row;
	m->nlist = (int)h.nlist;
	m->catalog_only = h.catalog_only != 0;
	m->reg = h.reg;
	m->alpha = h.alpha;
	m->skip_weight = h.skip_weight;
	m->built_at_ms = h.built_at_ms;
	m->plays = h.plays;
	m->users = h.users;
	m->interactions = h.interactions;
	m->seconds = h.seconds;
	m->als_seconds = h.als_seconds;
	if (read_arrays(&r, &h, m) < 0) {
		snprintf(err, errlen, "%s: damaged (a length or an index out of bounds)", path);
		goto fail;
	}
	fclose(r.f);
	return m;
fail:
	recs_model_unref(m);
	fclose(r.f);
	return NULL;
}
