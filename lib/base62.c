#include "config.h"
#include "base62.h"

#include <sodium.h>
#include <stdint.h>
#include <string.h>

static const char digits[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/* Long division of a big-endian 128-bit number held in bytes by 62, in place. */
static unsigned divmod62(unsigned char n[16])
{
	unsigned rem = 0;

	for (int i = 0; i < 16; i++) {
		unsigned cur = (rem << 8) | n[i];
		n[i] = (unsigned char)(cur / 62);
		rem = cur % 62;
	}
	return rem;
}

void base62_encode128(const unsigned char in[16], char out[BASE62_ID_LEN + 1])
{
	unsigned char n[16];

	memcpy(n, in, 16);
	for (int i = BASE62_ID_LEN - 1; i >= 0; i--)
		out[i] = digits[divmod62(n)];
	out[BASE62_ID_LEN] = '\0';
}

/* Each byte's digit value plus one (0: not a digit): one look-up a digit, as ids are
 * checked on every audio request. */
static const unsigned char digit_plus1[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6, ['6'] = 7, ['7'] = 8,
	['8'] = 9, ['9'] = 10, ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
	['G'] = 17, ['H'] = 18, ['I'] = 19, ['J'] = 20, ['K'] = 21, ['L'] = 22, ['M'] = 23,
	['N'] = 24, ['O'] = 25, ['P'] = 26, ['Q'] = 27, ['R'] = 28, ['S'] = 29, ['T'] = 30,
	['U'] = 31, ['V'] = 32, ['W'] = 33, ['X'] = 34, ['Y'] = 35, ['Z'] = 36, ['a'] = 37,
	['b'] = 38, ['c'] = 39, ['d'] = 40, ['e'] = 41, ['f'] = 42, ['g'] = 43, ['h'] = 44,
	['i'] = 45, ['j'] = 46, ['k'] = 47, ['l'] = 48, ['m'] = 49, ['n'] = 50, ['o'] = 51,
	['p'] = 52, ['q'] = 53, ['r'] = 54, ['s'] = 55, ['t'] = 56, ['u'] = 57, ['v'] = 58,
	['w'] = 59, ['x'] = 60, ['y'] = 61, ['z'] = 62,
};

static int digit_value(char c)
{
	return digit_plus1[(unsigned char)c] - 1;
}

int base62_decode128(const char *s, unsigned char out[16])
{
	/* The audio path checks an id on every request. 62^10 < 2^64, so the first ten digits
	 * go in a 64-bit integer; 62^21 < 2^128, so only the last digit can overflow (a GCC
	 * and Clang type). */
	const unsigned __int128 max = ~(unsigned __int128)0;
	unsigned __int128 n;
	uint64_t head = 0;
	int i, d;

	if (!s || strlen(s) != BASE62_ID_LEN)
		return -1;
	for (i = 0; i < 10; i++) {
		if ((d = digit_value(s[i])) < 0)
			return -1;
		head = head * 62 + (unsigned)d;
	}
	n = head;
	for (; i < BASE62_ID_LEN - 1; i++) {
		if ((d = digit_value(s[i])) < 0)
			return -1;
		n = n * 62 + (unsigned)d;
	}
	if ((d = digit_value(s[i])) < 0 || n > (max - (unsigned)d) / 62)
		return -1; /* not a digit, or larger than 2^128 - 1 */
	n = n * 62 + (unsigned)d;
	for (int j = 15; j >= 0; j--) {
		out[j] = (unsigned char)n;
		n >>= 8;
	}
	return 0;
}

bool base62_is_id(const char *s)
{
	unsigned char tmp[16];

	return base62_decode128(s, tmp) == 0;
}

void base62_id_from_bytes(const void *data, size_t len, char out[BASE62_ID_LEN + 1])
{
	unsigned char h[16];

	crypto_generichash(h, sizeof h, data, len, NULL, 0);
	base62_encode128(h, out);
}

void base62_id_random(char out[BASE62_ID_LEN + 1])
{
	unsigned char r[16];

	randombytes_buf(r, sizeof r);
	base62_encode128(r, out);
}
