/* What a tag means. The TagLib shim hands over keys as TagLib's property map names them;
 * this file maps each onto struct tags (with the aliases taggers use), keeps the first
 * reading of each field, picks the picture and the lyrics, and cleans all text. */
#include "config.h"
#include "catalog/tags.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalog/tags_internal.h"
#include "catalog/tags_taglib.h"

/* The fields a key can fill. Text fields keep their first value; lists keep them all. */
enum slot {
	S_TITLE, S_ARTIST, S_ARTISTS, S_ALBUM, S_ALBUMARTIST, S_ALBUMARTISTS,
	S_TRACK, S_TRACKTOTAL, S_DISC, S_DISCTOTAL, S_DISCSUBTITLE, S_DATE, S_ORIGDATE,
	S_GENRE, S_COMPILATION, S_RELEASETYPE, S_MB_TRACK, S_MB_RECORDING, S_MB_ALBUM,
	S_MB_ARTISTS, S_MB_ALBUMARTISTS, S_ISRC, S_LABEL, S_MARKETS, S_EXPLICIT, S_ADVISORY,
	S_COUNT
};

/* Keys as TagLib's property map spells them for every format (ID3v2 frames and TXXX
 * descriptions, MP4 atoms and freeform names, APE and ASF names all come translated), plus
 * the aliases some taggers write in Vorbis comments and APE. Of two keys for one field the
 * lower rank wins whatever their order in the file. */
static const struct {
	const char *key;
	enum slot slot;
	int rank;
} keys[] = {
	{ "TITLE", S_TITLE, 0 },
	{ "ARTIST", S_ARTIST, 0 },
	{ "ARTISTS", S_ARTISTS, 0 },
	{ "ALBUM", S_ALBUM, 0 },
	{ "ALBUMARTIST", S_ALBUMARTIST, 0 },
	{ "ALBUM ARTIST", S_ALBUMARTIST, 1 },
	{ "ALBUM_ARTIST", S_ALBUMARTIST, 1 },
	{ "ALBUMARTISTS", S_ALBUMARTISTS, 0 },
	{ "TRACKNUMBER", S_TRACK, 0 },
	{ "TRACKTOTAL", S_TRACKTOTAL, 0 },
	{ "TOTALTRACKS", S_TRACKTOTAL, 1 },
	{ "DISCNUMBER", S_DISC, 0 },
	{ "DISCTOTAL", S_DISCTOTAL, 0 },
	{ "TOTALDISCS", S_DISCTOTAL, 1 },
	{ "DISCSUBTITLE", S_DISCSUBTITLE, 0 },
	{ "DATE", S_DATE, 0 },
	{ "YEAR", S_DATE, 1 },
	{ "ORIGINALDATE", S_ORIGDATE, 0 },
	{ "ORIGINALYEAR", S_ORIGDATE, 1 },
	{ "GENRE", S_GENRE, 0 },
	{ "COMPILATION", S_COMPILATION, 0 },
	{ "RELEASETYPE", S_RELEASETYPE, 0 },
	{ "MUSICBRAINZ_RELEASETRACKID", S_MB_TRACK, 0 },
	{ "MUSICBRAINZ_TRACKID", S_MB_RECORDING, 0 },
	{ "MUSICBRAINZ_ALBUMID", S_MB_ALBUM, 0 },
	{ "MUSICBRAINZ_ARTISTID", S_MB_ARTISTS, 0 },
	{ "MUSICBRAINZ_ALBUMARTISTID", S_MB_ALBUMARTISTS, 0 },
	{ "ISRC", S_ISRC, 0 },
	{ "LABEL", S_LABEL, 0 },
	{ "ORGANIZATION", S_LABEL, 1 },
	{ "PUBLISHER", S_LABEL, 2 },
	{ "SEGUE_MARKETS", S_MARKETS, 0 },
	{ "SEGUE_EXPLICIT", S_EXPLICIT, 0 },
	{ "ITUNESADVISORY", S_ADVISORY, 0 },
};

/* One tags_read: the readings so far. On the heap, as it holds a list per field. */
struct reading {
	struct tags *t;
	struct tag_list slot[S_COUNT];
	int rank[S_COUNT];          /* INT_MAX while a field has no reading */
	int picture_front;          /* t's picture (or its note) is a front cover */
	int have_picture;
};

/* ---- The sink ------------------------------------------------------------------------ */

static void on_lyrics(void *ctx, const char *text, int synced, const char *lang)
{
	struct reading *r = ctx;
	struct tags *t = r->t;
	char *clean;

	/* Synced lyrics beat plain ones; otherwise the first found stays. */
	if (t->lyrics != NULL && (t->lyrics_synced || !synced))
		return;
	clean = tags_clean_lyrics(text, strlen(text));
	if (clean == NULL)
		return;
	if (!synced)
		synced = tags_looks_lrc(clean);
	if (t->lyrics != NULL && !synced) {
		free(clean);
		return;
	}
	free(t->lyrics);
	t->lyrics = clean;
	t->lyrics_synced = synced;
	t->lyrics_lang[0] = '\0';
	if (strlen(lang) == 3 && strcasecmp(lang, "xxx") != 0)
		for (int i = 0; i < 4; i++)
			t->lyrics_lang[i] = (char)tolower((unsigned char)lang[i]);
}

static void on_property(void *ctx, const char *key, const char *const *values, int n)
{
	struct reading *r = ctx;
	struct tag_list tmp;
	size_t k;

	if (!strcasecmp(key, "LYRICS") || !strcasecmp(key, "UNSYNCEDLYRICS")) {
		on_lyrics(ctx, values[0], 0, "");
		return;
	}
	for (k = 0; k < sizeof keys / sizeof keys[0]; k++)
		if (!strcasecmp(key, keys[k].key))
			break;
	if (k == sizeof keys / sizeof keys[0] || keys[k].rank >= r->rank[keys[k].slot])
		return;
	tmp.n = 0;
	for (int i = 0; i < n; i++)
		tags_list_add(&tmp, values[i], strlen(values[i]));
	if (tmp.n == 0)
		return;
	r->slot[keys[k].slot] = tmp;
	r->rank[keys[k].slot] = keys[k].rank;
}

/* The type of an image from its first bytes, or NULL. */
static const char *sniff_image(const unsigned char *d, size_t len)
{
	if (len >= 3 && d[0] == 0xff && d[1] == 0xd8 && d[2] == 0xff)
		return "image/jpeg";
	if (len >= 8 && memcmp(d, "\x89PNG\r\n\x1a\n", 8) == 0)
		return "image/png";
	if (len >= 6 && (memcmp(d, "GIF87a", 6) == 0 || memcmp(d, "GIF89a", 6) == 0))
		return "image/gif";
	if (len >= 12 && memcmp(d, "RIFF", 4) == 0 && memcmp(d + 8, "WEBP", 4) == 0)
		return "image/webp";
	if (len >= 2 && d[0] == 'B' && d[1] == 'M')
		return "image/bmp";
	return NULL;
}

/* The declared type, lower case, when it looks like one ("image/jpg" read as image/jpeg). */
static void declared_mime(char *dst, size_t cap, const char *mime)
{
	size_t i;

	tags_clean(dst, cap, mime, strlen(mime));
	for (i = 0; dst[i] != '\0'; i++) {
		unsigned char c = (unsigned char)dst[i];

		if (!isalnum(c) && c != '/' && c != '.' && c != '+' && c != '-')
			break;
		dst[i] = (char)tolower(c);
	}
	if (dst[i] != '\0' || strchr(dst, '/') == NULL || dst[strlen(dst) - 1] == '/')
		snprintf(dst, cap, "application/octet-stream");
	else if (!strcmp(dst, "image/jpg"))
		snprintf(dst, cap, "image/jpeg");
}

static void on_picture(void *ctx, int front, const char *mime, const unsigned char *data,
		       size_t len)
{
	struct reading *r = ctx;
	struct tags *t = r->t;
	const char *sniffed;

	/* The first front cover, else the first picture. */
	if (r->have_picture && (r->picture_front || !front))
		return;
	free(t->picture);
	t->picture = NULL;
	t->picture_len = 0;
	t->picture_mime[0] = t->picture_note[0] = '\0';
	r->have_picture = 1;
	r->picture_front = front;
	if (len > TAG_PICTURE_MAX) {
		snprintf(t->picture_note, sizeof t->picture_note, "picture over %d MiB",
			 TAG_PICTURE_MAX / (1024 * 1024));
		return;
	}
	t->picture = malloc(len);
	if (t->picture == NULL) {
		snprintf(t->picture_note, sizeof t->picture_note, "picture too large for memory");
		return;
	}
	memcpy(t->picture, data, len);
	t->picture_len = len;
	sniffed = sniff_image(data, len);
	if (sniffed != NULL)
		snprintf(t->picture_mime, sizeof t->picture_mime, "%s", sniffed);
	else
		declared_mime(t->picture_mime, sizeof t->picture_mime, mime);
}

/* ---- From readings to fields --------------------------------------------------------- */

static const char *first(const struct reading *r, enum slot s)
{
	return r->slot[s].n > 0 ? r->slot[s].v[0] : "";
}

static int is_true(const char *v)
{
	return !strcmp(v, "1") || !strcasecmp(v, "yes") || !strcasecmp(v, "true") ||
	       !strcasecmp(v, "explicit");
}

/* SEGUE_MARKETS: tokens are trimmed and upper-cased, empty ones dropped. A token that is
 * not a valid code is kept rather than dropped: losing it could turn a restricted list
 * into an empty one, which means "everywhere". */
static void set_markets(struct tags *t, const struct tag_list *l)
{
	char all[TAG_MAX];
	size_t o = 0;

	tags_join(all, sizeof all, l, ",");
	for (const char *p = all; *p != '\0';) {
		size_t len = strcspn(p, ","), a = 0, b = len;

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

/* MusicBrainz ids, one a value; ID3v2.3 taggers join several with '/', some with ';'. */
static void set_ids(struct tag_list *out, const struct tag_list *in)
{
	static const char *const seps[] = { "/", ";" };

	out->n = 0;
	for (int i = 0; i < in->n; i++) {
		struct tag_list one = { .n = 1 };

		memcpy(one.v[0], in->v[i], sizeof one.v[0]);
		tags_split_artists(&one, seps, 2);
		for (int j = 0; j < one.n && out->n < TAG_VALUES_MAX; j++)
			tags_copy(out->v[out->n++], sizeof out->v[0], one.v[j]);
	}
}

static void finish(struct reading *r)
{
	struct tags *t = r->t;
	int advisory;

	tags_copy(t->title, sizeof t->title, first(r, S_TITLE));
	t->artists = r->slot[r->slot[S_ARTISTS].n > 0 ? S_ARTISTS : S_ARTIST];
	tags_join(t->artist, sizeof t->artist, &r->slot[r->slot[S_ARTIST].n > 0 ? S_ARTIST : S_ARTISTS],
		  "; ");
	tags_copy(t->album, sizeof t->album, first(r, S_ALBUM));
	t->album_artists = r->slot[r->slot[S_ALBUMARTISTS].n > 0 ? S_ALBUMARTISTS : S_ALBUMARTIST];
	t->track_number = tags_parse_number(first(r, S_TRACK), &t->track_total);
	if (t->track_total == 0)
		t->track_total = tags_parse_number(first(r, S_TRACKTOTAL), NULL);
	t->disc_number = tags_parse_number(first(r, S_DISC), &t->disc_total);
	if (t->disc_total == 0)
		t->disc_total = tags_parse_number(first(r, S_DISCTOTAL), NULL);
	tags_copy(t->disc_subtitle, sizeof t->disc_subtitle, first(r, S_DISCSUBTITLE));
	tags_copy(t->date, sizeof t->date, first(r, S_DATE));
	tags_copy(t->original_date, sizeof t->original_date, first(r, S_ORIGDATE));
	t->genres = r->slot[S_GENRE];
	t->compilation = is_true(first(r, S_COMPILATION));
	tags_copy(t->release_type, sizeof t->release_type, first(r, S_RELEASETYPE));
	for (char *p = t->release_type; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	tags_copy(t->mb_track_id, sizeof t->mb_track_id, first(r, S_MB_TRACK));
	tags_copy(t->mb_recording_id, sizeof t->mb_recording_id, first(r, S_MB_RECORDING));
	tags_copy(t->mb_album_id, sizeof t->mb_album_id, first(r, S_MB_ALBUM));
	set_ids(&t->mb_artist_ids, &r->slot[S_MB_ARTISTS]);
	set_ids(&t->mb_album_artist_ids, &r->slot[S_MB_ALBUMARTISTS]);
	tags_copy(t->isrc, sizeof t->isrc, first(r, S_ISRC));
	tags_copy(t->label, sizeof t->label, first(r, S_LABEL));
	set_markets(t, &r->slot[S_MARKETS]);
	/* iTunes: 1 (and 4, in older files) explicit, 2 clean, 0 none. */
	advisory = tags_parse_number(first(r, S_ADVISORY), NULL);
	t->explicit_ = is_true(first(r, S_EXPLICIT)) || advisory == 1 || advisory == 4;
}

/* ---- The API ------------------------------------------------------------------------- */

int tags_read(const char *path, struct tags *t, char *err, size_t errlen)
{
	struct reading *r;
	struct stat st;
	struct taglib_sink sink;
	int fd;

	memset(t, 0, sizeof *t);
	/* Not blocking: a FIFO would wait for a writer. */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open: %s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "not a regular file");
		close(fd);
		return -1;
	}
	close(fd);
	r = calloc(1, sizeof *r);
	if (r == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	r->t = t;
	for (int i = 0; i < S_COUNT; i++)
		r->rank[i] = INT_MAX;
	sink = (struct taglib_sink){ .ctx = r, .property = on_property, .picture = on_picture,
				     .lyrics = on_lyrics };
	/* A file TagLib does not know still gets its names from the path. */
	taglib_read(path, &sink);
	finish(r);
	free(r);
	tags_fallback_from_path(t, path);
	return 0;
}

void tags_free(struct tags *t)
{
	free(t->lyrics);
	t->lyrics = NULL;
	t->lyrics_synced = 0;
	free(t->picture);
	t->picture = NULL;
	t->picture_len = 0;
}
