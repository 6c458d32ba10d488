/* Subsonic passwords: the legacy Subsonic authentication (u with t = md5(password + s), or u
 * with p, the password itself) needs a password the server can read back. Segue never keeps
 * the account's password that way (it keeps an argon2id hash), so a user who wants an older
 * client opts in with a separate Subsonic password, which the server keeps sealed
 * (XSalsa20-Poly1305, crypto_secretbox) under a key derived for that user from the secret
 * "subsonic.key" (store/secrets.h: DATA_DIR/subsonic.key, mode 0600, made on first use,
 * refused when looser, beside SQLite: a copy of the database alone reads no password, a copy
 * with the key file reads them all; on PostgreSQL a row every instance reads, so a dump of
 * that database holds the key with the passwords). The md5 token
 * is weak (anyone who sees one URL can try passwords offline at md5's speed), which is why
 * the password is separate and API keys are the way the man pages recommend. */
#ifndef SEGUE_SUBSONIC_PW_H
#define SEGUE_SUBSONIC_PW_H

#include <sodium.h>
#include <stdbool.h>
#include <stddef.h>

#define SUBSONIC_PW_MIN 8
#define SUBSONIC_PW_MAX 128
/* The sealed form: a nonce, then the MAC and the password. */
#define SUBSONIC_SEALED_MAX (crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + SUBSONIC_PW_MAX)

struct subsonic_key {
	unsigned char key[crypto_secretbox_KEYBYTES];
	bool loaded;
};

struct store;

/* Loads the key from db (NULL, or SQLite's: DATA_DIR/subsonic.key), making it on first use.
 * Returns 0, or -1 with err. */
int subsonic_key_open(struct subsonic_key *k, struct store *db, const char *data_dir, char *err,
                      size_t errlen);
void subsonic_key_wipe(struct subsonic_key *k);

/* Seals password (SUBSONIC_PW_MIN to SUBSONIC_PW_MAX bytes, checked by the caller) for
 * user_id into out (SUBSONIC_SEALED_MAX bytes). Returns its length. */
size_t subsonic_pw_seal(const struct subsonic_key *k, const char *user_id, const char *password,
                        unsigned char *out);
/* Opens what subsonic_pw_seal made for user_id into out (SUBSONIC_PW_MAX + 1 bytes, a C
 * string). Returns 0, -1 when it does not open (another user's, another key's, damaged). */
int subsonic_pw_open(const struct subsonic_key *k, const char *user_id, const unsigned char *sealed,
                     size_t len, char *out);

/* Whether token is md5(password + salt) in hex (either case). Constant time for the
 * comparison. */
bool subsonic_pw_token_ok(const char *password, const char *salt, const char *token);
/* Whether p, as Subsonic sends it (the password, or "enc:" and its hex), is password. */
bool subsonic_pw_plain_ok(const char *password, const char *p);

#endif
