#include "config.h"

#include <limits.h>

#include "strput.h"
#include "tap.h"

int main(void)
{
	char b[32], small[8];
	struct strput s;

	strput_init(&s, b, sizeof b);
	is_str(b, "", "starts empty");
	strput_s(&s, "/audio/");
	strput_ll(&s, 0);
	strput_s(&s, "-");
	strput_ll(&s, 1234567);
	ok(strput_ok(&s), "fits");
	is_str(b, "/audio/0-1234567", "text and numbers");
	is_int((long long)s.len, 16, "its length");

	strput_init(&s, b, sizeof b);
	strput_lit(&s, "bytes ");
	strput_n(&s, "12345", 2);
	is_str(b, "bytes 12", "a literal and the start of a string");

	strput_init(&s, b, sizeof b);
	strput_ll(&s, LLONG_MIN);
	is_str(b, "-9223372036854775808", "the most negative number");
	strput_init(&s, b, sizeof b);
	strput_ll(&s, LLONG_MAX);
	strput_s(&s, " ");
	strput_ll(&s, -42);
	is_str(b, "9223372036854775807 -42", "the largest, and a negative one");

	strput_init(&s, b, sizeof b);
	strput_hex(&s, 0);
	strput_s(&s, ",");
	strput_hex(&s, 0x3fa9c2ULL);
	strput_s(&s, ",");
	strput_hex(&s, ~0ULL);
	is_str(b, "0,3fa9c2,ffffffffffffffff", "hexadecimal");

	strput_init(&s, small, sizeof small);
	strput_s(&s, "abcdefg");
	ok(strput_ok(&s), "seven characters fit in eight bytes");
	strput_s(&s, "h");
	ok(!strput_ok(&s), "an eighth does not");
	is_str(small, "abcdefg", "and the text is as before it");
	strput_s(&s, "");
	ok(!strput_ok(&s), "once over, always over");
	strput_init(&s, small, sizeof small);
	strput_ll(&s, 123456789);
	ok(!strput_ok(&s), "a number too long for the room is refused");
	is_str(small, "", "whole, not cut");
	return done();
}
