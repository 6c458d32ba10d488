/* API keys and Subsonic passwords. See store/subsonic.h. */
#include "config.h"
#include "store/subsonic.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store/store_db.h"

int store_apikey_insert(struct store *s, const char *id, const char *user_id, const char *name,
                        const unsigned char hash[32], long long created_at)
{
	struct db_stmt *st = store_stmt(s, "INSERT INTO api_keys (id, user_id, name, hash, created_at)"
	                                 " VALUES (?, ?, ?, ?, ?)");
	int rc;

	if (!st)
		return -1;
	store_bind_text(st, 1, id);
	store_bind_text(st, 2, user_id);
	store_bind_text(st, 3, name);
	db_bind_blob(st, 4, hash, 32);
	db_bind_int64(st, 5, created_at);
	rc = db_step(st);
	db_reset(st);
	if (rc == DB_ERROR && db_constraint(s))
		return 0;
	return rc == DB_DONE ? 1 : store_fail(s, "a new API key");
}

static void fill_user(struct db_stmt *st, void *out)
{
	struct user *u = out;

	memset(u, 0, sizeof *u);
	snprintf(u->id, sizeof u->id, "%s", store_col_text(st, 0));
	snprintf(u->display_name, sizeof u->display_name, "%s", store_col_text(st, 1));
	u->premium = !strcmp(store_col_text(st, 2), "premium");
	snprintf(u->country, sizeof u->country, "%s", store_col_text(st, 3));
}

int store_apikey_user(struct store *s, const unsigned char hash[32], long long now, struct user *u)
{
	struct db_stmt *st = store_stmt(s, "SELECT u.id, u.display_name, u.tier, u.country FROM api_keys k"
	                                 " JOIN users u ON u.id = k.user_id WHERE k.hash = ?");
	int rc;

	if (!st)
		return -1;
	db_bind_blob(st, 1, hash, 32);
	if ((rc = store_one(s, st, "an API key", fill_user, u)) != 1)
		return rc;
	/* To the minute: a key in use writes once a minute, not once a request. */
	if (!(st = store_stmt(s, "UPDATE api_keys SET last_used_at = ?2 WHERE hash = ?1"
	                         " AND (last_used_at IS NULL OR last_used_at < ?2 - 60)")))
		return -1;
	db_bind_blob(st, 1, hash, 32);
	db_bind_int64(st, 2, now);
	return store_done(s, st, "an API key's last use") < 0 ? -1 : 1;
}

int store_apikey_list(struct store *s, const char *user_id, struct apikey_row **out, size_t *n)
{
	struct db_stmt *st = store_stmt(s, "SELECT id, name, created_at, last_used_at FROM api_keys"
	                                 " WHERE user_id = ? ORDER BY created_at, rowid");
	size_t cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if (!st)
		return -1;
	store_bind_text(st, 1, user_id);
	while ((rc = db_step(st)) == DB_ROW) {
		struct apikey_row *k;

		if (*n == cap) {
			struct apikey_row *p = realloc(*out, (cap = cap ? cap * 2 : 8) * sizeof **out);

			if (!p) {
				log_err("store: out of memory listing API keys");
				rc = DB_NOMEM;
				break;
			}
			*out = p;
		}
		k = &(*out)[(*n)++];
		snprintf(k->id, sizeof k->id, "%s", store_col_text(st, 0));
		snprintf(k->name, sizeof k->name, "%s", store_col_text(st, 1));
		k->created_at = db_col_int64(st, 2);
		k->last_used_at = db_col_int64(st, 3);
	}
	db_reset(st);
	if (rc != DB_DONE) {
		free(*out);
		*out = NULL;
		*n = 0;
		return rc == DB_NOMEM ? -1 : store_fail(s, "the API keys");
	}
	return 0;
}

int store_apikey_delete(struct store *s, const char *user_id, const char *id)
{
	struct db_stmt *st = store_stmt(s, "DELETE FROM api_keys WHERE user_id = ? AND id = ?");

	if (!st)
		return -1;
	store_bind_text(st, 1, user_id);
	store_bind_text(st, 2, id);
	return store_change(s, st, "an API key's revocation");
}

long long store_apikey_count(struct store *s, const char *user_id)
{
	struct db_stmt *st = store_stmt(s, "SELECT count(*) FROM api_keys WHERE user_id = ?");

	if (st)
		store_bind_text(st, 1, user_id);
	return store_integer(s, st, "the API keys' count");
}

int store_subsonic_pw_set(struct store *s, const char *user_id, const unsigned char *sealed,
                          size_t len, long long now)
{
	struct db_stmt *st = store_stmt(s, "INSERT INTO subsonic_passwords (user_id, sealed, updated_at)"
	                                 " SELECT id, ?2, ?3 FROM users WHERE id = ?1"
	                                 " ON CONFLICT (user_id) DO UPDATE SET sealed = excluded.sealed,"
	                                 " updated_at = excluded.updated_at");

	if (!st)
		return -1;
	store_bind_text(st, 1, user_id);
	db_bind_blob(st, 2, sealed, (int)len);
	db_bind_int64(st, 3, now);
	return store_change(s, st, "a Subsonic password");
}

struct blob_out {
	unsigned char *p;
	size_t len, *got;
	bool fits;
};

static void fill_blob(struct db_stmt *st, void *out)
{
	struct blob_out *b = out;
	int n = db_col_bytes(st, 0);
	const void *p = db_col_blob(st, 0);

	b->fits = n >= 0 && (size_t)n <= b->len;
	*b->got = 0;
	if (b->fits && p) {
		memcpy(b->p, p, (size_t)n);
		*b->got = (size_t)n;
	}
}

int store_subsonic_pw_get(struct store *s, const char *user_id, unsigned char *out, size_t len,
                          size_t *got)
{
	struct db_stmt *st = store_stmt(s, "SELECT sealed FROM subsonic_passwords WHERE user_id = ?");
	struct blob_out b = { out, len, got, false };
	int rc;

	if (!st)
		return -1;
	store_bind_text(st, 1, user_id);
	rc = store_one(s, st, "a Subsonic password", fill_blob, &b);
	if (rc == 1 && !b.fits) {
		log_err("store: %s's sealed Subsonic password is larger than any this server makes", user_id);
		return -1;
	}
	return rc;
}

int store_subsonic_pw_delete(struct store *s, const char *user_id)
{
	struct db_stmt *st = store_stmt(s, "DELETE FROM subsonic_passwords WHERE user_id = ?");

	if (!st)
		return -1;
	store_bind_text(st, 1, user_id);
	return store_change(s, st, "a Subsonic password's removal");
}
