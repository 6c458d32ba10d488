#include "config.h"

#include "http/ratelimit.h"
#include "tap.h"

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
	return done();
}
