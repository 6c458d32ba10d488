/* API keys: what the OpenSubsonic API-key extension authenticates with, and what a user makes
 * for each player they use (a phone, a desktop client), names, lists and revokes. A key is 256
 * random bits, base64url-encoded, shown once when it is made; the server keeps only its
 * BLAKE2b hash (as it keeps tokens), so a copy of the database grants nothing. Keys do not
 * expire (the extension says so): revoking is the way out. */
#ifndef SEGUE_APIKEYS_H
#define SEGUE_APIKEYS_H

#include "store/store.h"
#include "store/subsonic.h"
#include "types/user.h"

#define APIKEY_TEXT_MAX 64
#define APIKEY_MAX_PER_USER 100

struct apikey_made {
	char id[24];
	char key[APIKEY_TEXT_MAX];
	long long created_at; /* Unix seconds */
};

enum apikey_result { APIKEY_OK, APIKEY_BAD_NAME, APIKEY_TOO_MANY, APIKEY_ERROR };

/* Makes a key named name for user_id. name: 1 to 64 bytes of UTF-8 without control
 * characters (the caller checks UTF-8). */
enum apikey_result apikey_create(struct store *s, const char *user_id, const char *name,
                                 struct apikey_made *out);
/* The user a key text belongs to, into u. Returns 1, 0 for no such key (or one that cannot
 * be a key), -1 on error. */
int apikey_user(struct store *s, const char *key, struct user *u);

#endif
