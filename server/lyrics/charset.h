/* Text as lyrics files come: UTF-8 (BOM or not), UTF-16 with a BOM, Windows-1252, or
 * broken; made into valid UTF-8 or refused. Private to server/lyrics/. */
#ifndef SEGUE_LYRICS_CHARSET_H
#define SEGUE_LYRICS_CHARSET_H

#include <stddef.h>

/* The length of the valid UTF-8 sequence at p (at most left bytes), 0 when there is none:
 * overlong forms, surrogates and code points past U+10FFFF are not valid. */
size_t charset_utf8_len(const unsigned char *p, size_t left);

/* in as valid UTF-8 without a BOM into *out (malloc'd, NUL-terminated, *outlen bytes before
 * the NUL; a buffer of *outlen + 1 bytes). A file without a single valid multi-byte sequence
 * but with bytes that are not UTF-8 is read as Windows-1252; otherwise each run of invalid
 * bytes becomes U+FFFD. Returns 0, or -1 with a reason in err: NUL bytes or many control
 * characters (binary, or UTF-16 without a BOM), or out of memory. */
int charset_to_utf8(const unsigned char *in, size_t len, char **out, size_t *outlen, char *err,
                    size_t errlen);

#endif
