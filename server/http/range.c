#include "config.h"
#include "http/range.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

/* Reads decimal digits into *out; returns the pointer past them, or NULL if there were none
 * or the number overflows. */
static const char *number(const char *s, long long *out)
{
	long long v = 0;
	const char *start = s;

	while (isdigit((unsigned char)*s)) {
		if (v > (0x7fffffffffffffffLL - 9) / 10)
			return NULL;
		v = v * 10 + (*s++ - '0');
	}
	if (s == start)
		return NULL;
	*out = v;
	return s;
}

static const char *skip_ws(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

enum range_result range_parse(const char *header, long long size, long long *first,
                              long long *last)
{
	long long a = -1, b = -1;
	const char *s;

	if (!header)
		return RANGE_NONE;
	s = skip_ws(header);
	if (strncasecmp(s, "bytes", 5) != 0)
		return RANGE_NONE;
	s = skip_ws(s + 5);
	if (*s++ != '=')
		return RANGE_NONE;
	s = skip_ws(s);
	if (*s == '-') {
		/* suffix range: the last N bytes */
		s = number(s + 1, &b);
		if (!s)
			return RANGE_NONE;
	} else {
		s = number(s, &a);
		if (!s || *s++ != '-')
			return RANGE_NONE;
		if (isdigit((unsigned char)*s)) {
			s = number(s, &b);
			if (!s || b < a)
				return RANGE_NONE;
		}
	}
	s = skip_ws(s);
	if (*s == ',')
		return RANGE_NONE; /* several ranges: serve the whole file */
	if (*s)
		return RANGE_NONE;

	if (a < 0) {
		if (b == 0 || size == 0)
			return RANGE_UNSATISFIABLE;
		*first = b >= size ? 0 : size - b;
		*last = size - 1;
		return RANGE_OK;
	}
	if (a >= size)
		return RANGE_UNSATISFIABLE;
	*first = a;
	*last = (b < 0 || b >= size) ? size - 1 : b;
	return RANGE_OK;
}
