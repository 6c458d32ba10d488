/* Text put together in a caller's fixed array, without printf: for the few strings the
 * audio path builds on every request (a file's path, an ETag, a Content-Range), where
 * snprintf's format parsing cost more than the rest of the formatting (bench/stream-cost.sh).
 * A put that does not fit leaves the text as it was before it and marks it over; the text is
 * always NUL-terminated. */
#ifndef SEGUE_STRPUT_H
#define SEGUE_STRPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

struct strput {
	char *p;
	size_t cap, len; /* cap counts the NUL */
	bool over;       /* something did not fit */
};

/* Begins empty text in p[cap] (cap > 0). */
void strput_init(struct strput *s, char *p, size_t cap);
/* (inline: the audio path puts a dozen short pieces a request) */
static inline void strput_n(struct strput *s, const char *t, size_t n)
{
	if (s->over || n >= s->cap - s->len) {
		s->over = true;
		return;
	}
	memcpy(s->p + s->len, t, n);
	s->len += n;
	s->p[s->len] = '\0';
}
void strput_s(struct strput *s, const char *t);
/* A string literal, its length known at compile time. */
#define strput_lit(s, lit) strput_n((s), "" lit, sizeof(lit) - 1)
/* v in decimal, with a '-' when negative. */
void strput_ll(struct strput *s, long long v);
/* v in lower-case hexadecimal, no prefix. */
void strput_hex(struct strput *s, unsigned long long v);
/* Whether everything fit. */
static inline bool strput_ok(const struct strput *s) { return !s->over; }

#endif
