#include "config.h"
#include "searcher.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "popularity.h"
#include "store.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *worker(void *arg)
{
	struct searcher *sr = arg;
	struct store s;
	char err[512];
	long long seen = -1, plays_seen = -1;
	double next_popularity = 0;

	if (store_open(&s, sr->data_dir, err, sizeof err) < 0) {
		log_err("search: %s", err);
		return NULL;
	}
	pthread_mutex_lock(&sr->lock);
	while (!sr->stop) {
		struct search_index *old = sr->retired;
		long long v;

		sr->retired = NULL;
		pthread_mutex_unlock(&sr->lock);
		search_free(old);
		if (now_s() >= next_popularity) {
			/* Before reading the version: a refresh that changes anything bumps it. */
			if (popularity_refresh(&s, &plays_seen) < 0)
				log_warn("popularity: refresh failed: %s", sqlite3_errmsg(s.db));
			next_popularity = now_s() + sr->popularity_interval;
		}
		v = store_catalog_version(&s);
		if (v != seen) {
			double t0 = now_s();
			struct search_index *ix = search_build(&s, err, sizeof err);

			if (!ix) {
				log_err("search: %s", err);
			} else {
				seen = v;
				sr->last_build_s = now_s() - t0;
				log_info("search: indexed %ld tracks, %ld artists, %ld albums, %ld playlists in %.2f s",
				         search_count(ix, ST_TRACK), search_count(ix, ST_ARTIST),
				         search_count(ix, ST_ALBUM), search_count(ix, ST_PLAYLIST), sr->last_build_s);
				/* An index built before but never taken is superseded. */
				search_free(atomic_exchange(&sr->fresh, ix));
			}
		}
		pthread_mutex_lock(&sr->lock);
		if (!sr->stop && !sr->retired) {
			struct timespec until;

			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_nsec += 500000000;
			if (until.tv_nsec >= 1000000000) {
				until.tv_sec++;
				until.tv_nsec -= 1000000000;
			}
			pthread_cond_timedwait(&sr->wake, &sr->lock, &until);
		}
	}
	pthread_mutex_unlock(&sr->lock);
	store_close(&s);
	return NULL;
}

int searcher_start(struct searcher *sr, const char *data_dir, long popularity_interval)
{
	memset(sr, 0, sizeof *sr);
	sr->popularity_interval = (double)popularity_interval;
	snprintf(sr->data_dir, sizeof sr->data_dir, "%s", data_dir);
	atomic_init(&sr->fresh, NULL);
	pthread_mutex_init(&sr->lock, NULL);
	pthread_cond_init(&sr->wake, NULL);
	if (pthread_create(&sr->thread, NULL, worker, sr) != 0)
		return -1;
	sr->started = true;
	return 0;
}

const struct search_index *searcher_get(struct searcher *sr)
{
	struct search_index *ix = atomic_exchange(&sr->fresh, NULL);

	if (ix) {
		pthread_mutex_lock(&sr->lock);
		if (sr->retired) {
			/* the worker has not freed the previous one yet: keep it waiting a turn */
			struct search_index *older = sr->retired;
			sr->retired = NULL;
			pthread_mutex_unlock(&sr->lock);
			search_free(older);
			pthread_mutex_lock(&sr->lock);
		}
		sr->retired = sr->current;
		sr->current = ix;
		pthread_cond_signal(&sr->wake);
		pthread_mutex_unlock(&sr->lock);
	}
	return sr->current;
}

void searcher_stop(struct searcher *sr)
{
	if (!sr->started)
		return;
	pthread_mutex_lock(&sr->lock);
	sr->stop = true;
	pthread_cond_signal(&sr->wake);
	pthread_mutex_unlock(&sr->lock);
	pthread_join(sr->thread, NULL);
	search_free(sr->retired);
	search_free(atomic_exchange(&sr->fresh, NULL));
	search_free(sr->current);
	pthread_mutex_destroy(&sr->lock);
	pthread_cond_destroy(&sr->wake);
	sr->started = false;
}
