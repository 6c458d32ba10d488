#include "config.h"

#include <string.h>

#include "http/utf8.h"
#include "tap.h"

static void valid(const char *s, bool want)
{
	ok(utf8_valid(s, strlen(s)) == want, "%s is %svalid", s, want ? "" : "not ");
}

static void escape(const char *s, size_t len, const char *want)
{
	char out[64];

	utf8_escape(s, out, len);
	ok(!strcmp(out, want), "escape into %zu gives %s (got %s)", len, want, out);
	ok(utf8_valid(out, strlen(out)), "and that is UTF-8");
}

int main(void)
{
	valid("plain ascii", true);
	valid("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x8e\xb5", true);
	valid("\xff", false);
	valid("caf\xe9", false);              /* Latin-1 */
	valid("\xc0\xaf", false);             /* overlong '/' */
	valid("\xe0\x80\xaf", false);         /* overlong, three bytes */
	valid("\xed\xa0\x80", false);         /* a surrogate */
	valid("\xf4\x90\x80\x80", false);     /* past U+10FFFF */
	valid("\xe2\x82", false);             /* cut short */
	valid("\xc3\xa9\x80", false);         /* a stray continuation byte */
	ok(utf8_valid("a\0b", 3), "NUL is a character: the length, not a NUL, ends the text");

	escape("/v1/tracks/\xff", 64, "/v1/tracks/\\xff");
	escape("caf\xc3\xa9", 64, "caf\xc3\xa9");
	escape("a\r\nb", 64, "a\\x0d\\x0ab");
	escape("\xe2\x82\xac\xe2\x82\xac", 6, "\xe2\x82\xac");   /* never half a character */
	escape("ab\xff", 6, "ab");                               /* never half an escape */
	escape("\xed\xa0\x80", 64, "\\xed\\xa0\\x80");
	return done();
}
