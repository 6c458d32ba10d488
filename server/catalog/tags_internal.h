/* Text helpers shared by tags.c and tags_path.c (tags_text.c); private to catalog/tags*. */
#ifndef SEGUE_TAGS_INTERNAL_H
#define SEGUE_TAGS_INTERNAL_H

#include <stddef.h>

#include "catalog/tags.h"

/* Copies src[0..n) into dst (capacity cap >= 1) as one clean line of UTF-8: each byte that is
 * not part of a valid sequence becomes U+FFFD, control characters (C0, DEL, C1) and U+FEFF
 * are dropped, tabs become spaces, leading and trailing spaces go. Cut on a character
 * boundary to fit, always terminated. Returns the length written. */
size_t tags_clean(char *dst, size_t cap, const char *src, size_t n);

/* Lyrics as clean UTF-8 on the heap (the caller frees): as tags_clean, but line breaks (LF,
 * CRLF, CR) are kept as '\n', every line ends in one, leading blank lines and trailing
 * white space go, at most TAG_LYRICS_MAX bytes (cut after a whole line when one fits).
 * NULL when nothing is left or memory is short. */
char *tags_clean_lyrics(const char *src, size_t n);

/* 1 when text reads as LRC: at least one "[mm:ss]" or "[mm:ss.xx]" line, and no fewer
 * timed lines than untimed ones (ID tags such as "[ar:...]" and blank lines not counted). */
int tags_looks_lrc(const char *text);

/* Cleans s and appends it to l unless it comes out empty or l is full. */
void tags_list_add(struct tag_list *l, const char *s, size_t n);

/* The values of l joined with sep into dst, cut on a character boundary to fit. */
void tags_join(char *dst, size_t cap, const struct tag_list *l, const char *sep);

/* Copies the clean UTF-8 src into dst, cut on a character boundary to fit. */
void tags_copy(char *dst, size_t cap, const char *src);

/* The leading number of "3", "03/12", " 1 of 2" (0 when there is none or it is over 9999);
 * *total gets the number after '/' or "of" when there is one, else 0. total may be NULL. */
int tags_parse_number(const char *s, int *total);

#endif
