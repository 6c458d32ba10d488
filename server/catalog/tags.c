#include "config.h"
#include "catalog/tags.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sndfile.h>
#include <vorbis/vorbisfile.h>

/* A FLAC comment block larger than this is read only this far: tags beyond it are ignored
 * (pictures live in their own block, so real comment blocks are a few KiB). */
#define FLAC_COMMENT_CAP (1024 * 1024)

/* ---- UTF-8 cleaning ------------------------------------------------------------------ */

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0 when the bytes there are
 * not one: stray continuation bytes, overlong forms, surrogates and code points above
 * U+10FFFF are all rejected. */
static size_t utf8_seq_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t len;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* UTF-8 for the bytes 0x80..0x9f read as Windows-1252; the five it leaves undefined (and
 * anything else that is not a valid sequence there) become a space. */
static const char *const cp1252[32] = {
	"\u20ac", " ", "\u201a", "\u0192", "\u201e", "\u2026", "\u2020", "\u2021",
	"\u02c6", "\u2030", "\u0160", "\u2039", "\u0152", " ", "\u017d", " ",
	" ", "\u2018", "\u2019", "\u201c", "\u201d", "\u2022", "\u2013", "\u2014",
	"\u02dc", "\u2122", "\u0161", "\u203a", "\u0153", " ", "\u017e", "\u0178",
};

/* Copies src[0..n) into dst (capacity cap >= 1) as clean UTF-8: valid sequences are kept,
 * every byte that is not part of one is read as Latin-1 (the usual encoding of WAV INFO
 * chunks and old taggers; 0x80..0x9f as Windows-1252), control characters become spaces and leading/trailing white
 * space is dropped. The result is cut at a character boundary to fit, always terminated. */
static void clean_copy(char *dst, size_t cap, const char *src, size_t n)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t o = 0;

	while (n > 0 && isspace(s[0])) {
		s++;
		n--;
	}
	while (n > 0 && isspace(s[n - 1]))
		n--;
	for (size_t i = 0; i < n;) {
		unsigned char tmp[2];
		const unsigned char *seq = s + i;
		size_t in_len = utf8_seq_len(s + i, n - i), out_len = in_len;

		if (in_len == 0 && s[i] >= 0xa0) {
			/* Latin-1: U+00A0..U+00FF as two bytes. */
			tmp[0] = (unsigned char)(0xc0 | (s[i] >> 6));
			tmp[1] = (unsigned char)(0x80 | (s[i] & 0x3f));
			seq = tmp;
			in_len = 1;
			out_len = 2;
		} else if (in_len == 0) {
			/* 0x80..0x9f are C1 controls in Latin-1 but printable in Windows-1252, which
			 * is what such tags are in practice ("’", "€", "…"). */
			seq = (const unsigned char *)cp1252[s[i] & 0x7f];
			in_len = 1;
			out_len = strlen((const char *)seq);
		} else if (in_len == 1 && (s[i] < 0x20 || s[i] == 0x7f)) {
			tmp[0] = ' ';
			seq = tmp;
		}
		if (o + out_len > cap - 1)
			break;
		memcpy(dst + o, seq, out_len);
		o += out_len;
		i += in_len;
	}
	while (o > 0 && dst[o - 1] == ' ')
		o--;
	dst[o] = '\0';
}

/* Sets a text field unless it already holds a value: the first tag wins. */
static void set_text(char *dst, size_t cap, const char *val, size_t n)
{
	if (dst[0] == '\0')
		clean_copy(dst, cap, val, n);
}

/* The leading positive number of "3", "03/12" or " 1 of 2"; 0 when there is none. */
static int parse_index(const char *val, size_t n)
{
	size_t i = 0;
	long v = 0;

	while (i < n && isspace((unsigned char)val[i]))
		i++;
	if (i == n || !isdigit((unsigned char)val[i]))
		return 0;
	for (; i < n && isdigit((unsigned char)val[i]); i++) {
		v = v * 10 + (val[i] - '0');
		if (v > 9999)
			return 0;
	}
	return (int)v;
}

/* Keeps "2004", "2004-03" or "2004-03-17" out of longer forms such as ISO timestamps;
 * anything else is kept as tagged. */
static void set_date(struct tags *t, const char *val, size_t n)
{
	char tmp[sizeof t->date];
	size_t len;

	if (t->date[0] != '\0')
		return;
	clean_copy(tmp, sizeof tmp, val, n);
	len = strlen(tmp);
	if (len >= 4 && isdigit((unsigned char)tmp[0]) && isdigit((unsigned char)tmp[1]) &&
	    isdigit((unsigned char)tmp[2]) && isdigit((unsigned char)tmp[3])) {
		size_t keep = 4;

		if (len >= 7 && tmp[4] == '-' && isdigit((unsigned char)tmp[5]) &&
		    isdigit((unsigned char)tmp[6])) {
			keep = 7;
			if (len >= 10 && tmp[7] == '-' && isdigit((unsigned char)tmp[8]) &&
			    isdigit((unsigned char)tmp[9]))
				keep = 10;
		}
		tmp[keep] = '\0';
	}
	memcpy(t->date, tmp, sizeof tmp);
}

/* SEGUE_MARKETS: tokens are trimmed and upper-cased, empty ones dropped. A token that is
 * not a valid code is kept rather than dropped: losing it could turn a restricted list
 * into an empty one, which means "everywhere". */
static void set_markets(struct tags *t, const char *val, size_t n)
{
	char tmp[TAG_MAX];
	size_t o = 0;
	const char *p = tmp;

	if (t->markets[0] != '\0')
		return;
	clean_copy(tmp, sizeof tmp, val, n);
	while (*p != '\0') {
		const char *end = strchr(p, ',');
		size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
		size_t a = 0, b = len;

		while (a < b && isspace((unsigned char)p[a]))
			a++;
		while (b > a && isspace((unsigned char)p[b - 1]))
			b--;
		if (b > a && o + (o > 0) + (b - a) < sizeof t->markets) {
			if (o > 0)
				t->markets[o++] = ',';
			for (size_t i = a; i < b; i++)
				t->markets[o++] = (char)toupper((unsigned char)p[i]);
		}
		p += len;
		if (*p == ',')
			p++;
	}
	t->markets[o] = '\0';
}

static int is_true(const char *val, size_t n)
{
	char tmp[16];

	clean_copy(tmp, sizeof tmp, val, n);
	return strcmp(tmp, "1") == 0 || strcasecmp(tmp, "yes") == 0 ||
	       strcasecmp(tmp, "true") == 0 || strcasecmp(tmp, "explicit") == 0;
}

static int key_is(const char *key, size_t klen, const char *name)
{
	return strlen(name) == klen && strncasecmp(key, name, klen) == 0;
}

static void list_add(struct tag_list *l, const char *val, size_t vlen)
{
	if (l->n < TAG_VALUES_MAX) {
		set_text(l->v[l->n], TAG_MAX, val, vlen);
		if (l->v[l->n][0])
			l->n++;
	}
}

static void apply_tag(struct tags *t, const char *comment, size_t klen, const char *val,
		      size_t vlen)
{
	if (key_is(comment, klen, "TITLE"))
		set_text(t->title, sizeof t->title, val, vlen);
	else if (key_is(comment, klen, "ARTIST")) {
		if (!t->artist[0])
			set_text(t->artist, sizeof t->artist, val, vlen);
		list_add(&t->artists, val, vlen);
	}
	else if (key_is(comment, klen, "ALBUM"))
		set_text(t->album, sizeof t->album, val, vlen);
	else if (key_is(comment, klen, "ALBUMARTIST") || key_is(comment, klen, "ALBUM ARTIST") ||
		 key_is(comment, klen, "ALBUM_ARTIST"))
		list_add(&t->album_artists, val, vlen);
	else if (key_is(comment, klen, "DATE") || key_is(comment, klen, "YEAR"))
		set_date(t, val, vlen);
	else if (key_is(comment, klen, "GENRE"))
		list_add(&t->genres, val, vlen);
	else if (key_is(comment, klen, "TRACKNUMBER")) {
		if (t->track_number == 0)
			t->track_number = parse_index(val, vlen);
	} else if (key_is(comment, klen, "DISCNUMBER")) {
		if (t->disc_number == 0)
			t->disc_number = parse_index(val, vlen);
	} else if (key_is(comment, klen, "SEGUE_MARKETS"))
		set_markets(t, val, vlen);
	else if (key_is(comment, klen, "SEGUE_EXPLICIT")) {
		if (is_true(val, vlen))
			t->explicit_ = 1;
	}
}

void tags_apply_comment(struct tags *t, const char *comment, size_t len)
{
	const char *eq = memchr(comment, '=', len);
	size_t klen;

	if (eq == NULL)
		return;
	klen = (size_t)(eq - comment);
	apply_tag(t, comment, klen, eq + 1, len - klen - 1);
}

/* ---- FLAC ---------------------------------------------------------------------------- */

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Applies the comments of a VORBIS_COMMENT body (vendor string, count, length-prefixed
 * comments, all little-endian). Stops quietly at the first length that overruns. */
static void parse_vorbis_comment(struct tags *t, const unsigned char *p, size_t n)
{
	size_t off = 0;
	uint32_t count, len;

	if (n < 4)
		return;
	len = le32(p);
	if (len > n - 4)
		return;
	off = 4 + (size_t)len;
	if (n - off < 4)
		return;
	count = le32(p + off);
	off += 4;
	for (uint32_t i = 0; i < count; i++) {
		if (n - off < 4)
			return;
		len = le32(p + off);
		off += 4;
		if (len > n - off)
			return;
		tags_apply_comment(t, (const char *)p + off, len);
		off += len;
	}
}

/* Size of an ID3v2 tag some taggers put in front of "fLaC", or 0 when there is none. */
static long id3v2_size(const unsigned char h[10])
{
	long size;

	if (memcmp(h, "ID3", 3) != 0 || (h[6] | h[7] | h[8] | h[9]) & 0x80)
		return 0;
	size = (long)h[6] << 21 | (long)h[7] << 14 | (long)h[8] << 7 | (long)h[9];
	return 10 + size + ((h[5] & 0x10) ? 10 : 0);
}

/* Walks the metadata blocks of a FLAC stream that starts at the current offset plus its
 * magic, and applies the first VORBIS_COMMENT block. Returns 0 (tags may be partial when the
 * file is damaged), or -1 when this is not FLAC at all. */
static int read_flac(FILE *f, struct tags *t)
{
	unsigned char h[4];

	if (fread(h, 1, 4, f) != 4 || memcmp(h, "fLaC", 4) != 0)
		return -1;
	for (int blocks = 0; blocks < 1024; blocks++) {
		unsigned type;
		size_t len;

		if (fread(h, 1, 4, f) != 4)
			return 0;
		type = h[0] & 0x7f;
		len = (size_t)h[1] << 16 | (size_t)h[2] << 8 | h[3];
		if (type == 4) {
			size_t want = len < FLAC_COMMENT_CAP ? len : FLAC_COMMENT_CAP;
			unsigned char *buf = malloc(want > 0 ? want : 1);

			if (buf == NULL)
				return 0;
			/* A short read leaves a shorter body: parse what is there. */
			want = fread(buf, 1, want, f);
			parse_vorbis_comment(t, buf, want);
			free(buf);
			return 0;
		}
		if ((h[0] & 0x80) || type == 127 || fseek(f, (long)len, SEEK_CUR) != 0)
			return 0;
	}
	return 0;
}

/* ---- Ogg Vorbis and libsndfile ------------------------------------------------------- */

static int read_ogg_vorbis(const char *path, struct tags *t)
{
	OggVorbis_File vf;
	vorbis_comment *vc;

	if (ov_fopen(path, &vf) != 0)
		return -1;
	vc = ov_comment(&vf, -1);
	for (int i = 0; vc != NULL && i < vc->comments; i++)
		if (vc->user_comments[i] != NULL && vc->comment_lengths[i] > 0)
			tags_apply_comment(t, vc->user_comments[i], (size_t)vc->comment_lengths[i]);
	ov_clear(&vf);
	return 0;
}

static int read_sndfile(const char *path, struct tags *t, char *err, size_t errlen)
{
	static const struct {
		int id;
		const char *key;
	} map[] = {
		{ SF_STR_TITLE, "TITLE" },
		{ SF_STR_ARTIST, "ARTIST" },
		{ SF_STR_ALBUM, "ALBUM" },
		{ SF_STR_DATE, "DATE" },
		{ SF_STR_GENRE, "GENRE" },
		{ SF_STR_TRACKNUMBER, "TRACKNUMBER" },
	};
	SF_INFO info = { 0 };
	SNDFILE *sf = sf_open(path, SFM_READ, &info);

	if (sf == NULL) {
		snprintf(err, errlen, "not a readable audio file: %s", sf_strerror(NULL));
		return -1;
	}
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
		const char *v = sf_get_string(sf, map[i].id);

		if (v != NULL)
			apply_tag(t, map[i].key, strlen(map[i].key), v, strlen(v));
	}
	sf_close(sf);
	return 0;
}

/* The reader is chosen by content, not by extension: FLAC (possibly behind an ID3v2 tag)
 * is parsed here, Ogg goes to libvorbisfile (or libsndfile when it is not Vorbis), the rest
 * to libsndfile. Tag trouble inside a recognised file is not an error. */
int tags_read(const char *path, struct tags *t, char *err, size_t errlen)
{
	unsigned char h[10];
	FILE *f;
	size_t got;
	int rc = 0;

	memset(t, 0, sizeof *t);
	f = fopen(path, "rb");
	if (f == NULL) {
		snprintf(err, errlen, "cannot open: %s", strerror(errno));
		return -1;
	}
	got = fread(h, 1, sizeof h, f);
	if (got == sizeof h && id3v2_size(h) > 0 && fseek(f, id3v2_size(h), SEEK_SET) == 0 &&
	    read_flac(f, t) == 0) {
		/* FLAC behind ID3v2 */
	} else if (got >= 4 && memcmp(h, "fLaC", 4) == 0 && fseek(f, 0, SEEK_SET) == 0) {
		read_flac(f, t);
	} else if (got >= 4 && memcmp(h, "OggS", 4) == 0 && read_ogg_vorbis(path, t) == 0) {
		/* Ogg Vorbis */
	} else {
		rc = read_sndfile(path, t, err, errlen);
	}
	fclose(f);
	if (rc == 0)
		tags_fallback_from_path(t, path);
	return rc;
}

/* ---- Names from the path ------------------------------------------------------------- */

/* The n-th component from the end of path (0 = file name) into out; returns its length or
 * -1 when there is none. "." and ".." stop the walk: they name nothing useful. */
static int path_component(const char *path, int nth, const char **out)
{
	const char *end = path + strlen(path);

	while (end > path && end[-1] == '/')
		end--;
	for (int i = 0;; i++) {
		const char *start = end;

		while (start > path && start[-1] != '/')
			start--;
		if (start == end || (end - start == 1 && start[0] == '.') ||
		    (end - start == 2 && start[0] == '.' && start[1] == '.'))
			return -1;
		if (i == nth) {
			*out = start;
			return (int)(end - start);
		}
		end = start;
		while (end > path && end[-1] == '/')
			end--;
		if (end == path)
			return -1;
	}
}

/* "CD1", "Disc 2", "disk_3": a disc folder inside an album folder. Returns its number. */
static int disc_folder(const char *s, int len)
{
	static const char *const prefixes[] = { "cd", "disc", "disk" };

	for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
		int pl = (int)strlen(prefixes[i]), j;

		if (len <= pl || strncasecmp(s, prefixes[i], (size_t)pl) != 0)
			continue;
		j = pl;
		while (j < len && (s[j] == ' ' || s[j] == '_' || s[j] == '-'))
			j++;
		if (j == len || len - j > 3)
			continue;
		for (int k = j; k < len; k++)
			if (!isdigit((unsigned char)s[k]))
				return 0;
		return parse_index(s + j, (size_t)(len - j));
	}
	return 0;
}

/* Splits a file name (extension already removed) into track number and title: "03 - Song",
 * "03. Song", "03_Song", "03 Song", "1-03 Song" (disc-track), or just "Song". At most three
 * digits count as a track number, so "1999 - Song" stays a title. */
static void split_name(const char *s, int len, int *disc, int *track, const char **title,
		       int *tlen)
{
	int i = 0, d = 0, n;

	*disc = *track = 0;
	*title = s;
	*tlen = len;
	while (i < len && isdigit((unsigned char)s[i]))
		i++;
	if (i == 0 || i > 3)
		return;
	n = parse_index(s, (size_t)i);
	if (i == 1 && i + 1 < len && s[i] == '-' && isdigit((unsigned char)s[i + 1])) {
		int j = i + 1;

		while (j < len && isdigit((unsigned char)s[j]))
			j++;
		if (j - i - 1 <= 3 && j < len && s[j] == ' ') {
			d = n;
			n = parse_index(s + i + 1, (size_t)(j - i - 1));
			i = j;
		}
	}
	if (i < len && s[i] != ' ' && s[i] != '.' && s[i] != '-' && s[i] != '_')
		return;
	while (i < len && (s[i] == ' ' || s[i] == '.' || s[i] == '-' || s[i] == '_'))
		i++;
	if (i == len)
		return; /* "01.flac": the number is the only name there is */
	*disc = d;
	*track = n;
	*title = s + i;
	*tlen = len - i;
}

void tags_fallback_from_path(struct tags *t, const char *path)
{
	const char *name, *dir1 = NULL, *dir2 = NULL, *title;
	int nlen, len1, len2, disc, track, tlen, folder_disc;

	nlen = path_component(path, 0, &name);
	len1 = path_component(path, 1, &dir1);
	len2 = path_component(path, 2, &dir2);
	folder_disc = len1 > 0 ? disc_folder(dir1, len1) : 0;
	if (folder_disc > 0) {
		len1 = len2;
		dir1 = dir2;
		len2 = path_component(path, 3, &dir2);
	}

	if (nlen > 0) {
		const char *dot = NULL;

		for (int i = nlen - 1; i > 0; i--)
			if (name[i] == '.') {
				dot = name + i;
				break;
			}
		if (dot != NULL)
			nlen = (int)(dot - name);
		split_name(name, nlen, &disc, &track, &title, &tlen);
		if (t->title[0] == '\0') {
			char tmp[TAG_MAX];
			int spaces = memchr(title, ' ', (size_t)tlen) != NULL;

			clean_copy(tmp, sizeof tmp, title, (size_t)tlen);
			if (!spaces)
				for (char *p = tmp; *p != '\0'; p++)
					if (*p == '_')
						*p = ' ';
			clean_copy(t->title, sizeof t->title, tmp, strlen(tmp));
		}
		if (t->track_number == 0)
			t->track_number = track;
		if (t->disc_number == 0)
			t->disc_number = disc > 0 ? disc : folder_disc;
	}
	if (t->album[0] == '\0' && len1 > 0)
		clean_copy(t->album, sizeof t->album, dir1, (size_t)len1);
	if (t->artist[0] == '\0' && t->artists.n)
		memcpy(t->artist, t->artists.v[0], sizeof t->artist);
	if (t->artist[0] == '\0' && t->album_artists.n)
		memcpy(t->artist, t->album_artists.v[0], sizeof t->artist);
	if (t->artist[0] == '\0' && len2 > 0)
		clean_copy(t->artist, sizeof t->artist, dir2, (size_t)len2);
	if (t->artist[0] == '\0')
		snprintf(t->artist, sizeof t->artist, "Unknown Artist");
	if (t->album[0] == '\0')
		snprintf(t->album, sizeof t->album, "Unknown Album");
	if (!t->artists.n) {
		memcpy(t->artists.v[0], t->artist, TAG_MAX);
		t->artists.n = 1;
	}
	if (t->title[0] == '\0' && nlen > 0)
		clean_copy(t->title, sizeof t->title, name, (size_t)nlen);
	if (t->disc_number <= 0)
		t->disc_number = 1;
}

void tags_free(struct tags *t)
{
	free(t->lyrics);
	free(t->picture);
	t->lyrics = NULL;
	t->picture = NULL;
	t->picture_len = 0;
}

void tags_split_artists(struct tag_list *l, const char *const *separators, int nseparators)
{
	char rest[TAG_MAX];

	if (l->n != 1)
		return;
	snprintf(rest, sizeof rest, "%s", l->v[0]);
	l->n = 0;
	for (char *p = rest; *p && l->n < TAG_VALUES_MAX; ) {
		char *cut = NULL;
		size_t seplen = 0;

		for (int i = 0; i < nseparators; i++) {
			char *c = strstr(p, separators[i]);

			if (c && (!cut || c < cut)) {
				cut = c;
				seplen = strlen(separators[i]);
			}
		}
		if (cut)
			*cut = '\0';
		while (*p == ' ')
			p++;
		size_t n = strlen(p);
		while (n && p[n - 1] == ' ')
			p[--n] = '\0';
		if (n)
			snprintf(l->v[l->n++], TAG_MAX, "%s", p);
		if (!cut)
			break;
		p = cut + seplen;
	}
	if (!l->n) {
		snprintf(l->v[0], TAG_MAX, "%s", rest);
		l->n = 1;
	}
}
