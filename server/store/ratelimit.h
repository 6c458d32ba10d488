/* Rate limits' counters in the database (migration 20), for several instances over one
 * PostgreSQL database: a user's budget is then the same whichever instances the requests
 * reach. A counter is a (key, window) row; each request is one statement that counts it
 * only if the sliding estimate allows it (http/ratelimit.h says how the estimate goes), so
 * two instances counting at once cannot both take the last request of a budget. */
#ifndef SEGUE_STORE_RATELIMIT_H
#define SEGUE_STORE_RATELIMIT_H

#include "store/store.h"

/* Counts one request for key in window win if cur + 1 + weight * prev <= limit, where cur
 * and prev are the counts of win and win - 1 and weight the share of the previous window
 * that still overlaps (0 to 1). Returns 1 when counted, 0 when refused (*cur and *prev then
 * hold the counts, for the wait), -1 (logged). */
int store_ratelimit_hit(struct store *s, long long key, long long win, double weight, long limit,
                        long long *cur, long long *prev);
/* Drops the counters of windows before win. Returns 0 or -1 (logged). */
int store_ratelimit_trim(struct store *s, long long win);

#endif
