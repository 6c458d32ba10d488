#include "config.h"
#include "accounts/throttle.h"

#include <stdlib.h>
#include <string.h>

int throttle_init(struct throttle *t, uint32_t size)
{
	uint32_t n = 16;

	while (n < size)
		n <<= 1;
	memset(t, 0, sizeof *t);
	if (!(t->table = calloc(n, sizeof *t->table)))
		return -1;
	t->size = n;
	randombytes_buf(t->secret, sizeof t->secret);
	return 0;
}

void throttle_free(struct throttle *t)
{
	free(t->table);
	sodium_memzero(t, sizeof *t);
}

uint64_t throttle_key(const struct throttle *t, const char *kind, const char *a, const char *b)
{
	crypto_generichash_state st;
	unsigned char out[8];
	uint64_t key;

	/* The NULs keep ("ab", "c") and ("a", "bc") apart. */
	crypto_generichash_init(&st, t->secret, sizeof t->secret, sizeof out);
	crypto_generichash_update(&st, (const unsigned char *)kind, strlen(kind) + 1);
	crypto_generichash_update(&st, (const unsigned char *)a, strlen(a) + 1);
	crypto_generichash_update(&st, (const unsigned char *)b, strlen(b) + 1);
	crypto_generichash_final(&st, out, sizeof out);
	memcpy(&key, out, sizeof key);
	return key ? key : 1;
}

static struct throttle_entry *find(struct throttle *t, uint64_t key)
{
	uint32_t i = (uint32_t)key & (t->size - 1);

	while (t->table[i].key && t->table[i].key != key)
		i = (i + 1) & (t->size - 1);
	return &t->table[i];
}

/* Rebuilds the table with the entries worth keeping: not yet forgotten, and still waiting or
 * with more than `above` attempts. Rebuilding keeps linear probing right without tombstones. */
static void rebuild(struct throttle *t, int64_t now_ms, uint32_t above, struct throttle_entry *fresh)
{
	struct throttle_entry *old = t->table;

	t->table = fresh;
	t->used = 0;
	for (uint32_t i = 0; i < t->size; i++) {
		const struct throttle_entry *e = &old[i];

		if (!e->key || e->forget_ms <= now_ms || (e->until_ms <= now_ms && e->count <= above))
			continue;
		*find(t, e->key) = *e;
		t->used++;
	}
	free(old);
}

/* Makes room: the forgotten go first; then, while the table is over half full, those with
 * the fewest attempts (the threshold doubling), so that what is kept longest is what is
 * tried hardest. With no memory for the rebuild, the table starts empty. */
static void make_room(struct throttle *t, int64_t now_ms)
{
	uint64_t above = 0;

	do {
		struct throttle_entry *fresh = calloc(t->size, sizeof *fresh);

		if (!fresh) {
			memset(t->table, 0, t->size * sizeof *t->table);
			t->used = 0;
			return;
		}
		if (above > UINT32_MAX) /* everything was waiting: let time decide */
			now_ms = INT64_MAX;
		rebuild(t, now_ms, above > UINT32_MAX ? UINT32_MAX : (uint32_t)above, fresh);
		above = above ? above * 2 : 1;
	} while (t->used * 2 > t->size);
}

int64_t throttle_wait(struct throttle *t, uint64_t key, int64_t now_ms)
{
	struct throttle_entry *e = find(t, key);

	if (!e->key || e->forget_ms <= now_ms || e->until_ms <= now_ms)
		return 0;
	return e->until_ms - now_ms;
}

static int64_t wait_after(const struct throttle_policy *p, uint32_t count)
{
	uint32_t doublings;

	if (count < p->free)
		return 0;
	doublings = count - p->free;
	if (doublings >= 40 || p->first_ms << doublings >= p->max_ms)
		return p->max_ms;
	return p->first_ms << doublings;
}

uint32_t throttle_count(struct throttle *t, uint64_t key, const struct throttle_policy *p, int64_t now_ms)
{
	struct throttle_entry *e;

	if (t->used * 4 >= t->size * 3)
		make_room(t, now_ms);
	e = find(t, key);
	if (!e->key) {
		e->key = key;
		e->count = 0;
		t->used++;
	} else if (e->forget_ms <= now_ms) {
		e->count = 0;
	}
	if (e->count < UINT32_MAX)
		e->count++;
	e->until_ms = now_ms + wait_after(p, e->count);
	e->forget_ms = e->until_ms + p->forget_ms;
	return e->count;
}

void throttle_restart(struct throttle *t, uint64_t key, const struct throttle_policy *p, int64_t now_ms)
{
	struct throttle_entry *e = find(t, key);
	int64_t until;

	if (!e->key || e->forget_ms <= now_ms)
		return;
	if ((until = now_ms + wait_after(p, e->count)) > e->until_ms) {
		e->until_ms = until;
		e->forget_ms = until + p->forget_ms;
	}
}

void throttle_uncount(struct throttle *t, uint64_t key, const struct throttle_policy *p)
{
	struct throttle_entry *e = find(t, key);

	if (!e->key || !e->count)
		return;
	/* The wait this attempt set is the wait of count; the one before it, of count - 1. */
	e->until_ms -= wait_after(p, e->count) - wait_after(p, e->count - 1);
	e->count--;
}

void throttle_clear(struct throttle *t, uint64_t key)
{
	struct throttle_entry *e = find(t, key);

	if (e->key)
		e->count = 0, e->until_ms = 0, e->forget_ms = 0;
}
