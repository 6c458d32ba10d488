#include "config.h"

#include <sodium.h>
#include <stdlib.h>

#include "base62.h"
#include "tap.h"

int main(void)
{
	unsigned char zero[16] = { 0 }, ones[16], back[16], r[16];
	char id[BASE62_ID_LEN + 1];

	if (sodium_init() < 0)
		return 1;
	base62_encode128(zero, id);
	is_str(id, "0000000000000000000000", "zero encodes as 22 zeros");
	memset(ones, 0xff, sizeof ones);
	base62_encode128(ones, id);
	is_str(id, "7n42DGM5Tflk9n8mt7Fhc7", "2^128-1 encodes to its base62 digits");
	ok(base62_decode128(id, back) == 0 && !memcmp(back, ones, 16), "2^128-1 round-trips");
	ok(base62_decode128("7n42DGM5Tflk9n8mt7Fhc8", back) < 0, "2^128 overflows and is refused");
	ok(base62_decode128("zzzzzzzzzzzzzzzzzzzzzz", back) < 0, "the largest 22-digit value is refused");
	ok(!base62_is_id("abc"), "a short id is refused");
	ok(!base62_is_id("000000000000000000000_"), "a non-base62 digit is refused");
	ok(!base62_is_id("00000000000000000000000"), "a 23-character id is refused");
	ok(!base62_is_id("../../../../etc/passwd0"), "a path is not an id");
	int all = 1;
	for (int i = 0; i < 2000; i++) {
		randombytes_buf(r, sizeof r);
		base62_encode128(r, id);
		if (strlen(id) != 22 || base62_decode128(id, back) || memcmp(back, r, 16))
			all = 0;
	}
	ok(all, "2000 random values round-trip at 22 characters");
	char a[23], b[23];
	base62_id_from_bytes("x", 1, a);
	base62_id_from_bytes("x", 1, b);
	is_str(a, b, "ids from the same bytes are equal");
	base62_id_from_bytes("y", 1, b);
	ok(strcmp(a, b) != 0, "ids from different bytes differ");
	return done();
}
