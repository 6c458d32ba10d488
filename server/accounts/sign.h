/* Signed audio URLs. A keyring holds HMAC-SHA256 keys, each with a short key id (kid); the
 * newest key signs and every key still on the ring verifies, so rotating keys never breaks
 * a URL that has not expired. The ring is the secret "signing.keys" (store/secrets.h: the
 * file DATA_DIR/signing.keys, mode 0600, beside SQLite; a row on PostgreSQL, shared by every
 * instance), one key a line: "kid created_unix base64url(key)". */
#ifndef SEGUE_SIGN_H
#define SEGUE_SIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <sodium.h>
#include <time.h>

struct store;

#define SIGN_KEY_BYTES 32
#define SIGN_KID_MAX 16
#define SIGN_MAX_KEYS 16
#define SIGN_SIG_MAX 64 /* base64url of a 32-byte MAC, plus NUL */

struct sign_key {
	char kid[SIGN_KID_MAX];
	time_t created;
	unsigned char key[SIGN_KEY_BYTES];
	/* The HMAC's state once the key is in (its inner and outer pads hashed): as secret as
	 * the key. Each MAC starts from a copy, which spares two of its five SHA-256 blocks. */
	crypto_auth_hmacsha256_state keyed;
};

struct keyring {
	struct store *db;  /* where the ring lives (store/secrets.h); NULL: the file */
	char dir[1100];    /* the data directory, for the file */
	struct sign_key keys[SIGN_MAX_KEYS]; /* oldest first; the last one signs */
	int nkeys;
	long long version; /* the ring as last read (store_secret_version) */
	time_t checked_at; /* when the version was last looked at */
	time_t reread_at;  /* when a link with an unknown key last made it read the ring */
};

/* Loads the ring from db (NULL, or SQLite's: DATA_DIR/signing.keys), creating it with one
 * fresh key if there is none. db, when given, must outlive kr and is used from the thread
 * that uses kr. */
int keyring_open(struct keyring *kr, struct store *db, const char *data_dir, char *err, size_t errlen);
/* Re-reads the ring if it changed; looks at most once a second. */
void keyring_refresh(struct keyring *kr, time_t now);
/* For a link signed with a key this ring does not hold (another instance may have rotated
 * the keys a moment ago): reads the ring again, at most once a second, so that links with
 * made-up kids cost no more than one read a second. Returns whether it read it. */
bool keyring_reread(struct keyring *kr, time_t now);
/* Adds a new signing key and drops keys retired longer than keep_seconds ago (a key is
 * retired when a newer one is made). The file is replaced atomically with mode 0600; on
 * PostgreSQL the read and the write are one transaction. */
int keyring_rotate(struct keyring *kr, long keep_seconds, char *err, size_t errlen);
void keyring_wipe(struct keyring *kr);

/* The MAC covers the path, the expiry and the user, separated so no field can bleed into
 * another. sig must hold SIGN_SIG_MAX bytes. kid receives the signing key's id. */
int sign_url(const struct keyring *kr, const char *path, long long exp, const char *uid,
             char kid[SIGN_KID_MAX], char sig[SIGN_SIG_MAX]);

enum sign_result { SIGN_OK, SIGN_EXPIRED, SIGN_UNKNOWN_KEY, SIGN_BAD };
/* Checks a signature in constant time (for a given length). */
enum sign_result sign_verify(const struct keyring *kr, const char *path, long long exp,
                             const char *uid, const char *kid, const char *sig, time_t now);
const char *sign_result_str(enum sign_result r);
/* A link's signature into the 32 bytes of its MAC: 43 base64url characters without padding,
 * the last one's two spare bits zero (the one spelling sign_url writes). Returns 0, or -1 for
 * any other text (sign_verify's check of the spelling). */
int sign_sig_decode(const char *sig, unsigned char out[32]);

#endif
