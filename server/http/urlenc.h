/* URL encoding: percent-decoding of form bodies and percent-encoding for links we build. */
#ifndef SEGUE_URLENC_H
#define SEGUE_URLENC_H

#include <stddef.h>

#include "buf.h"

/* Finds name in an application/x-www-form-urlencoded body and decodes its value into out.
 * Returns 1 when found, 0 when absent, -1 when malformed or too long for out. */
int form_get(const char *body, size_t len, const char *name, char *out, size_t outlen);
/* Calls each(ud, name, value) for every field of a form body in order, both decoded (a
 * field without '=' has the value ""), each at most max bytes; each's nonzero answer stops
 * the walk and is returned. Returns 0, or -1 for a malformed or oversized field. */
int form_each(const char *body, size_t len, size_t max,
              int (*each)(void *ud, const char *name, const char *value), void *ud);
/* Appends s percent-encoded (unreserved characters stay as they are). */
int url_encode(struct buf *b, const char *s);

#endif
