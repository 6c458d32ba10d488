#include "config.h"
#include "search/searcher.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "catalog/popularity.h"
#include "store/store.h"

/* A delta costs time in proportion to its rows at every change and at every query; past
 * this many logged changes, or this age, building the base again is cheaper. */
#define DELTA_MAX_CHANGES 20000
#define BASE_MAX_AGE_S 3600.0
#define POLL_MS 100

/* Several servers may share one PostgreSQL database, and so one change log, each following it
 * from a base of its own. A base older than BASE_MAX_AGE_S is built again before another
 * delta is read over it, so no server reads the log below the head it had BASE_MAX_AGE_S
 * ago; trimming up to the head of twice that ago, which this server's own builds recorded,
 * leaves every server every change it may still read. Trimming up to its new base at once,
 * a server took from the others the changes their deltas are read from, and they lost
 * renames and removals until their own next build. (On SQLite the one server trims up to
 * its base.) At most MARKS builds are remembered: forgetting the oldest only trims later. */
#define MARKS 64

struct marks {
	double at[MARKS];
	long long seq[MARKS];
	int n;
};

/* Records a build of seq at now; returns how far the log may be trimmed (0: not at all). */
static long long trim_point(struct marks *m, double now, long long seq)
{
	long long point = 0;
	int first = 0;

	for (int i = 0; i < m->n; i++)
		if (m->at[i] <= now - 2 * BASE_MAX_AGE_S) {
			point = m->seq[i];
			first = i; /* the marks before it will never be the point again */
		}
	if (m->n - first == MARKS)
		first++;
	memmove(m->at, m->at + first, (size_t)(m->n - first) * sizeof *m->at);
	memmove(m->seq, m->seq + first, (size_t)(m->n - first) * sizeof *m->seq);
	m->n -= first;
	m->at[m->n] = now;
	m->seq[m->n++] = seq;
	return point;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void view_free(struct search_view *v)
{
	if (!v)
		return;
	search_free(v->delta); /* before its base */
	search_free(v->base);
	free(v);
}

/* Hands a view over; delta becomes the view's. False when there was no memory for it. */
static bool publish(struct searcher *sr, struct search_index *base, struct search_index *delta)
{
	struct search_view *v = malloc(sizeof *v);

	if (!v) {
		log_err("search: out of memory");
		search_free(delta);
		return false;
	}
	v->base = search_hold(base);
	v->delta = delta;
	/* A view built before but never taken is superseded. */
	view_free(atomic_exchange(&sr->fresh, v));
	return true;
}

static long all_docs(const struct search_index *ix)
{
	long n = 0;

	for (int ty = 0; ty < ST_NTYPES; ty++)
		n += search_count(ix, ty);
	return n;
}

/* One look at the change log: a new base, a new delta, or nothing. *base is the worker's
 * hold on the base. */
static void follow(struct searcher *sr, struct store *s, struct search_index **base, long long *delta_seq,
                   double *base_at, struct marks *marks)
{
	long long head = store_search_head(s);
	struct search_index *ix;
	char err[512];
	double t0 = now_s();
	long long upto;

	if (head < 0) {
		log_err("search: the change log cannot be read; trying again at the next look");
		return;
	}
	if (*base && head == *delta_seq)
		return;
	if (!*base || head - search_seq(*base) > DELTA_MAX_CHANGES + all_docs(*base) / 16 ||
	    t0 - *base_at > BASE_MAX_AGE_S) {
		if (!(ix = search_build(s, err, sizeof err))) {
			log_err("search: %s", err);
			return;
		}
		log_info("search: indexed %ld tracks, %ld artists, %ld albums, %ld playlists in %.2f s",
		         search_count(ix, ST_TRACK), search_count(ix, ST_ARTIST), search_count(ix, ST_ALBUM),
		         search_count(ix, ST_PLAYLIST), now_s() - t0);
		search_free(*base);
		*base = ix;
		*base_at = t0;
		*delta_seq = publish(sr, ix, NULL) ? search_seq(ix) : -1;
		/* The log up to here is in the base; a later delta reads only what follows. */
		upto = store_is_postgres(s) ? trim_point(marks, t0, search_seq(ix)) : search_seq(ix);
		if (upto > 0 && store_search_trim(s, upto) < 0)
			log_warn("search: the change log was not trimmed; the next full build trims it");
		return;
	}
	if (!(ix = search_build_delta(s, *base, err, sizeof err))) {
		log_err("search: %s", err);
		return;
	}
	log_debug("search: %lld changes taken in (%ld docs new or changed, %ld superseded) in %.3f s",
	          search_seq(ix) - search_seq(*base), all_docs(ix), search_superseded(ix), now_s() - t0);
	/* Not handed over: the next look builds it again. */
	if (publish(sr, *base, ix))
		*delta_seq = search_seq(ix);
}

static void *worker(void *arg)
{
	struct searcher *sr = arg;
	struct search_index *base = NULL;
	struct store s;
	char err[512];
	long long plays_seen = -1, delta_seq = 0;
	double next_popularity = 0, base_at = 0;
	struct marks marks = { .n = 0 };

	if (store_open(&s, sr->database, err, sizeof err) < 0) {
		log_err("search: %s", err);
		return NULL;
	}
	pthread_mutex_lock(&sr->w.lock);
	while (!sr->w.stop) {
		struct search_view *old = sr->retired;

		sr->retired = NULL;
		pthread_mutex_unlock(&sr->w.lock);
		view_free(old);
		/* The index first: at start-up search answers as soon as it is built, not after a
		 * refresh that may touch every track. What a refresh changes is logged and followed
		 * at the next turn. */
		follow(sr, &s, &base, &delta_seq, &base_at, &marks);
		if (base && now_s() >= next_popularity) {
			if (popularity_refresh(&s, &plays_seen) < 0)
				log_warn("popularity: the refresh failed; trying again in %.0f s", (double)sr->popularity_interval);
			next_popularity = now_s() + sr->popularity_interval;
		}
		pthread_mutex_lock(&sr->w.lock);
		if (!sr->retired)
			worker_wait(&sr->w, POLL_MS);
	}
	pthread_mutex_unlock(&sr->w.lock);
	search_free(base);
	store_close(&s);
	return NULL;
}

int searcher_start(struct searcher *sr, const char *database, long popularity_interval)
{
	memset(sr, 0, sizeof *sr);
	sr->popularity_interval = (double)popularity_interval;
	snprintf(sr->database, sizeof sr->database, "%s", database);
	atomic_init(&sr->fresh, NULL);
	return worker_start(&sr->w, 1, worker, sr);
}

const struct search_view *searcher_get(struct searcher *sr)
{
	struct search_view *v = atomic_exchange(&sr->fresh, NULL);

	if (v) {
		pthread_mutex_lock(&sr->w.lock);
		if (sr->retired) {
			/* the worker has not freed the previous one yet: keep it waiting a turn */
			struct search_view *older = sr->retired;
			sr->retired = NULL;
			pthread_mutex_unlock(&sr->w.lock);
			view_free(older);
			pthread_mutex_lock(&sr->w.lock);
		}
		sr->retired = sr->current;
		sr->current = v;
		pthread_cond_signal(&sr->w.wake);
		pthread_mutex_unlock(&sr->w.lock);
	}
	return sr->current;
}

void searcher_stop(struct searcher *sr)
{
	if (!sr->w.ready)
		return;
	worker_stop(&sr->w);
	view_free(sr->retired);
	view_free(atomic_exchange(&sr->fresh, NULL));
	view_free(sr->current);
	sr->retired = sr->current = NULL;
}
