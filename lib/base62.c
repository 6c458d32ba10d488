#include "config.h"
#include "base62.h"

#include <sodium.h>
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

static int digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'Z')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 36;
	return -1;
}

int base62_decode128(const char *s, unsigned char out[16])
{
	/* In one 128-bit integer (a GCC and Clang type): the audio path checks an id on every
	 * request, and a byte-wise multiply cost 16 steps a digit. */
	const unsigned __int128 max = ~(unsigned __int128)0;
	unsigned __int128 n = 0;

	if (!s || strlen(s) != BASE62_ID_LEN)
		return -1;
	for (int i = 0; i < BASE62_ID_LEN; i++) {
		int d = digit_value(s[i]);

		/* (below 2^122 no digit can overflow: the division is rarely needed) */
		if (d < 0 || (n >> 122 && n > (max - (unsigned)d) / 62))
			return -1; /* not a digit, or larger than 2^128 - 1 */
		n = n * 62 + (unsigned)d;
	}
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
