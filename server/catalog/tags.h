/* Reading a master's tags. TagLib reads every format it knows (ID3v2 and ID3v1, MP4, Vorbis
 * comments in FLAC, Ogg Vorbis, Opus and Speex, APE, ASF, RIFF INFO) through a C++ shim
 * (tags_taglib.cc); tags.c maps what it finds onto struct tags and cleans the text; whatever
 * is still missing is taken from the folder layout (.../Artist/Album/NN - Title.ext). */
#ifndef SEGUE_TAGS_H
#define SEGUE_TAGS_H

#include <stddef.h>

#define TAG_MAX 512         /* bytes of a text field, its NUL included; cut on a UTF-8 boundary */
#define TAG_VALUES_MAX 16   /* values kept of a multi-valued tag; the rest are dropped */
#define TAG_PICTURE_MAX (16 * 1024 * 1024)
#define TAG_LYRICS_MAX (256 * 1024)

/* The values of a multi-valued tag in tag order, each clean and non-empty. */
struct tag_list {
	int n;
	char v[TAG_VALUES_MAX][TAG_MAX];
};

/* All text is UTF-8 without control characters (tabs become spaces), trimmed. */
struct tags {
	char title[TAG_MAX];
	struct tag_list artists;        /* track artists, tag order (ARTISTS tag, else ARTIST values) */
	char artist[TAG_MAX];           /* the ARTIST display string as tagged (e.g. "A feat. B");
	                                   several ARTIST values are joined with "; " */
	char album[TAG_MAX];
	struct tag_list album_artists;  /* ALBUMARTISTS / ALBUMARTIST values; n == 0 when untagged */
	int track_number, track_total;  /* 0 when unknown */
	int disc_number, disc_total;    /* disc 1 when unknown, total 0 when unknown */
	char disc_subtitle[TAG_MAX];
	char date[32], original_date[32];   /* as tagged ("2004", "2004-03-17", "2004-03-17 12:00") */
	struct tag_list genres;
	int compilation;                /* 1 when TCMP/cpil/COMPILATION=1 */
	char release_type[64];          /* RELEASETYPE / MusicBrainz Album Type, lowercased first value */
	/* MusicBrainz ids as Picard writes them: mb_track_id is the release track
	 * (MUSICBRAINZ_RELEASETRACKID), mb_recording_id the recording (MUSICBRAINZ_TRACKID,
	 * ID3's UFID http://musicbrainz.org). Id lists are also split on '/' and ';', which
	 * ID3v2.3 taggers join several ids with. */
	char mb_track_id[64], mb_recording_id[64], mb_album_id[64];
	struct tag_list mb_artist_ids, mb_album_artist_ids;
	char isrc[32];
	char label[TAG_MAX];            /* LABEL (ID3 TPUB), else ORGANIZATION or PUBLISHER */
	char markets[TAG_MAX];          /* SEGUE_MARKETS: comma-separated upper-case codes; empty =
	                                   everywhere */
	int explicit_;                  /* SEGUE_EXPLICIT=1, or iTunes rtng (ITUNESADVISORY) 1 or 4 */
	/* Embedded lyrics, heap (free with tags_free): synced ones as LRC text ("[mm:ss.xx]line\n",
	 * SYLT converted), else plain text; lines end in '\n', at most TAG_LYRICS_MAX bytes. NULL
	 * when none. */
	char *lyrics;
	int lyrics_synced;
	char lyrics_lang[8];            /* ISO 639-2 from USLT/SYLT when given, lower case */
	/* The front cover (or the first picture when none is marked front), heap; NULL when none
	 * or ignored; picture_note says why one was ignored ("picture over 16 MiB"). picture_mime
	 * comes from the image's own bytes when they are a known format. */
	unsigned char *picture;
	size_t picture_len;
	char picture_mime[32];
	char picture_note[128];
};

/* Fills t from path: the tags TagLib finds, then names from the path for what is missing.
 * Returns 0, or -1 with a reason in err when the file cannot be opened at all (t then holds
 * nothing to free). A file TagLib does not recognise, or whose tags are damaged, still
 * succeeds with what could be read. On success free t with tags_free. */
int tags_read(const char *path, struct tags *t, char *err, size_t errlen);

/* Frees t's lyrics and picture and clears the pointers; safe twice. */
void tags_free(struct tags *t);

/* Splits single-valued artist strings on separators (e.g. {"; ", " feat. ", " ft. "},
 * matched without regard to ASCII case) into the list, trimming; a list that already has
 * several values is left alone. */
void tags_split_artists(struct tag_list *l, const char *const *separators, int nseparators);

/* Fills the empty fields of t from the path (file name and the folders above it): title,
 * track and disc number, album, and the artists (the album artists when tagged, else the
 * folder above the album's, else "Unknown Artist"). album_artists stays as tagged. */
void tags_fallback_from_path(struct tags *t, const char *path);

#endif
