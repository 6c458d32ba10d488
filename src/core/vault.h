/* Downloaded audio at rest: a file encrypted with XChaCha20-Poly1305 in fixed-size chunks,
 * so that a seek decrypts one chunk, not the file, and a damaged chunk is found (its tag
 * fails) without trusting anything else in the file.
 *
 *   header  64 bytes: "SEGUEVLT", version 1, three zero bytes, chunk size (u32 LE), plaintext
 *           size (u64 LE), a random 24-byte nonce base, 16 zero bytes
 *   chunk i at 64 + i * (chunk size + 16): the ciphertext of plaintext bytes
 *           [i * chunk size, min((i + 1) * chunk size, size)) and its 16-byte tag
 *
 * Chunk i's nonce is the nonce base with i (u64 LE) added into its last eight bytes by XOR;
 * its additional data is the header's first 48 bytes and i, so a chunk cannot be moved,
 * replayed into another file, or made to stand for a file of another size. Plaintext is
 * never written: a download keeps the chunk it is filling in memory, and a chunk is only
 * written whole (the last one may be short), so an interrupted download resumes after its
 * last complete chunk, found by decrypting (vault_resume_point). */
#ifndef SEGUE_VAULT_H
#define SEGUE_VAULT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define VAULT_KEY_BYTES 32
#define VAULT_CHUNK (64 * 1024)
#define VAULT_HEADER 64
#define VAULT_TAG 16

struct vault {
	int fd;
	unsigned char key[VAULT_KEY_BYTES];
	unsigned char header[VAULT_HEADER];
	uint64_t size;          /* plaintext bytes */
	uint32_t chunk;
	/* writing: the chunk being filled */
	unsigned char *buf;
	size_t fill;
	uint64_t written;       /* plaintext bytes in complete chunks on disk */
	/* reading: the last chunk decrypted */
	int64_t cached;         /* chunk index; -1: none */
	size_t cached_len;
	int64_t bad_chunk;      /* the first chunk whose tag failed; -1: none */
};

/* The on-disk size of a vault holding size plaintext bytes. */
uint64_t vault_file_size(uint64_t size, uint32_t chunk);

/* Opens path for writing a file of size plaintext bytes: resumes it after its last complete
 * chunk when it is a vault of that size under key, else starts it afresh. *resume_at
 * receives the plaintext offset to continue from. -1 with errno on failure. */
int vault_open_write(struct vault *v, const char *path, const unsigned char key[VAULT_KEY_BYTES],
                     uint64_t size, uint64_t *resume_at);
/* Appends plaintext; whole chunks are encrypted and written as they fill. */
int vault_write(struct vault *v, const void *data, size_t len);
/* After the last byte: writes the final chunk and syncs the file. -1 unless all size bytes
 * were written. */
int vault_finish(struct vault *v);
/* Rewrites chunk i from its plaintext (a refetch of a damaged chunk), and syncs. */
int vault_rewrite_chunk(struct vault *v, uint64_t i, const void *plain, size_t len);

/* Opens a vault for reading (O_RDONLY unless writable). -1 with errno (EBADMSG: not a vault). */
int vault_open_read(struct vault *v, const char *path, const unsigned char key[VAULT_KEY_BYTES],
                    bool writable);
/* Reads up to len plaintext bytes at off; 0 at the end; -1 with errno EBADMSG when a chunk
 * fails its tag (v->bad_chunk says which), or the read's errno. */
ssize_t vault_read(struct vault *v, uint64_t off, void *buf, size_t len);
/* Decrypts the whole file and compares its BLAKE2b-256 with hex_digest (64 hex digits).
 * 0 when it matches; -1 with errno EBADMSG (a chunk failed: v->bad_chunk) or EILSEQ (every
 * chunk is sound but the content is not what the server sent). */
int vault_verify(struct vault *v, const char *hex_digest);

void vault_close(struct vault *v);

#endif
