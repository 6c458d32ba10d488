/* A file as an answer: opened and stated, then sent from its descriptor by http.c (304 for a
 * matching If-None-Match, one Range's part, or all of it), with immutable caching: for the
 * representations that never change under their name (audio encodings, pictures). */
#ifndef SEGUE_HTTP_FILE_H
#define SEGUE_HTTP_FILE_H

#include "http/http.h"

struct stat;

/* Opens path and stats it: its descriptor, or -1 after replying 404 ("no such WHAT") when it
 * is not there, 500 (logged) when it cannot be read. */
int http_open_file(struct req *r, const char *path, const char *what, struct stat *st);
/* Answers r with the file open on fd (st its stat), named by etag; r owns fd from here on. */
void http_send_file(struct req *r, int fd, const struct stat *st, const char *etag, const char *ctype);

#endif
