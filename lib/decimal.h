/* Decimal numbers as requests carry them: plain ASCII digits, nothing else. No sign, no
 * blanks, no base prefix: a number that a proxy or a signer might read otherwise is refused
 * rather than guessed at. Inline: the audio path reads one (a link's expiry) a request. */
#ifndef SEGUE_DECIMAL_H
#define SEGUE_DECIMAL_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

/* The digits at the start of s into *out: the text past them, or NULL when s does not start
 * with a digit or the number is over LLONG_MAX (*out is then left alone). */
static inline const char *decimal_prefix(const char *s, long long *out)
{
	const char *p = s;
	long long v = 0;

	for (; *p >= '0' && *p <= '9'; p++) {
		int d = *p - '0';

		if (v > LLONG_MAX / 10 || (v == LLONG_MAX / 10 && d > LLONG_MAX % 10))
			return NULL;
		v = v * 10 + d;
	}
	if (p == s)
		return NULL;
	*out = v;
	return p;
}

/* The whole of s as a number: true with *out set, false for "" or anything but digits. */
static inline bool decimal_parse(const char *s, long long *out)
{
	long long v;
	const char *end = decimal_prefix(s, &v);

	if (!end || *end)
		return false;
	*out = v;
	return true;
}

#endif
