#include "config.h"
#include "store/ratelimit.h"

#include "store/store_db.h"

struct counts {
	long long cur, prev;
};

static void fill_counts(struct db_stmt *st, void *out)
{
	struct counts *c = out;

	c->cur = db_col_int64(st, 0);
	c->prev = db_col_int64(st, 1);
}

int store_ratelimit_take(struct store *s, long long key, long long win, double weight, long limit,
                         long amount, long long *cur, long long *prev)
{
	/* The insert takes a first share only when the previous window leaves room; the update
	 * re-checks on the row it has locked, so a concurrent take is seen. */
	struct db_stmt *st = store_stmt(s,
		"INSERT INTO ratelimit_hits (key, win, n)"
		" SELECT CAST(?1 AS BIGINT), CAST(?2 AS BIGINT), CAST(?5 AS BIGINT)"
		" WHERE CAST(?3 AS DOUBLE PRECISION) * COALESCE((SELECT p.n FROM ratelimit_hits p"
		"   WHERE p.key = ?1 AND p.win = ?2 - 1), 0) + CAST(?5 AS BIGINT) <= ?4"
		" ON CONFLICT (key, win) DO UPDATE SET n = ratelimit_hits.n + CAST(?5 AS BIGINT)"
		" WHERE ratelimit_hits.n + CAST(?5 AS BIGINT) + CAST(?3 AS DOUBLE PRECISION) *"
		"   COALESCE((SELECT p.n FROM ratelimit_hits p WHERE p.key = ?1 AND p.win = ?2 - 1), 0)"
		"   <= ?4"
		" RETURNING n");
	struct counts c = { 0, 0 };
	int rc;

	if (!st)
		return -1;
	db_bind_int64(st, 1, key);
	db_bind_int64(st, 2, win);
	db_bind_double(st, 3, weight);
	db_bind_int64(st, 4, limit);
	db_bind_int64(st, 5, amount);
	if ((rc = store_one(s, st, "counting requests", NULL, NULL)) != 0)
		return rc;
	st = store_stmt(s, "SELECT COALESCE(SUM(n) FILTER (WHERE win = ?2), 0),"
	                   " COALESCE(SUM(n) FILTER (WHERE win = ?2 - 1), 0)"
	                   " FROM ratelimit_hits WHERE key = ?1 AND win >= ?2 - 1 AND win <= ?2");
	if (!st)
		return -1;
	db_bind_int64(st, 1, key);
	db_bind_int64(st, 2, win);
	if (store_one(s, st, "a request's counts", fill_counts, &c) < 0)
		return -1;
	*cur = c.cur;
	*prev = c.prev;
	return 0;
}

int store_ratelimit_trim(struct store *s, long long win)
{
	struct db_stmt *st = store_stmt(s, "DELETE FROM ratelimit_hits WHERE win < ?");

	if (!st)
		return -1;
	db_bind_int64(st, 1, win);
	return store_done(s, st, "dropping old request counts");
}
