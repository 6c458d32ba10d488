/* Lyrics text into valid UTF-8. See lyrics/charset.h. */
#include "config.h"
#include "lyrics/charset.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t charset_utf8_len(const unsigned char *p, size_t left)
{
	unsigned char c = p[0];
	size_t n;
	unsigned char lo = 0x80, hi = 0xBF; /* the second byte's range, narrower after some leads */

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		n = 2;
	else if (c >= 0xE0 && c <= 0xEF)
		n = 3;
	else if (c >= 0xF0 && c <= 0xF4)
		n = 4;
	else
		return 0;
	if (c == 0xE0)
		lo = 0xA0;  /* overlong */
	else if (c == 0xED)
		hi = 0x9F;  /* surrogates */
	else if (c == 0xF0)
		lo = 0x90;  /* overlong */
	else if (c == 0xF4)
		hi = 0x8F;  /* past U+10FFFF */
	if (left < n || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xBF)
			return 0;
	return n;
}

static size_t put_utf8(char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xC0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xE0 | cp >> 12);
		o[1] = (char)(0x80 | (cp >> 6 & 0x3F));
		o[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (char)(0xF0 | cp >> 18);
	o[1] = (char)(0x80 | (cp >> 12 & 0x3F));
	o[2] = (char)(0x80 | (cp >> 6 & 0x3F));
	o[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/* Windows-1252's 0x80-0x9F (curly quotes and dashes are common in lyrics); 0 where it has
 * none, which becomes U+FFFD. */
static const unsigned short cp1252[32] = {
	0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
	0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
};

/* UTF-16 (after its BOM) into UTF-8: at most 3 bytes for every 2. A lone surrogate is U+FFFD. */
static size_t from_utf16(const unsigned char *in, size_t len, bool big, char *o)
{
	size_t w = 0;

	for (size_t i = 0; i + 1 < len; i += 2) {
		unsigned u = big ? (unsigned)in[i] << 8 | in[i + 1] : (unsigned)in[i + 1] << 8 | in[i];

		if (u >= 0xD800 && u <= 0xDBFF && i + 3 < len) {
			unsigned v = big ? (unsigned)in[i + 2] << 8 | in[i + 3] : (unsigned)in[i + 3] << 8 | in[i + 2];

			if (v >= 0xDC00 && v <= 0xDFFF) {
				w += put_utf8(o + w, 0x10000 + ((u - 0xD800) << 10) + (v - 0xDC00));
				i += 2;
				continue;
			}
		}
		w += put_utf8(o + w, u >= 0xD800 && u <= 0xDFFF ? 0xFFFD : u);
	}
	return w;
}

/* Refuses what is not text: a NUL (also what UTF-16 without a BOM looks like), or control
 * characters other than tab, line feed, form feed and carriage return in more than one byte
 * in a hundred. A few strays are dropped later, with the other control characters. */
static int check_text(const unsigned char *p, size_t len, char *err, size_t errlen)
{
	size_t controls = 0;

	if (memchr(p, 0, len)) {
		snprintf(err, errlen, "not text: it holds NUL bytes (UTF-16 needs a byte order mark)");
		return -1;
	}
	for (size_t i = 0; i < len; i++)
		if ((p[i] < 0x20 && p[i] != '\t' && p[i] != '\n' && p[i] != '\f' && p[i] != '\r') || p[i] == 0x7F)
			controls++;
	if (controls > len / 100 + 2) {
		snprintf(err, errlen, "not text: %zu control characters in %zu bytes", controls, len);
		return -1;
	}
	return 0;
}

int charset_to_utf8(const unsigned char *in, size_t len, char **out, size_t *outlen, char *err,
                    size_t errlen)
{
	size_t invalid = 0, multi = 0, w = 0;
	char *o = NULL;
	bool big;

	*out = NULL;
	*outlen = 0;
	if (len >= 2 && ((in[0] == 0xFF && in[1] == 0xFE) || (in[0] == 0xFE && in[1] == 0xFF))) {
		big = in[0] == 0xFE;
		if (!(o = malloc(len / 2 * 3 + 1)))
			goto nomem;
		w = from_utf16(in + 2, len - 2, big, o);
		o[w] = '\0';
		if (check_text((unsigned char *)o, w, err, errlen) < 0)
			goto fail;
		goto done;
	}
	if (len >= 3 && in[0] == 0xEF && in[1] == 0xBB && in[2] == 0xBF) {
		in += 3;
		len -= 3;
	}
	if (check_text(in, len, err, errlen) < 0)
		return -1;
	for (size_t i = 0; i < len; ) {
		size_t n = charset_utf8_len(in + i, len - i);

		if (!n) {
			invalid++;
			i++;
		} else {
			multi += n > 1;
			i += n;
		}
	}
	/* At most 3 bytes out for each byte in (a Windows-1252 byte or U+FFFD). */
	if (!(o = malloc((invalid ? len * 3 : len) + 1)))
		goto nomem;
	for (size_t i = 0; i < len; ) {
		size_t n = charset_utf8_len(in + i, len - i);

		if (n) {
			memcpy(o + w, in + i, n);
			w += n;
			i += n;
		} else if (!multi) {
			unsigned c = in[i++];

			w += put_utf8(o + w, c >= 0xA0 ? c : cp1252[c - 0x80] ? cp1252[c - 0x80] : 0xFFFD);
		} else {
			while (i < len && !charset_utf8_len(in + i, len - i))
				i++;
			w += put_utf8(o + w, 0xFFFD);
		}
	}
	o[w] = '\0';
done:
	*out = o;
	*outlen = w;
	return 0;
nomem:
	snprintf(err, errlen, "out of memory");
fail:
	free(o);
	return -1;
}
