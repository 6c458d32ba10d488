/* Cell-accurate text. See text.h. */
#include "config.h"
#include "text.h"

#include <stdlib.h>
#include <string.h>

/* The next character of s (advancing *s); U+FFFD for a byte that starts no valid one. */
static wchar_t next_char(const char **s)
{
	mbstate_t st;
	wchar_t wc;
	size_t n;

	memset(&st, 0, sizeof st);
	n = mbrtowc(&wc, *s, MB_CUR_MAX, &st);
	if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
		(*s)++;
		return 0xFFFD;
	}
	*s += n;
	return wc;
}

static int cells(wchar_t wc)
{
	int w = wcwidth(wc);

	/* Control characters have no width of their own: they are shown as one replacement. */
	return w < 0 ? 1 : w;
}

int text_width(const char *s)
{
	int w = 0;

	while (s && *s)
		w += cells(next_char(&s));
	return w;
}

int text_fit(const char *s, int width, int pad, wchar_t *out, size_t n)
{
	int used = 0, total = text_width(s);
	size_t k = 0;
	/* Room for the ellipsis when it will not all fit. */
	int room = total > width ? width - 1 : width;

	if (n == 0)
		return 0;
	while (s && *s && k + 2 < n) {
		wchar_t wc = next_char(&s);
		int w = cells(wc);

		if (wcwidth(wc) < 0)
			wc = 0xFFFD;
		if (used + w > room)
			break;
		out[k++] = wc;
		used += w;
	}
	if (total > width && width > 0 && k + 1 < n) {
		out[k++] = 0x2026; /* … */
		used++;
	}
	while (pad && used < width && k + 1 < n) {
		out[k++] = L' ';
		used++;
	}
	out[k] = 0;
	return used;
}
