#include "config.h"
#include "http/utf8.h"

#include <stdio.h>
#include <string.h>

/* The length of the well-formed character at p (left bytes available), or 0. */
static size_t char_len(const unsigned char *p, size_t left)
{
	unsigned char c = p[0];
	size_t n;
	unsigned lo = 0x80, hi = 0xbf; /* the range of the second byte */

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	/* The second byte's range rules out overlong forms, surrogates and code points past
	 * U+10FFFF; the others are plain continuation bytes. */
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (left < n || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return n;
}

bool utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;

	while (n) {
		size_t k = char_len(p, n);

		if (!k)
			return false;
		p += k;
		n -= k;
	}
	return true;
}

char *utf8_escape(const char *s, char *out, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t left = strlen(s), o = 0;

	while (left) {
		size_t k = char_len(p, left);
		bool escape = !k || *p < 0x20 || *p == 0x7f;
		size_t need = escape ? 4 : k;

		if (o + need >= len)
			break;
		if (escape) {
			snprintf(out + o, 5, "\\x%02x", *p);
			k = 1;
		} else {
			memcpy(out + o, p, k);
		}
		o += need;
		p += k;
		left -= k;
	}
	out[o] = '\0';
	return out;
}
