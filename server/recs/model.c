/* Building the recommendation model (server/recs/model.h) from the store: the catalog
 * (model_catalog.c), then every user's plays in one ordered scan (model_listening.c: each user's
 * interactions and listening sessions), then co-occurrence neighbours (model_cooccurrence.c),
 * then ALS and the index over its item factors (model_ivf.c). This file runs those steps, in the
 * order that keeps peak memory low: the sessions are freed before the factors exist. */
#include "config.h"
#include "recs/model_build.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#ifdef HAVE_MALLOC_H
#include <malloc.h>
#endif

#include "fileio.h"
#include "log.h"
#include "recs/pfor.h"

void recs_params_default(struct recs_params *p)
{
	*p = (struct recs_params){
		.factors = 64, .iterations = 12, .cg_steps = 3, .threads = 0,
		.reg = 0.1f, .alpha = 10.0f, .skip_weight = 2.0f, .neighbours = 30,
	};
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void *recs_vec_push(struct vec *v, size_t count)
{
	/* Nothing to add (an item with no neighbours): no pointer arithmetic on a vector that
	 * may still be empty, which is undefined on its NULL. */
	if (!count)
		return v->p;
	if (v->n + count > v->cap) {
		size_t cap = v->cap ? v->cap : 1024;
		void *p;

		while (cap < v->n + count)
			cap += cap / 2;
		if (!(p = realloc(v->p, cap * v->size)))
			return NULL;
		v->p = p;
		v->cap = cap;
	}
	v->n += count;
	return (char *)v->p + (v->n - count) * v->size;
}

/* Hands freed memory back between phases: each phase's scratch is freed in the arenas of the
 * threads that made it, and glibc would otherwise keep it, counted against the next phase. */
void recs_give_back(void)
{
#ifdef HAVE_MALLOC_TRIM
	malloc_trim(0);
#endif
}

/* ---- the whole build ---- */

static void scan_free(struct scan *sc)
{
	free(sc->ptr.p);
	free(sc->col.p);
	free(sc->conf.p);
	free(sc->seq.p);
	free(sc->held_user.p);
	free(sc->held_row.p);
	free(sc->held_ptr.p);
	free(sc->held_item.p);
}


/* Sets v's contents aside on disk, next to the database, and frees them: the session sequence
 * while ALS runs (it would sit beside both factor matrices and the plays both ways, unused until
 * mining), the item factors while co-occurrence is mined. Returns an unlinked file's descriptor,
 * or -1, and then v stays in memory: a full disk costs memory, not the training. */
static int spill(struct store *s, struct vec *v)
{
	const char *db = store_file(s);
	char path[4096];
	int fd;

	if (!db || !*db || snprintf(path, sizeof path, "%s.recs-XXXXXX", db) >= (int)sizeof path ||
	    (fd = mkstemp(path)) < 0)
		return -1;
	unlink(path);
	if (fd_write_all(fd, v->p, v->n * v->size) < 0) {
		/* a full disk, say: keep it in memory instead */
		log_warn("recommendations: cannot set %zu MiB aside on disk (%s): training holds it",
		         v->n * v->size >> 20, strerror(errno));
		close(fd);
		return -1;
	}
	free(v->p);
	v->p = NULL;
	return fd;
}

static int unspill(int fd, struct vec *v)
{
	size_t bytes = v->n * v->size, done = 0;

	if (!(v->p = malloc(bytes + v->size)))
		return -1;
	v->cap = v->n;
	while (done < bytes) {
		ssize_t r = pread(fd, (char *)v->p + done, bytes - done, (off_t)done);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0)
				errno = 0;
			return -1;
		}
		done += (size_t)r;
	}
	return 0;
}

static void memlog(const char *what)
{
	char line[256];
	FILE *f;

	if (!getenv("SEGUE_MEMLOG") || !(f = fopen("/proc/self/status", "r")))
		return;
	while (fgets(line, sizeof line, f))
		if (!strncmp(line, "VmRSS", 5) || !strncmp(line, "VmHWM", 5))
			fprintf(stderr, "memlog %s: %s", what, line);
	fclose(f);
}

struct recs_model *recs_model_build(struct store *s, const struct recs_params *p, struct recs_heldout *held,
                                    const atomic_bool *stop, char *err, size_t errlen)
{
	struct recs_model *m = calloc(1, sizeof *m);
	struct scan sc = { .p = p, .ptr = { .size = sizeof(int64_t) }, .col = { .size = sizeof(int32_t) },
	                   .conf = { .size = sizeof(float) }, .seq = { .size = sizeof(int32_t) },
	                   .held_user = { .size = 64 }, .held_row = { .size = sizeof(int32_t) }, .held_ptr = { .size = sizeof(int64_t) },
	                   .held_item = { .size = sizeof(int32_t) } };
	struct idmap im = { 0 };
	int32_t *duration = NULL;
	int threads = p->threads > 0 ? p->threads : pfor_cpus();
	int64_t playlists_at = 0;
	struct vec ranges = { .size = sizeof(struct list_range) };
	double t0 = mono_s();
	float *X = NULL;
	int seq_fd = -1, v_fd = -1;
	struct vec v_spilled = { 0 };

	if (!m) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	atomic_init(&m->refs, 1);
	m->built_at_ms = now_ms();
	m->reg = p->reg;
	m->alpha = p->alpha;
	m->skip_weight = p->skip_weight;
	m->catalog_only = p->catalog_only;
	if (held)
		memset(held, 0, sizeof *held);
	/* One read transaction: the catalog and the plays seen are of one moment. */
	if (store_snapshot_begin(s, false) < 0) {
		snprintf(err, errlen, "cannot begin a read");
		goto fail;
	}
	if (recs_load_catalog(s, m, &duration, err, errlen) < 0)
		goto fail_tx;
	sc.m = m;
	sc.duration = duration;
	if (recs_idmap_build(&im, m) < 0) {
		snprintf(err, errlen, "out of memory");
		goto fail_tx;
	}
	if (!p->catalog_only && recs_scan_plays(s, &sc, &im, stop, err, errlen) < 0)
		goto fail_tx;
	if (!p->catalog_only && (recs_scan_playlists(s, &sc, &im, &playlists_at, &ranges) < 0 ||
	                         recs_scan_playlist_words(s, &sc, &ranges) < 0)) {
		free(ranges.p);
		snprintf(err, errlen, "reading playlists: out of memory, or the store failed");
		goto fail_tx;
	}
	free(ranges.p);
	store_snapshot_end(s, false);
	memlog("scanned");
	free(im.slot);
	im.slot = NULL;
	free(duration);
	duration = NULL;
	m->plays = sc.plays;
	m->users = sc.users;
	m->interactions = (long long)sc.col.n;
	if (p->holdout > 0)
		recs_pop_from_rows(m, sc.col.p, sc.conf.p, sc.col.n);
	if (recs_group_catalog(m) < 0)
		goto oom;
	if (sc.col.n && p->factors > 0 && (seq_fd = spill(s, &sc.seq)) >= 0)
		recs_give_back();
	if (sc.col.n && p->factors > 0) {
		struct als_matrix ui = { (int)sc.users, m->n_items, sc.ptr.p, sc.col.p, sc.conf.p }, iu;
		struct als_params ap = { p->factors, p->iterations, p->cg_steps, p->reg, threads, 42 };
		double t1 = mono_s();

		m->k = p->factors;
		if (als_transpose(&ui, &iu) < 0)
			goto oom;
		X = malloc((size_t)ui.rows * m->k * sizeof *X);
		m->V = malloc(((size_t)m->n_items + 1) * m->k * sizeof *m->V);
		m->G = malloc((size_t)m->k * m->k * sizeof *m->G);
		if (!X || !m->V || !m->G) {
			als_matrix_free(&iu);
			goto oom;
		}
		memlog("als start");
		if (als_train(&ui, &iu, &ap, X, m->V, stop) < 0) {
			als_matrix_free(&iu);
			snprintf(err, errlen, "training stopped");
			goto fail;
		}
		memlog("als done");
		als_matrix_free(&iu);
		free(X);
		X = NULL;
		recs_give_back();
		als_gram(m->V, m->n_items, m->k, threads, m->G);
		m->als_seconds = mono_s() - t1;
		if (recs_build_ivf(m, threads) < 0)
			goto oom;
	}
	/* Co-occurrence last, from the sessions set aside; the plays matrix is done with unless
	 * the evaluation wants it back. */
	if (!held) {
		free(sc.ptr.p);
		free(sc.col.p);
		free(sc.conf.p);
		sc.ptr.p = sc.col.p = sc.conf.p = NULL;
	}
	if (seq_fd >= 0) {
		int rc = unspill(seq_fd, &sc.seq);

		close(seq_fd);
		seq_fd = -1;
		if (rc < 0) {
			snprintf(err, errlen, "cannot read back the sessions set aside: %s", errno ? strerror(errno) : "short read");
			goto fail;
		}
	}
	/* Mining needs the sessions, not the factors: those wait on disk meanwhile, so the two
	 * big phases never hold their working sets at once. */
	if (m->V) {
		v_spilled = (struct vec){ m->V, ((size_t)m->zero_row + 1) * (size_t)m->k, 0, sizeof *m->V };
		if ((v_fd = spill(s, &v_spilled)) >= 0)
			m->V = NULL;
		recs_give_back();
	}
	memlog("neighbours start");
	if (!p->catalog_only && recs_build_neighbours(m, &sc, playlists_at, threads, p->neighbours) < 0) {
		snprintf(err, errlen, "out of memory mining co-occurrence");
		goto fail;
	}
	free(sc.seq.p);
	sc.seq = (struct vec){ .size = sizeof(int32_t) };
	recs_give_back();
	if (v_fd >= 0) {
		int rc = unspill(v_fd, &v_spilled);

		close(v_fd);
		v_fd = -1;
		if (rc < 0) {
			free(v_spilled.p);
			snprintf(err, errlen, "cannot read back the factors set aside: %s", errno ? strerror(errno) : "short read");
			goto fail;
		}
		m->V = v_spilled.p;
	}
	if (stop && *stop) {
		snprintf(err, errlen, "stopped");
		goto fail;
	}
	if (held) {
		held->users = (int)sc.held_user.n;
		held->user = sc.held_user.p;
		held->row = sc.held_row.p;
		held->ptr = sc.held_ptr.p;
		held->item = sc.held_item.p;
		held->train = (struct als_matrix){ (int)sc.users, m->n_items, sc.ptr.p, sc.col.p, sc.conf.p };
		sc.held_user.p = sc.held_row.p = sc.held_ptr.p = sc.held_item.p = NULL;
		sc.ptr.p = sc.col.p = sc.conf.p = NULL;
	}
	memlog("built");
	scan_free(&sc);
	m->seconds = mono_s() - t0;
	return m;
oom:
	snprintf(err, errlen, "out of memory training");
	goto fail;
fail_tx:
	store_snapshot_end(s, false);
fail:
	if (seq_fd >= 0)
		close(seq_fd);
	if (v_fd >= 0)
		close(v_fd);
	free(X);
	free(im.slot);
	free(duration);
	scan_free(&sc);
	recs_model_unref(m);
	return NULL;
}

void recs_heldout_free(struct recs_heldout *h)
{
	als_matrix_free(&h->train);
	free(h->user);
	free(h->row);
	free(h->ptr);
	free(h->item);
	memset(h, 0, sizeof *h);
}

struct recs_model *recs_model_ref(struct recs_model *m)
{
	if (m)
		atomic_fetch_add(&m->refs, 1);
	return m;
}

void recs_model_unref(struct recs_model *m)
{
	if (!m || atomic_fetch_sub(&m->refs, 1) != 1)
		return;
	free(m->item_id);
	free(m->artist);
	free(m->genre);
	free(m->released);
	free(m->pop);
	free(m->feat);
	free(m->restricted);
	free(m->artist_id);
	free(m->artist_ptr);
	free(m->artist_items);
	free(m->genre_name);
	free(m->genre_ptr);
	free(m->genre_items);
	free(m->popular);
	free(m->V);
	free(m->row);
	free(m->G);
	free(m->centroid);
	free(m->list_ptr);
	free(m->list_items);
	free(m->nb_ptr);
	free(m->nb_item);
	free(m->nb_sim);
	free(m);
}
