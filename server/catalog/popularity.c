/* Popularity, 0-100, from exact play counts with recent plays weighing more: each counted
 * play of the last 30 days adds exp(-age / 7 days), the lifetime count adds its logarithm,
 * and the result is scaled against the most popular track. Runs on the search worker's
 * connection, off the service loop, and writes in small transactions so requests never wait
 * long for the write lock. */
#include "config.h"
#include "catalog/popularity.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#define BATCH 500
#define DAY_MS (86400.0 * 1000)

static void recent_score(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	double age_days = (double)(sqlite3_value_int64(argv[1]) - sqlite3_value_int64(argv[0])) / DAY_MS;

	(void)argc;
	sqlite3_result_double(ctx, exp(-age_days / 7.0));
}

struct change {
	char id[23];
	int pop;
};

int popularity_refresh(struct store *s, long long *plays_seen)
{
	sqlite3_stmt *st;
	long long plays = 0, now = store_now_ms();
	struct change *v = NULL;
	size_t n = 0, cap = 0;
	double top = 0;
	int rc = -1;

	if (sqlite3_prepare_v2(s->db, "SELECT coalesce(max(rowid), 0) + count(*) FROM plays", -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		plays = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (plays == *plays_seen)
		return 0;
	sqlite3_create_function(s->db, "segue_recent", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
	                        recent_score, NULL, NULL);
	/* Scores for every track with plays; tracks without any keep popularity from their count. */
	if (sqlite3_prepare_v2(s->db,
		"SELECT t.id, t.popularity, ln(1 + t.play_count) * 0.5 + coalesce(r.score, 0)"
		" FROM tracks t LEFT JOIN (SELECT track_id, sum(segue_recent(started_at, ?1)) AS score"
		"  FROM plays WHERE counted AND started_at > ?1 - 30 * 86400000 GROUP BY track_id) r"
		"  ON r.track_id = t.id WHERE t.play_count > 0 OR r.score IS NOT NULL", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, now);
	struct scored { char id[23]; int old; double score; } *sc = NULL;
	size_t ns = 0, scap = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (ns == scap) {
			scap = scap ? scap * 2 : 4096;
			void *p = realloc(sc, scap * sizeof *sc);
			if (!p)
				goto out;
			sc = p;
		}
		snprintf(sc[ns].id, sizeof sc[ns].id, "%s", store_col_text(st, 0));
		sc[ns].old = sqlite3_column_int(st, 1);
		sc[ns].score = sqlite3_column_double(st, 2);
		if (sc[ns].score > top)
			top = sc[ns].score;
		ns++;
	}
	sqlite3_finalize(st);
	st = NULL;
	for (size_t i = 0; i < ns; i++) {
		int pop = top > 0 ? (int)lround(100.0 * log1p(sc[i].score) / log1p(top)) : 0;

		if (pop == sc[i].old)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 1024;
			void *p = realloc(v, cap * sizeof *v);
			if (!p)
				goto out;
			v = p;
		}
		memcpy(v[n].id, sc[i].id, sizeof v[n].id);
		v[n].pop = pop;
		n++;
	}
	for (size_t i = 0; i < n; i += BATCH) {
		if (store_begin(s) < 0)
			goto out;
		for (size_t k = i; k < n && k < i + BATCH; k++) {
			sqlite3_stmt *u = store_stmt(s, "UPDATE tracks SET popularity = ? WHERE id = ?");

			if (!u) {
				store_rollback(s);
				goto out;
			}
			sqlite3_bind_int(u, 1, v[k].pop);
			store_bind_text(u, 2, v[k].id);
			sqlite3_step(u);
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
	if (st)
		sqlite3_finalize(st);
	free(sc);
	free(v);
	return rc;
}
