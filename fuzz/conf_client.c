/* The configuration reader (lib/conffile.c, with quotes and trailing comments) under the
 * client's options table (src/core/options.c), as segue reads segue.conf: the input is the
 * file. Whatever it holds, every option ends valid for its type, as the faces read them
 * without checking again, and each value set can be set again as it reads back (`:set`). */
#include "config.h"

#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "options.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct options o;
	char path[64];
	int fd = memfd_create("segue.conf", MFD_CLOEXEC);
	enum seg_err e;
	json_t *all;

	if (fd < 0 || write(fd, data, size) != (ssize_t)size) {
		perror("fuzz: memfd");
		abort();
	}
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	fuzz_check(options_init(&o) == SEG_OK, "options_init failed");
	e = options_load(&o, path, false);
	fuzz_check(e == SEG_OK || e == SEG_EUSAGE, "options_load: %d", (int)e);
	for (int i = 0; i < OPT_COUNT; i++) {
		const struct opt_def *d = &opt_defs[i];
		const char *v = opt_str(&o, (enum opt)i);

		fuzz_check(v != NULL, "%s has no value", d->name);
		if (d->type == OT_INT)
			fuzz_check(opt_int(&o, (enum opt)i) >= d->min && opt_int(&o, (enum opt)i) <= d->max,
			           "%s = %s is out of range", d->name, v);
		if (d->type == OT_BOOL)
			fuzz_check(!strcmp(v, "true") || !strcmp(v, "false"), "%s = \"%s\"", d->name, v);
		if (d->type == OT_ENUM) {
			bool listed = false;

			for (int k = 0; d->choices[k]; k++)
				listed |= !strcmp(d->choices[k], v);
			fuzz_check(listed, "%s = \"%s\" is no choice", d->name, v);
		}
		char *again = strdup(v);
		fuzz_check(again && options_set(&o, d->name, again) == SEG_OK, "%s = \"%s\" cannot be set again",
		           d->name, v);
		free(again);
	}
	all = options_json(&o);
	fuzz_check(all != NULL, "options_json failed");
	json_decref(all);
	options_free(&o);
	close(fd);
	return 0;
}
