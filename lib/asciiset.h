/* Sets of ASCII characters as one bit each of the 128 codes, for checks that run on every
 * byte of a request (a request target, a Host): membership is a shift and a mask. Bytes
 * from 128 up are in no set. A set is a constant written with the macros below, so that it
 * reads as the characters it holds rather than as two hand-made numbers. */
#ifndef SEGUE_ASCIISET_H
#define SEGUE_ASCIISET_H

#include <stdbool.h>
#include <stdint.h>

struct asciiset {
	uint64_t bits[2]; /* codes 0-63, 64-127 */
};

/* Word w's bits of the codes lo..hi, which lie in one word (0-63 or 64-127); 0 for the
 * other word. */
#define ASCIISET_RANGE(w, lo, hi) \
	((unsigned)(lo) >> 6 == (unsigned)(w) \
	 ? (~0ULL >> (63 - ((unsigned)(hi) & 63))) & (~0ULL << ((unsigned)(lo) & 63)) : 0ULL)
#define ASCIISET_CHAR(w, c) ASCIISET_RANGE(w, c, c)
/* A set from a macro M(w) that ORs the ranges and characters of word w. */
#define ASCIISET_OF(M) { { M(0), M(1) } }

/* RFC 3986's unreserved characters: A-Z a-z 0-9 - . _ ~. */
#define ASCIISET_UNRESERVED_BITS(w) \
	(ASCIISET_RANGE(w, '0', '9') | ASCIISET_RANGE(w, 'A', 'Z') | ASCIISET_RANGE(w, 'a', 'z') | \
	 ASCIISET_CHAR(w, '-') | ASCIISET_CHAR(w, '.') | ASCIISET_CHAR(w, '_') | ASCIISET_CHAR(w, '~'))
extern const struct asciiset asciiset_unreserved;

static inline bool asciiset_has(const struct asciiset *set, unsigned char ch)
{
	return ch < 128 && (set->bits[ch >> 6] >> (ch & 63) & 1);
}

/* Whether every byte of the string s is in the set (true for ""). */
static inline bool asciiset_all(const struct asciiset *set, const char *s)
{
	for (; *s; s++)
		if (!asciiset_has(set, (unsigned char)*s))
			return false;
	return true;
}

#endif
