/* The catalog's rows as the Subsonic API's objects (Child for a song, AlbumID3, ArtistID3),
 * with the OpenSubsonic additions, and the ids that say what they name:
 *
 *   a song, an album, an artist  its catalog id (base62) as it is;
 *   a folder (getMusicDirectory) "ar-" or "al-" and the artist's or album's id;
 *   a picture (coverArt)         "al-" or "ar-" and the id whose picture it is.
 *
 * Audio is described as the stream the user gets by default: Ogg Vorbis at 160 kbit/s for
 * premium, 96 for free (the Web API's defaults). */
#ifndef SEGUE_SUBSONIC_RENDER_H
#define SEGUE_SUBSONIC_RENDER_H

#include <jansson.h>

#include "store/subsonic_catalog.h"
#include "subsonic/subsonic.h"

#define SUB_ARTIST_PREFIX "ar-"
#define SUB_ALBUM_PREFIX "al-"

/* What the calling user may play (their country, their account). */
struct sub_scope sub_scope_of(const struct sub_call *c);

json_t *sub_song_json(struct sub_call *c, const struct sub_song *s);
json_t *sub_album_json(struct sub_call *c, const struct sub_album *a);
json_t *sub_artist_json(struct sub_call *c, const struct sub_artist *a);
/* An album as a folder (Child with isDir) under its artist's folder. */
json_t *sub_album_child_json(struct sub_call *c, const struct sub_album *a);

/* An ISO 8601 time of ms since the epoch. */
json_t *sub_time(long long ms);

/* Whether id is a catalog id; answers error 70 (or 10 when NULL) when not. */
bool sub_catalog_id(struct sub_call *c, const char *id, const char *what);

#endif
