/* What a signed link's MAC was, remembered (accounts/sign.c's, private to it).
 *
 * Why: a player reads a track through one signed URL in many Range requests, and each one
 * had its HMAC-SHA256 computed again: three SHA-256 blocks, about a quarter of the
 * instructions of a 64 KiB Range request (bench/stream-cost.sh). The MAC of a (key, path,
 * expiry, user) is a pure function of them, so the MACs of links that verified are kept, by
 * those fields, which are all in the URL and none secret. A request that presents the same
 * link again compares its signature with the remembered MAC in constant time
 * (accounts/sign.c). Any other signature, even one for remembered fields, has its MAC
 * computed as if nothing were remembered, so the time taken tells a client nothing it did
 * not already hold: not whether someone used a link lately, nor anything of its MAC.
 *
 * One table per thread (no locks; the audio handler runs on the service thread), in sets
 * of two: a flood of made-up fields only evicts. An entry holds the key it was made with
 * and the ring's generation (bumped whenever any ring's keys change), so a key rotated or
 * re-read never answers from an entry made before. */
#ifndef SEGUE_SIGNMEMO_H
#define SEGUE_SIGNMEMO_H

#include <stdbool.h>
#include <stddef.h>

struct sign_key;

#define SIGNMEMO_MAC_BYTES 32

/* Any ring's keys changed: every entry is forgotten. */
void signmemo_invalidate(void);
/* The MAC remembered for these fields under k, copied to mac: true; else false. */
bool signmemo_get(const struct sign_key *k, const char *path, size_t plen, long long exp,
                  const char *uid, size_t ulen, unsigned char mac[SIGNMEMO_MAC_BYTES]);
/* Remembers mac, which verified, for these fields (too long ones are not kept). */
void signmemo_put(const struct sign_key *k, const char *path, size_t plen, long long exp,
                  const char *uid, size_t ulen, const unsigned char mac[SIGNMEMO_MAC_BYTES]);

#endif
