#include "config.h"
#include "store/invites.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_db.h"

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
	snprintf(row->id, sizeof row->id, "%s", store_col_text(st, 0));
	row->created_at = db_col_int64(st, 1);
	row->expires_at = db_col_int64(st, 2);
	row->uses = db_col_int(st, 3);
	row->uses_left = db_col_int(st, 4);
	return 0;
}

int store_invites_list(struct store *s, struct invite_row **out, size_t *n)
{
	struct db_stmt *st = store_stmt(s, "SELECT lower(hex(substr(hash, 1, 4))), created_at,"
	                                 " expires_at, uses, uses_left FROM invites"
	                                 " ORDER BY created_at DESC");
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

int store_invite_delete(struct store *s, const char *id)
{
	struct db_stmt *st = store_stmt(s, "DELETE FROM invites WHERE lower(hex(substr(hash, 1, 4))) = lower(?)");

	if (!st)
		return -1;
	store_bind_text(st, 1, id);
	return store_change(s, st, "deleting an invite");
}
