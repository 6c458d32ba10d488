/* Answering with a file: If-None-Match against its ETag (304), one Range (206, 416), HEAD,
 * and the body sent by server/http/http.c straight from the page cache. For the signed
 * audio and pictures of the Web API and OpenSubsonic's stream and download alike. */
#ifndef SEGUE_HTTP_FILE_H
#define SEGUE_HTTP_FILE_H

#include <sys/stat.h>

struct req;

/* Answers r with the file open on fd (r owns it from here: it is closed when the answer
 * ends, or at once for a 304 or 416), st its fstat, etag its strong ETag (quoted). */
void reply_file(struct req *r, int fd, const struct stat *st, const char *etag, const char *ctype);

#endif
