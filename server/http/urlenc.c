#include "config.h"
#include "http/urlenc.h"

#include <stdlib.h>
#include <string.h>

#include "asciiset.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes [s, e) into out; -1 on a bad escape, an embedded NUL or overflow. */
static int decode(const char *s, const char *e, char *out, size_t outlen)
{
	size_t n = 0;

	while (s < e) {
		char c = *s++;

		if (c == '+') {
			c = ' ';
		} else if (c == '%') {
			int hi, lo;

			if (e - s < 2 || (hi = hexval(s[0])) < 0 || (lo = hexval(s[1])) < 0)
				return -1;
			c = (char)(hi * 16 + lo);
			s += 2;
			if (!c)
				return -1;
		}
		if (n + 1 >= outlen)
			return -1;
		out[n++] = c;
	}
	out[n] = '\0';
	return 0;
}

int form_get(const char *body, size_t len, const char *name, char *out, size_t outlen)
{
	const char *p = body, *end = body + len;
	size_t nlen = strlen(name);

	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *pe = amp ? amp : end;
		const char *eq = memchr(p, '=', (size_t)(pe - p));
		const char *ke = eq ? eq : pe;

		if ((size_t)(ke - p) == nlen && !memcmp(p, name, nlen))
			return decode(eq ? eq + 1 : pe, pe, out, outlen) < 0 ? -1 : 1;
		p = pe + 1;
	}
	return 0;
}

int form_each(const char *body, size_t len, size_t max,
              int (*each)(void *ud, const char *name, const char *value), void *ud)
{
	const char *p = body, *end = body + len;
	char *name = malloc(max + 1), *value = malloc(max + 1);
	int rc = -1;

	if (!name || !value)
		goto out;
	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *pe = amp ? amp : end;
		const char *eq = memchr(p, '=', (size_t)(pe - p));
		const char *ke = eq ? eq : pe;

		if (pe == p) { /* "a=1&&b=2": an empty field is no field */
			p = pe + 1;
			continue;
		}
		if (decode(p, ke, name, max + 1) < 0 || decode(eq ? eq + 1 : pe, pe, value, max + 1) < 0)
			goto out;
		if ((rc = each(ud, name, value)) != 0)
			goto out;
		p = pe + 1;
	}
	rc = 0;
out:
	free(name);
	free(value);
	return rc;
}

int url_encode(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (asciiset_has(&asciiset_unreserved, c)) {
			if (buf_append(b, s, 1) < 0)
				return -1;
		} else {
			char e[3] = { '%', hex[c >> 4], hex[c & 15] };

			if (buf_append(b, e, 3) < 0)
				return -1;
		}
	}
	return 0;
}
