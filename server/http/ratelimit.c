#include "config.h"
#include "http/ratelimit.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "store/ratelimit.h"

int ratelimit_init(struct ratelimit *rl, uint32_t size, long window_s, const long limits[RL_NCATEGORIES])
{
	uint32_t n = 1;

	while (n < size)
		n <<= 1;
	memset(rl, 0, sizeof *rl);
	rl->table = calloc(n, sizeof *rl->table);
	if (!rl->table)
		return -1;
	rl->size = n;
	rl->window_ms = window_s * 1000;
	memcpy(rl->limit, limits, sizeof rl->limit);
	return 0;
}

void ratelimit_free(struct ratelimit *rl)
{
	free(rl->table);
	memset(rl, 0, sizeof *rl);
}

void ratelimit_share(struct ratelimit *rl, struct store *db)
{
	rl->shared = db;
}

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x ? x : 1;
}

/* Empties the table of clients idle for two windows; called when it fills up. Rebuilding
 * keeps linear probing correct without tombstones. */
static void sweep(struct ratelimit *rl, int64_t window)
{
	struct rl_entry *old = rl->table;
	uint32_t size = rl->size;
	struct rl_entry *fresh = calloc(size, sizeof *fresh);

	if (!fresh) {
		memset(old, 0, size * sizeof *old);
		rl->used = 0;
		return;
	}
	rl->used = 0;
	for (uint32_t i = 0; i < size; i++) {
		if (!old[i].key || old[i].window < window - 1)
			continue;
		uint32_t j = (uint32_t)old[i].key & (size - 1);
		while (fresh[j].key)
			j = (j + 1) & (size - 1);
		fresh[j] = old[i];
		rl->used++;
	}
	free(old);
	rl->table = fresh;
}

/* The seconds to wait when one more request would exceed limit: until the previous window's
 * weight has decayed enough, or the window ends. */
static long wait_s(const struct ratelimit *rl, double prev, double cur, int64_t into, long limit)
{
	double overlap = prev * (double)(rl->window_ms - into) / rl->window_ms;
	double excess = overlap + cur + 1 - limit;
	long wait_ms = rl->window_ms - into;

	if (prev && excess <= overlap)
		wait_ms = (long)(excess * rl->window_ms / prev) + 1;
	return wait_ms / 1000 + 1;
}

/* The client's entry in the table, rolled to window; NULL when the table is full of live
 * clients. */
static struct rl_entry *entry(struct ratelimit *rl, uint64_t key, int64_t window)
{
	struct rl_entry *e;
	uint32_t i;

	if (rl->used * 4 >= rl->size * 3) {
		sweep(rl, window);
		if (rl->used * 4 >= rl->size * 3)
			return NULL;
	}
	i = (uint32_t)key & (rl->size - 1);
	while (rl->table[i].key && rl->table[i].key != key)
		i = (i + 1) & (rl->size - 1);
	e = &rl->table[i];
	if (!e->key) {
		e->key = key;
		e->window = window;
		e->cur = e->prev = e->share = 0;
		rl->used++;
	}
	if (e->window != window) {
		e->prev = e->window == window - 1 ? e->cur : 0;
		e->cur = e->share = 0;
		e->window = window;
	}
	return e;
}

/* In the database: 0 counted, a wait, or -1 when the database could not say. */
static long shared_hit(struct ratelimit *rl, uint64_t key, enum rl_category cat, int64_t now_ms)
{
	int64_t window = now_ms / rl->window_ms, into = now_ms % rl->window_ms;
	struct rl_entry *e = entry(rl, key, window);
	double weight = (double)(rl->window_ms - into) / rl->window_ms;
	long share = rl->limit[cat] / 20;
	long long cur, prev;
	int rc;

	if (e && e->share) {
		e->share--;
		return 0;
	}
	if (rl->trimmed != window) {
		rl->trimmed = window;
		store_ratelimit_trim(rl->shared, window - 1);
	}
	share = share < 1 ? 1 : share > RL_SHARE_MAX ? RL_SHARE_MAX : share;
	/* Without a table entry to keep a share in, one request at a time. */
	if (!e)
		share = 1;
	rc = store_ratelimit_take(rl->shared, (long long)(key >> 1), window, weight, rl->limit[cat],
	                          share, &cur, &prev);
	if (rc == 0 && share > 1) {
		share = 1;
		rc = store_ratelimit_take(rl->shared, (long long)(key >> 1), window, weight,
		                          rl->limit[cat], 1, &cur, &prev);
	}
	if (rc < 0)
		return -1;
	if (!rc)
		return wait_s(rl, (double)prev, (double)cur, into, rl->limit[cat]);
	if (e)
		e->share = (uint32_t)share - 1;
	return 0;
}

long ratelimit_hit(struct ratelimit *rl, uint64_t client, enum rl_category cat, int64_t now_ms)
{
	int64_t window = now_ms / rl->window_ms;
	int64_t into = now_ms % rl->window_ms;
	uint64_t key;
	struct rl_entry *e;
	double estimate;

	if (cat == RL_NONE || cat >= RL_NCATEGORIES)
		return 0;
	key = mix(client * RL_NCATEGORIES + (uint64_t)cat);
	if (rl->shared) {
		long wait = shared_hit(rl, key, cat, now_ms);

		if (wait >= 0)
			return wait;
	}
	if (!(e = entry(rl, key, window)))
		return 0; /* that many live clients: fail open rather than refuse everyone */
	estimate = e->prev * (double)(rl->window_ms - into) / rl->window_ms + e->cur;
	if (estimate + 1 > rl->limit[cat])
		return wait_s(rl, e->prev, e->cur, into, rl->limit[cat]);
	e->cur++;
	return 0;
}

long ratelimit_hit_user(struct ratelimit *rl, const char *user_id, enum rl_category cat, int64_t now_ms)
{
	unsigned char key[crypto_generichash_BYTES_MIN];
	uint64_t client;

	crypto_generichash(key, sizeof key, (const unsigned char *)user_id, strlen(user_id), NULL, 0);
	memcpy(&client, key, sizeof client);
	return ratelimit_hit(rl, client, cat, now_ms);
}

const char *rl_category_name(enum rl_category cat)
{
	static const char *names[] = { "none", "standard", "search", "player", "playlist" };

	return cat < RL_NCATEGORIES ? names[cat] : "?";
}
