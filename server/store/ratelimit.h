/* Rate limits' counters in the database (migration 20), for several instances over one
 * PostgreSQL database: a user's budget is then the same whichever instances the requests
 * reach. A counter is a (key, window) row; an instance takes a share of a budget in one
 * statement that counts it only if the sliding estimate allows it (http/ratelimit.h says how
 * the estimate goes and how large a share is), so two instances taking at once cannot both
 * take the last requests of a budget. */
#ifndef SEGUE_STORE_RATELIMIT_H
#define SEGUE_STORE_RATELIMIT_H

#include "store/store.h"

/* Takes amount requests of key's budget in window win if cur + amount + weight * prev <=
 * limit, where cur and prev are the counts of win and win - 1 and weight the share of the
 * previous window that still overlaps (0 to 1). Returns 1 when taken, 0 when refused (*cur
 * and *prev then hold the counts, for the wait), -1 (logged). */
int store_ratelimit_take(struct store *s, long long key, long long win, double weight, long limit,
                         long amount, long long *cur, long long *prev);
/* Drops the counters of windows before win. Returns 0 or -1 (logged). */
int store_ratelimit_trim(struct store *s, long long win);

#endif
