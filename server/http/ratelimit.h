/* Per-token, per-category request limits over a sliding window. The window is approximated
 * from two fixed windows (the current one, plus the previous one weighted by how much of it
 * still overlaps), which is exact enough and keeps each client at two counters.
 *
 * The counters live in this process's memory, or, when several instances share a PostgreSQL
 * database, in the database (store/ratelimit.h), so the budget is the same whichever
 * instances the requests reach. There an instance takes a client's budget a share at a
 * time: a twentieth of the limit (at most RL_SHARE_MAX, at least one request), counted in the
 * database up front and spent from memory, then one request at a time once a whole share no
 * longer fits. A share an instance took but did not spend before its window ended is lost
 * to the client, so with n instances a client gets at least the limit less n shares (5% of
 * it each), never more than the limit. If the database cannot count, memory does, rather
 * than refusing everyone or letting everyone through. */
#ifndef SEGUE_RATELIMIT_H
#define SEGUE_RATELIMIT_H

#include <stdint.h>

struct store;

enum rl_category { RL_NONE, RL_STANDARD, RL_SEARCH, RL_PLAYER, RL_PLAYLIST, RL_NCATEGORIES };

struct rl_entry {
	uint64_t key;       /* token hash prefix mixed with the category; 0 = free slot */
	int64_t window;     /* index of the current window */
	uint32_t cur, prev; /* requests in the current and the previous window */
	uint32_t share;     /* shared: requests of the current window taken, not yet spent */
};

#define RL_SHARE_MAX 16

struct ratelimit {
	struct rl_entry *table;
	uint32_t size; /* a power of two */
	uint32_t used;
	long window_ms;
	long limit[RL_NCATEGORIES];
	struct store *shared; /* counts in this database (the loop's connection), or NULL */
	int64_t trimmed;      /* the window whose old counters were last dropped */
};

int ratelimit_init(struct ratelimit *rl, uint32_t size, long window_s, const long limits[RL_NCATEGORIES]);
void ratelimit_free(struct ratelimit *rl);
/* Counts in db from now on (the caller's connection, used on the caller's thread). */
void ratelimit_share(struct ratelimit *rl, struct store *db);
/* Counts one request. Returns 0 if allowed; otherwise the seconds to wait (>= 1). */
long ratelimit_hit(struct ratelimit *rl, uint64_t client, enum rl_category cat, int64_t now_ms);
/* ratelimit_hit for an authenticated user: per user, not per token or key, so that signing
 * in again or making another API key buys no fresh budget. */
long ratelimit_hit_user(struct ratelimit *rl, const char *user_id, enum rl_category cat, int64_t now_ms);
const char *rl_category_name(enum rl_category cat);

#endif
