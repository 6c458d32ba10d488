#include "config.h"
#include "store/invites.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_db.h"

/* An invite's id is the hex of its hash's first bytes. */
#define ID_BYTES (INVITE_ID_LEN / 2)

int store_invite_insert(struct store *s, const unsigned char hash[32], long long created_at,
                        long long expires_at, int uses)
{
	struct db_stmt *st = store_stmt(s, "INSERT INTO invites (hash, created_at, expires_at, uses,"
	                                 " uses_left) VALUES (?, ?, ?, ?, ?)");

	if (!st)
		return -1;
	db_bind_blob(st, 1, hash, 32);
	db_bind_int64(st, 2, created_at);
	db_bind_int64(st, 3, expires_at);
	db_bind_int(st, 4, uses);
	db_bind_int(st, 5, uses);
	return store_done(s, st, "a new invite");
}

int store_invite_usable(struct store *s, const unsigned char hash[32], long long now)
{
	struct db_stmt *st = store_stmt(s, "SELECT 1 FROM invites WHERE hash = ? AND uses_left > 0"
	                                 " AND expires_at > ?");

	if (!st)
		return -1;
	db_bind_blob(st, 1, hash, 32);
	db_bind_int64(st, 2, now);
	return store_one(s, st, "an invite", NULL, NULL);
}

int store_invite_take(struct store *s, const unsigned char hash[32], long long now)
{
	struct db_stmt *st = store_stmt(s, "UPDATE invites SET uses_left = uses_left - 1"
	                                 " WHERE hash = ? AND uses_left > 0 AND expires_at > ?");

	if (!st)
		return -1;
	db_bind_blob(st, 1, hash, 32);
	db_bind_int64(st, 2, now);
	return store_change(s, st, "taking an invite");
}

int store_invite_give_back(struct store *s, const unsigned char hash[32])
{
	struct db_stmt *st = store_stmt(s, "UPDATE invites SET uses_left = uses_left + 1"
	                                 " WHERE hash = ? AND uses_left < uses");

	if (!st)
		return -1;
	db_bind_blob(st, 1, hash, 32);
	return store_done(s, st, "giving back an invite");
}

struct list {
	struct invite_row *v;
	size_t n, cap;
};

static int add_row(struct db_stmt *st, void *cb, void *ud)
{
	struct list *l = ud;
	struct invite_row *row;
	const unsigned char *prefix;
	size_t len;

	(void)cb;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct invite_row *v = realloc(l->v, cap * sizeof *v);

		if (!v)
			return -1;
		l->v = v;
		l->cap = cap;
	}
	row = &l->v[l->n++];
	prefix = db_col_blob(st, 0);
	len = db_col_bytes(st, 0);
	memset(row->id, 0, sizeof row->id);
	for (size_t i = 0; prefix && i < len && i < ID_BYTES; i++)
		snprintf(row->id + 2 * i, 3, "%02x", prefix[i]);
	row->created_at = db_col_int64(st, 1);
	row->expires_at = db_col_int64(st, 2);
	row->uses = db_col_int(st, 3);
	row->uses_left = db_col_int(st, 4);
	return 0;
}

int store_invites_list(struct store *s, struct invite_row **out, size_t *n)
{
	/* The id's bytes, spelt out here: SQLite's hex() and PostgreSQL's encode() differ. */
	struct db_stmt *st = store_stmt(s, "SELECT substr(hash, 1, 4), created_at,"
	                                 " expires_at, uses, uses_left FROM invites"
	                                 " ORDER BY created_at DESC, hash");
	struct list l = { 0 };

	*out = NULL;
	*n = 0;
	if (store_each(s, st, "listing invites", add_row, NULL, &l) < 0) {
		free(l.v);
		return -1;
	}
	*out = l.v;
	*n = l.n;
	return 0;
}

static int hex_digit(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
	       c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

int store_invite_delete(struct store *s, const char *id)
{
	unsigned char prefix[ID_BYTES];
	struct db_stmt *st;

	/* An id that is not the hex of ID_BYTES bytes names no invite. */
	if (strlen(id) != 2 * ID_BYTES)
		return 0;
	for (size_t i = 0; i < ID_BYTES; i++) {
		int hi = hex_digit(id[2 * i]), lo = hex_digit(id[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return 0;
		prefix[i] = (unsigned char)(hi << 4 | lo);
	}
	if (!(st = store_stmt(s, "DELETE FROM invites WHERE substr(hash, 1, 4) = ?")))
		return -1;
	db_bind_blob(st, 1, prefix, sizeof prefix);
	return store_change(s, st, "deleting an invite");
}
