/* SHA-256's block function on the processor's SHA extensions (x86-64 SHA-NI), for the
 * signed links' HMAC (accounts/sign.c): about a tenth of the instructions of the portable
 * code libsodium runs, for the three blocks each link's first request costs. Private to
 * accounts/.
 *
 * Where the processor has none (or under valgrind, which hides them), sha256hw_available is
 * false and sign.c keeps libsodium's HMAC; both give the same MAC (tests/unit/test_sign). */
#ifndef SEGUE_SHA256HW_H
#define SEGUE_SHA256HW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Whether sha256hw_blocks may be called (asked of the processor once). */
bool sha256hw_available(void);
/* Runs nblocks 64-byte blocks at p through the state st (H0..H7, as numbers). */
void sha256hw_blocks(uint32_t st[8], const unsigned char *p, size_t nblocks);

#endif
