/* Signed audio URLs. A keyring holds HMAC-SHA256 keys, each with a short key id (kid); the
 * newest key signs and every key still on the ring verifies, so rotating keys never breaks
 * a URL that has not expired. The ring lives in DATA_DIR/signing.keys (mode 0600), one key a
 * line: "kid created_unix base64url(key)". */
#ifndef SEGUE_SIGN_H
#define SEGUE_SIGN_H

#include <stddef.h>
#include <sodium.h>
#include <time.h>

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
	char path[1100];
	struct sign_key keys[SIGN_MAX_KEYS]; /* oldest first; the last one signs */
	int nkeys;
	/* The file as last read: rotation renames a new file into place, so a changed inode (or
	 * mtime) means new keys even within one second. */
	unsigned long long ino;
	long long mtime_ns;
	time_t checked_at; /* when the file's mtime was last looked at */
};

/* Loads DATA_DIR/signing.keys, creating it with one fresh key if it does not exist. */
int keyring_open(struct keyring *kr, const char *data_dir, char *err, size_t errlen);
/* Re-reads the file if it changed; looks at most once a second. */
void keyring_refresh(struct keyring *kr, time_t now);
/* Adds a new signing key and drops keys retired longer than keep_seconds ago (a key is
 * retired when a newer one is made). Writes the file atomically with mode 0600. */
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

#endif
