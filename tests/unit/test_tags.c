/* Tags without TagLib's side: text cleaning, numbers, lyrics, artist splitting, names from the
 * path, and tags_read on files that are not audio. tests/tags.py reads real files. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog/tags.h"
#include "catalog/tags_internal.h"
#include "tap.h"

static void text(void)
{
	char out[16];
	int total;

	tags_clean(out, sizeof out, "  Ti\x01tle\t2 ", 11);
	is_str(out, "Title 2", "controls dropped, tab is a space, trimmed");
	tags_clean(out, sizeof out, "a\xff" "b", 3);
	is_str(out, "a\xef\xbf\xbd" "b", "an invalid byte becomes U+FFFD");
	tags_clean(out, sizeof out, "a\xc2\x85" "b\xef\xbb\xbf", 7);
	is_str(out, "ab", "C1 controls and BOMs dropped");
	tags_clean(out, sizeof out, "\xe6\x97\xa5\xe6\x97\xa5\xe6\x97\xa5\xe6\x97\xa5\xe6\x97\xa5x", 16);
	is_str(out, "\xe6\x97\xa5\xe6\x97\xa5\xe6\x97\xa5\xe6\x97\xa5\xe6\x97\xa5",
	       "cut to fit on a character boundary");
	tags_clean(out, 4, "\xc3\xa9\xc3\xa9", 4);
	is_str(out, "\xc3\xa9", "no half character at the cut");
	tags_clean(out, sizeof out, "\xed\xa0\x80z", 4);
	is_str(out, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdz", "a surrogate is not UTF-8");

	is_int(tags_parse_number("3/12", &total), 3, "3/12 is track 3");
	is_int(total, 12, "of 12");
	is_int(tags_parse_number(" 07 ", &total), 7, "07 is 7");
	is_int(total, 0, "no total");
	is_int(tags_parse_number("1 of 2", &total), 1, "1 of 2");
	is_int(total, 2, "of 2");
	is_int(tags_parse_number("99999", NULL), 0, "over 9999 is unknown");
	is_int(tags_parse_number("A1", NULL), 0, "vinyl sides are unknown");
}

static void lyrics(void)
{
	static const char text[] = "\r\n\nOne \r\nTwo\rThree\x07\n\n";
	char *l = tags_clean_lyrics(text, sizeof text - 1), *big;
	size_t n = TAG_LYRICS_MAX + 100;

	is_str(l, "One\nTwo\nThree\n", "line breaks unified, blank ends dropped, controls gone");
	free(l);
	ok(tags_clean_lyrics(" \n\t\n", 4) == NULL, "white space only is no lyrics");
	big = malloc(n);
	for (size_t i = 0; i < n; i++)
		big[i] = i % 10 == 9 ? '\n' : 'x';
	l = tags_clean_lyrics(big, n);
	ok(l != NULL && strlen(l) <= TAG_LYRICS_MAX && strlen(l) % 10 == 0 &&
	   l[strlen(l) - 1] == '\n', "capped at TAG_LYRICS_MAX after a whole line");
	free(l);
	free(big);
	ok(tags_looks_lrc("[ar:Someone]\n[00:01.00]One\n[00:02.50]Two\n"), "LRC is synced");
	ok(tags_looks_lrc("[1:02]One\n"), "one-digit minutes, no hundredths");
	ok(!tags_looks_lrc("[Chorus]\nOne\nTwo\n"), "a section mark is not a time");
	ok(!tags_looks_lrc("[00:01.00]One\nTwo\nThree\n"), "mostly untimed is plain");
}

static void split(void)
{
	static const char *const seps[] = { "; ", ";", " feat. ", " ft. ", " & " };
	struct tag_list l = { .n = 1 };

	snprintf(l.v[0], sizeof l.v[0], "A Feat. B;C ;  D ft. E");
	tags_split_artists(&l, seps, 5);
	is_int(l.n, 5, "five artists");
	is_str(l.v[1], "B", "case does not matter");
	is_str(l.v[3], "D", "trimmed");
	tags_split_artists(&l, seps, 5);
	is_int(l.n, 5, "several values are left alone");
	l.n = 1;
	snprintf(l.v[0], sizeof l.v[0], "; ");
	tags_split_artists(&l, seps, 5);
	ok(l.n == 1 && !strcmp(l.v[0], "; "), "nothing but separators stays");
	l.n = 1;
	snprintf(l.v[0], sizeof l.v[0], "Simon & Garfunkel");
	tags_split_artists(&l, seps, 4);
	ok(l.n == 1 && !strcmp(l.v[0], "Simon & Garfunkel"), "only the given separators split");
}

static void path(void)
{
	struct tags t;

	memset(&t, 0, sizeof t);
	tags_fallback_from_path(&t, "/music/Bj\xc3\xb6rk/Homogenic/03 - J\xc3\xb3ga.flac");
	is_str(t.artist, "Bj\xc3\xb6rk", "artist from the folder");
	ok(t.artists.n == 1 && !strcmp(t.artists.v[0], "Bj\xc3\xb6rk"), "artists from the folder");
	is_str(t.album, "Homogenic", "album from the folder");
	is_str(t.title, "J\xc3\xb3ga", "title from the file name");
	is_int(t.track_number, 3, "track number from the file name");
	is_int(t.album_artists.n, 0, "album artists stay untagged");
	is_int(t.disc_number, 1, "disc 1 when unknown");

	memset(&t, 0, sizeof t);
	t.album_artists.n = 1;
	snprintf(t.album_artists.v[0], sizeof t.album_artists.v[0], "Tagged");
	tags_fallback_from_path(&t, "Album/CD2/3-05 Some_Song.wav");
	is_str(t.artist, "Tagged", "artists default to the album artists");
	is_str(t.title, "Some Song", "underscores are spaces");
	is_int(t.disc_number, 3, "disc from the name wins over the folder");
	is_int(t.track_number, 5, "track from 1-05");
	is_str(t.album, "Album", "album above the disc folder");

	memset(&t, 0, sizeof t);
	tags_fallback_from_path(&t, "x.mp3");
	is_str(t.artist, "Unknown Artist", "no folder: unknown artist");
	is_str(t.album, "Unknown Album", "no folder: unknown album");
	is_str(t.title, "x", "title from the name");
}

static void reading(void)
{
	char dir[] = "/tmp/segue-tags-XXXXXX", file[64], err[256];
	struct tags t;
	FILE *f;

	ok(tags_read("/nonexistent/a.flac", &t, err, sizeof err) < 0 &&
	   strstr(err, "cannot open") != NULL, "a missing file fails with a reason");
	if (mkdtemp(dir) == NULL) {
		ok(0, "mkdtemp");
		return;
	}
	ok(tags_read(dir, &t, err, sizeof err) < 0, "a folder fails");
	snprintf(file, sizeof file, "%s/Art/Alb/02 - Noise.flac", dir);
	snprintf(err, sizeof err, "mkdir -p %s/Art/Alb", dir);
	if (system(err) != 0) {
		ok(0, "mkdir");
		return;
	}
	f = fopen(file, "wb");
	fputs("fLaC\x80\x00\x00\x22 garbage that is not a stream", f);
	fclose(f);
	is_int(tags_read(file, &t, err, sizeof err), 0, "a damaged file still reads");
	is_str(t.title, "Noise", "its names come from the path");
	is_str(t.artist, "Art", "artist from the path");
	ok(t.lyrics == NULL && t.picture == NULL, "nothing on the heap");
	tags_free(&t);
	tags_free(&t);
	ok(1, "tags_free twice");
	unlink(file);
	snprintf(err, sizeof err, "rm -r %s", dir);
	if (system(err) != 0)
		ok(0, "cleanup");
}

int main(void)
{
	text();
	lyrics();
	split();
	path();
	reading();
	return done();
}
