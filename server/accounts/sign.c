#include "config.h"
#include "accounts/sign.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base62.h"

static void key_prepare(struct sign_key *k)
{
	crypto_auth_hmacsha256_init(&k->keyed, k->key, SIGN_KEY_BYTES);
}

static int read_ring(struct keyring *kr, char *err, size_t errlen)
{
	struct keyring fresh;
	struct stat st;
	char line[256];
	FILE *f;
	int rc = -1;

	memset(&fresh, 0, sizeof fresh);
	f = fopen(kr->path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: %s", kr->path, strerror(errno));
		return -1;
	}
	if (fstat(fileno(f), &st) < 0 || (st.st_mode & 077)) {
		snprintf(err, errlen, "%s: must be readable by its owner only (chmod 600)", kr->path);
		goto out;
	}
	while (fgets(line, sizeof line, f)) {
		struct sign_key *k;
		char kid[64], b64[128];
		long long created;
		size_t len;

		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (fresh.nkeys == SIGN_MAX_KEYS) {
			snprintf(err, errlen, "%s: more than %d keys", kr->path, SIGN_MAX_KEYS);
			goto out;
		}
		k = &fresh.keys[fresh.nkeys];
		if (sscanf(line, "%63s %lld %127s", kid, &created, b64) != 3 ||
		    strlen(kid) >= SIGN_KID_MAX ||
		    sodium_base642bin(k->key, sizeof k->key, b64, strlen(b64), NULL, &len, NULL,
		                      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
		    len != SIGN_KEY_BYTES) {
			snprintf(err, errlen, "%s: malformed key line", kr->path);
			goto out;
		}
		strcpy(k->kid, kid);
		k->created = (time_t)created;
		key_prepare(k);
		fresh.nkeys++;
	}
	if (!fresh.nkeys) {
		snprintf(err, errlen, "%s: no keys", kr->path);
		goto out;
	}
	memcpy(kr->keys, fresh.keys, sizeof fresh.keys);
	kr->nkeys = fresh.nkeys;
	kr->ino = (unsigned long long)st.st_ino;
	kr->mtime_ns = (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
	rc = 0;
out:
	sodium_memzero(&fresh, sizeof fresh);
	fclose(f);
	return rc;
}

static int write_ring(const struct keyring *kr, char *err, size_t errlen)
{
	char tmp[1200];
	FILE *f;
	int fd;

	snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", kr->path);
	fd = mkstemp(tmp); /* mkstemp creates the file 0600 */
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		goto fail;
	}
	fprintf(f, "# segue-server signing keys: kid created base64url(key). Keep secret.\n");
	for (int i = 0; i < kr->nkeys; i++) {
		char b64[sodium_base64_ENCODED_LEN(SIGN_KEY_BYTES,
		                                   sodium_base64_VARIANT_URLSAFE_NO_PADDING)];

		sodium_bin2base64(b64, sizeof b64, kr->keys[i].key, SIGN_KEY_BYTES,
		                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
		fprintf(f, "%s %lld %s\n", kr->keys[i].kid, (long long)kr->keys[i].created, b64);
		sodium_memzero(b64, sizeof b64);
	}
	if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
		fclose(f);
		goto fail;
	}
	if (fclose(f) != 0 || rename(tmp, kr->path) != 0)
		goto fail;
	return 0;
fail:
	snprintf(err, errlen, "%s: %s", kr->path, strerror(errno));
	unlink(tmp);
	return -1;
}

static void new_key(struct sign_key *k, time_t now)
{
	unsigned char raw[16];
	char id[BASE62_ID_LEN + 1];

	randombytes_buf(k->key, sizeof k->key);
	randombytes_buf(raw, sizeof raw);
	base62_encode128(raw, id);
	/* Eight base62 digits are plenty to tell a handful of live keys apart. */
	memcpy(k->kid, id + BASE62_ID_LEN - 8, 8);
	k->kid[8] = '\0';
	k->created = now;
	key_prepare(k);
}

int keyring_open(struct keyring *kr, const char *data_dir, char *err, size_t errlen)
{
	memset(kr, 0, sizeof *kr);
	snprintf(kr->path, sizeof kr->path, "%s/signing.keys", data_dir);
	if (access(kr->path, F_OK) != 0) {
		new_key(&kr->keys[0], time(NULL));
		kr->nkeys = 1;
		if (write_ring(kr, err, errlen) < 0)
			return -1;
	}
	kr->checked_at = time(NULL);
	return read_ring(kr, err, errlen);
}

void keyring_refresh(struct keyring *kr, time_t now)
{
	struct stat st;
	char err[256];

	if (now == kr->checked_at)
		return;
	kr->checked_at = now;
	if (stat(kr->path, &st) == 0 &&
	    ((unsigned long long)st.st_ino != kr->ino ||
	     (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec != kr->mtime_ns))
		read_ring(kr, err, sizeof err); /* on error the old ring stays in force */
}

int keyring_rotate(struct keyring *kr, long keep_seconds, char *err, size_t errlen)
{
	time_t now = time(NULL);
	int keep_from = 0;

	if (read_ring(kr, err, errlen) < 0)
		return -1;
	/* Key i retired when key i+1 was made; drop it once that is older than keep_seconds. */
	for (int i = 0; i + 1 < kr->nkeys; i++)
		if (now - kr->keys[i + 1].created > keep_seconds)
			keep_from = i + 1;
	if (kr->nkeys - keep_from >= SIGN_MAX_KEYS)
		keep_from = kr->nkeys - SIGN_MAX_KEYS + 1;
	memmove(kr->keys, kr->keys + keep_from, (size_t)(kr->nkeys - keep_from) * sizeof kr->keys[0]);
	kr->nkeys -= keep_from;
	new_key(&kr->keys[kr->nkeys++], now);
	return write_ring(kr, err, errlen);
}

void keyring_wipe(struct keyring *kr)
{
	sodium_memzero(kr->keys, sizeof kr->keys);
	kr->nkeys = 0;
}

/* HMAC-SHA256 (RFC 2104) of the fields under k's key, from the keyed state: the same MAC as
 * crypto_auth_hmacsha256_init with the key would begin. */
static void mac(const struct sign_key *k, const char *path, long long exp, const char *uid,
                unsigned char out[crypto_auth_hmacsha256_BYTES])
{
	crypto_auth_hmacsha256_state st = k->keyed;
	char num[32];

	int n = snprintf(num, sizeof num, "%lld", exp);
	/* Each field is followed by a NUL, which none of them can contain. */
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)path, strlen(path) + 1);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)num, (size_t)n + 1);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)uid, strlen(uid) + 1);
	crypto_auth_hmacsha256_final(&st, out);
	sodium_memzero(&st, sizeof st);
}

int sign_url(const struct keyring *kr, const char *path, long long exp, const char *uid,
             char kid[SIGN_KID_MAX], char sig[SIGN_SIG_MAX])
{
	const struct sign_key *k;
	unsigned char m[crypto_auth_hmacsha256_BYTES];

	if (!kr->nkeys)
		return -1;
	k = &kr->keys[kr->nkeys - 1];
	mac(k, path, exp, uid, m);
	sodium_bin2base64(sig, SIGN_SIG_MAX, m, sizeof m, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	strcpy(kid, k->kid);
	return 0;
}

enum sign_result sign_verify(const struct keyring *kr, const char *path, long long exp,
                             const char *uid, const char *kid, const char *sig, time_t now)
{
	unsigned char want[crypto_auth_hmacsha256_BYTES], got[crypto_auth_hmacsha256_BYTES];
	const struct sign_key *k = NULL;
	size_t len;

	if (!path || !uid || !kid || !sig)
		return SIGN_BAD;
	for (int i = 0; i < kr->nkeys; i++)
		if (!strcmp(kr->keys[i].kid, kid))
			k = &kr->keys[i];
	if (!k)
		return SIGN_UNKNOWN_KEY;
	if (sodium_base642bin(got, sizeof got, sig, strlen(sig), NULL, &len, NULL,
	                      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 || len != sizeof got)
		return SIGN_BAD;
	mac(k, path, exp, uid, want);
	if (sodium_memcmp(want, got, sizeof want) != 0)
		return SIGN_BAD;
	/* Expiry is checked after the MAC so that a forged exp never reads as merely expired. */
	if (exp < (long long)now)
		return SIGN_EXPIRED;
	return SIGN_OK;
}

const char *sign_result_str(enum sign_result r)
{
	switch (r) {
	case SIGN_OK: return "ok";
	case SIGN_EXPIRED: return "the link has expired";
	case SIGN_UNKNOWN_KEY: return "the link was signed with an unknown key";
	case SIGN_BAD: break;
	}
	return "the link's signature is not valid";
}
