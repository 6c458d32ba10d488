/* What stands before a password check and a sign-up: the policy over the throttle table.
 *
 * A login counts against two keys before its argon2id hash is spent: the pair (account,
 * address), which waits 1 s after its free tries and doubles up to a cap, and the address
 * alone, with more free tries, against one address trying many accounts. An attempt that
 * would have to wait is refused without a hash, so a flood costs the server almost nothing.
 * A good password clears its pair and takes back its own count at the address. There is no
 * key for an account alone: it would let anyone lock its owner out.
 *
 * Addresses are the client's as req_peer gives them (the socket's peer, or behind a trusted
 * proxy the address in its X-Forwarded-For: http/proxies.h): an IPv6 address counts by its
 * /64 (what one host is usually given), an IPv4-mapped one as IPv4. */
#ifndef SEGUE_GUARD_H
#define SEGUE_GUARD_H

#include <stdint.h>

#include "accounts/throttle.h"

#define GUARD_ADDRESS_MAX 64

struct guard {
	struct throttle t;
	struct throttle_policy pair, address, signup;
};

struct guard_limits {
	long login_free_tries;    /* per (account, address) */
	long login_address_tries; /* per address */
	long login_max_wait;      /* seconds */
	long register_tries;      /* sign-ups per address */
};

int guard_init(struct guard *g, const struct guard_limits *l);
void guard_free(struct guard *g);

/* The address a peer counts as (see above) into out. */
void guard_address(const char *peer, char out[GUARD_ADDRESS_MAX]);

/* Before a password check of name from address (as guard_address made it): 0 lets it go on
 * and counts it as a failure until guard_login_good says otherwise; more is the seconds to
 * wait, and nothing is counted. */
long guard_login(struct guard *g, const char *name, const char *address, int64_t now_ms);
void guard_login_good(struct guard *g, const char *name, const char *address);
/* The check said no: the waits it brought run from now. */
void guard_login_bad(struct guard *g, const char *name, const char *address, int64_t now_ms);

/* Before a sign-up from address: 0 counts it and lets it go on; more is the seconds to wait. */
long guard_signup(struct guard *g, const char *address, int64_t now_ms);

#endif
