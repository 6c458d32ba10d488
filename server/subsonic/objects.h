/* The catalog in OpenSubsonic's shapes, for the endpoints that list songs, albums and artists
 * they do not browse: a song (Child), an album (AlbumID3), an artist (ArtistID3). Each is a new
 * object the caller owns, or NULL for an unknown id (or a database error, logged). Ids are the
 * catalog's; an album's id is its songs' coverArt. */
#ifndef SEGUE_SUBSONIC_OBJECTS_H
#define SEGUE_SUBSONIC_OBJECTS_H

#include <jansson.h>

#include "catalog/catalog.h"
#include "subsonic/subsonic.h"

/* The catalog as a call sees it (its server's store, markets and base URL, kept in the struct,
 * which lives as long as the variable it is filled into). */
struct sub_view {
	struct catalog_view v;
	char base[512];
};
const struct catalog_view *sub_catalog_view(struct sub_call *c, struct sub_view *out);

json_t *sub_song(struct sub_call *c, const char *track_id);
json_t *sub_album(struct sub_call *c, const char *album_id);
json_t *sub_artist(struct sub_call *c, const char *artist_id);

#endif
