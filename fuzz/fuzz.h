/* What every fuzz target defines: libFuzzer's entry points. A target is one file under fuzz/
 * that feeds the bytes it is given to one parser of Segue's, the way its real caller would,
 * and aborts (through fuzz_check) when that parser breaks a promise its callers rely on.
 * It is linked twice: with libFuzzer (`make fuzz`, clang) and with fuzz/replay.c, the
 * corpus replay `make check` runs. */
#ifndef SEGUE_FUZZ_H
#define SEGUE_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Optional: runs once before the first input (setting up a store, a context). */
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

/* A broken invariant: stops the run so that the fuzzer saves the input. */
#define fuzz_check(cond, ...)                                                         \
	do {                                                                          \
		if (!(cond)) {                                                        \
			fprintf(stderr, "fuzz: %s:%d: %s: ", __FILE__, __LINE__, #cond); \
			fprintf(stderr, __VA_ARGS__);                                 \
			fputc('\n', stderr);                                          \
			abort();                                                      \
		}                                                                     \
	} while (0)

#endif
