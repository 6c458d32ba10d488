/* Offline licences: what lets a device play a downloaded track without asking the server.
 *
 * A licence names the user, the device, the track and its quality, when it was issued and
 * when it expires, and carries the key material the device mixes with its own device key to
 * encrypt that track at rest. It is signed with the server's Ed25519 key, so a device checks
 * it (with the public key it was given when it registered) without the network. The key
 * material is derived, not stored: HMAC(master, user, device, registration time, track), the
 * same on every renewal (a renewal does not re-encrypt the file) and different once a device
 * is removed and registered again.
 *
 * The keys are the secret "offline.key" (store/secrets.h: DATA_DIR/offline.key, mode 0600,
 * beside SQLite; a row on PostgreSQL, so that every instance signs alike): "ed25519
 * base64(secret key)" and "master base64(32 bytes)". */
#ifndef SEGUE_LICENCE_H
#define SEGUE_LICENCE_H

#include <sodium.h>
#include <stddef.h>

#define LICENCE_KEY_BYTES 32
#define LICENCE_SIG_B64 (sodium_base64_ENCODED_LEN(crypto_sign_BYTES, sodium_base64_VARIANT_URLSAFE_NO_PADDING))
#define LICENCE_KEY_B64 (sodium_base64_ENCODED_LEN(LICENCE_KEY_BYTES, sodium_base64_VARIANT_URLSAFE_NO_PADDING))
#define LICENCE_PK_B64 (sodium_base64_ENCODED_LEN(crypto_sign_PUBLICKEYBYTES, sodium_base64_VARIANT_URLSAFE_NO_PADDING))

struct licence_keys {
	unsigned char sk[crypto_sign_SECRETKEYBYTES];
	unsigned char pk[crypto_sign_PUBLICKEYBYTES];
	unsigned char master[32];
	char pk_b64[LICENCE_PK_B64];
};

struct licence {
	const char *user, *device, *track, *quality;
	long long registered_at;  /* the device's registration: part of the key derivation */
	long long issued_at, expires_at;
	char key[LICENCE_KEY_B64];   /* filled by licence_sign */
	char sig[LICENCE_SIG_B64];   /* filled by licence_sign */
};

struct store;

/* Loads the keys from db (NULL, or SQLite's: DATA_DIR/offline.key), making them on first
 * use. */
int licence_keys_open(struct licence_keys *k, struct store *db, const char *data_dir, char *err,
                      size_t errlen);
void licence_keys_wipe(struct licence_keys *k);

/* Derives l's key material and signs the licence. */
void licence_sign(const struct licence_keys *k, struct licence *l);

#endif
