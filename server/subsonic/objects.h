/* The catalog's objects by id, for the endpoints that list what they do not browse (stars,
 * playlists, the play queue): a song (Child), an album (AlbumID3), an artist (ArtistID3),
 * rendered by render.c for the calling user. Each is a new object the caller owns, or NULL
 * for an unknown id (or a database error, logged). */
#ifndef SEGUE_SUBSONIC_OBJECTS_H
#define SEGUE_SUBSONIC_OBJECTS_H

#include <jansson.h>

#include "catalog/catalog.h"
#include "subsonic/subsonic.h"

json_t *sub_song(struct sub_call *c, const char *track_id);
json_t *sub_album(struct sub_call *c, const char *album_id);
json_t *sub_artist(struct sub_call *c, const char *artist_id);

/* A parameter's value to repeat in an error message: whole when it is short, else a note
 * (a cut could split a character, and an answer must be valid UTF-8). */
const char *sub_echo(const char *value);

/* The name the calling client gave itself (c=), whole when it fits in size, else a stand-in:
 * Connect shows it as the player that changed the state. */
void sub_client_name(struct sub_call *c, char *out, size_t size);

/* The catalog as a call sees it in the Web API's shapes (for Connect, whose player state
 * holds a Web API track): the server's store, markets and base URL, kept in the struct, which
 * lives as long as the variable it is filled into. */
struct sub_view {
	struct catalog_view v;
	char base[512];
};
const struct catalog_view *sub_catalog_view(struct sub_call *c, struct sub_view *out);

#endif
