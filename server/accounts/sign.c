#include "config.h"
#include "accounts/sign.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "accounts/sha256hw.h"
#include "accounts/signmemo.h"
#include "base62.h"
#include "store/secrets.h"
#include "strput.h"

static void key_prepare(struct sign_key *k)
{
	crypto_auth_hmacsha256_init(&k->keyed, k->key, SIGN_KEY_BYTES);
	signmemo_invalidate();
}

#define RING_NAME "signing.keys"

/* Parses a ring's text into kr (left as it was on error). */
static int parse_ring(struct keyring *kr, char *text, long long version, char *err, size_t errlen)
{
	struct keyring fresh;
	char *line, *save = NULL;
	int rc = -1;

	memset(&fresh, 0, sizeof fresh);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct sign_key *k;
		char kid[64], b64[128];
		long long created;
		size_t len;

		if (line[0] == '#')
			continue;
		if (fresh.nkeys == SIGN_MAX_KEYS) {
			snprintf(err, errlen, RING_NAME ": more than %d keys", SIGN_MAX_KEYS);
			goto out;
		}
		k = &fresh.keys[fresh.nkeys];
		if (sscanf(line, "%63s %lld %127s", kid, &created, b64) != 3 ||
		    strlen(kid) >= SIGN_KID_MAX ||
		    sodium_base642bin(k->key, sizeof k->key, b64, strlen(b64), NULL, &len, NULL,
		                      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
		    len != SIGN_KEY_BYTES) {
			sodium_memzero(b64, sizeof b64);
			snprintf(err, errlen, RING_NAME ": malformed key line");
			goto out;
		}
		sodium_memzero(b64, sizeof b64);
		strcpy(k->kid, kid);
		k->created = (time_t)created;
		key_prepare(k);
		fresh.nkeys++;
	}
	if (!fresh.nkeys) {
		snprintf(err, errlen, RING_NAME ": no keys");
		goto out;
	}
	memcpy(kr->keys, fresh.keys, sizeof fresh.keys);
	kr->nkeys = fresh.nkeys;
	kr->version = version;
	signmemo_invalidate(); /* the same addresses now hold other keys */
	rc = 0;
out:
	sodium_memzero(&fresh, sizeof fresh);
	return rc;
}

static int read_ring(struct keyring *kr, char *err, size_t errlen)
{
	char text[SECRET_MAX];
	long long version = 0;
	int rc = store_secret_read(kr->db, kr->dir, RING_NAME, text, sizeof text, &version, err, errlen);

	if (rc == 0)
		snprintf(err, errlen, RING_NAME ": there is none");
	if (rc > 0)
		rc = parse_ring(kr, text, version, err, errlen);
	else
		rc = -1;
	sodium_memzero(text, sizeof text);
	return rc;
}

/* The ring's text; NULL when it does not fit (it always does: SIGN_MAX_KEYS lines). */
static char *format_ring(const struct keyring *kr, char *text, size_t len)
{
	size_t used;

	used = (size_t)snprintf(text, len, "# segue-server signing keys: kid created base64url(key)."
	                        " Keep secret.\n");
	for (int i = 0; i < kr->nkeys && used < len; i++) {
		char b64[sodium_base64_ENCODED_LEN(SIGN_KEY_BYTES,
		                                   sodium_base64_VARIANT_URLSAFE_NO_PADDING)];

		sodium_bin2base64(b64, sizeof b64, kr->keys[i].key, SIGN_KEY_BYTES,
		                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
		used += (size_t)snprintf(text + used, len - used, "%s %lld %s\n", kr->keys[i].kid,
		                         (long long)kr->keys[i].created, b64);
		sodium_memzero(b64, sizeof b64);
	}
	return used < len ? text : NULL;
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

int keyring_open(struct keyring *kr, struct store *db, const char *data_dir, char *err, size_t errlen)
{
	char text[SECRET_MAX];
	long long version;
	int rc;

	memset(kr, 0, sizeof *kr);
	kr->db = db;
	snprintf(kr->dir, sizeof kr->dir, "%s", data_dir ? data_dir : "");
	if ((rc = store_secret_version(db, kr->dir, RING_NAME, &version)) < 0) {
		snprintf(err, errlen, RING_NAME ": cannot look for it");
		return -1;
	}
	if (rc == 0) {
		/* Of two servers starting at once, both use the ring the first one stored. */
		new_key(&kr->keys[0], time(NULL));
		kr->nkeys = 1;
		rc = format_ring(kr, text, sizeof text)
		     ? store_secret_create(db, kr->dir, RING_NAME, text, err, errlen) : -1;
		sodium_memzero(text, sizeof text);
		keyring_wipe(kr);
		if (rc < 0)
			return -1;
	}
	kr->checked_at = kr->reread_at = time(NULL);
	return read_ring(kr, err, errlen);
}

void keyring_refresh(struct keyring *kr, time_t now)
{
	long long version;
	char err[256];

	if (now == kr->checked_at)
		return;
	kr->checked_at = now;
	if (store_secret_version(kr->db, kr->dir, RING_NAME, &version) > 0 && version != kr->version)
		read_ring(kr, err, sizeof err); /* on error the old ring stays in force */
}

bool keyring_reread(struct keyring *kr, time_t now)
{
	char err[256];

	if (now == kr->reread_at)
		return false;
	kr->reread_at = kr->checked_at = now;
	return read_ring(kr, err, sizeof err) == 0;
}

static bool in_table(const struct keyring *kr)
{
	return kr->db && store_is_postgres(kr->db);
}

int keyring_rotate(struct keyring *kr, long keep_seconds, char *err, size_t errlen)
{
	char text[SECRET_MAX];
	time_t now = time(NULL);
	int keep_from = 0, rc = -1;

	/* On PostgreSQL two rotations at once would each drop the other's new key. */
	if (in_table(kr) && store_begin(kr->db) < 0) {
		snprintf(err, errlen, RING_NAME ": cannot begin a transaction");
		return -1;
	}
	if (read_ring(kr, err, errlen) < 0)
		goto out;
	/* Key i retired when key i+1 was made; drop it once that is older than keep_seconds. */
	for (int i = 0; i + 1 < kr->nkeys; i++)
		if (now - kr->keys[i + 1].created > keep_seconds)
			keep_from = i + 1;
	if (kr->nkeys - keep_from >= SIGN_MAX_KEYS)
		keep_from = kr->nkeys - SIGN_MAX_KEYS + 1;
	memmove(kr->keys, kr->keys + keep_from, (size_t)(kr->nkeys - keep_from) * sizeof kr->keys[0]);
	kr->nkeys -= keep_from;
	new_key(&kr->keys[kr->nkeys++], now);
	signmemo_invalidate(); /* the keys moved */
	if (!format_ring(kr, text, sizeof text)) {
		snprintf(err, errlen, RING_NAME ": too long");
		goto out;
	}
	if (store_secret_replace(kr->db, kr->dir, RING_NAME, text, err, errlen) < 0)
		goto out;
	if (in_table(kr) && store_commit(kr->db) < 0) {
		snprintf(err, errlen, RING_NAME ": cannot commit the new ring");
		goto out;
	}
	rc = 0;
out:
	if (rc < 0 && in_table(kr))
		store_rollback(kr->db);
	sodium_memzero(text, sizeof text);
	return rc;
}

void keyring_wipe(struct keyring *kr)
{
	sodium_memzero(kr->keys, sizeof kr->keys);
	kr->nkeys = 0;
	signmemo_invalidate();
}

static void put_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

/* The message of mac() in msg[MAC_MSG_MAX], padded as SHA-256 pads it after the 64-byte key
 * block the keyed state has taken in: the number of blocks, or 0 when it does not fit. */
#define MAC_MSG_MAX 256
static size_t mac_message(unsigned char *msg, const char *path, size_t plen, const char *num,
                          size_t nlen, const char *uid, size_t ulen)
{
	size_t len = plen + 1 + nlen + 1 + ulen + 1, blocks = (len + 8) / 64 + 1;
	uint64_t bits = (uint64_t)(64 + len) * 8;

	if (blocks * 64 > MAC_MSG_MAX)
		return 0;
	memcpy(msg, path, plen + 1);
	memcpy(msg + plen + 1, num, nlen + 1);
	memcpy(msg + plen + 1 + nlen + 1, uid, ulen + 1);
	msg[len] = 0x80;
	memset(msg + len + 1, 0, blocks * 64 - 8 - len - 1);
	put_be32(msg + blocks * 64 - 8, (uint32_t)(bits >> 32));
	put_be32(msg + blocks * 64 - 4, (uint32_t)bits);
	return blocks;
}

/* mac() on the processor's SHA extensions (accounts/sha256hw.h), from the same keyed state:
 * its inner and outer hashes have taken in one block each (the padded key), so what is left
 * is the message's blocks, then the inner digest's one. false: the message is too long. */
static bool mac_hw(const struct sign_key *k, const char *path, size_t plen, const char *num,
                   size_t nlen, const char *uid, size_t ulen, unsigned char out[32])
{
	unsigned char msg[MAC_MSG_MAX], inner[64];
	uint32_t st[8];
	size_t blocks = mac_message(msg, path, plen, num, nlen, uid, ulen);

	/* (a key of SIGN_KEY_BYTES is one block, 512 bits, in each; anything else: libsodium) */
	if (!blocks || k->keyed.ictx.count != 512 || k->keyed.octx.count != 512)
		return false;
	memcpy(st, k->keyed.ictx.state, sizeof st);
	sha256hw_blocks(st, msg, blocks);
	for (int i = 0; i < 8; i++)
		put_be32(inner + 4 * i, st[i]);
	inner[32] = 0x80;
	memset(inner + 33, 0, 64 - 33 - 8);
	put_be32(inner + 56, 0);
	put_be32(inner + 60, (64 + 32) * 8);
	memcpy(st, k->keyed.octx.state, sizeof st);
	sha256hw_blocks(st, inner, 1);
	for (int i = 0; i < 8; i++)
		put_be32(out + 4 * i, st[i]);
	sodium_memzero(st, sizeof st);
	sodium_memzero(inner, sizeof inner);
	sodium_memzero(msg, sizeof msg);
	return true;
}

/* HMAC-SHA256 (RFC 2104) of the fields under k's key, from the keyed state: the same MAC as
 * crypto_auth_hmacsha256_init with the key would begin. */
static void mac(const struct sign_key *k, const char *path, size_t plen, long long exp,
                const char *uid, size_t ulen, unsigned char out[crypto_auth_hmacsha256_BYTES])
{
	crypto_auth_hmacsha256_state st;
	char num[21];
	struct strput sp;

	strput_init(&sp, num, sizeof num);
	strput_ll(&sp, exp);
	if (sha256hw_available() && mac_hw(k, path, plen, num, sp.len, uid, ulen, out))
		return;
	st = k->keyed;
	/* Each field is followed by a NUL, which none of them can contain. */
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)path, plen + 1);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)num, sp.len + 1);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)uid, ulen + 1);
	crypto_auth_hmacsha256_final(&st, out);
	sodium_memzero(&st, sizeof st);
}

/* base64url's value of each byte; 0x40 for a byte outside its alphabet (NUL included). */
#define B64URL(c) ((c) >= 'A' && (c) <= 'Z' ? (c) - 'A' : (c) >= 'a' && (c) <= 'z' ? (c) - 'a' + 26 : \
	(c) >= '0' && (c) <= '9' ? (c) - '0' + 52 : (c) == '-' ? 62 : (c) == '_' ? 63 : 0x40)
#define B64URL4(n) B64URL(n), B64URL((n) + 1), B64URL((n) + 2), B64URL((n) + 3)
#define B64URL16(n) B64URL4(n), B64URL4((n) + 4), B64URL4((n) + 8), B64URL4((n) + 12)
#define B64URL64(n) B64URL16(n), B64URL16((n) + 16), B64URL16((n) + 32), B64URL16((n) + 48)
static const unsigned char b64url[256] = { B64URL64(0), B64URL64(64), B64URL64(128), B64URL64(192) };
#undef B64URL64
#undef B64URL16
#undef B64URL4
#undef B64URL

/* Four characters to three bytes at a time, by table: it runs on every audio request. The
 * signature comes from the request: nothing secret depends on how long this takes. */
int sign_sig_decode(const char *sig, unsigned char out[crypto_auth_hmacsha256_BYTES])
{
	const unsigned char *s = (const unsigned char *)sig;
	unsigned bad = 0;
	uint32_t v;
	size_t i, at = 0;

	if (strnlen(sig, 44) != 43)
		return -1;
	for (i = 0; i < 40; i += 4) {
		unsigned a = b64url[s[i]], b = b64url[s[i + 1]], c = b64url[s[i + 2]], d = b64url[s[i + 3]];

		bad |= a | b | c | d;
		v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6 | d;
		out[at++] = (unsigned char)(v >> 16);
		out[at++] = (unsigned char)(v >> 8);
		out[at++] = (unsigned char)v;
	}
	{
		unsigned a = b64url[s[40]], b = b64url[s[41]], c = b64url[s[42]];

		bad |= a | b | c;
		v = (uint32_t)a << 12 | (uint32_t)b << 6 | c;
		out[at++] = (unsigned char)(v >> 10);
		out[at++] = (unsigned char)(v >> 2);
	}
	return (bad & 0x40) || (v & 3) ? -1 : 0;
}

int sign_url(const struct keyring *kr, const char *path, long long exp, const char *uid,
             char kid[SIGN_KID_MAX], char sig[SIGN_SIG_MAX])
{
	const struct sign_key *k;
	unsigned char m[crypto_auth_hmacsha256_BYTES];

	if (!kr->nkeys)
		return -1;
	k = &kr->keys[kr->nkeys - 1];
	mac(k, path, strlen(path), exp, uid, strlen(uid), m);
	sodium_bin2base64(sig, SIGN_SIG_MAX, m, sizeof m, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	strcpy(kid, k->kid);
	return 0;
}

enum sign_result sign_verify(const struct keyring *kr, const char *path, long long exp,
                             const char *uid, const char *kid, const char *sig, time_t now)
{
	unsigned char want[crypto_auth_hmacsha256_BYTES], got[crypto_auth_hmacsha256_BYTES];
	const struct sign_key *k = NULL;
	size_t plen, ulen;
	bool remembered, differs;

	if (!path || !uid || !kid || !sig)
		return SIGN_BAD;
	for (int i = 0; i < kr->nkeys; i++)
		if (!strcmp(kr->keys[i].kid, kid))
			k = &kr->keys[i];
	if (!k)
		return SIGN_UNKNOWN_KEY;
	if (sign_sig_decode(sig, got) < 0)
		return SIGN_BAD;
	/* A link this thread verified lately answers from the MAC remembered for it
	 * (accounts/signmemo.h), compared in constant time. Any other signature, even for
	 * remembered fields, has its MAC computed as if nothing were remembered: only the
	 * holder of the valid link sees the shorter time, so it tells no one else which links
	 * were used. */
	plen = strlen(path);
	ulen = strlen(uid);
	remembered = signmemo_get(k, path, plen, exp, uid, ulen, want);
	if (!remembered)
		memset(want, 0, sizeof want); /* compared all the same (one path), never believed */
	differs = sodium_memcmp(want, got, sizeof want) != 0;
	if (!remembered || differs) {
		mac(k, path, plen, exp, uid, ulen, want);
		if (sodium_memcmp(want, got, sizeof want) != 0)
			return SIGN_BAD;
		signmemo_put(k, path, plen, exp, uid, ulen, want);
	}
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
