/* The Subsonic API's credentials in the store: API keys, kept by the BLAKE2b-256 of the key
 * (the caller hashes), and each user's sealed Subsonic password (the caller seals). */
#ifndef SEGUE_STORE_SUBSONIC_H
#define SEGUE_STORE_SUBSONIC_H

#include <stddef.h>

#include "types/user.h"
#include "store/store.h"

#define APIKEY_NAME_MAX 65 /* 64 bytes and the NUL */

struct apikey_row {
	char id[24];
	char name[APIKEY_NAME_MAX];
	long long created_at;   /* Unix seconds */
	long long last_used_at; /* Unix seconds; 0: never */
};

/* Keeps a key of user_id named name by its hash. Returns 1, 0 when the id or hash is
 * taken, -1 on error. */
int store_apikey_insert(struct store *s, const char *id, const char *user_id, const char *name,
                        const unsigned char hash[32], long long created_at);
/* The account the key with this hash belongs to, into u; notes the key as used at now.
 * Returns 1, 0 when there is no such key, -1 on error. */
int store_apikey_user(struct store *s, const unsigned char hash[32], long long now, struct user *u);
/* user_id's keys, oldest first: *out (the caller frees it) holds *n rows. Returns 0, -1. */
int store_apikey_list(struct store *s, const char *user_id, struct apikey_row **out, size_t *n);
/* Revokes user_id's key id. Returns 1, 0 when user_id has no such key, -1 on error. */
int store_apikey_delete(struct store *s, const char *user_id, const char *id);
/* How many keys user_id has, or -1. */
long long store_apikey_count(struct store *s, const char *user_id);

/* user_id's sealed Subsonic password: set (replacing), read (into out, len bytes at most,
 * *got its length), removed. Each returns 1, 0 when there is none (the user, for set), -1. */
int store_subsonic_pw_set(struct store *s, const char *user_id, const unsigned char *sealed,
                          size_t len, long long now);
int store_subsonic_pw_get(struct store *s, const char *user_id, unsigned char *out, size_t len,
                          size_t *got);
int store_subsonic_pw_delete(struct store *s, const char *user_id);

#endif
