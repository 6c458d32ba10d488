/* Accounts and bearer tokens in the store. Tokens are kept by their BLAKE2b hash only (the
 * caller hashes); a token's family ties an access token to the refresh token issued with it,
 * so that a reused refresh token can revoke everything of its family. */
#ifndef SEGUE_STORE_ACCOUNTS_H
#define SEGUE_STORE_ACCOUNTS_H

#include <stdbool.h>
#include <stddef.h>

#include "types/user.h"
#include "store/store.h"

#define PW_HASH_MAX 128 /* an argon2id string with its NUL */

enum user_field { USER_FIELD_TIER, USER_FIELD_COUNTRY, USER_FIELD_DISPLAY_NAME, USER_FIELD_PW_HASH };

/* A new account named name (its display name too). Returns 1, 0 when the name is taken (in
 * any case), -1 on error (logged). */
int store_user_insert(struct store *s, const char *name, const char *pw_hash, bool premium,
                      const char *country, long long created_at);
/* u filled for the account named name, and its password hash when pw_hash is not NULL.
 * Returns 1, 0 when there is none, -1 on error. */
int store_user_get(struct store *s, const char *name, struct user *u, char pw_hash[PW_HASH_MAX]);
/* Sets one field (the tier as "free" or "premium"). Returns 1, 0 when there is no such
 * account, -1 on error. */
int store_user_update(struct store *s, const char *name, enum user_field f, const char *value);
/* Returns 1, 0 when there was no such account, -1 on error. */
int store_user_delete(struct store *s, const char *name);
/* Every account but the system user, by name: *out (the caller frees it) holds *n users. */
int store_users_list(struct store *s, struct user **out, size_t *n);

struct token_row {
	char user_id[72];
	unsigned char family[16];
	bool has_family, refresh, revoked;
	long long expires_at;
};

/* Keeps a token by its hash. Returns 0, -1 on error. */
int store_token_insert(struct store *s, const unsigned char hash[32], const char *user_id,
                       bool refresh, const unsigned char family[16], long long expires_at,
                       long long created_at);
/* The token with this hash into t. Returns 1, 0 when unknown, -1 on error. */
int store_token_get(struct store *s, const unsigned char hash[32], struct token_row *t);
/* The account an access token with this hash belongs to, into u, with the token's expiry and
 * whether it was revoked. Returns 1, 0 when there is no such access token, -1 on error. */
int store_token_user(struct store *s, const unsigned char hash[32], struct user *u,
                     long long *expires_at, bool *revoked);
/* Revokes one token, a family, or every token of a user. Return 0, -1 on error. */
int store_token_revoke(struct store *s, const unsigned char hash[32]);
int store_token_revoke_family(struct store *s, const unsigned char family[16]);
int store_token_revoke_user(struct store *s, const char *user_id);

#endif
