/* Small parsers: form bodies and settings (tags: test_tags.c). */
#include "config.h"

#include <stdlib.h>

#include "settings.h"
#include "tap.h"
#include "http/urlenc.h"

int main(void)
{
	char v[64], err[256];
	const char *body = "grant_type=password&username=al%20ice&password=a+b%26c&empty=&flag";
	struct settings s;

	is_int(form_get(body, strlen(body), "username", v, sizeof v), 1, "form field found");
	is_str(v, "al ice", "percent-decoded");
	form_get(body, strlen(body), "password", v, sizeof v);
	is_str(v, "a b&c", "plus and escaped ampersand decoded");
	is_int(form_get(body, strlen(body), "empty", v, sizeof v), 1, "empty value found");
	is_str(v, "", "empty value");
	is_int(form_get(body, strlen(body), "flag", v, sizeof v), 1, "bare name found");
	is_int(form_get(body, strlen(body), "nope", v, sizeof v), 0, "absent field");
	is_int(form_get("a=%zz", 5, "a", v, sizeof v), -1, "bad escape is malformed");
	is_int(form_get("a=%00", 5, "a", v, sizeof v), -1, "an escaped NUL is malformed");
	is_int(form_get("a=0123456789", 12, "a", v, 4), -1, "too long for the buffer");

	settings_defaults(&s);
	is_int(s.rl_search, 30, "default search limit");
	ok(settings_set(&s, "rl_search", "7", err, sizeof err) == 0 && s.rl_search == 7, "set a number");
	ok(settings_set(&s, "rl_search", "0", err, sizeof err) < 0, "out of range refused");
	ok(settings_set(&s, "rl_search", "12x", err, sizeof err) < 0, "junk refused");
	ok(settings_set(&s, "nonsense", "1", err, sizeof err) < 0, "unknown option refused");

	return done();
}
