/* URL encoding: percent-decoding of form bodies and percent-encoding for links we build. */
#ifndef SEGUE_URLENC_H
#define SEGUE_URLENC_H

#include <stddef.h>

#include "buf.h"

/* Finds name in an application/x-www-form-urlencoded body and decodes its value into out.
 * Returns 1 when found, 0 when absent, -1 when malformed or too long for out. */
int form_get(const char *body, size_t len, const char *name, char *out, size_t outlen);
/* Appends s percent-encoded (unreserved characters stay as they are). */
int url_encode(struct buf *b, const char *s);

#endif
