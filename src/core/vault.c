#include "config.h"
#include "vault.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAGIC "SEGUEVLT"
#define AD_HEADER 48 /* the header bytes every chunk's additional data covers */

static void put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void put64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

uint64_t vault_file_size(uint64_t size, uint32_t chunk)
{
	uint64_t n = (size + chunk - 1) / chunk;

	return VAULT_HEADER + size + n * VAULT_TAG;
}

static uint64_t nchunks(const struct vault *v)
{
	return (v->size + v->chunk - 1) / v->chunk;
}

static off_t chunk_offset(const struct vault *v, uint64_t i)
{
	return (off_t)(VAULT_HEADER + i * ((uint64_t)v->chunk + VAULT_TAG));
}

static size_t chunk_len(const struct vault *v, uint64_t i)
{
	uint64_t left = v->size - i * v->chunk;

	return left < v->chunk ? (size_t)left : v->chunk;
}

static void chunk_nonce(const struct vault *v, uint64_t i, unsigned char nonce[24])
{
	unsigned char idx[8];

	memcpy(nonce, v->header + 24, 24);
	put64(idx, i);
	for (int k = 0; k < 8; k++)
		nonce[16 + k] ^= idx[k];
}

static void chunk_ad(const struct vault *v, uint64_t i, unsigned char ad[AD_HEADER + 8])
{
	memcpy(ad, v->header, AD_HEADER);
	put64(ad + AD_HEADER, i);
}

static int full_pwrite(int fd, const void *p, size_t len, off_t off)
{
	while (len) {
		ssize_t n = pwrite(fd, p, len, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p = (const char *)p + n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

/* Reads exactly len bytes; a short file is EBADMSG (a chunk that is not all there). */
static int full_pread(int fd, void *p, size_t len, off_t off)
{
	while (len) {
		ssize_t n = pread(fd, p, len, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0) {
			errno = EBADMSG;
			return -1;
		}
		p = (char *)p + n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

static int write_chunk(struct vault *v, uint64_t i, const unsigned char *plain, size_t len)
{
	unsigned char nonce[24], ad[AD_HEADER + 8];
	unsigned char *ct = malloc(len + VAULT_TAG);
	unsigned long long clen;
	int rc;

	if (!ct)
		return -1;
	chunk_nonce(v, i, nonce);
	chunk_ad(v, i, ad);
	crypto_aead_xchacha20poly1305_ietf_encrypt(ct, &clen, plain, len, ad, sizeof ad, NULL, nonce, v->key);
	rc = full_pwrite(v->fd, ct, (size_t)clen, chunk_offset(v, i));
	free(ct);
	return rc;
}

/* Decrypts chunk i into out (chunk_len bytes). -1 with EBADMSG when its tag fails. */
static int read_chunk(struct vault *v, uint64_t i, unsigned char *out)
{
	size_t len = chunk_len(v, i);
	unsigned char nonce[24], ad[AD_HEADER + 8];
	unsigned char *ct = malloc(len + VAULT_TAG);
	unsigned long long plen;
	int rc = -1;

	if (!ct)
		return -1;
	if (full_pread(v->fd, ct, len + VAULT_TAG, chunk_offset(v, i)) < 0)
		goto out;
	chunk_nonce(v, i, nonce);
	chunk_ad(v, i, ad);
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(out, &plen, NULL, ct, len + VAULT_TAG, ad,
	                                               sizeof ad, nonce, v->key) != 0) {
		errno = EBADMSG;
		goto out;
	}
	rc = 0;
out:
	free(ct);
	return rc;
}

static int read_header(struct vault *v)
{
	if (full_pread(v->fd, v->header, VAULT_HEADER, 0) < 0)
		return -1;
	if (memcmp(v->header, MAGIC, 8) || v->header[8] != 1) {
		errno = EBADMSG;
		return -1;
	}
	v->chunk = get32(v->header + 12);
	v->size = get64(v->header + 16);
	if (v->chunk < 1024 || v->chunk > (1u << 24)) {
		errno = EBADMSG;
		return -1;
	}
	return 0;
}

static void init(struct vault *v, const unsigned char key[VAULT_KEY_BYTES])
{
	memset(v, 0, sizeof *v);
	v->fd = -1;
	v->cached = -1;
	v->bad_chunk = -1;
	memcpy(v->key, key, VAULT_KEY_BYTES);
}

int vault_open_write(struct vault *v, const char *path, const unsigned char key[VAULT_KEY_BYTES],
                     uint64_t size, uint64_t *resume_at)
{
	uint64_t good = 0;

	init(v, key);
	*resume_at = 0;
	if (!(v->buf = malloc(VAULT_CHUNK)))
		return -1;
	if ((v->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0)
		goto fail;
	if (read_header(v) == 0 && v->size == size && v->chunk == VAULT_CHUNK) {
		/* Whatever decrypts is ours; the first chunk that does not is where we go on. */
		uint64_t n = nchunks(v);

		while (good < n && read_chunk(v, good, v->buf) == 0)
			good++;
		if (good == n && n) {
			/* Complete: nothing to write, but vault_finish still syncs it. */
			v->written = size;
			*resume_at = size;
			return 0;
		}
	} else {
		memset(v->header, 0, sizeof v->header);
		memcpy(v->header, MAGIC, 8);
		v->header[8] = 1;
		v->chunk = VAULT_CHUNK;
		v->size = size;
		put32(v->header + 12, v->chunk);
		put64(v->header + 16, size);
		randombytes_buf(v->header + 24, 24);
		good = 0;
		if (ftruncate(v->fd, 0) < 0 || full_pwrite(v->fd, v->header, VAULT_HEADER, 0) < 0)
			goto fail;
	}
	if (ftruncate(v->fd, chunk_offset(v, good)) < 0)
		goto fail;
	v->written = good * v->chunk;
	*resume_at = v->written;
	return 0;
fail:
	vault_close(v);
	return -1;
}

int vault_write(struct vault *v, const void *data, size_t len)
{
	const unsigned char *p = data;

	if (v->written + v->fill + len > v->size) {
		errno = EFBIG;
		return -1;
	}
	while (len) {
		size_t take = v->chunk - v->fill;

		if (take > len)
			take = len;
		memcpy(v->buf + v->fill, p, take);
		v->fill += take;
		p += take;
		len -= take;
		if (v->fill == v->chunk) {
			if (write_chunk(v, v->written / v->chunk, v->buf, v->fill) < 0)
				return -1;
			v->written += v->fill;
			v->fill = 0;
		}
	}
	return 0;
}

int vault_finish(struct vault *v)
{
	if (v->fill) {
		if (write_chunk(v, v->written / v->chunk, v->buf, v->fill) < 0)
			return -1;
		v->written += v->fill;
		v->fill = 0;
	}
	if (v->written != v->size) {
		errno = EIO;
		return -1;
	}
	return fdatasync(v->fd);
}

int vault_rewrite_chunk(struct vault *v, uint64_t i, const void *plain, size_t len)
{
	if (i >= nchunks(v) || len != chunk_len(v, i)) {
		errno = EINVAL;
		return -1;
	}
	if (write_chunk(v, i, plain, len) < 0)
		return -1;
	if (v->cached == (int64_t)i)
		v->cached = -1;
	if (v->bad_chunk == (int64_t)i)
		v->bad_chunk = -1;
	return fdatasync(v->fd);
}

int vault_open_read(struct vault *v, const char *path, const unsigned char key[VAULT_KEY_BYTES],
                    bool writable)
{
	init(v, key);
	if ((v->fd = open(path, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC)) < 0)
		return -1;
	if (read_header(v) < 0 || !(v->buf = malloc(v->chunk))) {
		int saved = errno;

		vault_close(v);
		errno = saved;
		return -1;
	}
	return 0;
}

ssize_t vault_read(struct vault *v, uint64_t off, void *buf, size_t len)
{
	uint64_t i;
	size_t at, n;

	if (off >= v->size || !len)
		return 0;
	i = off / v->chunk;
	if (v->cached != (int64_t)i) {
		v->cached = -1;
		if (read_chunk(v, i, v->buf) < 0) {
			if (errno == EBADMSG && v->bad_chunk < 0)
				v->bad_chunk = (int64_t)i;
			return -1;
		}
		v->cached = (int64_t)i;
		v->cached_len = chunk_len(v, i);
	}
	at = (size_t)(off - i * v->chunk);
	n = v->cached_len - at;
	if (n > len)
		n = len;
	memcpy(buf, v->buf + at, n);
	return (ssize_t)n;
}

int vault_verify(struct vault *v, const char *hex_digest)
{
	crypto_generichash_state h;
	unsigned char got[32], want[32];
	size_t wlen = 0;
	uint64_t n = nchunks(v);

	if (!hex_digest || sodium_hex2bin(want, sizeof want, hex_digest, strlen(hex_digest), NULL, &wlen,
	                                  NULL) != 0 || wlen != sizeof want) {
		errno = EINVAL;
		return -1;
	}
	crypto_generichash_init(&h, NULL, 0, sizeof got);
	for (uint64_t i = 0; i < n; i++) {
		if (read_chunk(v, i, v->buf) < 0) {
			if (errno == EBADMSG)
				v->bad_chunk = (int64_t)i;
			v->cached = -1;
			return -1;
		}
		crypto_generichash_update(&h, v->buf, chunk_len(v, i));
	}
	v->cached = -1;
	crypto_generichash_final(&h, got, sizeof got);
	if (sodium_memcmp(got, want, sizeof got) != 0) {
		errno = EILSEQ;
		return -1;
	}
	return 0;
}

void vault_close(struct vault *v)
{
	if (v->fd >= 0)
		close(v->fd);
	v->fd = -1;
	if (v->buf) {
		sodium_memzero(v->buf, v->chunk ? v->chunk : VAULT_CHUNK);
		free(v->buf);
	}
	v->buf = NULL;
	sodium_memzero(v->key, sizeof v->key);
}
