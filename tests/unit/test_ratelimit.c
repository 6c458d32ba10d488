#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "http/ratelimit.h"
#include "store/store.h"
#include "tap.h"

/* Two limiters counting in one database, as two instances over PostgreSQL do (the same
 * statements run on SQLite's copy of the table): the budget is one, however the requests
 * are spread, and the wait agrees with memory's. */
static void shared(void)
{
	char dir[] = "/tmp/segue-test-rl-XXXXXX", err[256], cmd[300];
	long limits[RL_NCATEGORIES] = { 0, 100, 30, 50, 25 };
	struct ratelimit a, b, mem;
	struct store s = { 0 };
	int64_t t = 1000000000;
	int allowed = 0;
	long wait = 0, mem_wait = 0;

	ok(mkdtemp(dir) != NULL, "temporary directory");
	ok(store_open(&s, dir, err, sizeof err) == 0, "a store (%s)", err);
	ok(ratelimit_init(&a, 64, 30, limits) == 0 && ratelimit_init(&b, 64, 30, limits) == 0 &&
	   ratelimit_init(&mem, 64, 30, limits) == 0, "three limiters");
	ratelimit_share(&a, &s);
	ratelimit_share(&b, &s);
	for (int i = 0; i < 40; i++) {
		wait = ratelimit_hit(i % 2 ? &a : &b, 7, RL_SEARCH, t + i);
		mem_wait = ratelimit_hit(&mem, 7, RL_SEARCH, t + i);
		allowed += !wait;
	}
	is_int(allowed, 30, "30 search requests pass over two limiters sharing a database");
	ok(wait >= 1 && wait == mem_wait, "the 41st waits as long as in memory (%ld, %ld)", wait,
	   mem_wait);
	is_int(ratelimit_hit(&a, 8, RL_SEARCH, t), 0, "another client has its own budget");
	is_int(ratelimit_hit(&b, 7, RL_STANDARD, t), 0, "another category has its own budget");
	wait = ratelimit_hit(&a, 7, RL_SEARCH, t + 20500);
	mem_wait = ratelimit_hit(&mem, 7, RL_SEARCH, t + 20500);
	ok(wait > 0 && wait == mem_wait,
	   "just into the next window the previous one still weighs, as in memory (%ld, %ld)", wait,
	   mem_wait);
	is_int(ratelimit_hit(&b, 7, RL_SEARCH, t + 91000), 0, "two windows later it is allowed again");
	/* A budget of 100 is taken five at a time: all of it is spent over two limiters, and a
	 * share one took and left unspent costs the client no more than that share. */
	allowed = 0;
	for (int i = 0; i < 120; i++)
		allowed += !ratelimit_hit(i % 2 ? &a : &b, 9, RL_STANDARD, t + i);
	is_int(allowed, 100, "100 standard requests pass over two limiters taking shares");
	allowed = !ratelimit_hit(&a, 10, RL_STANDARD, t);
	for (int i = 0; i < 120; i++)
		allowed += !ratelimit_hit(&b, 10, RL_STANDARD, t + i);
	is_int(allowed, 96, "one request on a, then b alone: a's unspent share of 5 is all that is lost");
	ratelimit_free(&a);
	ratelimit_free(&b);
	ratelimit_free(&mem);
	store_close(&s);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "# could not remove %s\n", dir);
}

int main(void)
{
	struct ratelimit rl;
	long limits[RL_NCATEGORIES] = { 0, 100, 30, 50, 25 };
	int allowed = 0;
	long wait = 0;
	int64_t t = 1000000000; /* start on a window boundary: 30 s windows */

	ok(ratelimit_init(&rl, 64, 30, limits) == 0, "init");
	for (int i = 0; i < 40; i++)
		if (!(wait = ratelimit_hit(&rl, 7, RL_SEARCH, t)))
			allowed++;
	is_int(allowed, 30, "30 search requests pass in one window");
	ok(wait >= 1 && wait <= 30, "the 31st waits between 1 and 30 s (%ld)", wait);
	is_int(ratelimit_hit(&rl, 7, RL_STANDARD, t), 0, "another category has its own budget");
	is_int(ratelimit_hit(&rl, 8, RL_SEARCH, t), 0, "another client has its own budget");
	ok(ratelimit_hit(&rl, 7, RL_SEARCH, t + 15000) > 0,
	   "half a window later the previous window still weighs");
	is_int(ratelimit_hit(&rl, 7, RL_SEARCH, t + 61000), 0, "two windows later it is allowed again");
	is_int(ratelimit_hit(&rl, 7, RL_NONE, t), 0, "uncategorised requests are never limited");
	/* Many clients: the table sweeps idle ones instead of growing without bound. */
	int refused = 0;
	for (uint64_t c = 100; c < 5100; c++)
		if (ratelimit_hit(&rl, c, RL_STANDARD, t + (int64_t)c * 100))
			refused++;
	is_int(refused, 0, "5000 distinct clients in turn are all served");
	ok(rl.used <= rl.size, "the table stays within its size");
	ratelimit_free(&rl);
	shared();
	return done();
}
