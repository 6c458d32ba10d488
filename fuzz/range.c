/* Range parsing (server/http/range.c) as h_audio calls it: the Range header's value, at most
 * what http.c copies (127 bytes), against a file's size. The first 8 input bytes are the
 * size, the rest the header. Whatever the header, a range it grants lies inside the file. */
#include "config.h"

#include <string.h>

#include "fuzz.h"
#include "http/range.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char header[128];
	long long file_size = 0, first = -7, last = -7;
	size_t n;
	enum range_result res;

	if (size < sizeof file_size)
		return 0;
	memcpy(&file_size, data, sizeof file_size);
	/* Sizes a file can have: small ones often, so the edge cases come up. */
	file_size = file_size < 0 ? -(file_size + 1) : file_size;
	if (data[0] & 1)
		file_size %= 1000;
	data += sizeof file_size;
	size -= sizeof file_size;
	n = size < sizeof header - 1 ? size : sizeof header - 1;
	memcpy(header, data, n);
	header[n] = '\0';

	res = range_parse(header, file_size, &first, &last);
	switch (res) {
	case RANGE_OK:
		fuzz_check(first >= 0 && first <= last && last < file_size,
		           "\"%s\" on %lld bytes gave %lld-%lld", header, file_size, first, last);
		break;
	case RANGE_NONE:
	case RANGE_UNSATISFIABLE:
		fuzz_check(first == -7 && last == -7, "\"%s\": not granted, yet the range was written",
		           header);
		break;
	default:
		fuzz_check(0, "\"%s\": result %d", header, (int)res);
	}
	/* The same header against the same size gives the same answer. */
	long long f2 = -7, l2 = -7;
	fuzz_check(range_parse(header, file_size, &f2, &l2) == res && (res != RANGE_OK || (f2 == first && l2 == last)),
	           "\"%s\": not deterministic", header);
	return 0;
}
