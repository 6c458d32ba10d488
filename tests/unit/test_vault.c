/* The encrypted chunk file: round trip at any offset, resume after an interrupted write,
 * a damaged chunk found and repaired, the wrong key and a swapped chunk refused, and no
 * plaintext on disk. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"
#include "vault.h"

#define SIZE (3 * VAULT_CHUNK + 12345)

static unsigned char plain[SIZE], back[SIZE];

static void hex_digest(const unsigned char *p, size_t n, char out[65])
{
	unsigned char d[32];

	crypto_generichash(d, sizeof d, p, n, NULL, 0);
	sodium_bin2hex(out, 65, d, sizeof d);
}

static int write_some(struct vault *v, size_t from, size_t to)
{
	/* Uneven pieces, as a network delivers them. */
	while (from < to) {
		size_t n = 1 + (size_t)randombytes_uniform(9000);

		if (n > to - from)
			n = to - from;
		if (vault_write(v, plain + from, n) < 0)
			return -1;
		from += n;
	}
	return 0;
}

static int contains(const char *path, const void *needle, size_t n)
{
	static unsigned char file[SIZE + 4096];
	int fd = open(path, O_RDONLY);
	ssize_t got = fd >= 0 ? read(fd, file, sizeof file) : -1;

	if (fd >= 0)
		close(fd);
	for (ssize_t i = 0; i + (ssize_t)n <= got; i++)
		if (!memcmp(file + i, needle, n))
			return 1;
	return 0;
}

int main(void)
{
	char dir[] = "/tmp/segue-vault-XXXXXX", path[64], digest[65];
	unsigned char key[VAULT_KEY_BYTES], other[VAULT_KEY_BYTES];
	struct vault v;
	uint64_t at;
	int fd;

	if (sodium_init() < 0 || !mkdtemp(dir))
		return 1;
	snprintf(path, sizeof path, "%s/t.sgv", dir);
	randombytes_buf(plain, sizeof plain);
	memcpy(plain + 100, "OggS\0\2", 6);
	randombytes_buf(key, sizeof key);
	randombytes_buf(other, sizeof other);
	hex_digest(plain, SIZE, digest);

	/* An interrupted download: two and a half chunks written, then the process dies. */
	ok(vault_open_write(&v, path, key, SIZE, &at) == 0 && at == 0, "a new vault starts at 0");
	ok(write_some(&v, 0, 2 * VAULT_CHUNK + 5000) == 0, "writes in uneven pieces");
	vault_close(&v);
	ok(vault_open_write(&v, path, key, SIZE, &at) == 0, "reopened");
	is_int(at, 2 * VAULT_CHUNK, "resumes after the last complete chunk");
	ok(write_some(&v, (size_t)at, SIZE) == 0 && vault_finish(&v) == 0, "finishes");
	vault_close(&v);
	ok(vault_open_write(&v, path, key, SIZE, &at) == 0 && at == SIZE, "a complete vault needs nothing");
	vault_close(&v);
	ok(!contains(path, "OggS", 4), "no plaintext on disk");

	{
		struct stat st;

		stat(path, &st);
		is_int(st.st_size, (long long)vault_file_size(SIZE, VAULT_CHUNK), "the file is header + data + tags");
	}
	ok(vault_open_read(&v, path, key, false) == 0, "opens for reading");
	is_int(v.size, SIZE, "knows its size");
	ok(vault_verify(&v, digest) == 0, "the digest matches");
	{
		size_t off = 0;
		int bad = 0;

		/* Reads at odd offsets and lengths, across chunk boundaries. */
		while (off < SIZE) {
			size_t want = 1 + (size_t)randombytes_uniform(30000);
			ssize_t n = vault_read(&v, off, back + off, want);

			if (n <= 0) {
				bad = 1;
				break;
			}
			off += (size_t)n;
		}
		ok(!bad && !memcmp(back, plain, SIZE), "reads back every byte in order");
		ok(vault_read(&v, VAULT_CHUNK * 2 + 7, back, 3) == 3 && !memcmp(back, plain + VAULT_CHUNK * 2 + 7, 3),
		   "seeks within the file");
		is_int(vault_read(&v, SIZE, back, 10), 0, "0 at the end");
	}
	vault_close(&v);

	ok(vault_open_read(&v, path, other, false) == 0, "the wrong key opens the header");
	errno = 0;
	ok(vault_read(&v, 0, back, 10) < 0 && errno == EBADMSG, "but decrypts nothing");
	vault_close(&v);

	/* Damage one byte of chunk 1. */
	fd = open(path, O_RDWR);
	{
		unsigned char b;
		off_t at1 = VAULT_HEADER + (VAULT_CHUNK + VAULT_TAG) + 999;

		pread(fd, &b, 1, at1);
		b ^= 0x40;
		pwrite(fd, &b, 1, at1);
	}
	close(fd);
	ok(vault_open_read(&v, path, key, true) == 0, "a damaged vault opens");
	ok(vault_read(&v, 10, back, 10) == 10, "its sound chunks read");
	errno = 0;
	ok(vault_read(&v, VAULT_CHUNK + 10, back, 10) < 0 && errno == EBADMSG, "the damaged chunk is refused");
	is_int(v.bad_chunk, 1, "and named");
	ok(vault_verify(&v, digest) < 0 && errno == EBADMSG, "verification fails on it");
	ok(vault_rewrite_chunk(&v, 1, plain + VAULT_CHUNK, VAULT_CHUNK) == 0, "the chunk is fetched again");
	ok(vault_verify(&v, digest) == 0, "and the file is whole");
	vault_close(&v);

	/* A resumed write finds the damage and continues from the damaged chunk. */
	fd = open(path, O_RDWR);
	{
		unsigned char b = 0;

		pwrite(fd, &b, 1, VAULT_HEADER + 2 * (VAULT_CHUNK + VAULT_TAG) + 5);
	}
	close(fd);
	ok(vault_open_write(&v, path, key, SIZE, &at) == 0, "reopened for writing");
	is_int(at, 2 * VAULT_CHUNK, "resumes at the first chunk that fails");
	vault_close(&v);

	/* Swapping two chunks is detected (each chunk's nonce and data name its index). */
	ok(vault_open_write(&v, path, key, SIZE, &at) == 0 && write_some(&v, (size_t)at, SIZE) == 0 &&
	   vault_finish(&v) == 0, "rewritten whole");
	vault_close(&v);
	fd = open(path, O_RDWR);
	{
		static unsigned char a[VAULT_CHUNK + VAULT_TAG], b[VAULT_CHUNK + VAULT_TAG];
		off_t o0 = VAULT_HEADER, o1 = VAULT_HEADER + VAULT_CHUNK + VAULT_TAG;

		pread(fd, a, sizeof a, o0);
		pread(fd, b, sizeof b, o1);
		pwrite(fd, b, sizeof b, o0);
		pwrite(fd, a, sizeof a, o1);
	}
	close(fd);
	ok(vault_open_read(&v, path, key, false) == 0, "opened after a swap");
	ok(vault_read(&v, 0, back, 10) < 0, "a chunk moved to another place is refused");
	vault_close(&v);

	/* Another size means another file: started afresh. */
	ok(vault_open_write(&v, path, key, SIZE - 1, &at) == 0 && at == 0, "a vault of another size starts again");
	vault_close(&v);
	unlink(path);
	rmdir(dir);
	return done();
}
