/* HTTP Range requests (RFC 9110 §14): one byte range per request, which is what audio
 * players ask for. A multi-range request is answered with the whole representation, as the
 * RFC allows. */
#ifndef SEGUE_RANGE_H
#define SEGUE_RANGE_H

enum range_result {
	RANGE_NONE,          /* no usable Range header: send the whole file (200) */
	RANGE_OK,            /* send [first, last] (206) */
	RANGE_UNSATISFIABLE, /* 416 with Content-Range: bytes * / size */
};

/* Parses the value of a Range header against a representation of size bytes. A header that
 * is malformed or uses another unit is ignored (RANGE_NONE), per the RFC. */
enum range_result range_parse(const char *header, long long size, long long *first,
                              long long *last);

#endif
