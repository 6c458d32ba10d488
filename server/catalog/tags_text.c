/* Tag text made safe to store and show: valid UTF-8, no control characters, bounded. */
#include "config.h"
#include "catalog/tags_internal.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Length of the valid UTF-8 sequence at s (at most n bytes) with its code point in *cp, or 0
 * when the bytes there are not one: stray continuation bytes, overlong forms, surrogates and
 * code points above U+10FFFF are all rejected. */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	unsigned c = s[0];
	size_t len;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		*cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		*cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		*cp = c & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		*cp = (*cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && *cp < 0x800) || (len == 4 && *cp < 0x10000) || *cp > 0x10ffff ||
	    (*cp >= 0xd800 && *cp <= 0xdfff))
		return 0;
	return len;
}

static size_t utf8_encode(uint32_t cp, char out[4])
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	out[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* The next character of s[*i..n) as it is kept: invalid bytes read as U+FFFD, a tab as a
 * space, a CR or CRLF as LF. Returns 0 for characters that are dropped. */
static uint32_t next_char(const unsigned char *s, size_t n, size_t *i)
{
	uint32_t cp;
	size_t len = utf8_decode(s + *i, n - *i, &cp);

	if (len == 0) {
		cp = 0xfffd;
		len = 1;
	}
	*i += len;
	if (cp == '\t')
		return ' ';
	if (cp == '\r') {
		if (*i < n && s[*i] == '\n')
			(*i)++;
		return '\n';
	}
	if (cp == '\n')
		return cp;
	if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || cp == 0xfeff)
		return 0;
	return cp;
}

size_t tags_clean(char *dst, size_t cap, const char *src, size_t n)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t o = 0, i = 0;

	while (i < n) {
		uint32_t cp = next_char(s, n, &i);
		char out[4];
		size_t len;

		/* A line break is a control character in a one-line field. */
		if (cp == 0 || cp == '\n' || (cp == ' ' && o == 0))
			continue;
		len = utf8_encode(cp, out);
		if (o + len > cap - 1)
			break;
		memcpy(dst + o, out, len);
		o += len;
	}
	while (o > 0 && dst[o - 1] == ' ')
		o--;
	dst[o] = '\0';
	return o;
}

char *tags_clean_lyrics(const char *src, size_t n)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t o = 0, i = 0, line = 0;
	char *buf = malloc(TAG_LYRICS_MAX + 1), *small;
	int cut = 0;

	if (buf == NULL)
		return NULL;
	while (i < n && !cut) {
		uint32_t cp = next_char(s, n, &i);
		char out[4];
		size_t len;

		if (cp == 0)
			continue;
		if (cp == '\n') {
			while (o > line && buf[o - 1] == ' ')
				o--;
			if (o == 0)
				continue; /* leading blank lines */
		}
		len = utf8_encode(cp, out);
		/* One byte stays free for the last line's '\n'. */
		if (o + len > TAG_LYRICS_MAX - 1) {
			cut = 1;
			break;
		}
		memcpy(buf + o, out, len);
		o += len;
		if (cp == '\n')
			line = o;
	}
	if (cut && line > 0)
		o = line; /* no half line */
	while (o > 0 && (buf[o - 1] == ' ' || buf[o - 1] == '\n'))
		o--;
	if (o == 0) {
		free(buf);
		return NULL;
	}
	buf[o++] = '\n';
	buf[o] = '\0';
	small = realloc(buf, o + 1);
	return small != NULL ? small : buf;
}

/* "[12:34]" or "[12:34.56]" at the start of p (after white space). */
static int lrc_time_tag(const char *p)
{
	int digits = 0;

	if (*p++ != '[')
		return 0;
	while (isdigit((unsigned char)*p) && digits < 4) {
		p++;
		digits++;
	}
	if (digits == 0 || *p++ != ':' || !isdigit((unsigned char)p[0]) ||
	    !isdigit((unsigned char)p[1]))
		return 0;
	p += 2;
	if (*p == '.' || *p == ':') {
		p++;
		while (isdigit((unsigned char)*p))
			p++;
	}
	return *p == ']';
}

int tags_looks_lrc(const char *text)
{
	int timed = 0, other = 0;

	for (const char *p = text; *p != '\0';) {
		const char *end = strchr(p, '\n');
		size_t len = end != NULL ? (size_t)(end - p) : strlen(p);

		while (len > 0 && *p == ' ') {
			p++;
			len--;
		}
		if (len > 0) {
			if (lrc_time_tag(p))
				timed++;
			else if (!(p[0] == '[' && isalpha((unsigned char)p[1]) &&
				   memchr(p, ':', len) != NULL && p[len - 1] == ']'))
				other++;
		}
		p += len;
		if (*p == '\n')
			p++;
	}
	return timed > 0 && timed >= other;
}

void tags_list_add(struct tag_list *l, const char *s, size_t n)
{
	if (l->n >= TAG_VALUES_MAX)
		return;
	if (tags_clean(l->v[l->n], sizeof l->v[l->n], s, n) > 0)
		l->n++;
}

/* Appends src to dst[*o..cap), cut on a character boundary; returns 0 when it was cut. */
static int append(char *dst, size_t cap, size_t *o, const char *src)
{
	size_t len = strlen(src), room = cap - 1 - *o;

	if (len > room) {
		len = room;
		while (len > 0 && ((unsigned char)src[len] & 0xc0) == 0x80)
			len--;
	}
	memcpy(dst + *o, src, len);
	*o += len;
	dst[*o] = '\0';
	return src[len] == '\0';
}

void tags_join(char *dst, size_t cap, const struct tag_list *l, const char *sep)
{
	size_t o = 0;

	dst[0] = '\0';
	for (int i = 0; i < l->n; i++)
		if ((i > 0 && !append(dst, cap, &o, sep)) || !append(dst, cap, &o, l->v[i]))
			break;
	while (o > 0 && dst[o - 1] == ' ')
		dst[--o] = '\0';
}

void tags_copy(char *dst, size_t cap, const char *src)
{
	size_t o = 0;

	dst[0] = '\0';
	append(dst, cap, &o, src);
}

static int number(const char **p)
{
	long v = 0;

	if (!isdigit((unsigned char)**p))
		return 0;
	for (; isdigit((unsigned char)**p); (*p)++)
		if (v <= 9999)
			v = v * 10 + (**p - '0');
	return v > 9999 ? 0 : (int)v;
}

int tags_parse_number(const char *s, int *total)
{
	int n;

	if (total != NULL)
		*total = 0;
	while (isspace((unsigned char)*s))
		s++;
	n = number(&s);
	while (isspace((unsigned char)*s))
		s++;
	if (*s == '/')
		s++;
	else if (strncasecmp(s, "of", 2) == 0)
		s += 2;
	else
		return n;
	while (isspace((unsigned char)*s))
		s++;
	if (total != NULL)
		*total = number(&s);
	return n;
}
