/* The "name = value" files both programs read (segue-server's --config, the client's
 * segue.conf): one line per setting, blanks around names and values ignored, blank lines and
 * lines starting with '#' skipped. Each pair is handed to a callback that validates it; the
 * first error stops the read and is reported as "PATH:LINE: message". */
#ifndef SEGUE_CONFFILE_H
#define SEGUE_CONFFILE_H

#include <stddef.h>

#define CONFFILE_LINE_MAX 2048

enum {
	/* A value between double quotes is taken as it stands; after an unquoted value,
	 * " #" starts a comment. */
	CONFFILE_QUOTES = 1 << 0,
};

/* Returns 0 to go on, or -1 with a message in err. */
typedef int (*conffile_set)(void *ud, const char *name, const char *value, char *err,
                            size_t errlen);

/* 0 when every line was taken; -1 on a malformed line or a refused value; -2 when the file
 * cannot be opened (errno tells why: ENOENT for a missing file); -3 when reading it fails. */
int conffile_read(const char *path, unsigned flags, conffile_set set, void *ud, char *err,
                  size_t errlen);

#endif
