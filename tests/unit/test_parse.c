/* Small parsers: form bodies, settings, tags from comments and paths. */
#include "config.h"

#include <stdlib.h>

#include "settings.h"
#include "catalog/tags.h"
#include "tap.h"
#include "http/urlenc.h"

int main(void)
{
	char v[64], err[256];
	const char *body = "grant_type=password&username=al%20ice&password=a+b%26c&empty=&flag";
	struct settings s;
	struct tags t;

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

	memset(&t, 0, sizeof t);
	tags_apply_comment(&t, "TITLE=Mr. Brightside", 20);
	tags_apply_comment(&t, "title=Second", 12);
	is_str(t.title, "Mr. Brightside", "first TITLE wins");
	tags_apply_comment(&t, "TRACKNUMBER=3/12", 16);
	is_int(t.track_number, 3, "track 3/12 is 3");
	tags_apply_comment(&t, "DISCNUMBER=2/2", 14);
	is_int(t.disc_number, 2, "disc 2/2 is 2");
	tags_apply_comment(&t, "ALBUMARTIST=Various Artists", 27);
	is_str(t.album_artists.v[0], "Various Artists", "album artist");
	tags_apply_comment(&t, "SEGUE_MARKETS=US,GB", 19);
	is_str(t.markets, "US,GB", "markets");
	tags_apply_comment(&t, "NOEQUALS", 8);
	ok(1, "a comment without '=' is ignored");

	memset(&t, 0, sizeof t);
	tags_fallback_from_path(&t, "/music/Björk/Homogenic/03 - Jóga.flac");
	is_str(t.artist, "Björk", "artist from the folder");
	is_str(t.album, "Homogenic", "album from the folder");
	is_str(t.title, "Jóga", "title from the file name");
	is_int(t.track_number, 3, "track number from the file name");
	is_str(t.artists.v[0], "Björk", "the artists list holds the folder's artist");
	is_int(t.album_artists.n, 0, "no album artist is made up: the album's tracks decide");
	return done();
}
