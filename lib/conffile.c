/* Reading "name = value" files. */
#include "config.h"
#include "conffile.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* Quotes and trailing comments, for files that allow them. */
static char *unquote(char *value)
{
	size_t n = strlen(value);
	char *s;

	if (n >= 2 && value[0] == '"' && value[n - 1] == '"') {
		value[n - 1] = '\0';
		return value + 1;
	}
	if ((s = strstr(value, " #")) || (s = strstr(value, "\t#"))) {
		*s = '\0';
		value = trim(value);
	}
	return value;
}

int conffile_read(const char *path, unsigned flags, conffile_set set, void *ud, char *err,
                  size_t errlen)
{
	FILE *f = fopen(path, "r");
	char line[CONFFILE_LINE_MAX], msg[1024];
	int lineno = 0, rc = 0, saved;

	if (!f) {
		saved = errno;
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(saved));
		errno = saved;
		return -2;
	}
	while (fgets(line, sizeof line, f)) {
		char *s, *eq, *value;

		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			snprintf(err, errlen, "%s:%d: line too long", path, lineno);
			rc = -1;
			break;
		}
		s = trim(line);
		if (!*s || *s == '#')
			continue;
		if (!(eq = strchr(s, '='))) {
			snprintf(err, errlen, "%s:%d: expected \"name = value\"", path, lineno);
			rc = -1;
			break;
		}
		*eq = '\0';
		value = trim(eq + 1);
		if (flags & CONFFILE_QUOTES)
			value = unquote(value);
		if (set(ud, trim(s), value, msg, sizeof msg) < 0) {
			snprintf(err, errlen, "%s:%d: %s", path, lineno, msg);
			rc = -1;
			break;
		}
	}
	if (!rc && ferror(f)) {
		snprintf(err, errlen, "cannot read %s", path);
		rc = -3;
	}
	fclose(f);
	return rc;
}
