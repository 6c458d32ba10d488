/* Cell-accurate text. See text.h. */
#include "config.h"
#include "text.h"

#include <langinfo.h>
#include <locale.h>
#include <string.h>

#define REPLACEMENT ((wchar_t)0xFFFD)
#define ELLIPSIS ((wchar_t)0x2026)

int text_init(void)
{
	/* A locale the system lacks leaves LC_CTYPE as it was; the code set says what we got. */
	setlocale(LC_CTYPE, "");
	if (!strcmp(nl_langinfo(CODESET), "UTF-8"))
		return 0;
	/* glibc ships C.UTF-8 (upstream since 2.35, Debian long before). */
	if (setlocale(LC_CTYPE, "C.UTF-8") && !strcmp(nl_langinfo(CODESET), "UTF-8"))
		return 0;
	return -1;
}

/* The next character of s (advancing *s). Decoded here rather than by mbrtowc so that the
 * bytes mean the same under any locale. A byte that starts no valid character -- a stray
 * continuation, an overlong form, a surrogate, beyond U+10FFFF, cut short -- is one U+FFFD. */
static wchar_t next_char(const char **s)
{
	const unsigned char *p = (const unsigned char *)*s;
	unsigned c, min;
	int more, i;

	if (p[0] < 0x80) {
		(*s)++;
		return p[0];
	}
	if (p[0] >= 0xC2 && p[0] <= 0xDF)
		more = 1, c = p[0] & 0x1F, min = 0x80;
	else if (p[0] >= 0xE0 && p[0] <= 0xEF)
		more = 2, c = p[0] & 0x0F, min = 0x800;
	else if (p[0] >= 0xF0 && p[0] <= 0xF4)
		more = 3, c = p[0] & 0x07, min = 0x10000;
	else
		goto bad;
	/* The terminating NUL is no continuation byte: nothing is read past it. */
	for (i = 1; i <= more; i++) {
		if ((p[i] & 0xC0) != 0x80)
			goto bad;
		c = c << 6 | (p[i] & 0x3F);
	}
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		goto bad;
	*s += more + 1;
	return (wchar_t)c;
bad:
	(*s)++;
	return REPLACEMENT;
}

/* Controls have no width of their own: they are shown as one U+FFFD, so that a name cannot
 * move the cursor. */
static wchar_t shown(wchar_t wc)
{
	return wcwidth(wc) < 0 ? REPLACEMENT : wc;
}

static int cells(wchar_t wc)
{
	int w = wcwidth(shown(wc));

	/* No UTF-8 locale: U+FFFD itself has no width, but takes a cell on any terminal. */
	return w < 0 ? 1 : w;
}

int text_width(const char *s)
{
	int w = 0;

	while (s && *s)
		w += cells(next_char(&s));
	return w;
}

/* Where text_fit's characters go: wide characters for ncursesw or UTF-8 bytes, in cap units
 * of which the last is kept for the terminating NUL. */
struct sink {
	wchar_t *wide;
	char *utf8;
	size_t cap, len;
};

static size_t units(const struct sink *o, wchar_t wc)
{
	if (o->wide)
		return 1;
	return wc < 0x80 ? 1 : wc < 0x800 ? 2 : wc < 0x10000 ? 3 : 4;
}

/* Appends wc when it fits with spare units to spare (the room an ellipsis may still need). */
static bool put(struct sink *o, wchar_t wc, size_t spare)
{
	size_t n = units(o, wc);
	unsigned c = (unsigned)wc;
	char *u;

	if (o->len + n + spare >= o->cap)
		return false;
	if (o->wide) {
		o->wide[o->len++] = wc;
		return true;
	}
	u = o->utf8 + o->len;
	o->len += n;
	if (n == 1) {
		u[0] = (char)c;
		return true;
	}
	/* Continuation bytes from the last backwards, then the lead byte with the length mark. */
	for (size_t i = n - 1; i > 0; i--, c >>= 6)
		u[i] = (char)(0x80 | (c & 0x3F));
	u[0] = (char)((n == 2 ? 0xC0 : n == 3 ? 0xE0 : 0xF0) | c);
	return true;
}

/* The one place that decides what of s is shown in width cells (text_fit in text.h). */
static int fit(const char *s, int width, bool pad, struct sink *o)
{
	int used = 0;
	bool cut = text_width(s) > width;
	/* When it does not all fit, the last cell is the ellipsis'. */
	int room = cut ? width - 1 : width;
	size_t spare = units(o, ELLIPSIS);

	if (!o->cap)
		return 0;
	while (width > 0 && s && *s) {
		wchar_t wc = next_char(&s);
		int w = cells(wc);

		/* Marks of zero width after the last character kept still fit, and stay with it. */
		if (used + w > room)
			break;
		if (!put(o, shown(wc), spare)) {
			cut = true;
			break;
		}
		used += w;
	}
	if (cut && used < width && put(o, ELLIPSIS, 0))
		used++;
	while (pad && used < width && put(o, L' ', 0))
		used++;
	if (o->wide)
		o->wide[o->len] = 0;
	else
		o->utf8[o->len] = '\0';
	return used;
}

int text_fit(const char *s, int width, bool pad, wchar_t *out, size_t n)
{
	struct sink o = { .wide = out, .cap = n };

	return fit(s, width, pad, &o);
}

int text_fit_utf8(const char *s, int width, bool pad, char *out, size_t n)
{
	struct sink o = { .utf8 = out, .cap = n };

	return fit(s, width, pad, &o);
}

size_t text_wrap(const char *s, int width)
{
	const char *p = s, *space = NULL;
	int used = 0;

	while (*p) {
		const char *at = p;
		wchar_t wc = next_char(&p);
		int w = cells(wc);

		if (used + w > width)
			return space ? (size_t)(space - s) : at > s ? (size_t)(at - s) : (size_t)(p - s);
		used += w;
		if (wc == ' ')
			space = p;
	}
	return (size_t)(p - s);
}
