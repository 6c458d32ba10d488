/* Whole buffers to and from files: write() may take less than asked, or be interrupted by a
 * signal, and a file named by someone else may be anything, or huge; callers want all of it,
 * within a bound, or an error. */
#ifndef SEGUE_FILEIO_H
#define SEGUE_FILEIO_H

#include <stddef.h>

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

#endif
