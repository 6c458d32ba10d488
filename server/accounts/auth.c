#include "config.h"
#include "accounts/auth.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "store/accounts.h"

void auth_hash_token(const char *token, unsigned char out[32])
{
	crypto_generichash(out, 32, (const unsigned char *)token, strlen(token), NULL, 0);
}

static void random_token(char out[TOKEN_TEXT_MAX])
{
	unsigned char raw[32];

	randombytes_buf(raw, sizeof raw);
	sodium_bin2base64(out, TOKEN_TEXT_MAX, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof raw);
}

static int insert(struct store *s, const char *token, const char *user_id, bool refresh,
                  const unsigned char family[16], long long expires_at)
{
	unsigned char h[32];

	auth_hash_token(token, h);
	return store_token_insert(s, h, user_id, refresh, family, expires_at, store_now_ms());
}

static int issue_in_family(struct store *s, const char *user_id, const unsigned char family[16],
                           long access_ttl, long refresh_ttl, struct token_pair *out)
{
	long long now = store_now_ms();

	random_token(out->access);
	random_token(out->refresh);
	out->expires_in = access_ttl;
	if (insert(s, out->access, user_id, false, family, now + access_ttl * 1000LL) < 0 ||
	    insert(s, out->refresh, user_id, true, family, now + refresh_ttl * 1000LL) < 0)
		return -1;
	return 0;
}

int auth_issue(struct store *s, const char *user_id, long access_ttl, long refresh_ttl,
               struct token_pair *out)
{
	unsigned char family[16];
	int rc;

	randombytes_buf(family, sizeof family);
	if (store_begin(s) < 0)
		return -1;
	rc = issue_in_family(s, user_id, family, access_ttl, refresh_ttl, out);
	if (rc < 0 || store_commit(s) < 0) {
		store_rollback(s);
		return -1;
	}
	return 0;
}

enum refresh_result auth_refresh(struct store *s, const char *refresh, long access_ttl,
                                 long refresh_ttl, struct token_pair *out, char user_id[72])
{
	unsigned char h[32];
	enum refresh_result res = REFRESH_INVALID;
	struct token_row t;
	int found;

	auth_hash_token(refresh, h);
	if (store_begin(s) < 0)
		return REFRESH_ERROR;
	if ((found = store_token_get(s, h, &t)) < 0)
		goto error;
	if (!found || !t.refresh || !t.has_family)
		goto out;
	snprintf(user_id, 72, "%s", t.user_id);
	if (t.revoked) {
		/* Reuse of a rotated-out refresh token: whoever holds the family is suspect. */
		store_token_revoke_family(s, t.family);
		goto out;
	}
	if (t.expires_at <= store_now_ms())
		goto out;
	if (store_token_revoke(s, h) < 0 ||
	    issue_in_family(s, user_id, t.family, access_ttl, refresh_ttl, out) < 0)
		goto error;
	res = REFRESH_OK;
out:
	if (store_commit(s) < 0)
		goto error;
	return res;
error:
	store_rollback(s);
	return REFRESH_ERROR;
}

int auth_revoke(struct store *s, const char *token, char user_id[72])
{
	unsigned char h[32];
	struct token_row t;
	int found;

	user_id[0] = '\0';
	auth_hash_token(token, h);
	if ((found = store_token_get(s, h, &t)) <= 0)
		return found;
	snprintf(user_id, 72, "%s", t.user_id);
	if (t.refresh && t.has_family)
		return store_token_revoke_family(s, t.family);
	return store_token_revoke(s, h);
}

const char *auth_bearer(struct store *s, const char *h, struct user *u)
{
	long long expires;
	bool revoked;
	int found;

	if (!h[0])
		return "no access token: send Authorization: Bearer TOKEN";
	if (strncasecmp(h, "Bearer ", 7) != 0 || !h[7])
		return "malformed Authorization header: expected Bearer TOKEN";
	auth_hash_token(h + 7, u->token_hash);
	if ((found = store_token_user(s, u->token_hash, u, &expires, &revoked)) < 0)
		return "the token could not be checked";
	if (!found)
		return "invalid access token";
	if (revoked)
		return "the access token has been revoked";
	if (expires <= store_now_ms())
		return "the access token has expired";
	return NULL;
}
