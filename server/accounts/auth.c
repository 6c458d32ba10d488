#include "config.h"
#include "accounts/auth.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "server.h"
#include "accounts/users.h"

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

static int insert(struct store *s, const char *token, const char *user_id, const char *kind,
                  const unsigned char family[16], long long expires_at)
{
	unsigned char h[32];
	sqlite3_stmt *st = store_stmt(s, "INSERT INTO tokens (hash, user_id, kind, family, expires_at, created_at)"
	                                 " VALUES (?, ?, ?, ?, ?, ?)");

	if (!st)
		return -1;
	auth_hash_token(token, h);
	sqlite3_bind_blob(st, 1, h, sizeof h, SQLITE_TRANSIENT);
	store_bind_text(st, 2, user_id);
	store_bind_text(st, 3, kind);
	sqlite3_bind_blob(st, 4, family, 16, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 5, expires_at);
	sqlite3_bind_int64(st, 6, store_now_ms());
	return sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
}

static int issue_in_family(struct store *s, const char *user_id, const unsigned char family[16],
                           long access_ttl, long refresh_ttl, struct token_pair *out)
{
	long long now = store_now_ms();

	random_token(out->access);
	random_token(out->refresh);
	out->expires_in = access_ttl;
	if (insert(s, out->access, user_id, "access", family, now + access_ttl * 1000LL) < 0 ||
	    insert(s, out->refresh, user_id, "refresh", family, now + refresh_ttl * 1000LL) < 0)
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

static void revoke_family(struct store *s, const void *family)
{
	sqlite3_stmt *st = store_stmt(s, "UPDATE tokens SET revoked = 1 WHERE family = ?");

	if (!st)
		return;
	sqlite3_bind_blob(st, 1, family, 16, SQLITE_TRANSIENT);
	sqlite3_step(st);
}

enum refresh_result auth_refresh(struct store *s, const char *refresh, long access_ttl,
                                 long refresh_ttl, struct token_pair *out, char user_id[72])
{
	unsigned char h[32], family[16];
	enum refresh_result res = REFRESH_INVALID;
	sqlite3_stmt *st;
	int revoked;
	long long expires;

	auth_hash_token(refresh, h);
	if (store_begin(s) < 0)
		return REFRESH_ERROR;
	st = store_stmt(s, "SELECT user_id, family, revoked, expires_at FROM tokens"
	                   " WHERE hash = ? AND kind = 'refresh'");
	if (!st)
		goto error;
	sqlite3_bind_blob(st, 1, h, sizeof h, SQLITE_TRANSIENT);
	if (sqlite3_step(st) != SQLITE_ROW)
		goto out;
	snprintf(user_id, 72, "%s", store_col_text(st, 0));
	if (sqlite3_column_bytes(st, 1) != 16)
		goto out;
	memcpy(family, sqlite3_column_blob(st, 1), 16);
	revoked = sqlite3_column_int(st, 2);
	expires = sqlite3_column_int64(st, 3);
	sqlite3_reset(st);
	if (revoked) {
		/* Reuse of a rotated-out refresh token: whoever holds the family is suspect. */
		revoke_family(s, family);
		goto out;
	}
	if (expires <= store_now_ms())
		goto out;
	st = store_stmt(s, "UPDATE tokens SET revoked = 1 WHERE hash = ?");
	if (!st)
		goto error;
	sqlite3_bind_blob(st, 1, h, sizeof h, SQLITE_TRANSIENT);
	if (sqlite3_step(st) != SQLITE_DONE ||
	    issue_in_family(s, user_id, family, access_ttl, refresh_ttl, out) < 0)
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
	sqlite3_stmt *st;

	user_id[0] = '\0';
	auth_hash_token(token, h);
	st = store_stmt(s, "SELECT family, kind, user_id FROM tokens WHERE hash = ?");
	if (!st)
		return -1;
	sqlite3_bind_blob(st, 1, h, sizeof h, SQLITE_TRANSIENT);
	if (sqlite3_step(st) != SQLITE_ROW)
		return 0;
	snprintf(user_id, 72, "%s", store_col_text(st, 2));
	if (!strcmp(store_col_text(st, 1), "refresh") && sqlite3_column_bytes(st, 0) == 16) {
		unsigned char family[16];

		memcpy(family, sqlite3_column_blob(st, 0), 16);
		sqlite3_reset(st);
		revoke_family(s, family);
		return 0;
	}
	sqlite3_reset(st);
	st = store_stmt(s, "UPDATE tokens SET revoked = 1 WHERE hash = ?");
	if (!st)
		return -1;
	sqlite3_bind_blob(st, 1, h, sizeof h, SQLITE_TRANSIENT);
	return sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
}

const char *auth_request(struct req *r)
{
	const char *why = auth_bearer(&r->srv->store, r->authorization, &r->user);

	r->authed = !why;
	return why;
}

const char *auth_bearer(struct store *s, const char *h, struct user *u)
{
	sqlite3_stmt *st;
	long long expires;

	if (!h[0])
		return "no access token: send Authorization: Bearer TOKEN";
	if (strncasecmp(h, "Bearer ", 7) != 0 || !h[7])
		return "malformed Authorization header: expected Bearer TOKEN";
	auth_hash_token(h + 7, u->token_hash);
	st = store_stmt(s,
	                "SELECT u.id, u.display_name, u.tier, u.country, t.expires_at, t.revoked"
	                " FROM tokens t JOIN users u ON u.id = t.user_id"
	                " WHERE t.hash = ? AND t.kind = 'access'");
	if (!st)
		return "the token could not be checked";
	sqlite3_bind_blob(st, 1, u->token_hash, 32, SQLITE_TRANSIENT);
	if (sqlite3_step(st) != SQLITE_ROW)
		return "invalid access token";
	expires = sqlite3_column_int64(st, 4);
	if (sqlite3_column_int(st, 5)) {
		sqlite3_reset(st);
		return "the access token has been revoked";
	}
	if (expires <= store_now_ms()) {
		sqlite3_reset(st);
		return "the access token has expired";
	}
	snprintf(u->id, sizeof u->id, "%s", store_col_text(st, 0));
	snprintf(u->display_name, sizeof u->display_name, "%s", store_col_text(st, 1));
	u->premium = !strcmp(store_col_text(st, 2), "premium");
	snprintf(u->country, sizeof u->country, "%s", store_col_text(st, 3));
	sqlite3_reset(st);
	return NULL;
}
