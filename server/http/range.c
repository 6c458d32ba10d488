#include "config.h"
#include "http/range.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "decimal.h"

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
		s = decimal_prefix(s + 1, &b);
		if (!s)
			return RANGE_NONE;
	} else {
		s = decimal_prefix(s, &a);
		if (!s || *s++ != '-')
			return RANGE_NONE;
		if (isdigit((unsigned char)*s)) {
			s = decimal_prefix(s, &b);
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
