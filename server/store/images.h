/* Which picture the catalog and playlists show, by its name (server/images/: 32 hex digits;
 * the files are the images module's). Albums keep their cover, artists the picture found
 * beside their albums, playlists a mosaic of their items' covers or one their owner
 * uploaded (custom, which the mosaic then never replaces). */
#ifndef SEGUE_STORE_IMAGES_H
#define SEGUE_STORE_IMAGES_H

#include <stdbool.h>

#include "base62.h"
#include "store/catalog.h"
#include "store/store.h"

#define STORE_IMAGE_MAX 33 /* a picture's name and its NUL */

/* An album's cover into hash. Returns 1, 0 when the album has none (or there is no such
 * album), -1 on error. */
int store_album_image(struct store *s, const char *album_id, char hash[STORE_IMAGE_MAX]);
/* Sets an album's cover unless it has one already: the first track with art wins. Returns
 * 1 when set, 0 when not, -1 on error. */
int store_album_image_set(struct store *s, const char *album_id, const char *hash);

/* An artist's picture: its own, else the cover of its most played album (as album artist,
 * then as a track's artist; ties go to the latest release). Returns 1, 0 for none, -1. */
int store_artist_image(struct store *s, const char *artist_id, char hash[STORE_IMAGE_MAX]);
/* Sets an artist's own picture unless it has one. Returns 1 when set, 0 when not, -1. */
int store_artist_image_set(struct store *s, const char *artist_id, const char *hash);

/* What ingest decides an album's pictures by. */
struct album_art {
	bool has_image;          /* the album has its cover */
	char artist_id[BASE62_ID_LEN + 1];
	char artist_name[CATALOG_NAME_MAX];
	bool artist_has_image;   /* its album artist has a picture of its own */
};
/* Returns 1, 0 when there is no such album, -1 on error. */
int store_album_art(struct store *s, const char *album_id, struct album_art *out);

/* A playlist's picture into hash ("" for none) and whether its owner uploaded it. Returns 1,
 * 0 when there is no such playlist, -1 on error. */
int store_playlist_image(struct store *s, const char *id, char hash[STORE_IMAGE_MAX], bool *custom);
/* Sets a playlist's picture (NULL or "": none). custom: the owner's upload, kept from then
 * on; otherwise it is the mosaic, and a custom picture is left alone. Returns 1 when the
 * playlist's picture was set, 0 when not, -1 on error. */
int store_playlist_image_set(struct store *s, const char *id, const char *hash, bool custom);
/* The first max distinct album covers of a playlist's items, in item order. Returns how many
 * were filled, -1 on error. */
int store_playlist_covers(struct store *s, const char *id, char (*hashes)[STORE_IMAGE_MAX], int max);
/* Whether track id's album has its cover. Returns 1, 0 (no cover, or no such track), -1. */
int store_track_has_cover(struct store *s, const char *track_id);

#endif
