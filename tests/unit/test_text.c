/* Text in cells (src/core/text.c): widths and cuts, the same under any LANG/LC_ALL. */
#include "config.h"

#include <locale.h>
#include <stdlib.h>

#include "tap.h"
#include "text.h"

static const struct {
	const char *s;
	int cells;
} widths[] = {
	{ "", 0 },
	{ "Hello", 5 },
	{ "Can\u00e7\u00e3o do Mar", 13 },      /* precomposed */
	{ "Sigur O\u0301sk", 9 },               /* a combining acute: no cell */
	{ "e\u0301\u0302\u0303", 1 },            /* several marks on one letter */
	{ "\u5742\u672c\u9f8d\u4e00", 8 },      /* 坂本龍一: two cells each */
	{ "\uff21\uff22", 4 },                   /* fullwidth Latin */
	{ "\U0001f3b5", 2 },                     /* an emoji */
	{ "a\U0001f3b5b", 4 },
	{ "\xff", 1 },                           /* no UTF-8 at all */
	{ "a\xc3", 2 },                          /* cut short */
	{ "\xc0\xaf", 2 },                       /* overlong '/' */
	{ "\xed\xa0\x80", 3 },                   /* a surrogate */
	{ "\xf4\x90\x80\x80", 4 },               /* beyond U+10FFFF */
	{ "a\tb", 3 },                           /* a control takes the cell of its U+FFFD */
};

static const struct {
	const char *s;
	int width;
	bool pad;
	const char *want;
	int cells;
	const char *name;
} cuts[] = {
	{ "Hello", 5, true, "Hello", 5, "an exact fit has no ellipsis" },
	{ "Hi", 5, true, "Hi   ", 5, "padded to the width" },
	{ "Hi", 5, false, "Hi", 2, "not padded without pad" },
	{ "Hello world", 8, true, "Hello w\u2026", 8, "cut with an ellipsis in the last cell" },
	{ "Can\u00e7\u00e3o do Mar", 6, true, "Can\u00e7\u00e3\u2026", 6, "precomposed accents are one cell" },
	{ "Sigur O\u0301sk", 9, true, "Sigur O\u0301sk", 9, "combining marks: an exact fit" },
	{ "Sigur O\u0301sk", 8, true, "Sigur O\u0301\u2026", 8, "a mark stays with the letter kept" },
	{ "Sigur O\u0301sk", 7, true, "Sigur \u2026", 7, "and goes with the letter cut" },
	{ "\u5742\u672c\u9f8d\u4e00", 8, true, "\u5742\u672c\u9f8d\u4e00", 8, "wide: an exact fit" },
	{ "\u5742\u672c\u9f8d\u4e00", 5, true, "\u5742\u672c\u2026", 5, "wide: cut on a character's edge" },
	{ "\u5742\u672c\u9f8d\u4e00", 4, true, "\u5742\u2026 ", 4,
	  "wide: a character that would be split is left out, a space pads" },
	{ "\u5742\u672c\u9f8d\u4e00", 4, false, "\u5742\u2026", 3, "and without pad the cut is a cell short" },
	{ "ab\U0001f3b5", 4, true, "ab\U0001f3b5", 4, "an emoji that fits" },
	{ "ab\U0001f3b5c", 4, true, "ab\u2026 ", 4, "an emoji that does not" },
	{ "a\xff" "b", 3, true, "a\ufffd" "b", 3, "invalid UTF-8 shows as U+FFFD" },
	{ "a\x1b[2Jb", 6, true, "a\ufffd[2Jb", 6, "an escape cannot reach the terminal" },
	{ "abc", 1, true, "\u2026", 1, "one cell: the ellipsis alone" },
	{ "abc", 0, true, "", 0, "no cells: nothing" },
	{ NULL, 3, true, "   ", 3, "NULL is empty" },
};

/* The wide form in UTF-8, to compare with text_fit_utf8's: both come out of one cut. */
static void to_utf8(const wchar_t *w, char *out, size_t n)
{
	mbstate_t st = { 0 };
	size_t k = 0;

	for (; *w && k + MB_CUR_MAX < n; w++) {
		size_t m = wcrtomb(out + k, *w, &st);

		if (m == (size_t)-1)
			break;
		k += m;
	}
	out[k] = '\0';
}

static void check(const char *env)
{
	char buf[256], wide8[256];
	wchar_t wbuf[64];

	for (size_t i = 0; i < sizeof widths / sizeof widths[0]; i++)
		is_int(text_width(widths[i].s), widths[i].cells, "%s: width of case %zu", env, i);
	is_int(text_width(NULL), 0, "%s: NULL has no width", env);
	for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
		int n = text_fit_utf8(cuts[i].s, cuts[i].width, cuts[i].pad, buf, sizeof buf);

		is_str(buf, cuts[i].want, "%s: %s", env, cuts[i].name);
		is_int(n, cuts[i].cells, "%s: %s (cells)", env, cuts[i].name);
		is_int(text_width(buf), n, "%s: %s (measured again)", env, cuts[i].name);
		n = text_fit(cuts[i].s, cuts[i].width, cuts[i].pad, wbuf, sizeof wbuf / sizeof wbuf[0]);
		to_utf8(wbuf, wide8, sizeof wide8);
		is_str(wide8, cuts[i].want, "%s: %s (wide)", env, cuts[i].name);
		is_int(n, cuts[i].cells, "%s: %s (wide, cells)", env, cuts[i].name);
	}

	/* A buffer too small for the text: cut there, still terminated, the ellipsis kept. */
	memset(buf, 'x', sizeof buf);
	text_fit_utf8("Hello world", 20, true, buf, 6);
	is_str(buf, "He\u2026", "%s: a small buffer cuts the text, not the memory after it", env);
	ok(buf[6] == 'x', "%s: nothing written past it", env);
	wbuf[3] = L'x';
	text_fit("Hello", 20, true, wbuf, 3);
	ok(wbuf[0] == L'H' && wbuf[1] == 0x2026 && wbuf[2] == 0 && wbuf[3] == L'x',
	   "%s: the same for wide characters", env);
	text_fit_utf8("Hello", 5, true, buf, 0);
	ok(buf[0] == 'H', "%s: a buffer of nothing is left alone", env);

	/* Wrapping: at the last space that fits, else mid-word, never an empty piece. */
	is_int((int)text_wrap("hello world", 20), 11, "%s: wrap: what fits is one piece", env);
	is_int((int)text_wrap("hello world", 8), 6, "%s: wrap: after the last space that fits", env);
	is_int((int)text_wrap("helloworld", 4), 4, "%s: wrap: a word longer than the width is cut", env);
	is_int((int)text_wrap("日本語", 5), 6, "%s: wrap: by cells (two CJK in five)", env);
	is_int((int)text_wrap("日x", 1), 3, "%s: wrap: a character wider than the width goes alone", env);
	is_int((int)text_wrap("", 4), 0, "%s: wrap: nothing is nothing", env);
}

int main(void)
{
	/* The environments a user may run segue in: C and POSIX are what cron, ssh without
	 * SendEnv and bare containers give; the last is a UTF-8 locale named outright. */
	static const char *const envs[] = { "unset", "C", "POSIX", "C.UTF-8" };

	for (size_t i = 0; i < sizeof envs / sizeof envs[0]; i++) {
		unsetenv("LANG");
		unsetenv("LC_CTYPE");
		if (i == 0)
			unsetenv("LC_ALL");
		else
			setenv("LC_ALL", envs[i], 1);
		is_int(text_init(), 0, "LC_ALL %s: a UTF-8 LC_CTYPE all the same", envs[i]);
		is_str(setlocale(LC_NUMERIC, NULL), "C", "LC_ALL %s: LC_NUMERIC stays C", envs[i]);
		check(envs[i]);
	}
	return done();
}
