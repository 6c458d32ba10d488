/* Writing a whole buffer to a descriptor: write() may take less than asked, or be interrupted
 * by a signal; callers want all of it or an error. */
#ifndef SEGUE_FILEIO_H
#define SEGUE_FILEIO_H

#include <stddef.h>

/* Writes len bytes of p to fd, retrying short and interrupted writes. Returns 0, or -1 with
 * errno set (EIO when write() made no progress without saying why). */
int fd_write_all(int fd, const void *p, size_t len);

#endif
