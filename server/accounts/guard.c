#include "config.h"
#include "accounts/guard.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "accounts/users.h"
#include "log.h"

#define GUARD_TABLE (1u << 15) /* 32 bytes each: 1 MiB, whoever knocks */
#define HOUR_MS (3600 * 1000LL)

int guard_init(struct guard *g, const struct guard_limits *l)
{
	memset(g, 0, sizeof *g);
	g->pair = (struct throttle_policy){ (uint32_t)l->login_free_tries, 1000,
	                                    l->login_max_wait * 1000, HOUR_MS };
	g->address = (struct throttle_policy){ (uint32_t)l->login_address_tries, 1000,
	                                       l->login_max_wait * 1000, HOUR_MS };
	g->signup = (struct throttle_policy){ (uint32_t)l->register_tries, 60 * 1000, HOUR_MS,
	                                      24 * HOUR_MS };
	return throttle_init(&g->t, GUARD_TABLE);
}

void guard_free(struct guard *g)
{
	throttle_free(&g->t);
}

void guard_address(const char *peer, char out[GUARD_ADDRESS_MAX])
{
	unsigned char a[16];

	if (inet_pton(AF_INET6, peer, a) == 1) {
		static const unsigned char mapped[12] = { [10] = 0xff, [11] = 0xff };

		if (!memcmp(a, mapped, sizeof mapped)) {
			inet_ntop(AF_INET, a + 12, out, GUARD_ADDRESS_MAX);
			return;
		}
		memset(a + 8, 0, 8);
		inet_ntop(AF_INET6, a, out, GUARD_ADDRESS_MAX);
		return;
	}
	snprintf(out, GUARD_ADDRESS_MAX, "%s", peer);
}

/* Names are unique without regard to case, so "Alice" and "alice" share their count. */
static void fold(const char *name, char out[USER_NAME_MAX + 1])
{
	size_t i;

	for (i = 0; name[i] && i < USER_NAME_MAX; i++)
		out[i] = (char)tolower((unsigned char)name[i]);
	out[i] = '\0';
}

static const char *shown(const char *address)
{
	return *address ? address : "an unknown address";
}

static long seconds(int64_t ms)
{
	return (long)((ms + 999) / 1000);
}

long guard_login(struct guard *g, const char *name, const char *address, int64_t now_ms)
{
	char folded[USER_NAME_MAX + 1];
	uint64_t pair, addr;
	int64_t wait, other;

	fold(name, folded);
	pair = throttle_key(&g->t, "login", folded, address);
	addr = throttle_key(&g->t, "login-address", address, "");
	wait = throttle_wait(&g->t, pair, now_ms);
	if ((other = throttle_wait(&g->t, addr, now_ms)) > wait)
		wait = other;
	if (wait > 0)
		return seconds(wait);
	/* Counted now, not when the hash says no: guesses sent all at once are counted as
	 * they come, before any of them is checked. */
	/* Said once per key as its waits begin, for whoever watches the log (fail2ban...). The
	 * name is the client's: one that is not a valid user name is not written out. */
	if (throttle_count(&g->t, pair, &g->pair, now_ms) == g->pair.free)
		log_warn("login: %u tries for %s from %s: further ones wait", g->pair.free,
		         user_name_valid(name) ? name : "(an invalid name)", shown(address));
	if (throttle_count(&g->t, addr, &g->address, now_ms) == g->address.free)
		log_warn("login: %u tries from %s, whatever the account: further ones wait",
		         g->address.free, shown(address));
	return 0;
}

void guard_login_good(struct guard *g, const char *name, const char *address)
{
	char folded[USER_NAME_MAX + 1];

	fold(name, folded);
	throttle_clear(&g->t, throttle_key(&g->t, "login", folded, address));
	throttle_uncount(&g->t, throttle_key(&g->t, "login-address", address, ""), &g->address);
}

void guard_login_bad(struct guard *g, const char *name, const char *address, int64_t now_ms)
{
	char folded[USER_NAME_MAX + 1];

	fold(name, folded);
	throttle_restart(&g->t, throttle_key(&g->t, "login", folded, address), &g->pair, now_ms);
	throttle_restart(&g->t, throttle_key(&g->t, "login-address", address, ""), &g->address, now_ms);
}

long guard_signup(struct guard *g, const char *address, int64_t now_ms)
{
	uint64_t key = throttle_key(&g->t, "signup", address, "");
	int64_t wait = throttle_wait(&g->t, key, now_ms);

	if (wait > 0)
		return seconds(wait);
	if (throttle_count(&g->t, key, &g->signup, now_ms) == g->signup.free)
		log_warn("register: %u sign-ups from %s: further ones wait", g->signup.free, shown(address));
	return 0;
}
