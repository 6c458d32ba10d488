/* Bearer tokens. A token is 256 random bits, base64url-encoded; the server stores only its
 * BLAKE2b hash, so a copy of the database grants nothing. Access tokens expire quickly;
 * refresh tokens rotate on use, and a refresh token used twice revokes its whole family (the
 * tell-tale of a stolen token). */
#ifndef SEGUE_AUTH_H
#define SEGUE_AUTH_H

#include <stdbool.h>

#include "types/user.h"
#include "store/store.h"

#define TOKEN_TEXT_MAX 64

struct token_pair {
	char access[TOKEN_TEXT_MAX];
	char refresh[TOKEN_TEXT_MAX];
	long expires_in;
};

/* Authenticates an Authorization header value ("Bearer TOKEN"), filling u. Returns NULL, or
 * why not. */
const char *auth_bearer(struct store *s, const char *authorization, struct user *u);

/* Issues a new access and refresh token for user in a new family. */
int auth_issue(struct store *s, const char *user_id, long access_ttl, long refresh_ttl,
               struct token_pair *out);

enum refresh_result { REFRESH_OK, REFRESH_INVALID, REFRESH_ERROR };
/* Trades a refresh token for a new pair; user receives the account's id. */
enum refresh_result auth_refresh(struct store *s, const char *refresh, long access_ttl,
                                 long refresh_ttl, struct token_pair *out, char user_id[72]);

/* Revokes a token (and, for a refresh token, its family). Unknown tokens are not an error
 * (RFC 7009 §2.2). user_id receives the token's owner ("" when unknown). */
int auth_revoke(struct store *s, const char *token, char user_id[72]);

void auth_hash_token(const char *token, unsigned char out[32]);

#endif
