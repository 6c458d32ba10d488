#include "config.h"
#include "accounts/subsonic_pw.h"

#include <errno.h>
#include <libavutil/md5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/secrets.h"

#define B64 sodium_base64_VARIANT_URLSAFE_NO_PADDING

/* The line after line's, or its end. */
static const char *next_line(const char *line)
{
	const char *nl = strchr(line, '\n');

	return nl ? nl + 1 : line + strlen(line);
}

#define KEY_NAME "subsonic.key"

static int parse_key(struct subsonic_key *k, const char *text, char *err, size_t errlen)
{
	char b64[80] = "";
	const char *line;
	size_t got = 0;
	int rc = -1;

	for (line = text; *line; line = next_line(line))
		if (sscanf(line, "secretbox %79s", b64) == 1)
			break;
	if (sodium_base642bin(k->key, sizeof k->key, b64, strlen(b64), NULL, &got, NULL, B64) != 0 ||
	    got != sizeof k->key) {
		snprintf(err, errlen, KEY_NAME ": not a Subsonic key (a secretbox line)");
		goto out;
	}
	k->loaded = true;
	rc = 0;
out:
	sodium_memzero(b64, sizeof b64);
	return rc;
}

static int make_key(struct store *db, const char *data_dir, char *err, size_t errlen)
{
	unsigned char key[crypto_secretbox_KEYBYTES];
	char b64[sodium_base64_ENCODED_LEN(sizeof key, B64)], text[512];
	int rc;

	crypto_secretbox_keygen(key);
	sodium_bin2base64(b64, sizeof b64, key, sizeof key, B64);
	snprintf(text, sizeof text,
	         "# segue-server: the key Subsonic passwords are sealed under. Keep secret:\n"
	         "# with the database, it reads every Subsonic password. Losing it makes every\n"
	         "# user set their Subsonic password again.\n"
	         "secretbox %s\n", b64);
	rc = store_secret_create(db, data_dir, KEY_NAME, text, err, errlen);
	sodium_memzero(key, sizeof key);
	sodium_memzero(b64, sizeof b64);
	sodium_memzero(text, sizeof text);
	return rc;
}

int subsonic_key_open(struct subsonic_key *k, struct store *db, const char *data_dir, char *err,
                      size_t errlen)
{
	char text[SECRET_MAX];
	int rc;

	memset(k, 0, sizeof *k);
	rc = store_secret_read(db, data_dir, KEY_NAME, text, sizeof text, NULL, err, errlen);
	if (rc == 0 && (rc = make_key(db, data_dir, err, errlen)) == 0)
		rc = store_secret_read(db, data_dir, KEY_NAME, text, sizeof text, NULL, err, errlen);
	if (rc == 0)
		snprintf(err, errlen, KEY_NAME ": there is none");
	rc = rc > 0 ? parse_key(k, text, err, errlen) : -1;
	sodium_memzero(text, sizeof text);
	return rc;
}

void subsonic_key_wipe(struct subsonic_key *k)
{
	sodium_memzero(k, sizeof *k);
}

/* One key per user: a sealed password copied onto another user's row does not open. */
static void user_key(const struct subsonic_key *k, const char *user_id,
                     unsigned char out[crypto_secretbox_KEYBYTES])
{
	crypto_generichash(out, crypto_secretbox_KEYBYTES, (const unsigned char *)user_id,
	                   strlen(user_id), k->key, sizeof k->key);
}

size_t subsonic_pw_seal(const struct subsonic_key *k, const char *user_id, const char *password,
                        unsigned char *out)
{
	unsigned char key[crypto_secretbox_KEYBYTES];
	size_t len = strlen(password);

	user_key(k, user_id, key);
	randombytes_buf(out, crypto_secretbox_NONCEBYTES);
	crypto_secretbox_easy(out + crypto_secretbox_NONCEBYTES, (const unsigned char *)password, len,
	                      out, key);
	sodium_memzero(key, sizeof key);
	return crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + len;
}

int subsonic_pw_open(const struct subsonic_key *k, const char *user_id, const unsigned char *sealed,
                     size_t len, char *out)
{
	unsigned char key[crypto_secretbox_KEYBYTES];
	const size_t head = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES;
	int rc;

	if (!k->loaded || len < head || len > SUBSONIC_SEALED_MAX)
		return -1;
	user_key(k, user_id, key);
	rc = crypto_secretbox_open_easy((unsigned char *)out, sealed + crypto_secretbox_NONCEBYTES,
	                                len - crypto_secretbox_NONCEBYTES, sealed, key);
	sodium_memzero(key, sizeof key);
	if (rc != 0)
		return -1;
	out[len - head] = '\0';
	/* A password with a NUL inside would compare as a shorter one. */
	return strlen(out) == len - head ? 0 : -1;
}

bool subsonic_pw_token_ok(const char *password, const char *salt, const char *token)
{
	unsigned char md5[16], want[16];
	size_t plen = strlen(password), slen = strlen(salt), got = 0;
	char *both;
	bool ok;

	if (strlen(token) != 32 || plen > SUBSONIC_PW_MAX || slen > 256 ||
	    sodium_hex2bin(want, sizeof want, token, 32, NULL, &got, NULL) != 0 || got != 16)
		return false;
	if (!(both = malloc(plen + slen + 1)))
		return false;
	memcpy(both, password, plen);
	memcpy(both + plen, salt, slen + 1);
	av_md5_sum(md5, (const uint8_t *)both, plen + slen);
	sodium_memzero(both, plen + slen);
	free(both);
	ok = sodium_memcmp(md5, want, sizeof md5) == 0;
	sodium_memzero(md5, sizeof md5);
	return ok;
}

bool subsonic_pw_plain_ok(const char *password, const char *p)
{
	char given[SUBSONIC_PW_MAX + 1];
	size_t plen = strlen(password), got = 0;
	bool ok;

	if (!strncmp(p, "enc:", 4)) {
		size_t hex = strlen(p + 4);

		if (hex % 2 || hex / 2 > SUBSONIC_PW_MAX ||
		    sodium_hex2bin((unsigned char *)given, SUBSONIC_PW_MAX, p + 4, hex, NULL, &got, NULL) != 0 ||
		    got != hex / 2)
			return false;
	} else {
		got = strlen(p);
		if (got > SUBSONIC_PW_MAX)
			return false;
		memcpy(given, p, got);
	}
	ok = got == plen && sodium_memcmp(given, password, plen) == 0;
	sodium_memzero(given, sizeof given);
	return ok;
}
