#include "config.h"
#include "accounts/signmemo.h"

#include <sodium.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* An audio path is "/audio/" + a 22-digit id + "/" + quality + ".ogg" (under 50 bytes); a
 * user id is 22 base62 digits. Longer fields are not kept. */
#define MEMO_PATH 64
#define MEMO_UID 40
#define MEMO_SETS 256 /* a power of two */
#define MEMO_WAYS 2   /* entries a set: the older one of a full set is replaced */

struct entry {
	uint64_t gen;            /* 0: empty */
	const struct sign_key *key;
	long long exp;
	uint8_t plen, ulen;
	char path[MEMO_PATH];
	char uid[MEMO_UID];
	unsigned char mac[SIGNMEMO_MAC_BYTES];
};

static atomic_uint_fast64_t generation = 1;
struct memo {
	struct entry set[MEMO_SETS][MEMO_WAYS];
	unsigned char older[MEMO_SETS]; /* the way to replace next */
};

/* Made on a thread's first verification (90 KiB: static TLS would cost every thread of the
 * process that much), and kept for the thread's life: today only the service thread
 * verifies links. */
static _Thread_local struct memo *memo;

void signmemo_invalidate(void)
{
	atomic_fetch_add_explicit(&generation, 1, memory_order_relaxed);
}

/* FNV-1a over the fields: spreads them over the sets; not a defence (collisions evict). */
static unsigned set_of(const char *path, size_t plen, long long exp, const char *uid, size_t ulen)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < plen; i++)
		h = (h ^ (unsigned char)path[i]) * 16777619u;
	for (size_t i = 0; i < ulen; i++)
		h = (h ^ (unsigned char)uid[i]) * 16777619u;
	h = (h ^ (uint32_t)exp) * 16777619u;
	return h & (MEMO_SETS - 1);
}

static bool same(const struct entry *e, uint64_t gen, const struct sign_key *k, const char *path,
                 size_t plen, long long exp, const char *uid, size_t ulen)
{
	return e->gen == gen && e->key == k && e->exp == exp && e->plen == plen && e->ulen == ulen &&
	       !memcmp(e->path, path, plen) && !memcmp(e->uid, uid, ulen);
}

bool signmemo_get(const struct sign_key *k, const char *path, size_t plen, long long exp,
                  const char *uid, size_t ulen, unsigned char mac[SIGNMEMO_MAC_BYTES])
{
	uint64_t gen = atomic_load_explicit(&generation, memory_order_relaxed);
	unsigned set;

	if (plen > MEMO_PATH || ulen > MEMO_UID)
		return false;
	if (!memo)
		return false;
	set = set_of(path, plen, exp, uid, ulen);
	for (int w = 0; w < MEMO_WAYS; w++) {
		const struct entry *e = &memo->set[set][w];

		if (same(e, gen, k, path, plen, exp, uid, ulen)) {
			memcpy(mac, e->mac, SIGNMEMO_MAC_BYTES);
			memo->older[set] = (unsigned char)!w; /* the other way goes first */
			return true;
		}
	}
	return false;
}

void signmemo_put(const struct sign_key *k, const char *path, size_t plen, long long exp,
                  const char *uid, size_t ulen, const unsigned char mac[SIGNMEMO_MAC_BYTES])
{
	struct entry *e;
	unsigned set;

	if (plen > MEMO_PATH || ulen > MEMO_UID || (!memo && !(memo = calloc(1, sizeof *memo))))
		return; /* (out of memory: nothing is remembered, every MAC is computed) */
	set = set_of(path, plen, exp, uid, ulen);
	e = &memo->set[set][memo->older[set]];
	memo->older[set] = (unsigned char)!memo->older[set];
	e->gen = atomic_load_explicit(&generation, memory_order_relaxed);
	e->key = k;
	e->exp = exp;
	e->plen = (uint8_t)plen;
	e->ulen = (uint8_t)ulen;
	memcpy(e->path, path, plen);
	memcpy(e->uid, uid, ulen);
	memcpy(e->mac, mac, SIGNMEMO_MAC_BYTES);
}
