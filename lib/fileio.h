/* Whole buffers to and from files: write() may take less than asked, or be interrupted by a
 * signal, and a file named by someone else may be anything, or huge; callers want all of it,
 * within a bound, or an error. */
#ifndef SEGUE_FILEIO_H
#define SEGUE_FILEIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

/* Writes len bytes of p to fd, retrying short and interrupted writes. Returns 0, or -1 with
 * errno set (EIO when write() made no progress without saying why). */
int fd_write_all(int fd, const void *p, size_t len);

enum file_read { FILE_READ_OK = 0, FILE_READ_ERRNO = -1, FILE_READ_NOT_REGULAR = -2, FILE_READ_TOO_BIG = -3 };
/* Reads the regular file at path whole into *out (malloc'd, the caller's; a NUL follows the
 * *len bytes), refusing unread anything but a regular file (a FIFO does not block the open)
 * and a file over max bytes; one that grows past max while read is refused too, one that
 * shrinks gives what there was. FILE_READ_TOO_BIG leaves in *len the size seen (over max);
 * FILE_READ_ERRNO leaves errno from open, fstat, read or malloc. */
enum file_read file_read_all(const char *path, size_t max, unsigned char **out, size_t *len);

/* Makes path hold what fill writes, whole or not at all: fill writes into a new temporary file
 * beside path, which gets mode, is flushed to disk, and then takes path's name: renamed over
 * whatever path held, or (keep) linked into place only when path does not exist, so that of
 * two writers starting at once both end up using the first one's file. fill returns 0, or -1
 * with errno set. Returns 0, or -1 with a message in err; no temporary file is left behind. */
int file_write_atomic(const char *path, mode_t mode, bool keep, int (*fill)(FILE *f, void *ctx),
                      void *ctx, char *err, size_t errlen);

#endif
