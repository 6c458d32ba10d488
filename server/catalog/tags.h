/* Reading a master's tags. Vorbis comments are read from FLAC and Ogg Vorbis files directly;
 * other formats go through libsndfile's string API; whatever is still missing is taken from
 * the folder layout (.../Artist/Album/NN - Title.ext). */
#ifndef SEGUE_TAGS_H
#define SEGUE_TAGS_H

#include <stddef.h>

#define TAG_MAX 512
#define TAG_VALUES_MAX 16

struct tag_list {
	int n;
	char v[TAG_VALUES_MAX][TAG_MAX];
};

struct tags {
	char title[TAG_MAX];
	struct tag_list artists;        /* track artists, tag order (ARTISTS tag, else ARTIST values) */
	char artist[TAG_MAX];           /* the ARTIST display string as tagged (e.g. "A feat. B") */
	char album[TAG_MAX];
	struct tag_list album_artists;  /* ALBUMARTISTS / ALBUMARTIST values; n == 0 when untagged */
	int track_number, track_total;  /* 0 when unknown */
	int disc_number, disc_total;    /* disc 1 when unknown, total 0 when unknown */
	char disc_subtitle[TAG_MAX];
	char date[32], original_date[32]; /* as tagged */
	struct tag_list genres;
	int compilation;                /* 1 when TCMP/cpil/COMPILATION=1 */
	char release_type[64];          /* RELEASETYPE / MusicBrainz Album Type, lowercased first value */
	char mb_track_id[64], mb_recording_id[64], mb_album_id[64];
	struct tag_list mb_artist_ids, mb_album_artist_ids;
	char isrc[32];
	char label[TAG_MAX];
	char markets[TAG_MAX];          /* SEGUE_MARKETS: comma-separated ISO 3166 codes; empty = everywhere */
	int explicit_;                  /* SEGUE_EXPLICIT=1 */
	/* Embedded lyrics, heap (tags_free): synced ones as LRC text, else plain; NULL when none. */
	char *lyrics;
	int lyrics_synced;
	char lyrics_lang[8];
	/* The front cover (or the first picture), heap; NULL when none or ignored (picture_note
	 * says why). */
	unsigned char *picture;
	size_t picture_len;
	char picture_mime[32];
	char picture_note[128];
};

/* Fills t from path. Returns 0, or -1 with a reason in err when the file cannot be opened;
 * a file without any tags still succeeds (names fall back to the path). */
int tags_read(const char *path, struct tags *t, char *err, size_t errlen);

/* Applies one "KEY=value" Vorbis comment to t (case-insensitive key). Exposed for tests. */
void tags_apply_comment(struct tags *t, const char *comment, size_t len);

/* Frees what tags_read allocated in t; safe twice. */
void tags_free(struct tags *t);

/* Splits single-valued artist strings on separators into the list, trimming; a list that
 * already has several values is left alone. */
void tags_split_artists(struct tag_list *l, const char *const *separators, int nseparators);

/* Fills the empty fields of t from the path (file name and the two folders above it). */
void tags_fallback_from_path(struct tags *t, const char *path);

#endif
