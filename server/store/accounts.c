/* Accounts and tokens. See store/accounts.h. */
#include "config.h"
#include "store/accounts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store/store_db.h"

/* Columns id, display_name, tier, country. */
static void fill(struct db_stmt *st, struct user *u)
{
	memset(u, 0, sizeof *u);
	snprintf(u->id, sizeof u->id, "%s", store_col_text(st, 0));
	snprintf(u->display_name, sizeof u->display_name, "%s", store_col_text(st, 1));
	u->premium = !strcmp(store_col_text(st, 2), "premium");
	snprintf(u->country, sizeof u->country, "%s", store_col_text(st, 3));
}

int store_user_insert(struct store *s, const char *name, const char *pw_hash, bool premium,
                      const char *country, long long created_at)
{
	struct db_stmt *st = store_stmt(s, "INSERT INTO users (id, display_name, pw_hash, tier, country,"
	                                 " created_at) VALUES (?1, ?1, ?2, ?3, ?4, ?5)");
	int rc;

	if (!st)
		return -1;
	store_bind_text(st, 1, name);
	store_bind_text(st, 2, pw_hash);
	store_bind_text(st, 3, premium ? "premium" : "free");
	store_bind_text(st, 4, country);
	db_bind_int64(st, 5, created_at);
	rc = db_step(st);
	if (rc == DB_ERROR && db_constraint(s))
		return 0;
	return rc == DB_DONE ? 1 : store_fail(s, "a new user");
}

int store_user_get(struct store *s, const char *name, struct user *u, char pw_hash[PW_HASH_MAX])
{
	struct db_stmt *st = store_stmt(s, "SELECT id, display_name, tier, country, pw_hash FROM users"
	                                 " WHERE id = ?");
	int rc;

	if (!st)
		return -1;
	store_bind_text(st, 1, name);
	rc = db_step(st);
	if (rc == DB_ROW) {
		fill(st, u);
		if (pw_hash)
			snprintf(pw_hash, PW_HASH_MAX, "%s", store_col_text(st, 4));
	}
	/* An unreset statement keeps its read transaction open: this connection's next write
	 * would then fail (SQLITE_BUSY_SNAPSHOT) once another connection had written. */
	db_reset(st);
	if (rc == DB_ROW || rc == DB_DONE)
		return rc == DB_ROW;
	return store_fail(s, "a user");
}

int store_user_update(struct store *s, const char *name, enum user_field f, const char *value)
{
	struct db_stmt *st = NULL;

	switch (f) {
	case USER_FIELD_TIER:
		st = store_stmt(s, "UPDATE users SET tier = ?2 WHERE id = ?1");
		break;
	case USER_FIELD_COUNTRY:
		st = store_stmt(s, "UPDATE users SET country = ?2 WHERE id = ?1");
		break;
	case USER_FIELD_DISPLAY_NAME:
		st = store_stmt(s, "UPDATE users SET display_name = ?2 WHERE id = ?1");
		break;
	case USER_FIELD_PW_HASH:
		st = store_stmt(s, "UPDATE users SET pw_hash = ?2 WHERE id = ?1");
		break;
	}
	if (!st)
		return -1;
	store_bind_text(st, 1, name);
	store_bind_text(st, 2, value);
	return store_change(s, st, "a user's settings");
}

int store_user_delete(struct store *s, const char *name)
{
	struct db_stmt *st = store_stmt(s, "DELETE FROM users WHERE id = ?");

	if (!st)
		return -1;
	store_bind_text(st, 1, name);
	return store_change(s, st, "deleting a user");
}

int store_users_list(struct store *s, struct user **out, size_t *n)
{
	/* By name as SQLite's NOCASE orders it (ASCII letters folded, then bytes); PostgreSQL's
	 * case-insensitive collation would put "." "_" "-" and digits in another order. */
	struct db_stmt *st = store_stmt2(s, "SELECT id, display_name, tier, country FROM users"
	                                 " WHERE id <> '" SYSTEM_USER "' ORDER BY id",
	                                 "SELECT id, display_name, tier, country FROM users"
	                                 " WHERE id <> '" SYSTEM_USER "' ORDER BY lower(id COLLATE \"C\")");
	size_t cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if (!st)
		return -1;
	while ((rc = db_step(st)) == DB_ROW) {
		if (*n == cap) {
			struct user *p = realloc(*out, (cap = cap ? cap * 2 : 64) * sizeof **out);

			if (!p) {
				db_reset(st);
				free(*out);
				*out = NULL;
				*n = 0;
				log_err("store: out of memory listing users");
				return -1;
			}
			*out = p;
		}
		fill(st, &(*out)[(*n)++]);
	}
	db_reset(st);
	if (rc != DB_DONE) {
		free(*out);
		*out = NULL;
		*n = 0;
		return store_fail(s, "the users");
	}
	return 0;
}

int store_token_insert(struct store *s, const unsigned char hash[32], const char *user_id,
                       bool refresh, const unsigned char family[16], long long expires_at,
                       long long created_at)
{
	struct db_stmt *st = store_stmt(s, "INSERT INTO tokens (hash, user_id, kind, family, expires_at,"
	                                 " created_at) VALUES (?, ?, ?, ?, ?, ?)");

	if (!st)
		return -1;
	db_bind_blob(st, 1, hash, 32);
	store_bind_text(st, 2, user_id);
	store_bind_text(st, 3, refresh ? "refresh" : "access");
	db_bind_blob(st, 4, family, 16);
	db_bind_int64(st, 5, expires_at);
	db_bind_int64(st, 6, created_at);
	return db_step(st) == DB_DONE ? 0 : store_fail(s, "a new token");
}

int store_token_get(struct store *s, const unsigned char hash[32], struct token_row *t)
{
	struct db_stmt *st = store_stmt(s, "SELECT user_id, family, kind, revoked, expires_at FROM tokens"
	                                 " WHERE hash = ?");
	int rc;

	if (!st)
		return -1;
	db_bind_blob(st, 1, hash, 32);
	rc = db_step(st);
	if (rc == DB_ROW) {
		memset(t, 0, sizeof *t);
		snprintf(t->user_id, sizeof t->user_id, "%s", store_col_text(st, 0));
		/* A family that is not 16 bytes is no family: nothing else shares it. */
		if ((t->has_family = db_col_bytes(st, 1) == 16))
			memcpy(t->family, db_col_blob(st, 1), 16);
		t->refresh = !strcmp(store_col_text(st, 2), "refresh");
		t->revoked = db_col_int(st, 3) != 0;
		t->expires_at = db_col_int64(st, 4);
	}
	db_reset(st);
	if (rc == DB_ROW || rc == DB_DONE)
		return rc == DB_ROW;
	return store_fail(s, "a token");
}

int store_token_user(struct store *s, const unsigned char hash[32], struct user *u,
                     long long *expires_at, bool *revoked)
{
	struct db_stmt *st = store_stmt(s, "SELECT u.id, u.display_name, u.tier, u.country, t.expires_at,"
	                                 " t.revoked FROM tokens t JOIN users u ON u.id = t.user_id"
	                                 " WHERE t.hash = ? AND t.kind = 'access'");
	int rc;

	if (!st)
		return -1;
	db_bind_blob(st, 1, hash, 32);
	rc = db_step(st);
	if (rc == DB_ROW) {
		unsigned char keep[32];

		memcpy(keep, u->token_hash, sizeof keep);
		fill(st, u);
		memcpy(u->token_hash, keep, sizeof keep);
		*expires_at = db_col_int64(st, 4);
		*revoked = db_col_int(st, 5) != 0;
	}
	db_reset(st);
	if (rc == DB_ROW || rc == DB_DONE)
		return rc == DB_ROW;
	return store_fail(s, "a token's user");
}

int store_token_revoke(struct store *s, const unsigned char hash[32])
{
	struct db_stmt *st = store_stmt(s, "UPDATE tokens SET revoked = 1 WHERE hash = ?");

	if (!st)
		return -1;
	db_bind_blob(st, 1, hash, 32);
	return store_change(s, st, "revoking a token") < 0 ? -1 : 0;
}

int store_token_revoke_family(struct store *s, const unsigned char family[16])
{
	struct db_stmt *st = store_stmt(s, "UPDATE tokens SET revoked = 1 WHERE family = ?");

	if (!st)
		return -1;
	db_bind_blob(st, 1, family, 16);
	return store_change(s, st, "revoking a token family") < 0 ? -1 : 0;
}

int store_token_revoke_user(struct store *s, const char *user_id)
{
	struct db_stmt *st = store_stmt(s, "UPDATE tokens SET revoked = 1 WHERE user_id = ?");

	if (!st)
		return -1;
	store_bind_text(st, 1, user_id);
	return store_change(s, st, "revoking a user's tokens") < 0 ? -1 : 0;
}
