#include "config.h"
#include "accounts/users.h"

#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

bool user_name_valid(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > USER_NAME_MAX || !isalnum((unsigned char)name[0]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)name[i]) && !strchr("._-", name[i]))
			return false;
	return true;
}

bool country_valid(const char *cc)
{
	return cc && strlen(cc) == 2 && isupper((unsigned char)cc[0]) && isupper((unsigned char)cc[1]);
}

static int hash_password(const char *pw, char out[crypto_pwhash_STRBYTES])
{
	return crypto_pwhash_str(out, pw, strlen(pw), crypto_pwhash_OPSLIMIT_INTERACTIVE,
	                         crypto_pwhash_MEMLIMIT_INTERACTIVE);
}

static const char *password_problem(const char *pw)
{
	size_t n = strlen(pw);

	if (n < PASSWORD_MIN)
		return "the password must have at least 8 characters";
	if (n > PASSWORD_MAX)
		return "the password is too long (at most 1024 bytes)";
	return NULL;
}

enum user_result user_check_new(const char *name, const char *password, const char *country,
                                char *err, size_t errlen)
{
	const char *why;

	if (!user_name_valid(name)) {
		snprintf(err, errlen, "the user name must be 1 to 64 letters, digits, '.', '_' or '-', "
		         "starting with a letter or digit");
		return USER_INVALID;
	}
	if (!country_valid(country)) {
		snprintf(err, errlen, "the country must be a two-letter ISO 3166 code such as US");
		return USER_INVALID;
	}
	if ((why = password_problem(password))) {
		snprintf(err, errlen, "%s", why);
		return USER_INVALID;
	}
	return USER_OK;
}

int user_hash_password(const char *password, char out[128])
{
	return hash_password(password, out);
}

enum user_result user_insert(struct store *s, const char *name, const char *hash, bool premium,
                             const char *country, char *err, size_t errlen)
{
	sqlite3_stmt *st = store_stmt(s, "INSERT INTO users (id, display_name, pw_hash, tier, country, created_at)"
	                                 " VALUES (?1, ?1, ?2, ?3, ?4, ?5)");
	int rc;

	if (!st)
		goto fail;
	store_bind_text(st, 1, name);
	store_bind_text(st, 2, hash);
	store_bind_text(st, 3, premium ? "premium" : "free");
	store_bind_text(st, 4, country);
	sqlite3_bind_int64(st, 5, store_now_ms());
	rc = sqlite3_step(st);
	if (rc == SQLITE_CONSTRAINT) {
		snprintf(err, errlen, "the name \"%s\" is taken", name);
		return USER_EXISTS;
	}
	if (rc != SQLITE_DONE)
		goto fail;
	return USER_OK;
fail:
	snprintf(err, errlen, "database error: %s", sqlite3_errmsg(s->db));
	return USER_ERROR;
}

enum user_result user_create(struct store *s, const char *name, const char *password,
                             bool premium, const char *country, char *err, size_t errlen)
{
	char hash[crypto_pwhash_STRBYTES];
	enum user_result res = user_check_new(name, password, country, err, errlen);

	if (res != USER_OK)
		return res;
	if (hash_password(password, hash) != 0) {
		snprintf(err, errlen, "out of memory while hashing the password");
		return USER_ERROR;
	}
	res = user_insert(s, name, hash, premium, country, err, errlen);
	sodium_memzero(hash, sizeof hash);
	return res;
}

static void fill(sqlite3_stmt *st, struct user *u)
{
	snprintf(u->id, sizeof u->id, "%s", store_col_text(st, 0));
	snprintf(u->display_name, sizeof u->display_name, "%s", store_col_text(st, 1));
	u->premium = !strcmp(store_col_text(st, 2), "premium");
	snprintf(u->country, sizeof u->country, "%s", store_col_text(st, 3));
}

enum user_result user_get(struct store *s, const char *name, struct user *u)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT id, display_name, tier, country FROM users WHERE id = ?");
	int rc;

	if (!st)
		return USER_ERROR;
	store_bind_text(st, 1, name);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		fill(st, u);
	/* An unreset statement keeps its read transaction open: this connection's next write
	 * would then fail (SQLITE_BUSY_SNAPSHOT) once another connection had written. */
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? USER_OK : rc == SQLITE_DONE ? USER_NOT_FOUND : USER_ERROR;
}

enum user_result user_password_hash(struct store *s, const char *name, struct user *u, char hash[128])
{
	/* A fixed hash to verify against when the user does not exist, so that a missing name
	 * costs the same time as a wrong password. Made once, on the loop, before any worker. */
	static char decoy[crypto_pwhash_STRBYTES];
	sqlite3_stmt *st;
	int rc;

	if (!decoy[0] && hash_password("segue-not-a-password", decoy) != 0)
		return USER_ERROR;
	snprintf(hash, 128, "%s", decoy);
	st = store_stmt(s, "SELECT id, display_name, tier, country, pw_hash FROM users WHERE id = ?");
	if (!st)
		return USER_ERROR;
	store_bind_text(st, 1, name);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		fill(st, u);
		snprintf(hash, 128, "%s", store_col_text(st, 4));
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? USER_OK : rc == SQLITE_DONE ? USER_NOT_FOUND : USER_ERROR;
}

bool user_password_ok(const char *hash, const char *password)
{
	return strlen(password) <= PASSWORD_MAX &&
	       crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}

enum user_result user_set(struct store *s, const char *name, const char *field,
                          const char *value, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	char hash[crypto_pwhash_STRBYTES];
	const char *why;

	if (!strcmp(field, "tier")) {
		if (strcmp(value, "free") && strcmp(value, "premium")) {
			snprintf(err, errlen, "the tier is free or premium");
			return USER_INVALID;
		}
		st = store_stmt(s, "UPDATE users SET tier = ?2 WHERE id = ?1");
	} else if (!strcmp(field, "country")) {
		if (!country_valid(value)) {
			snprintf(err, errlen, "the country must be a two-letter ISO 3166 code such as US");
			return USER_INVALID;
		}
		st = store_stmt(s, "UPDATE users SET country = ?2 WHERE id = ?1");
	} else if (!strcmp(field, "display_name")) {
		if (!*value || strlen(value) > 100) {
			snprintf(err, errlen, "the display name must have 1 to 100 bytes");
			return USER_INVALID;
		}
		st = store_stmt(s, "UPDATE users SET display_name = ?2 WHERE id = ?1");
	} else if (!strcmp(field, "password")) {
		if ((why = password_problem(value))) {
			snprintf(err, errlen, "%s", why);
			return USER_INVALID;
		}
		if (hash_password(value, hash) != 0) {
			snprintf(err, errlen, "out of memory while hashing the password");
			return USER_ERROR;
		}
		value = hash;
		st = store_stmt(s, "UPDATE users SET pw_hash = ?2 WHERE id = ?1");
	} else {
		snprintf(err, errlen, "unknown field \"%s\" (tier, country, display_name or password)", field);
		return USER_INVALID;
	}
	if (!st)
		return USER_ERROR;
	store_bind_text(st, 1, name);
	store_bind_text(st, 2, value);
	if (sqlite3_step(st) != SQLITE_DONE) {
		snprintf(err, errlen, "database error: %s", sqlite3_errmsg(s->db));
		return USER_ERROR;
	}
	sodium_memzero(hash, sizeof hash);
	if (sqlite3_changes(s->db) == 0) {
		snprintf(err, errlen, "no user named \"%s\"", name);
		return USER_NOT_FOUND;
	}
	/* A changed password or tier ends every session: tokens carry no claims, but a password
	 * change must lock out whoever knew the old one. */
	if (!strcmp(field, "password")) {
		st = store_stmt(s, "UPDATE tokens SET revoked = 1 WHERE user_id = ?");
		if (st) {
			store_bind_text(st, 1, name);
			sqlite3_step(st);
		}
	}
	return USER_OK;
}

enum user_result user_delete(struct store *s, const char *name)
{
	sqlite3_stmt *st = store_stmt(s, "DELETE FROM users WHERE id = ?");

	if (!st)
		return USER_ERROR;
	store_bind_text(st, 1, name);
	if (sqlite3_step(st) != SQLITE_DONE)
		return USER_ERROR;
	return sqlite3_changes(s->db) ? USER_OK : USER_NOT_FOUND;
}
