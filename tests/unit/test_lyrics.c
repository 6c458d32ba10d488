/* Lyrics: the LRC parser's rules one by one, hostile input, the stored form, the .lrc beside a
 * master, and what ingest remembers of it. */
#include "config.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lyrics/charset.h"
#include "lyrics/lyrics.h"
#include "store/catalog.h"
#include "store/lyrics.h"
#include "tap.h"

static struct lyrics L;
static char err[256];

/* Parses a literal (NULs and all). */
#define PARSE(lit, flags) parse(lit, sizeof lit - 1, flags)

static int parse(const char *text, size_t len, unsigned flags)
{
	lyrics_free(&L);
	err[0] = '\0';
	return lyrics_parse(text, len, &L, flags, err, sizeof err);
}

static long long start(size_t i)
{
	return i < L.n ? L.lines[i].start_ms : -99;
}

static const char *text(size_t i)
{
	return i < L.n ? L.lines[i].text : "(no line)";
}

/* Every line valid UTF-8, without control characters, within the limit; synced ones in
 * order and in range. */
static bool well_formed(void)
{
	if (L.n > LYRICS_LINES_MAX)
		return false;
	for (size_t i = 0; i < L.n; i++) {
		const char *t = L.lines[i].text;
		size_t len = strlen(t), n;

		if (len > LYRICS_LINE_MAX || (len && (t[0] == ' ' || t[len - 1] == ' ')))
			return false;
		for (const char *p = t; *p; p += n)
			if (!(n = charset_utf8_len((const unsigned char *)p, len - (size_t)(p - t))) ||
			    (unsigned char)*p < 0x20 || *p == 0x7F)
				return false;
		if (L.synced && (L.lines[i].start_ms < 0 || L.lines[i].start_ms > LYRICS_MS_MAX ||
		                 (i && L.lines[i].start_ms < L.lines[i - 1].start_ms)))
			return false;
		if (!L.synced && L.lines[i].start_ms != -1)
			return false;
	}
	return true;
}

static void stamps(void)
{
	is_int(PARSE("[00:01.50]Hello", 0), 0, "two decimals parse");
	ok(L.synced && L.n == 1 && start(0) == 1500, "[00:01.50] is 1500 ms");
	is_str(text(0), "Hello", "its text");
	PARSE("[01:02.345]x", 0);
	is_int(start(0), 62345, "[01:02.345]: three decimals are milliseconds");
	PARSE("[02:03]y", 0);
	is_int(start(0), 123000, "[02:03]: no fraction");
	PARSE("[00:01.5]y", 0);
	is_int(start(0), 1500, "[00:01.5]: one decimal is tenths");
	PARSE("[00:01:50]y", 0);
	is_int(start(0), 1500, "[00:01:50]: a colon before the fraction");
	PARSE("[123:04.00]y", 0);
	is_int(start(0), 7384000, "minutes past 99");
	PARSE("[00:10.00][00:05.00]Chorus\n[00:07.00]Verse\n", 0);
	is_int(L.n, 3, "a line with two stamps is two lines");
	ok(start(0) == 5000 && start(1) == 7000 && start(2) == 10000, "sorted by time");
	ok(!strcmp(text(0), "Chorus") && !strcmp(text(1), "Verse") && !strcmp(text(2), "Chorus"),
	   "the text repeats at each time");
	ok(text(0) == text(2), "and is kept once");
	PARSE("[00:01.00] [00:02.00]\tboth", 0);
	ok(L.n == 2 && !strcmp(text(1), "both"), "spaces between stamps");
	PARSE("[00:05.00]\n[00:04.00]x\n", 0);
	ok(L.n == 2 && start(1) == 5000 && !strcmp(text(1), ""), "a stamp alone is a timed blank");
}

static void stable(void)
{
	char buf[2000] = "";
	bool in_order = true;

	for (int i = 0; i < 60; i++)
		snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "[00:%02d.00]%d\n", i % 2 ? 9 : 3, i);
	parse(buf, strlen(buf), 0);
	is_int(L.n, 60, "60 lines at two times");
	for (size_t i = 1; i < L.n; i++)
		if (start(i) == start(i - 1) && atoi(text(i)) < atoi(text(i - 1)))
			in_order = false;
	ok(in_order && start(0) == 3000 && start(59) == 9000, "lines at the same time keep their order");
}

static void offsets(void)
{
	PARSE("[offset:+500]\n[00:02.00]a", 0);
	is_int(start(0), 1500, "a positive offset shows lines earlier");
	PARSE("[offset:-250]\n[00:02.00]a", 0);
	is_int(start(0), 2250, "a negative offset later");
	PARSE("[00:02.00]a\n[offset: 1000 ]\n", 0);
	is_int(start(0), 1000, "an offset after the lines counts too");
	PARSE("[offset:5000]\n[00:01.00]a\n[00:09.00]b", 0);
	ok(start(0) == 0 && start(1) == 4000, "a time the offset makes negative is 0");
	PARSE("[offset:abc]\n[00:01.00]a", 0);
	ok(start(0) == 1000 && L.skipped == 1, "a bad offset is a bad line");
	PARSE("[offset:-99999999999999]\n[00:01.00]a", 0);
	ok(start(0) == 1000 && L.skipped == 1, "a huge offset is a bad line");
	PARSE("[offset:-360000000]\n[99:00.00]a", 0);
	ok(start(0) == LYRICS_MS_MAX, "a time the offset pushes past the end is kept at the limit");
}

static void metadata(void)
{
	PARSE("[ar:Artist]\n[ti:Title]\n[al:Album]\n[by:me]\n[length: 03:20]\n[00:01.00]a\n", 0);
	ok(L.n == 1 && !strcmp(text(0), "a") && !L.skipped, "metadata tags are not lines");
	is_str(L.language, "", "no language");
	PARSE("[la:eng]\n[00:01.00]a", 0);
	is_str(L.language, "eng", "[la:eng]");
	PARSE("[lang:EN]\n[00:01.00]a", 0);
	is_str(L.language, "en", "[lang:EN], lower-cased");
	PARSE("[la:English]\n[00:01.00]a", 0);
	is_str(L.language, "", "a language name that is no code is ignored");
	PARSE("[AR:Someone]\n[00:01.00]a", 0);
	ok(L.n == 1 && !L.skipped, "tag names in any case");
	PARSE("[ar:Someone\n[00:01.00]a", 0);
	ok(L.n == 1 && L.skipped == 1, "a tag without its closing bracket is a bad line");
	char lang[LYRICS_LANG_MAX] = "";
	ok(lyrics_language(" pt_BR ", 7, lang) && !strcmp(lang, "pt-br"), "pt_BR is pt-br");
	ok(!lyrics_language("e", 1, lang) && !lyrics_language("english", 7, lang) &&
	   !lyrics_language("en-", 3, lang) && !lyrics_language("en-abcdefgh", 11, lang), "not codes");
}

static void bad_lines(void)
{
	PARSE("[00:01.00]ok\ngarbage\n[xx:yy]z\n\n[00:99.00]bad seconds\n[00:02.00]fine\n", 0);
	ok(L.n == 2 && !strcmp(text(0), "ok") && !strcmp(text(1), "fine"), "bad lines skipped");
	is_int(L.skipped, 3, "and counted (blank lines are not bad)");
	PARSE("[00:01.00 no close\n[00:02.00]b", 0);
	ok(L.n == 1 && L.skipped == 1, "a stamp without its closing bracket is a bad line");
	PARSE("[99999999:99.99]huge\n[00:02.00]b", 0);
	ok(L.n == 1 && start(0) == 2000 && L.skipped == 1, "[99999999:99.99] is skipped");
	PARSE("[6000:00.00]a\n[6000:00.01]b\n", 0);
	ok(L.n == 1 && start(0) == LYRICS_MS_MAX, "a stamp past 100 hours is skipped");
	PARSE("[00:01.1234]a\n[00:01.]b\n[00:1x]c\n[:01.00]d\n[00:01.00]e", 0);
	ok(L.n == 1 && !strcmp(text(0), "e") && L.skipped == 4, "malformed fractions and seconds");
	PARSE("[99999999:99.99]only", 0);
	ok(!L.n && !L.synced && L.skipped == 1, "nothing left: no lyrics, and no error");
}

static void text_rules(void)
{
	PARSE("[00:01.00]<00:01.00>Hello <00:01.50>world<00:02.00>", 0);
	is_str(text(0), "Hello world", "enhanced-LRC word stamps stripped");
	PARSE("[00:01.00]<00:01.00> Hello <00:01.50> world", 0);
	is_str(text(0), "Hello world", "and the spaces around them folded");
	PARSE("[00:01.00]a <b> c <00:99.00> d", 0);
	is_str(text(0), "a <b> c <00:99.00> d", "other angle brackets are text");
	PARSE("\xEF\xBB\xBF[00:01.00]a", 0);
	ok(L.n == 1 && start(0) == 1000, "a UTF-8 BOM is skipped");
	PARSE("[00:01.00]a\r\n[00:02.00]b\r\n", 0);
	ok(L.n == 2 && !strcmp(text(0), "a") && !strcmp(text(1), "b"), "CRLF");
	PARSE("[00:01.00]a\r[00:02.00]b", 0);
	is_int(L.n, 2, "a lone CR ends a line too");
	PARSE("[00:01.00]   spaced    out   ", 0);
	is_str(text(0), "spaced out", "trimmed, runs of spaces folded");
	PARSE("[00:01.00]a\x01" "b\x7f" "c\td\xC2\x85" "e\xEF\xBB\xBF" "f", 0);
	is_str(text(0), "abc def", "control characters dropped, a tab is a space");
	PARSE("[00:01.00]caf\xC3\xA9 \xFF\xFE" "bad \xE2\x82", 0);
	is_str(text(0), "caf\xC3\xA9 \xEF\xBF\xBD" "bad \xEF\xBF\xBD", "invalid UTF-8 among UTF-8 is U+FFFD");
	PARSE("[00:01.00]caf\xE9 \x93q\x94 \x81", 0);
	is_str(text(0), "caf\xC3\xA9 \xE2\x80\x9Cq\xE2\x80\x9D \xEF\xBF\xBD", "no UTF-8 at all: Windows-1252");
	PARSE("[00:01.00]\xC3\xA9\xED\xA0\x80x\xC0\xAF", 0);
	is_str(text(0), "\xC3\xA9\xEF\xBF\xBDx\xEF\xBF\xBD", "surrogates and overlong forms are invalid");
	PARSE("\xFF\xFE[\0" "0\0" "0\0:\0" "0\0" "1\0]\0G\0\xFC\0\x3D\xD8\x00\xDE", 0);
	ok(L.n == 1 && start(0) == 1000 && !strcmp(text(0), "G\xC3\xBC\xF0\x9F\x98\x80"), "UTF-16LE with a BOM");
	PARSE("\xFE\xFF\0[\0" "0\0" "0\0:\0" "0\0" "2\0]\0" "a\xD8\x00", 0);
	ok(L.n == 1 && start(0) == 2000 && !strcmp(text(0), "a\xEF\xBF\xBD"), "UTF-16BE, a lone surrogate");
	char *longl = malloc(1600);
	strcpy(longl, "[00:01.00]");
	memset(longl + 10, 'a', 1500);
	parse(longl, 1510, 0);
	ok(strlen(text(0)) == LYRICS_LINE_MAX && L.cut == 1, "a line is cut to 1000 bytes");
	strcpy(longl + 10, "a");
	for (int i = 0; i < 600; i++)
		memcpy(longl + 11 + 2 * i, "\xC3\xA9", 2);
	parse(longl, 1211, 0);
	ok(strlen(text(0)) == 999 && well_formed(), "cut at a character's start");
	free(longl);
}

static void plain(void)
{
	PARSE("\n\nLine one\n\n\n\nLine two\n[Chorus]\n[ar:Hidden]\n\n", 0);
	ok(!L.synced && L.n == 4, "plain text: unsynced lines");
	ok(!strcmp(text(0), "Line one") && !strcmp(text(1), "") && !strcmp(text(2), "Line two") &&
	   !strcmp(text(3), "[Chorus]"), "blank runs folded, brackets kept, tags hidden");
	ok(start(0) == -1 && well_formed(), "no start times");
	PARSE("[00:01.00]x\n[ar:y]", LYRICS_PLAIN);
	ok(!L.synced && L.n == 2 && !strcmp(text(0), "[00:01.00]x"), "LYRICS_PLAIN reads no stamps or tags");
	is_int(PARSE("", 0), 0, "empty input is no error");
	ok(!L.n, "and gives no lines");
	PARSE("[ti:only tags]\n", 0);
	ok(!L.n && !L.skipped, "tags alone give no lines");
}

static void limits(void)
{
	size_t big = LYRICS_INPUT_MAX + 1;
	char *p = malloc(big + 64);
	size_t n = 0;

	for (size_t i = 0; i < big; i++)
		p[i] = i % 100 == 99 ? '\n' : 'a';
	is_int(parse(p, big - 1, 0), 0, "256 KiB is accepted");
	is_int(parse(p, big, 0), -1, "a byte more is refused");
	ok(strstr(err, "too large") != NULL, "saying why: %s", err);
	for (int i = 0; i < LYRICS_LINES_MAX; i++)
		n += (size_t)sprintf(p + n, "[%d:%02d.00]x\n", i / 60, i % 60);
	is_int(parse(p, n, 0), 0, "5000 lines are accepted");
	is_int(L.n, LYRICS_LINES_MAX, "all of them");
	n += (size_t)sprintf(p + n, "[99:00.00]x\n");
	is_int(parse(p, n, 0), -1, "5001 are refused");
	ok(strstr(err, "5000") != NULL, "saying why: %s", err);
	n = 0;
	for (int i = 0; i <= LYRICS_LINES_MAX; i++)
		n += (size_t)sprintf(p + n, "[0:0]");
	n += (size_t)sprintf(p + n, "boom");
	is_int(parse(p, n, 0), -1, "one line with 5001 stamps is refused");
	n = 0;
	for (int i = 0; i <= LYRICS_LINES_MAX; i++)
		n += (size_t)sprintf(p + n, "w%d\n", i);
	is_int(parse(p, n, 0), -1, "5001 plain lines are refused");
	memset(p, '\n', 200000);
	memcpy(p + 200000, "[00:01.00]a", 11);
	is_int(parse(p, 200011, 0), 0, "200000 blank lines and one stamp");
	is_int(L.n, 1, "give one line");
	free(p);
}

static void hostile(void)
{
	is_int(PARSE("[00:01.00]a\0b", 0), -1, "NUL bytes are refused");
	ok(strstr(err, "NUL") != NULL, "saying why: %s", err);
	is_int(PARSE("[\0" "0\0" "0\0:\0" "0\0" "1\0]\0", 0), -1, "so is UTF-16 without a BOM");
	is_int(PARSE("\x01\x02\x03\x04\x05\x06\x07\x08 binary \x0e\x0f\x10", 0), -1, "control characters refused");
	PARSE("[00:01.00]a\x01" "b", 0);
	ok(L.n == 1, "a stray one is dropped, not refused");
	PARSE("[", 0);
	ok(L.n == 1 && !strcmp(text(0), "["), "a lone bracket is text");
	PARSE("[00:", 0);
	ok(!L.n && L.skipped == 1, "a stamp cut short at the end");
	PARSE("[00:01.00]<00:", 0);
	is_str(text(0), "<00:", "a word stamp cut short at the end");
	PARSE("[offset:", 0);
	ok(!L.n && L.skipped == 1, "an offset cut short");
	is_int(PARSE("\xFF\xFE", 0), 0, "a BOM alone");
	is_int(PARSE("\xFF\xFE\x00", 0), 0, "a BOM and half a character");

	/* Random bytes, and valid LRC with random bytes changed: never a crash, always clean. */
	const char *base = "[ar:A]\n[offset:+120]\n[00:01.00]<00:01.00>One <00:01.20>two\n"
	                   "[00:03.50][00:09.25]Refrain \xC3\xA9t\xC3\xA9\n[la:fr]\n[00:05.125]\n";
	size_t blen = strlen(base);
	char buf[512];
	bool clean = true;
	unsigned seed = 12345;

	for (int round = 0; round < 4000; round++) {
		size_t len = round % 2 ? blen : (size_t)(rand_r(&seed) % sizeof buf);

		if (round % 2) {
			memcpy(buf, base, blen);
			for (int k = 0; k < 1 + round % 7; k++)
				buf[rand_r(&seed) % blen] = (char)(round % 3 ? "[]:.<>0\n\r\t"[rand_r(&seed) % 11]
				                                             : rand_r(&seed));
		} else {
			for (size_t k = 0; k < len; k++)
				buf[k] = (char)rand_r(&seed);
		}
		if (parse(buf, len, round % 5 == 4 ? LYRICS_PLAIN : 0) == 0 && !well_formed())
			clean = false;
	}
	ok(clean, "4000 random and mutated inputs: every result well formed");
}

static void stored_form(void)
{
	char *enc;
	struct lyrics d;

	PARSE("[la:eng]\n[00:02.00]b \xC3\xA9\n[00:01.00]a\n[00:03.00]\n", 0);
	enc = lyrics_encode(&L);
	is_str(enc, "1000\ta\n2000\tb \xC3\xA9\n3000\t\n", "synced: START\\tTEXT a line");
	ok(lyrics_decode(enc, true, &d) == 0 && d.n == 3 && d.synced && d.lines[1].start_ms == 2000 &&
	   !strcmp(d.lines[1].text, "b \xC3\xA9") && !strcmp(d.lines[2].text, ""), "and back");
	lyrics_free(&d);
	free(enc);
	PARSE("one\n\ntwo", 0);
	enc = lyrics_encode(&L);
	is_str(enc, "one\n\ntwo\n", "unsynced: the text a line");
	ok(lyrics_decode(enc, false, &d) == 0 && d.n == 3 && !d.synced && d.lines[2].start_ms == -1,
	   "and back");
	lyrics_free(&d);
	free(enc);
	ok(lyrics_decode("x\ta\n", true, &d) < 0 && lyrics_decode("1\ta", true, &d) < 0 &&
	   lyrics_decode("1000a\n", true, &d) < 0 && lyrics_decode("999999999999\ta\n", true, &d) < 0 &&
	   lyrics_decode("a\x01\n", false, &d) < 0 && lyrics_decode("\xFF\n", false, &d) < 0 &&
	   lyrics_decode("", false, &d) < 0, "malformed stored forms are refused");

	json_t *o;
	PARSE("[la:eng]\n[00:01.50]hi", 0);
	L.source = LYRICS_LRC;
	o = lyrics_json("abc", &L);
	char *s = json_dumps(o, JSON_SORT_KEYS | JSON_COMPACT);
	is_str(s, "{\"language\":\"eng\",\"lines\":[{\"start_ms\":1500,\"text\":\"hi\"}],\"source\":\"lrc\","
	       "\"synced\":true,\"track_id\":\"abc\"}", "the API's object, synced");
	free(s);
	json_decref(o);
	PARSE("hi", 0);
	L.source = LYRICS_EMBEDDED;
	o = lyrics_json("abc", &L);
	s = json_dumps(o, JSON_SORT_KEYS | JSON_COMPACT);
	is_str(s, "{\"language\":null,\"lines\":[{\"text\":\"hi\"}],\"source\":\"embedded\",\"synced\":false,"
	       "\"track_id\":\"abc\"}", "and unsynced: no start_ms, language null");
	free(s);
	json_decref(o);
}

static void write_file(const char *path, const char *s)
{
	FILE *f = fopen(path, "w");

	fputs(s, f);
	fclose(f);
}

static void sidecars(const char *dir)
{
	char audio[600], lrc[600], note[512];
	struct lyrics l;

	snprintf(audio, sizeof audio, "%s/Song.flac", dir);
	is_int(lyrics_for_track(audio, NULL, 0, NULL, &l, note, sizeof note), 0, "no .lrc, no tags: none");
	is_str(note, "", "and nothing to note");
	is_int(lyrics_for_track(audio, "plain words\nmore", 0, "deu", &l, note, sizeof note), 1,
	       "embedded plain lyrics");
	ok(!l.synced && l.n == 2 && l.source == LYRICS_EMBEDDED && !strcmp(l.language, "deu"),
	   "unsynced, embedded, in the tag's language");
	lyrics_free(&l);
	is_int(lyrics_for_track(audio, "[00:01.00]x", 1, NULL, &l, note, sizeof note), 1, "embedded LRC");
	ok(l.synced && l.lines[0].start_ms == 1000, "synced");
	lyrics_free(&l);
	snprintf(lrc, sizeof lrc, "%s/Song.LRC", dir);
	write_file(lrc, "[00:02.00]from the file\nnot lrc\n");
	is_int(lyrics_for_track(audio, "embedded", 0, "deu", &l, note, sizeof note), 1, "Song.LRC is found");
	ok(l.source == LYRICS_LRC && !strcmp(l.lines[0].text, "from the file"), "and wins over embedded lyrics");
	is_str(l.language, "deu", "the tag's language serves an .lrc that names none");
	ok(strstr(note, "Song.LRC: 1 line skipped") != NULL, "a skipped line is noted: %s", note);
	lyrics_free(&l);
	unlink(lrc);
	snprintf(lrc, sizeof lrc, "%s/Song.lrc", dir);
	char *big = malloc(300 * 1024 + 1);
	memset(big, 'a', 300 * 1024);
	big[300 * 1024] = '\0';
	write_file(lrc, big);
	free(big);
	is_int(lyrics_for_track(audio, "embedded", 0, NULL, &l, note, sizeof note), 1,
	       "a refused .lrc falls back to embedded lyrics");
	ok(l.source == LYRICS_EMBEDDED && strstr(note, "Song.lrc not read: too large") != NULL,
	   "noted: %s", note);
	lyrics_free(&l);
	write_file(lrc, "");
	is_int(lyrics_for_track(audio, NULL, 0, NULL, &l, note, sizeof note), 0, "an empty .lrc: none");
	ok(strstr(note, "holds no lyrics") != NULL, "noted: %s", note);
	unlink(lrc);
	mkdir(lrc, 0700);
	is_int(lyrics_for_track(audio, NULL, 0, NULL, &l, note, sizeof note), 0, "a folder named Song.lrc is not one");
	rmdir(lrc);
	char sub[600], audio2[700];
	snprintf(sub, sizeof sub, "%s/a.b", dir);
	mkdir(sub, 0700);
	snprintf(audio2, sizeof audio2, "%s/Bare", sub);
	snprintf(lrc, sizeof lrc, "%s/a.lrc", dir);
	write_file(lrc, "[00:01.00]wrong one");
	snprintf(lrc, sizeof lrc, "%s/Bare.lrc", sub);
	write_file(lrc, "[00:01.00]right one");
	ok(lyrics_for_track(audio2, NULL, 0, NULL, &l, note, sizeof note) == 1 &&
	   !strcmp(l.lines[0].text, "right one"), "a name without an extension, in a folder with a dot");
	lyrics_free(&l);
}

/* lyrics_ingest and lyrics_sidecar_changed over a real store: SQLite's in dir, or the
 * PostgreSQL database SEGUE_TEST_DATABASE_URL names (tests/pg/test_lyrics.pg). */
static void ingest(const char *dir)
{
	const char *url = getenv("SEGUE_TEST_DATABASE_URL");
	struct store s;
	char audio[600], lrc[600], note[512], id[BASE62_ID_LEN + 1] = "0123456789abcdefghijkl";
	struct track_record tr = { .id = id, .name = "T", .album_id = "al", .artist_id = "ar", .genre = "",
	                           .disc_number = 1, .duration_ms = 1000 };
	struct album_record al = { .id = "al", .name = "B", .artist_id = "ar" };
	struct lyrics l;
	struct timespec ts[2] = { { 0, UTIME_OMIT }, { 0, 0 } };

	if (store_open(&s, url && *url ? url : dir, err, sizeof err) < 0 ||
	    store_artist_ensure(&s, "ar", "A", NULL, 0) < 0 ||
	    store_album_ensure(&s, &al, 0) < 0 || store_track_put(&s, &tr, 0) < 0) {
		ok(0, "a store: %s", err);
		return;
	}
	snprintf(audio, sizeof audio, "%s/Other.wav", dir);
	snprintf(lrc, sizeof lrc, "%s/Other.lrc", dir);
	is_int(lyrics_sidecar_changed(&s, audio), 0, "no .lrc then, none now: unchanged");
	write_file(lrc, "[00:01.00]first");
	is_int(lyrics_sidecar_changed(&s, audio), 1, "one came");
	is_int(lyrics_ingest(&s, audio, id, NULL, 0, NULL, note, sizeof note), 0, "ingested");
	is_int(store_lyrics_exists(&s, id), 1, "stored");
	is_int(lyrics_sidecar_changed(&s, audio), 0, "and remembered");
	ok(lyrics_load(&s, id, &l) == 1 && l.source == LYRICS_LRC && l.synced &&
	   !strcmp(l.lines[0].text, "first"), "loaded back");
	lyrics_free(&l);
	write_file(lrc, "[00:01.00]again");
	ts[1].tv_sec = 1000000000;
	utimensat(AT_FDCWD, lrc, ts, 0);
	is_int(lyrics_sidecar_changed(&s, audio), 1, "an edit of the same size is seen by its mtime");
	lyrics_ingest(&s, audio, id, NULL, 0, NULL, note, sizeof note);
	ok(lyrics_load(&s, id, &l) == 1 && !strcmp(l.lines[0].text, "again"), "and read");
	lyrics_free(&l);
	unlink(lrc);
	is_int(lyrics_sidecar_changed(&s, audio), 1, "its removal is seen");
	lyrics_ingest(&s, audio, id, NULL, 0, NULL, note, sizeof note);
	is_int(store_lyrics_exists(&s, id), 0, "and the lyrics go");
	is_int(lyrics_sidecar_changed(&s, audio), 0, "and nothing is remembered");
	is_int(lyrics_load(&s, id, &l), 0, "none to load");
	store_close(&s);
}

int main(void)
{
	char dir[] = "/tmp/segue-lyrics-XXXXXX";

	stamps();
	stable();
	offsets();
	metadata();
	bad_lines();
	text_rules();
	plain();
	limits();
	hostile();
	stored_form();
	lyrics_free(&L);
	if (!mkdtemp(dir))
		return 1;
	sidecars(dir);
	ingest(dir);
	char cmd[100];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		ok(0, "cleaning up");
	return done();
}
