/* lib/decimal.h: plain digits up to LLONG_MAX, and nothing strtoll would also take. */
#include "config.h"

#include <stdio.h>

#include "decimal.h"
#include "tap.h"

int main(void)
{
	static const char *const bad[] = { "", "+1", "-1", " 1", "1 ", "0x10", "1e3", "12a",
	                                   "9223372036854775808", "99999999999999999999", "１" };
	long long v = -7;
	const char *end;
	int refused = 1;

	ok(decimal_parse("0", &v) && v == 0, "0");
	ok(decimal_parse("1733450000", &v) && v == 1733450000LL, "an expiry as links carry it");
	ok(decimal_parse("007", &v) && v == 7, "leading zeros");
	ok(decimal_parse("000000000000000000000000000042", &v) && v == 42,
	   "leading zeros do not count towards the limit");
	ok(decimal_parse("9223372036854775807", &v) && v == 9223372036854775807LL, "LLONG_MAX itself");
	ok(decimal_parse("9223372036854775799", &v) && v == 9223372036854775799LL,
	   "19 digits just under LLONG_MAX");
	v = -7;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (decimal_parse(bad[i], &v)) {
			printf("#   took \"%s\"\n", bad[i]);
			refused = 0;
		}
	ok(refused && v == -7, "signs, blanks, other bases, trailing text, overflow, other digits: refused, *out untouched");
	end = decimal_prefix("500-999", &v);
	ok(end && *end == '-' && v == 500, "a prefix: the number and where it stops");
	ok(!decimal_prefix("-5", &v) && !decimal_prefix("", &v), "no digits first: NULL");
	return done();
}
