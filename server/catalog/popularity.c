/* Popularity, 0-100, from exact play counts with recent plays weighing more: each counted
 * play of the last 30 days adds exp(-age / 7 days), the lifetime count adds its logarithm,
 * and the result is scaled against the most popular track. Runs on the search worker's
 * connection, off the service loop, and writes in small transactions, each one statement,
 * so requests never wait long for the write lock. */
#include "config.h"
#include "catalog/popularity.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store/history.h"

#define BATCH 500
#define WINDOW_MS (30 * 86400000LL)
#define TAU_DAYS 7.0

int popularity_refresh(struct store *s, long long *plays_seen)
{
	long long plays = store_plays_mark(s);
	struct track_plays *tp = NULL;
	struct track_popularity *v = NULL;
	size_t n = 0, ntp = 0;
	double top = 0;
	int rc = -1;

	if (plays < 0)
		return -1;
	if (plays == *plays_seen)
		return 0;
	/* Scores for every track with plays; tracks without any keep popularity from their count. */
	if (store_track_plays(s, store_now_ms(), WINDOW_MS, TAU_DAYS, &tp, &ntp) < 0)
		return -1;
	if (ntp && !(v = malloc(ntp * sizeof *v)))
		goto out;
	for (size_t i = 0; i < ntp; i++) {
		double score = log1p((double)tp[i].play_count) * 0.5 + tp[i].recent;

		tp[i].recent = score; /* kept for the scaling pass */
		if (score > top)
			top = score;
	}
	for (size_t i = 0; i < ntp; i++) {
		int pop = top > 0 ? (int)lround(100.0 * log1p(tp[i].recent) / log1p(top)) : 0;

		if (pop == tp[i].popularity)
			continue;
		memcpy(v[n].id, tp[i].id, sizeof v[n].id);
		v[n++].popularity = pop;
	}
	for (size_t i = 0; i < n; i += BATCH) {
		if (store_begin(s) < 0)
			goto out;
		if (store_tracks_set_popularity(s, v + i, n - i < BATCH ? n - i : BATCH) < 0) {
			store_rollback(s);
			goto out;
		}
		if (store_commit(s) < 0) {
			store_rollback(s);
			goto out;
		}
	}
	if (n)
		log_info("popularity: %zu tracks changed", n);
	*plays_seen = plays;
	rc = 0;
out:
	free(tp);
	free(v);
	return rc;
}
