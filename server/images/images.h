/* Cover art, resized once and stored by content, served like an image CDN. A picture's name
 * is the BLAKE2b-128 of its source bytes in hex; its three versions live at
 * IMAGES/<hash[0..1]>/<hash>/{640,300,64}.jpg, each the picture fitted into that square with
 * its aspect kept, centred on a neutral background. The files never change once renamed
 * into place, so they are served with immutable caching and without a database lookup, and
 * the catalog's rows keep only the hash.
 *
 * Every function is thread-safe (ingest runs several workers): each call has its own codec
 * and scaler contexts, and no FFmpeg state is global. Errors are one line into err. */
#ifndef SEGUE_IMAGES_H
#define SEGUE_IMAGES_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define IMAGES_HASH_LEN 32            /* hex characters of a picture's name */
#include "picture.h"

#define IMAGES_MAX_BYTES PICTURE_MAX_BYTES /* largest source picture accepted */
#define IMAGES_MAX_SIDE PICTURE_MAX_SIDE   /* widest or highest, pixels */
#define IMAGES_NSIZES 3

/* The squares every picture is made in, widest first: 640, 300, 64. */
extern const int images_sizes[IMAGES_NSIZES];

/* Stores a picture (JPEG, PNG, WebP, GIF's first frame or BMP) and names it in hash. When
 * its three versions are already there, nothing is decoded. Returns 0, or -1 with err when
 * the picture is refused (too large, an unknown type, corrupt) or cannot be written. */
int images_put(const char *images_dir, const void *bytes, size_t len, char hash[IMAGES_HASH_LEN + 1],
               char *err, size_t errlen);
/* The same for a file, refused unread when it is over IMAGES_MAX_BYTES. */
int images_put_file(const char *images_dir, const char *path, char hash[IMAGES_HASH_LEN + 1],
                    char *err, size_t errlen);

/* Whether the bytes begin as a JPEG does (its magic, not its validity). */
bool images_is_jpeg(const void *bytes, size_t len);

/* Whether hash is a picture's name: 32 lowercase hex digits. */
bool images_hash_valid(const char *hash);
/* Fills out with the path of one version (size 640, 300 or 64) of the picture hash. Returns
 * -1 for any other hash or size, so a request can name no file outside images_dir. */
int images_path(const char *images_dir, const char *hash, int size, char *out, size_t len);

/* A playlist's cover from its items' covers: with four distinct pictures among hashes[0..n)
 * (the first four are taken), a 2x2 mosaic of their 300 px versions, stored by the hash of
 * the four names; with fewer, the first picture itself; with none, "". Returns 0 with out
 * set, -1 with err (a picture's files are missing or unreadable). */
int images_mosaic(const char *images_dir, const char *const hashes[], int n,
                  char out[IMAGES_HASH_LEN + 1], char *err, size_t errlen);

/* The Web API's image objects for hash, widest first:
 * [{"url": base_url/images/<hash>/640.jpg, "height": 640, "width": 640}, 300, 64].
 * An empty array for a NULL or "" hash. The caller owns the result. */
json_t *images_json(const char *base_url, const char *hash);

#endif
