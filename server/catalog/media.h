/* Where a track's encoded files live: MEDIA/<first two id characters>/<id>/<quality>.ogg.
 * The path is derived from the id alone, so serving a stream needs no database lookup, and
 * no request can name a path outside the media folder. */
#ifndef SEGUE_MEDIA_H
#define SEGUE_MEDIA_H

#include <stddef.h>
#include <sys/stat.h>

/* Fills out with the track's folder (quality < 0) or one of its files. Returns -1 if the id is
 * not a valid id or the result does not fit. */
int media_path(const char *media_dir, const char *id, int quality, char *out, size_t len);

/* Fills out with the ETag of one of its files, opened with stat st: the id, the quality, the
 * file's size and modification time. Encoded files never change once renamed into place, so
 * size and mtime name the bytes. Returns -1 if the result does not fit. */
int media_etag(const char *id, int quality, const struct stat *st, char *out, size_t len);

#endif
