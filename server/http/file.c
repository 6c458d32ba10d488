#include "config.h"
#include "http/file.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "http/fdcache.h"
#include "http/metrics.h"
#include "http/range.h"
#include "log.h"
#include "strput.h"

int http_open_file(struct req *r, const char *path, const char *what, struct stat *st)
{
	int fd = fdcache_open(path, st), err;

	if (fd >= 0)
		return fd;
	err = errno;
	if (err == ENOENT) {
		reply_error(r, 404, "no such %s", what);
	} else {
		log_err("%s %s: %s", what, path, strerror(err));
		reply_error(r, 500, "the %s cannot be read", what);
	}
	return -1;
}

void http_send_file(struct req *r, int fd, const struct stat *st, const char *etag, const char *ctype)
{
	long long first, last;

	if (r->if_none_match[0] && strstr(r->if_none_match, etag)) {
		fdcache_close(fd);
		reply_empty(r, 304);
		reply_header(r, "etag:", "%s", etag);
		return;
	}
	switch (range_parse(r->range[0] ? r->range : NULL, st->st_size, &first, &last)) {
	case RANGE_UNSATISFIABLE:
		fdcache_close(fd);
		reply_error(r, 416, "the range is beyond the end of the file (%lld bytes)",
		            (long long)st->st_size);
		reply_header(r, "content-range:", "bytes */%lld", (long long)st->st_size);
		return;
	case RANGE_OK: {
		char cr[80];
		struct strput s;

		reply_empty(r, 206);
		strput_init(&s, cr, sizeof cr);
		strput_lit(&s, "bytes ");
		strput_ll(&s, first);
		strput_lit(&s, "-");
		strput_ll(&s, last);
		strput_lit(&s, "/");
		strput_ll(&s, (long long)st->st_size);
		reply_header_str(r, "content-range:", cr);
		break;
	}
	case RANGE_NONE:
		reply_empty(r, 200);
		first = 0;
		last = st->st_size - 1;
		break;
	}
	r->ctype = ctype;
	reply_header_str(r, "accept-ranges:", "bytes");
	reply_header_str(r, "etag:", etag);
	reply_header_str(r, "cache-control:", "public, max-age=31536000, immutable");
	r->fd = fd;
	r->streaming = true;
	r->stream_off = first;
	r->stream_left = last - first + 1;
	r->stream_total = st->st_size;
	r->ctx->metrics->open_streams++; /* http.c counts it down when it closes fd */
}
