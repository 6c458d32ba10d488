#include "config.h"

#include "accounts/guard.h"
#include "accounts/throttle.h"
#include "tap.h"

int main(void)
{
	struct throttle_policy p = { 3, 1000, 8000, 3600 * 1000 };
	struct throttle t;
	int64_t now = 1000000000;
	uint64_t k, hot;
	char addr[GUARD_ADDRESS_MAX];

	if (sodium_init() < 0)
		return 1;
	ok(throttle_init(&t, 100) == 0 && t.size == 128, "init rounds the table up to a power of two");
	k = throttle_key(&t, "login", "alice", "127.0.0.1");
	ok(k != throttle_key(&t, "login", "alic", "e127.0.0.1"), "the parts of a key stay apart");
	ok(k != throttle_key(&t, "login-address", "alice", "127.0.0.1"), "so do kinds");
	for (int i = 0; i < 2; i++)
		throttle_count(&t, k, &p, now);
	is_int(throttle_wait(&t, k, now), 0, "two tries of three free: no wait");
	throttle_count(&t, k, &p, now);
	is_int(throttle_wait(&t, k, now), 1000, "the third: 1 s");
	throttle_count(&t, k, &p, now + 1000);
	is_int(throttle_wait(&t, k, now + 1000), 2000, "the fourth: 2 s");
	throttle_count(&t, k, &p, now + 3000);
	is_int(throttle_wait(&t, k, now + 3000), 4000, "the fifth: 4 s");
	throttle_restart(&t, k, &p, now + 3500);
	is_int(throttle_wait(&t, k, now + 3500), 4000, "restarted half a second later: 4 s from then");
	throttle_restart(&t, k, &p, now + 3000);
	is_int(throttle_wait(&t, k, now + 3500), 4000, "a restart never shortens a wait");
	for (int i = 0; i < 50; i++)
		throttle_count(&t, k, &p, now + 10000);
	is_int(throttle_wait(&t, k, now + 10000), 8000, "capped at the policy's longest wait");
	throttle_uncount(&t, k, &p);
	is_int(throttle_wait(&t, k, now + 10000), 8000, "taking one back from far past the cap: still capped");
	throttle_clear(&t, k);
	is_int(throttle_wait(&t, k, now + 10000), 0, "cleared: no wait");
	for (int i = 0; i < 3; i++)
		throttle_count(&t, k, &p, now + 20000);
	throttle_uncount(&t, k, &p);
	is_int(throttle_wait(&t, k, now + 20000), 0, "the third taken back: its wait goes with it");
	throttle_count(&t, k, &p, now + 20000);
	throttle_count(&t, k, &p, now + 20000 + 1000 + 3600 * 1000);
	is_int(throttle_wait(&t, k, now + 20000 + 1000 + 3600 * 1000), 0,
	       "an hour quiet after its wait: counted from zero again");

	/* A flood of one-off keys cannot push out a key under attack, and the table never grows. */
	hot = throttle_key(&t, "login", "victim", "10.0.0.1");
	for (int i = 0; i < 20; i++)
		throttle_count(&t, hot, &p, now);
	for (int i = 0; i < 100000; i++) {
		char name[32];

		snprintf(name, sizeof name, "one-off-%d", i);
		throttle_count(&t, throttle_key(&t, "login", name, "10.0.0.2"), &p, now + 1);
	}
	ok(t.size == 128 && t.used * 4 <= t.size * 3, "100000 keys: the table keeps its 128 slots (%u used)",
	   t.used);
	is_int(throttle_wait(&t, hot, now + 1), 7999, "the key tried hardest keeps its wait");
	throttle_free(&t);

	guard_address("127.0.0.1", addr);
	is_str(addr, "127.0.0.1", "IPv4 as it is");
	guard_address("::ffff:192.0.2.7", addr);
	is_str(addr, "192.0.2.7", "IPv4-mapped IPv6 as IPv4");
	guard_address("2001:db8:1:2:aaaa:bbbb:cccc:dddd", addr);
	is_str(addr, "2001:db8:1:2::", "IPv6 by its /64");
	guard_address("", addr);
	is_str(addr, "", "an unknown peer is one address of its own");
	return done();
}
