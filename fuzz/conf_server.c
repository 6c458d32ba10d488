/* The configuration reader (lib/conffile.c) under segue-server's settings table
 * (server/settings.c), as `segue-server --config FILE` reads it: the input is the file. A
 * second pass reads the same file through conffile_read alone with a callback that checks
 * what every table relies on: names and values trimmed, one line each. */
#include "config.h"

#include <ctype.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "conffile.h"
#include "fuzz.h"
#include "settings.h"

static int check_pair(void *ud, const char *name, const char *value, char *err, size_t errlen)
{
	size_t nl = strlen(name), vl = strlen(value);
	const unsigned *flags = ud;

	(void)err;
	(void)errlen;
	fuzz_check(!strchr(name, '\n') && !strchr(value, '\n'), "a pair spans lines");
	fuzz_check(!strchr(name, '='), "the name \"%s\" holds the '='", name);
	fuzz_check(nl == 0 || (!isspace((unsigned char)name[0]) && !isspace((unsigned char)name[nl - 1])),
	           "the name \"%s\" is not trimmed", name);
	/* A quoted value is taken as it stands, blanks and all. */
	fuzz_check(vl == 0 || (*flags & CONFFILE_QUOTES) || (!isspace((unsigned char)value[0]) && !isspace((unsigned char)value[vl - 1])),
	           "the value \"%s\" is not trimmed", value);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct settings cfg;
	char path[64], err[1024];
	int fd = memfd_create("segue.conf", MFD_CLOEXEC);
	unsigned flags;
	int rc;

	if (fd < 0 || write(fd, data, size) != (ssize_t)size) {
		perror("fuzz: memfd");
		abort();
	}
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);

	settings_defaults(&cfg);
	err[0] = '\0';
	rc = settings_load(&cfg, path, err, sizeof err);
	fuzz_check(rc == 0 || rc == -1, "settings_load returned %d", rc);
	fuzz_check(rc == 0 || (err[0] && memchr(err, '\0', sizeof err)), "a refusal without a message");
	fuzz_check(memchr(cfg.listen, '\0', sizeof cfg.listen) && memchr(cfg.data_dir, '\0', sizeof cfg.data_dir) &&
	           memchr(cfg.public_url, '\0', sizeof cfg.public_url) && memchr(cfg.markets, '\0', sizeof cfg.markets) &&
	           memchr(cfg.log_level, '\0', sizeof cfg.log_level), "a text setting lost its terminator");
	fuzz_check(cfg.library.n >= 0 && cfg.library.n <= SETTINGS_LIST_MAX, "library holds %d folders", cfg.library.n);
	for (int i = 0; i < cfg.library.n; i++)
		fuzz_check(memchr(cfg.library.v[i], '\0', SETTINGS_LIST_LEN), "a library folder lost its terminator");

	flags = (size && data[0] & 1) ? CONFFILE_QUOTES : 0;
	rc = conffile_read(path, flags, check_pair, &flags, err, sizeof err);
	fuzz_check(rc == 0 || rc == -1, "conffile_read returned %d", rc);
	close(fd);
	return 0;
}
