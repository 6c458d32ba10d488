/* M3U text (src/core/m3u.c): what other players write, read back; what segue writes. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "m3u.h"
#include "tap.h"

static enum seg_err parse(const char *text, struct m3u *m)
{
	return m3u_parse("test.m3u", text, strlen(text), m);
}

static void test_extended(void)
{
	struct m3u m;

	is_int(parse("#EXTM3U\n#PLAYLIST: Road Trip \n\n# a comment\n#EXTINF:123,Artist - Title\n"
	             "  path/a.flac  \nb.flac\n#PLAYLIST:second\n", &m), SEG_OK, "an extended M3U parses");
	is_str(m.name, "Road Trip", "#PLAYLIST names it, trimmed; the first one counts");
	is_int(m.n, 2, "two entries: comments and blank lines are not");
	is_str(m.entries[0].location, "path/a.flac", "a location, trimmed");
	is_int(m.entries[0].line, 6, "its line number");
	is_str(m.entries[0].artist, "Artist", "#EXTINF's artist");
	is_str(m.entries[0].title, "Title", "#EXTINF's title");
	is_int(m.entries[0].duration_ms, 123000, "#EXTINF's seconds");
	ok(!m.entries[1].artist && !m.entries[1].title && !m.entries[1].duration_ms,
	   "an #EXTINF describes the next entry only");
	m3u_free(&m);

	is_int(parse("#EXTINF:-1 tvg-name=\"a, b\" group-title=\"x\",Title Only\nhttp://h/s\n"
	             "#EXTINF:10.6,A - B - C\nx\n#EXTINF:7\ny\n", &m), SEG_OK, "attributes and odd #EXTINF lines");
	ok(m.n == 3 && !m.entries[0].artist && !m.entries[0].duration_ms,
	   "-1 seconds is unknown; no \" - \", no artist");
	is_str(m.entries[0].title, "Title Only", "the display text starts after the comma outside quotes");
	is_str(m.entries[1].artist, "A", "the artist ends at the first \" - \"");
	is_str(m.entries[1].title, "B - C", "the title keeps the rest");
	is_int(m.entries[1].duration_ms, 10600, "fractional seconds");
	ok(!m.entries[2].title && m.entries[2].duration_ms == 7000, "an #EXTINF without a comma: a length only");
	m3u_free(&m);
}

static void test_encodings(void)
{
	struct m3u m;

	is_int(parse("\xef\xbb\xbf#EXTINF:5,A - B\r\nx\ry\r\n\r\nz", &m), SEG_OK, "BOM, CRLF, CR");
	ok(m.n == 3 && !strcmp(m.entries[0].location, "x") && m.entries[0].line == 2 &&
	   !strcmp(m.entries[1].location, "y") && m.entries[1].line == 3 &&
	   !strcmp(m.entries[2].location, "z") && m.entries[2].line == 5,
	   "each line ending counts once; the last line needs none");
	is_str(m.entries[0].title, "B", "the BOM does not hide the first line's #EXTINF");
	m3u_free(&m);

	is_int(parse("#EXTINF:1,Jos\xe9 - Se\xf1or\n\x93q\x94 \x80.mp3\n", &m), SEG_OK, "Latin-1");
	is_str(m.entries[0].artist, "Jos\u00e9", "Latin-1 letters become UTF-8");
	is_str(m.entries[0].title, "Se\u00f1or", "in titles too");
	is_str(m.entries[0].location, "\u201cq\u201d \u20ac.mp3", "0x80..0x9f as Windows-1252");
	m3u_free(&m);

	is_int(parse("Caf\xc3\xa9/\xc0\xaf.flac\n", &m), SEG_OK, "an overlong sequence");
	is_str(m.entries[0].location, "Caf\u00c3\u00a9/\u00c0\u00af.flac",
	       "is not UTF-8: the whole file is read as Latin-1");
	m3u_free(&m);
	is_int(parse("Caf\xc3\xa9 \xf0\x9f\x8e\xb5.flac\n", &m), SEG_OK, "UTF-8");
	is_str(m.entries[0].location, "Caf\u00e9 \U0001f3b5.flac", "is kept as it is");
	m3u_free(&m);
}

static void test_limits(void)
{
	size_t n = (M3U_ENTRIES_MAX + 1) * 2;
	char *text = malloc(n + 1);
	struct m3u m;

	is_int(m3u_parse("t", "a\0b\n", 4, &m), SEG_EFAIL, "NUL bytes: not a playlist");
	ok(!m.n && !m.entries, "and nothing is left to free");
	memset(text, '\n', n);
	for (size_t i = 0; i < n; i += 2)
		text[i] = 'x';
	text[n] = '\0';
	is_int(m3u_parse("t", text, n - 2, &m), SEG_OK, "as many entries as a playlist holds");
	is_int(m.n, M3U_ENTRIES_MAX, "all of them");
	m3u_free(&m);
	is_int(m3u_parse("t", text, n, &m), SEG_EUSAGE, "one more is refused");
	free(text);
	is_int(parse("", &m), SEG_OK, "an empty file");
	ok(!m.n && !m.name, "has nothing");
}

static void test_write(void)
{
	struct buf b = BUF_INIT;
	char dir[] = "/tmp/test_m3u-XXXXXX", path[64], bad[96];
	struct m3u m;

	ok(m3u_put_header(&b, "Two\nLines") == 0 && m3u_put_entry(&b, 2500, "A, B", "T\r\nx", "a/b.flac") == 0 &&
	   m3u_put_entry(&b, 2499, "", "Only", "segue:track:x") == 0, "written");
	is_str(b.p, "#EXTM3U\n#PLAYLIST:Two Lines\n#EXTINF:3,A, B - T  x\na/b.flac\n#EXTINF:2,Only\n"
	       "segue:track:x\n", "line breaks in names are spaces; seconds rounded; no artist, no dash");
	if (!mkdtemp(dir)) {
		ok(0, "a temporary folder");
		buf_free(&b);
		return;
	}
	snprintf(path, sizeof path, "%s/p.m3u8", dir);
	is_int(m3u_write_file(path, "old\n", 4), SEG_OK, "a file written");
	is_int(m3u_write_file(path, b.p, b.len), SEG_OK, "and replaced");
	is_int(m3u_read(path, &m), SEG_OK, "read back");
	ok(m.n == 2 && !strcmp(m.name, "Two Lines") && !strcmp(m.entries[0].artist, "A, B") &&
	   !strcmp(m.entries[0].title, "T  x") && m.entries[1].duration_ms == 2000,
	   "what was written is what is read");
	m3u_free(&m);
	snprintf(bad, sizeof bad, "%s/no/such.m3u8", dir);
	is_int(m3u_write_file(bad, "x", 1), SEG_EIO, "a folder that is not there");
	ok(strstr(seg_errmsg(), "No such file") != NULL, "says why: %s", seg_errmsg());
	is_int(m3u_read(bad, &m), SEG_EIO, "reading a missing file");
	is_int(m3u_read(dir, &m), SEG_EIO, "reading a folder");
	unlink(path);
	rmdir(dir);
	buf_free(&b);
}

int main(void)
{
	test_extended();
	test_encodings();
	test_limits();
	test_write();
	return done();
}
