/* Request text as it may be echoed back: a check that bytes are UTF-8, and a copy that is
 * always valid UTF-8 (JSON cannot carry anything else), with each byte that is not part of
 * a well-formed character, and each control character, written as \xNN. */
#ifndef SEGUE_HTTP_UTF8_H
#define SEGUE_HTTP_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* True when s[0..n) is well-formed UTF-8: shortest forms only, no surrogates, nothing past
 * U+10FFFF. */
bool utf8_valid(const char *s, size_t n);

/* Copies the NUL-terminated s into out (capacity len >= 1) as valid UTF-8, escaping as said
 * above; cut, on a character or escape boundary, to fit. Returns out. */
char *utf8_escape(const char *s, char *out, size_t len);

#endif
