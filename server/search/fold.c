/* Text folding for search: lower case, Latin diacritics removed (ö -> o, ß -> ss, æ -> ae),
 * apostrophes dropped inside words (don't -> dont), everything else that is not a letter or
 * digit a word break. Greek and Cyrillic capitals are lowered; other scripts pass through. */
#include "config.h"
#include "search/search.h"

#include <stdint.h>
#include <string.h>

/* U+00C0..U+017F folded to ASCII; "" drops the character, NULL breaks words. */
static const char *const latin[] = {
	/* C0 */ "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
	/* D0 */ "d", "n", "o", "o", "o", "o", "o", NULL, "o", "u", "u", "u", "u", "y", "th", "ss",
	/* E0 */ "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
	/* F0 */ "d", "n", "o", "o", "o", "o", "o", NULL, "o", "u", "u", "u", "u", "y", "th", "y",
	/* 100 */ "a", "a", "a", "a", "a", "a", "c", "c", "c", "c", "c", "c", "c", "c", "d", "d",
	/* 110 */ "d", "d", "e", "e", "e", "e", "e", "e", "e", "e", "e", "e", "g", "g", "g", "g",
	/* 120 */ "g", "g", "g", "g", "h", "h", "h", "h", "i", "i", "i", "i", "i", "i", "i", "i",
	/* 130 */ "i", "i", "ij", "ij", "j", "j", "k", "k", "k", "l", "l", "l", "l", "l", "l", "l",
	/* 140 */ "l", "l", "l", "n", "n", "n", "n", "n", "n", "n", "n", "n", "o", "o", "o", "o",
	/* 150 */ "o", "o", "oe", "oe", "r", "r", "r", "r", "r", "r", "s", "s", "s", "s", "s", "s",
	/* 160 */ "s", "s", "t", "t", "t", "t", "t", "t", "u", "u", "u", "u", "u", "u", "u", "u",
	/* 170 */ "u", "u", "u", "u", "w", "w", "y", "y", "y", "z", "z", "z", "z", "z", "z", "s",
};

/* Decodes one UTF-8 sequence; invalid bytes decode as themselves (Latin-1). */
static uint32_t next_cp(const unsigned char **p)
{
	const unsigned char *s = *p;
	uint32_t c = s[0];
	int n = c < 0x80 ? 0 : (c & 0xe0) == 0xc0 ? 1 : (c & 0xf0) == 0xe0 ? 2 : (c & 0xf8) == 0xf0 ? 3 : -1;

	if (n <= 0) {
		*p = s + 1;
		return c;
	}
	c &= 0x3f >> n;
	for (int i = 1; i <= n; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			*p = s + 1;
			return s[0];
		}
		c = (c << 6) | (s[i] & 0x3f);
	}
	*p = s + n + 1;
	return c;
}

static size_t put_cp(uint32_t c, char *out)
{
	if (c < 0x80) {
		out[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		out[0] = (char)(0xc0 | (c >> 6));
		out[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		out[0] = (char)(0xe0 | (c >> 12));
		out[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		out[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (c >> 18));
	out[1] = (char)(0x80 | ((c >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((c >> 6) & 0x3f));
	out[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

size_t search_fold(const char *in, char *out, size_t outlen)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t n = 0;
	bool pending_space = false;

	if (!outlen)
		return 0;
	while (*p) {
		uint32_t c = next_cp(&p);
		char buf[4];
		const char *rep = NULL;
		size_t len = 0;

		if (c == '\'' || c == 0x2019 || c == 0x2018 || c == 0x00b4 || c == '`')
			continue; /* apostrophes join: don't -> dont */
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
			buf[0] = (char)c;
			len = 1;
		} else if (c >= 'A' && c <= 'Z') {
			buf[0] = (char)(c + 32);
			len = 1;
		} else if (c >= 0xc0 && c <= 0x17f) {
			rep = latin[c - 0xc0];
			if (!rep) {
				pending_space = n > 0;
				continue;
			}
			len = strlen(rep);
		} else if (c >= 0x391 && c <= 0x3a9) {
			len = put_cp(c + 32, buf); /* Greek capitals */
		} else if (c >= 0x410 && c <= 0x42f) {
			len = put_cp(c + 32, buf); /* Cyrillic capitals */
		} else if (c >= 0x400 && c <= 0x40f) {
			len = put_cp(c + 80, buf);
		} else if (c >= 0x370 && c < 0x2000 && c != 0x37e && c != 0x387) {
			len = put_cp(c, buf); /* other letters of Greek, Cyrillic, Hebrew, Arabic, ... */
		} else if (c >= 0x3040 && c < 0xfe00) {
			len = put_cp(c, buf); /* CJK and kana: kept as they are */
		} else {
			pending_space = n > 0;
			continue;
		}
		if (pending_space) {
			if (n + 1 >= outlen)
				break;
			out[n++] = ' ';
			pending_space = false;
		}
		if (n + len >= outlen)
			break;
		memcpy(out + n, rep ? rep : buf, len);
		n += len;
	}
	out[n] = '\0';
	return n;
}
