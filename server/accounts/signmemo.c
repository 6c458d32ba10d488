#include "config.h"
#include "accounts/signmemo.h"

#include <sodium.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

/* An audio path is "/audio/" + a 22-digit id + "/" + quality + ".ogg" (under 50 bytes); a
 * user id is 22 base62 digits. Longer fields are not kept. */
#define MEMO_PATH 64
#define MEMO_UID 40
#define MEMO_SLOTS 512 /* a power of two */

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
static _Thread_local struct entry memo[MEMO_SLOTS];

void signmemo_invalidate(void)
{
	atomic_fetch_add_explicit(&generation, 1, memory_order_relaxed);
}

/* FNV-1a over the fields: spreads them over the slots; not a defence (collisions evict). */
static unsigned slot_of(const char *path, size_t plen, long long exp, const char *uid, size_t ulen)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < plen; i++)
		h = (h ^ (unsigned char)path[i]) * 16777619u;
	for (size_t i = 0; i < ulen; i++)
		h = (h ^ (unsigned char)uid[i]) * 16777619u;
	h = (h ^ (uint32_t)exp) * 16777619u;
	return h & (MEMO_SLOTS - 1);
}

bool signmemo_get(const struct sign_key *k, const char *path, size_t plen, long long exp,
                  const char *uid, size_t ulen, unsigned char mac[SIGNMEMO_MAC_BYTES])
{
	const struct entry *e;

	if (plen > MEMO_PATH || ulen > MEMO_UID)
		return false;
	e = &memo[slot_of(path, plen, exp, uid, ulen)];
	if (e->gen != atomic_load_explicit(&generation, memory_order_relaxed) || e->key != k ||
	    e->exp != exp || e->plen != plen || e->ulen != ulen || memcmp(e->path, path, plen) ||
	    memcmp(e->uid, uid, ulen))
		return false;
	memcpy(mac, e->mac, SIGNMEMO_MAC_BYTES);
	return true;
}

void signmemo_put(const struct sign_key *k, const char *path, size_t plen, long long exp,
                  const char *uid, size_t ulen, const unsigned char mac[SIGNMEMO_MAC_BYTES])
{
	struct entry *e;

	if (plen > MEMO_PATH || ulen > MEMO_UID)
		return;
	e = &memo[slot_of(path, plen, exp, uid, ulen)];
	e->gen = atomic_load_explicit(&generation, memory_order_relaxed);
	e->key = k;
	e->exp = exp;
	e->plen = (uint8_t)plen;
	e->ulen = (uint8_t)ulen;
	memcpy(e->path, path, plen);
	memcpy(e->uid, uid, ulen);
	memcpy(e->mac, mac, SIGNMEMO_MAC_BYTES);
}
