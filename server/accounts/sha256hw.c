#include "config.h"
#include "accounts/sha256hw.h"

#include <stdatomic.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#include <immintrin.h>

/* FIPS 180-4's round constants. */
static const uint32_t K[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

/* 0: not asked yet, 1: no, 2: yes. */
static atomic_int has_sha;

bool sha256hw_available(void)
{
	int v = atomic_load_explicit(&has_sha, memory_order_relaxed);

	if (!v) {
		/* CPUID itself, not __builtin_cpu_supports: clang 14 does not know "sha" there. Leaf
		 * 1 ECX has SSSE3 (bit 9) and SSE4.1 (bit 19); leaf 7 EBX has SHA (bit 29). */
		unsigned a, b, c, d;
		bool base = __get_cpuid(1, &a, &b, &c, &d) && (c & 1u << 9) && (c & 1u << 19);
		bool sha = base && __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & 1u << 29);

		v = sha ? 2 : 1;
		atomic_store_explicit(&has_sha, v, memory_order_relaxed);
	}
	return v == 2;
}

/* The SHA-NI round instruction works on the state as two halves, ABEF and CDGH; the message
 * schedule is kept as the last sixteen words in four vectors of four, each group of four
 * rounds computing the next four words from them (msg1, the add of W[t-7], msg2). */
__attribute__((target("sha,sse4.1,ssse3")))
void sha256hw_blocks(uint32_t st[8], const unsigned char *p, size_t nblocks)
{
	const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
	__m128i s0 = _mm_loadu_si128((const __m128i *)&st[0]);
	__m128i s1 = _mm_loadu_si128((const __m128i *)&st[4]);
	__m128i t = _mm_shuffle_epi32(s0, 0xB1);

	s1 = _mm_shuffle_epi32(s1, 0x1B);
	s0 = _mm_alignr_epi8(t, s1, 8);    /* ABEF */
	s1 = _mm_blend_epi16(s1, t, 0xF0); /* CDGH */
	for (; nblocks; nblocks--, p += 64) {
		__m128i abef = s0, cdgh = s1, w[4], m;

		for (int g = 0; g < 16; g++) {
			if (g < 4) {
				w[g] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16 * g)), bswap);
			} else {
				/* W[4g..4g+3] from W[4g-16..] (w[g%4]), W[4g-12..], W[4g-8..], W[4g-4..] */
				__m128i x = _mm_sha256msg1_epu32(w[g % 4], w[(g + 1) % 4]);

				x = _mm_add_epi32(x, _mm_alignr_epi8(w[(g + 3) % 4], w[(g + 2) % 4], 4));
				w[g % 4] = _mm_sha256msg2_epu32(x, w[(g + 3) % 4]);
			}
			m = _mm_add_epi32(w[g % 4], _mm_loadu_si128((const __m128i *)&K[4 * g]));
			s1 = _mm_sha256rnds2_epu32(s1, s0, m);
			s0 = _mm_sha256rnds2_epu32(s0, s1, _mm_shuffle_epi32(m, 0x0E));
		}
		s0 = _mm_add_epi32(s0, abef);
		s1 = _mm_add_epi32(s1, cdgh);
	}
	t = _mm_shuffle_epi32(s0, 0x1B);   /* FEBA */
	s1 = _mm_shuffle_epi32(s1, 0xB1);  /* DCHG */
	s0 = _mm_blend_epi16(t, s1, 0xF0); /* DCBA */
	s1 = _mm_alignr_epi8(s1, t, 8);    /* HGFE */
	_mm_storeu_si128((__m128i *)&st[0], s0);
	_mm_storeu_si128((__m128i *)&st[4], s1);
}

#else

bool sha256hw_available(void)
{
	return false;
}

void sha256hw_blocks(uint32_t st[8], const unsigned char *p, size_t nblocks)
{
	(void)st;
	(void)p;
	(void)nblocks;
}

#endif
