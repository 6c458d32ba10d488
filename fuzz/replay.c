/* The corpus replay: every file of fuzz/corpus/NAME fed once to the target's
 * LLVMFuzzerTestOneInput, as libFuzzer would, but built by the ordinary compiler, so that
 * `make check` replays the checked-in inputs (seeds and every input that once found a bug)
 * without clang. It prints TAP, one line per input; an input that crashes the target ends
 * the run, which the TAP driver reports as a failure. */
#include "config.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *data = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET))
		goto out;
	data = malloc((size_t)n + 1);
	if (!data || fread(data, 1, (size_t)n, f) != (size_t)n) {
		free(data);
		data = NULL;
		goto out;
	}
	*len = (size_t)n;
out:
	fclose(f);
	return data;
}

int main(int argc, char **argv)
{
	const char *srcdir = getenv("SEGUE_SRCDIR");
	char dir[4096], path[4600];
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d;
	int failed = 0;

	if (argc > 1)
		snprintf(dir, sizeof dir, "%s", argv[1]);
	else
		snprintf(dir, sizeof dir, "%s/fuzz/corpus/%s", srcdir ? srcdir : ".", FUZZ_NAME);
	if (!(d = opendir(dir))) {
		printf("1..0 # SKIP no corpus at %s\n", dir);
		printf("Bail out! the corpus of %s is missing\n", FUZZ_NAME);
		return 1;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			if (!(names = realloc(names, cap * sizeof *names)))
				return 1;
		}
		if (!(names[n++] = strdup(de->d_name)))
			return 1;
	}
	closedir(d);
	qsort(names, n, sizeof *names, by_name);
	if (!n) {
		printf("Bail out! the corpus of %s is empty\n", FUZZ_NAME);
		return 1;
	}
	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	printf("1..%zu\n", n);
	for (size_t i = 0; i < n; i++) {
		unsigned char *data;
		size_t len = 0;

		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		fflush(stdout);
		if (!(data = slurp(path, &len))) {
			printf("not ok %zu - %s/%s: cannot read it\n", i + 1, FUZZ_NAME, names[i]);
			failed = 1;
			continue;
		}
		LLVMFuzzerTestOneInput(data, len);
		printf("ok %zu - %s/%s (%zu bytes)\n", i + 1, FUZZ_NAME, names[i], len);
		free(data);
		free(names[i]);
	}
	free(names);
	return failed;
}
