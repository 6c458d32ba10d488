/* Reading a master's tags. Vorbis comments are read from FLAC and Ogg Vorbis files directly;
 * other formats go through libsndfile's string API; whatever is still missing is taken from
 * the folder layout (.../Artist/Album/NN - Title.ext). */
#ifndef SEGUE_TAGS_H
#define SEGUE_TAGS_H

#include <stddef.h>

#define TAG_MAX 512

struct tags {
	char title[TAG_MAX];
	char artist[TAG_MAX];
	char album[TAG_MAX];
	char album_artist[TAG_MAX];
	char date[32];          /* as tagged: "2004", "2004-03" or "2004-03-17" */
	char genre[128];
	char markets[TAG_MAX];  /* SEGUE_MARKETS: comma-separated ISO 3166 codes; empty = everywhere */
	int track_number;       /* 0 when unknown */
	int disc_number;        /* 1 when unknown */
	int explicit_;          /* SEGUE_EXPLICIT=1 */
};

/* Fills t from path. Returns 0, or -1 with a reason in err when the file cannot be opened;
 * a file without any tags still succeeds (names fall back to the path). */
int tags_read(const char *path, struct tags *t, char *err, size_t errlen);

/* Applies one "KEY=value" Vorbis comment to t (case-insensitive key). Exposed for tests. */
void tags_apply_comment(struct tags *t, const char *comment, size_t len);

/* Fills the empty fields of t from the path (file name and the two folders above it). */
void tags_fallback_from_path(struct tags *t, const char *path);

#endif
