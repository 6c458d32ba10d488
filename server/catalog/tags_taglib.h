/* The C face of the TagLib shim (tags_taglib.cc), private to tags.c. The shim knows TagLib and
 * the formats; it knows nothing of struct tags: it hands what it finds to a sink, and tags.c
 * decides what each key means, cleans the text and keeps the limits. */
#ifndef SEGUE_TAGS_TAGLIB_H
#define SEGUE_TAGS_TAGLIB_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Values passed to the sink are borrowed for the call. Text is UTF-8 as TagLib decoded it,
 * except a Vorbis comment value that is not valid UTF-8 (TagLib drops those): it comes as its
 * raw bytes, for the sink to repair. */
struct taglib_sink {
	void *ctx;
	/* One key of TagLib's property map (upper case: ARTIST, MUSICBRAINZ_ALBUMID, ...) or one
	 * the shim adds from format-specific data (DISCSUBTITLE from ID3's TSST, ITUNESADVISORY
	 * from MP4's rtng, COMPILATION from ASF's WM/IsCompilation, freeform MP4 and ASF names),
	 * with its values in tag order (at most TAGLIB_VALUES_MAX). A key may come more than
	 * once (DISCSUBTITLE from TSST and from TXXX:DISCSUBTITLE); the format-specific readings
	 * come first, then the property map, then the items it has no name for. */
	void (*property)(void *ctx, const char *key, const char *const *values, int n);
	/* One embedded picture; front is 1 for a front cover. mime may be empty. */
	void (*picture)(void *ctx, int front, const char *mime, const unsigned char *data,
			size_t len);
	/* Lyrics from a format-specific frame (ID3v2 SYLT as LRC text with synced = 1, USLT with
	 * synced = 0); lang is the frame's three-letter language or "". Lyrics in the property
	 * map (LYRICS, UNSYNCEDLYRICS) come through property. */
	void (*lyrics)(void *ctx, const char *text, int synced, const char *lang);
};

#define TAGLIB_VALUES_MAX 64

/* Reads the tags of path (opened read-only) into sink. Returns 1 when TagLib recognised the
 * file, 0 when it did not (nothing was passed to the sink, or only part of the tags when
 * reading failed midway: no exception leaves the shim). */
int taglib_read(const char *path, const struct taglib_sink *sink);

#ifdef __cplusplus
}
#endif

#endif
