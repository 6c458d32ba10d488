#include "config.h"
#include "offline/licence.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/secrets.h"

#define B64 sodium_base64_VARIANT_URLSAFE_NO_PADDING

static int decode(const char *text, unsigned char *out, size_t len)
{
	size_t got = 0;

	return sodium_base642bin(out, len, text, strlen(text), NULL, &got, NULL, B64) == 0 && got == len
	       ? 0 : -1;
}

/* The line after line's, or its end. */
static const char *next_line(const char *line)
{
	const char *nl = strchr(line, '\n');

	return nl ? nl + 1 : line + strlen(line);
}

#define KEY_NAME "offline.key"

static int parse_keys(struct licence_keys *k, const char *text, char *err, size_t errlen)
{
	char sk[160] = "", master[80] = "";
	const char *line;
	int rc = -1;

	for (line = text; *line; line = next_line(line)) {
		if (sscanf(line, "ed25519 %159s", sk) == 1 || sscanf(line, "master %79s", master) == 1)
			continue;
	}
	if (decode(sk, k->sk, sizeof k->sk) < 0 || decode(master, k->master, sizeof k->master) < 0) {
		snprintf(err, errlen, KEY_NAME ": not offline licence keys (ed25519 and master lines)");
		goto out;
	}
	crypto_sign_ed25519_sk_to_pk(k->pk, k->sk);
	sodium_bin2base64(k->pk_b64, sizeof k->pk_b64, k->pk, sizeof k->pk, B64);
	rc = 0;
out:
	sodium_memzero(sk, sizeof sk);
	sodium_memzero(master, sizeof master);
	return rc;
}

static int make_keys(struct store *db, const char *data_dir, char *err, size_t errlen)
{
	unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES], master[32];
	char sk64[sodium_base64_ENCODED_LEN(sizeof sk, B64)], m64[sodium_base64_ENCODED_LEN(32, B64)];
	char text[1024];
	int rc;

	crypto_sign_keypair(pk, sk);
	randombytes_buf(master, sizeof master);
	sodium_bin2base64(sk64, sizeof sk64, sk, sizeof sk, B64);
	sodium_bin2base64(m64, sizeof m64, master, sizeof master, B64);
	snprintf(text, sizeof text,
	         "# segue-server offline licence keys. Keep secret: whoever holds them can\n"
	         "# sign licences. Losing them makes every device download again.\n"
	         "ed25519 %s\nmaster %s\n", sk64, m64);
	rc = store_secret_create(db, data_dir, KEY_NAME, text, err, errlen);
	sodium_memzero(sk, sizeof sk);
	sodium_memzero(master, sizeof master);
	sodium_memzero(sk64, sizeof sk64);
	sodium_memzero(m64, sizeof m64);
	sodium_memzero(text, sizeof text);
	return rc;
}

int licence_keys_open(struct licence_keys *k, struct store *db, const char *data_dir, char *err,
                      size_t errlen)
{
	char text[SECRET_MAX];
	int rc;

	memset(k, 0, sizeof *k);
	rc = store_secret_read(db, data_dir, KEY_NAME, text, sizeof text, NULL, err, errlen);
	if (rc == 0 && (rc = make_keys(db, data_dir, err, errlen)) == 0)
		rc = store_secret_read(db, data_dir, KEY_NAME, text, sizeof text, NULL, err, errlen);
	if (rc == 0)
		snprintf(err, errlen, KEY_NAME ": there are none");
	rc = rc > 0 ? parse_keys(k, text, err, errlen) : -1;
	sodium_memzero(text, sizeof text);
	return rc;
}

void licence_keys_wipe(struct licence_keys *k)
{
	sodium_memzero(k, sizeof *k);
}

void licence_sign(const struct licence_keys *k, struct licence *l)
{
	unsigned char key[LICENCE_KEY_BYTES], sig[crypto_sign_BYTES];
	crypto_auth_hmacsha256_state st;
	char num[24], *msg;
	size_t len;
	int n;

	/* Each field ends in a NUL, which none of them can contain. */
	crypto_auth_hmacsha256_init(&st, k->master, sizeof k->master);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)l->user, strlen(l->user) + 1);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)l->device, strlen(l->device) + 1);
	n = snprintf(num, sizeof num, "%lld", l->registered_at);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)num, (size_t)n + 1);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)l->track, strlen(l->track) + 1);
	crypto_auth_hmacsha256_final(&st, key);
	sodium_bin2base64(l->key, sizeof l->key, key, sizeof key, B64);
	sodium_memzero(key, sizeof key);

	/* The signed text: doc/offline.md, "Licences". */
	n = asprintf(&msg, "segue-licence-1\n%s\n%s\n%s\n%s\n%lld\n%lld\n%s\n", l->user, l->device,
	             l->track, l->quality, l->issued_at, l->expires_at, l->key);
	if (n < 0) {
		l->sig[0] = '\0';
		return;
	}
	len = (size_t)n;
	crypto_sign_detached(sig, NULL, (const unsigned char *)msg, len, k->sk);
	sodium_memzero(msg, len);
	free(msg);
	sodium_bin2base64(l->sig, sizeof l->sig, sig, sizeof sig, B64);
}
