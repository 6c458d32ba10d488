/* Playlists, their items and their followers. See store/playlists.h. */
#include "config.h"
#include "store/playlists.h"

#include <stdio.h>
#include <stdlib.h>

#include "log.h"
#include "store/store_db.h"

int store_playlist_get(struct store *s, const char *id, struct playlist *p)
{
	struct db_stmt *st = store_stmt(s, "SELECT owner_id, name, description, public, collaborative,"
	                                 " version, length FROM playlists WHERE id = ?");
	int rc;

	if (!st)
		return -1;
	store_bind_text(st, 1, id);
	rc = db_step(st);
	if (rc == DB_ROW) {
		snprintf(p->id, sizeof p->id, "%s", id);
		snprintf(p->owner, sizeof p->owner, "%s", store_col_text(st, 0));
		snprintf(p->name, sizeof p->name, "%s", store_col_text(st, 1));
		snprintf(p->description, sizeof p->description, "%s", store_col_text(st, 2));
		p->public_ = db_col_int(st, 3);
		p->collaborative = db_col_int(st, 4);
		p->version = db_col_int64(st, 5);
		p->length = db_col_int64(st, 6);
	}
	db_reset(st);
	if (rc == DB_ROW || rc == DB_DONE)
		return rc == DB_ROW;
	return store_fail_id(s, "playlist", id);
}

int store_playlist_insert(struct store *s, const struct playlist *p, long long now)
{
	struct db_stmt *st = store_stmt(s,
		"INSERT INTO playlists (id, owner_id, name, description, public, collaborative,"
		" version, length, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 1, 0, ?, ?)");

	if (!st)
		return -1;
	store_bind_text(st, 1, p->id);
	store_bind_text(st, 2, p->owner);
	store_bind_text(st, 3, p->name);
	store_bind_text(st, 4, p->description);
	db_bind_int(st, 5, p->public_);
	db_bind_int(st, 6, p->collaborative);
	db_bind_int64(st, 7, now);
	db_bind_int64(st, 8, now);
	return db_step(st) == DB_DONE ? 0 : store_fail_id(s, "new playlist", p->id);
}

int store_playlist_set_details(struct store *s, const struct playlist *p)
{
	struct db_stmt *st = store_stmt(s,
		"UPDATE playlists SET name = ?, description = ?, public = ?, collaborative = ?"
		" WHERE id = ?");

	if (!st)
		return -1;
	store_bind_text(st, 1, p->name);
	store_bind_text(st, 2, p->description);
	db_bind_int(st, 3, p->public_);
	db_bind_int(st, 4, p->collaborative);
	store_bind_text(st, 5, p->id);
	return store_change_id(s, st, "playlist details of", p->id);
}

int store_playlist_bump(struct store *s, const char *id, long long length, long long updated_at)
{
	struct db_stmt *st = store_stmt(s, "UPDATE playlists SET version = version + 1, length = ?2,"
	                                 " updated_at = ?3 WHERE id = ?1");

	if (!st)
		return -1;
	store_bind_text(st, 1, id);
	db_bind_int64(st, 2, length);
	db_bind_int64(st, 3, updated_at);
	return store_change_id(s, st, "playlist version of", id);
}

int store_playlist_delete(struct store *s, const char *id)
{
	struct db_stmt *st = store_stmt(s, "DELETE FROM playlists WHERE id = ?");

	if (!st)
		return -1;
	store_bind_text(st, 1, id);
	return store_change_id(s, st, "deleting playlist", id);
}

/* A range scan on the dense positions, so the cost of a page does not grow with the
 * playlist's length (tests/playlists.py checks the plan of this very statement). */
long long store_playlist_items(struct store *s, const char *id, long long from,
                               struct pl_item *items, long long max)
{
	struct db_stmt *st = store_stmt(s, "SELECT track_id, added_at, added_by FROM playlist_items"
	                                 " WHERE playlist_id = ? AND pos >= ? ORDER BY pos LIMIT ?");
	long long n = 0;
	int rc = DB_DONE;

	if (!st)
		return -1;
	store_bind_text(st, 1, id);
	db_bind_int64(st, 2, from);
	db_bind_int64(st, 3, max);
	while (n < max && (rc = db_step(st)) == DB_ROW) {
		struct pl_item *it = &items[n++];

		snprintf(it->track, sizeof it->track, "%s", store_col_text(st, 0));
		it->added_at = db_col_int64(st, 1);
		snprintf(it->added_by, sizeof it->added_by, "%s", store_col_text(st, 2));
	}
	db_reset(st);
	if (n < max && rc != DB_DONE)
		return store_fail_id(s, "items of playlist", id);
	return n;
}

/* Items from+first.. in one upsert of up to ITEMS_BATCH rows: on PostgreSQL each statement is
 * a round trip, and a change near the top of a 1,000-item playlist rewrites them all. An
 * upsert, not a delete and an insert, so that positions that stay do not cost a statement. */
#define ITEMS_BATCH 100
#define ITEMS_INSERT "INSERT INTO playlist_items (playlist_id, pos, track_id, added_at, added_by)"
#define ITEMS_UPSERT " ON CONFLICT (playlist_id, pos) DO UPDATE SET track_id = excluded.track_id," \
	" added_at = excluded.added_at, added_by = excluded.added_by"

/* An item's five values from placeholder k + 1 on. */
static void bind_item(struct db_stmt *st, int k, const char *id, long long pos,
                      const struct pl_item *it)
{
	store_bind_text(st, k + 1, id);
	db_bind_int64(st, k + 2, pos);
	store_bind_text(st, k + 3, it->track);
	db_bind_int64(st, k + 4, it->added_at);
	store_bind_text(st, k + 5, it->added_by);
}

static int items_put_batch(struct store *s, const char *id, long long from,
                           const struct pl_item *items, long long n)
{
	char *sql = db_values_sql(ITEMS_INSERT, 5, (int)n, ITEMS_UPSERT);
	struct db_stmt *st;
	int rc;

	if (!sql) {
		log_err("store: out of memory writing items of playlist %s", id);
		return -1;
	}
	st = store_prepare(s, sql);
	free(sql);
	if (!st)
		return -1;
	for (long long i = 0; i < n; i++)
		bind_item(st, (int)i * 5, id, from + i, &items[i]);
	rc = db_step(st);
	db_finalize(st);
	return rc == DB_DONE ? 0 : store_fail_id(s, "items of playlist", id);
}

int store_playlist_items_put(struct store *s, const char *id, long long from,
                             const struct pl_item *items, long long n)
{
	struct db_stmt *st;

	if (store_is_postgres(s)) {
		for (long long i = 0; i < n; i += ITEMS_BATCH)
			if (items_put_batch(s, id, from + i, items + i,
			                    n - i < ITEMS_BATCH ? n - i : ITEMS_BATCH) < 0)
				return -1;
		return 0;
	}
	/* SQLite: a cached one-row statement is as quick, with no text to parse. */
	for (long long i = 0; i < n; i++) {
		st = store_stmt(s, ITEMS_INSERT " VALUES (?, ?, ?, ?, ?)" ITEMS_UPSERT);
		if (!st)
			return -1;
		bind_item(st, 0, id, from + i, &items[i]);
		if (db_step(st) != DB_DONE)
			return store_fail_id(s, "an item of playlist", id);
	}
	return 0;
}

int store_playlist_items_cut(struct store *s, const char *id, long long from)
{
	struct db_stmt *st = store_stmt(s, "DELETE FROM playlist_items WHERE playlist_id = ? AND pos >= ?");

	if (!st)
		return -1;
	store_bind_text(st, 1, id);
	db_bind_int64(st, 2, from);
	return db_step(st) == DB_DONE ? 0 : store_fail_id(s, "items of playlist", id);
}

int store_playlist_follows(struct store *s, const char *id, const char *user)
{
	struct db_stmt *st = store_stmt(s, "SELECT 1 FROM playlist_followers WHERE playlist_id = ? AND user_id = ?");

	if (!st)
		return -1;
	store_bind_text(st, 1, id);
	store_bind_text(st, 2, user);
	return store_one(s, st, "a playlist's followers", NULL, NULL);
}

int store_playlist_follow(struct store *s, const char *id, const char *user, long long followed_at)
{
	struct db_stmt *st = store_stmt(s, "INSERT INTO playlist_followers (playlist_id, user_id, followed_at)"
	                                 " VALUES (?, ?, ?) ON CONFLICT DO NOTHING");

	if (!st)
		return -1;
	store_bind_text(st, 1, id);
	store_bind_text(st, 2, user);
	db_bind_int64(st, 3, followed_at);
	return store_change_id(s, st, "following playlist", id);
}

int store_playlist_unfollow(struct store *s, const char *id, const char *user)
{
	struct db_stmt *st = store_stmt(s, "DELETE FROM playlist_followers WHERE playlist_id = ? AND user_id = ?");

	if (!st)
		return -1;
	store_bind_text(st, 1, id);
	store_bind_text(st, 2, user);
	return store_change_id(s, st, "unfollowing playlist", id);
}

int store_playlist_audience(struct store *s, const char *id,
                            void (*each)(void *ud, const char *user), void *ud)
{
	struct db_stmt *st = store_stmt(s, "SELECT owner_id FROM playlists WHERE id = ?1"
	                                 " UNION SELECT user_id FROM playlist_followers WHERE playlist_id = ?1");
	int rc;

	if (!st)
		return -1;
	store_bind_text(st, 1, id);
	while ((rc = db_step(st)) == DB_ROW)
		each(ud, store_col_text(st, 0));
	db_reset(st);
	return rc == DB_DONE ? 0 : store_fail_id(s, "the audience of playlist", id);
}

/* A one-integer answer over one text argument, or -1 on error. */
static long long count(struct store *s, struct db_stmt *st, const char *arg, const char *what)
{
	long long n = 0;
	int rc;

	if (!st)
		return -1;
	store_bind_text(st, 1, arg);
	rc = db_step(st);
	if (rc == DB_ROW)
		n = db_col_int64(st, 0);
	db_reset(st);
	return rc == DB_ROW ? n : store_fail_id(s, what, arg);
}

long long store_playlist_followers(struct store *s, const char *id)
{
	return count(s, store_stmt(s, "SELECT count(*) FROM playlist_followers WHERE playlist_id = ?"), id,
	             "followers of playlist");
}

long long store_playlists_count(struct store *s, const char *user, bool self)
{
	return count(s, store_stmt(s, self ?
		"SELECT count(*) FROM (SELECT id FROM playlists WHERE owner_id = ?1"
		" UNION SELECT playlist_id FROM playlist_followers WHERE user_id = ?1) AS mine" :
		"SELECT count(*) FROM playlists WHERE owner_id = ?1 AND public <> 0"), user, "playlists of");
}

int store_playlists_page(struct store *s, const char *user, bool self, int offset,
                         char (*ids)[BASE62_ID_LEN + 1], int max)
{
	struct db_stmt *st = store_stmt(s, self ?
		"SELECT id FROM (SELECT id, created_at AS t FROM playlists WHERE owner_id = ?1"
		" UNION SELECT playlist_id, followed_at FROM playlist_followers WHERE user_id = ?1"
		" AND playlist_id NOT IN (SELECT id FROM playlists WHERE owner_id = ?1)) AS mine"
		" ORDER BY t DESC, id LIMIT ?2 OFFSET ?3" :
		"SELECT id FROM playlists WHERE owner_id = ?1 AND public <> 0 ORDER BY created_at DESC, id"
		" LIMIT ?2 OFFSET ?3");
	int n = 0, rc = DB_DONE;

	if (!st)
		return -1;
	store_bind_text(st, 1, user);
	db_bind_int(st, 2, max);
	db_bind_int(st, 3, offset);
	while (n < max && (rc = db_step(st)) == DB_ROW)
		snprintf(ids[n++], BASE62_ID_LEN + 1, "%s", store_col_text(st, 0));
	db_reset(st);
	if (n < max && rc != DB_DONE)
		return store_fail_id(s, "playlists of", user);
	return n;
}

int store_playlist_summary(struct store *s, const char *id, struct playlist_summary *out)
{
	struct db_stmt *st = store_stmt(s,
		"SELECT created_at, updated_at, (SELECT coalesce(sum((t.duration_ms + 500) / 1000), 0)"
		" FROM playlist_items i JOIN tracks t ON t.id = i.track_id WHERE i.playlist_id = p.id)"
		" FROM playlists p WHERE id = ?");
	int rc;

	if (!st)
		return -1;
	store_bind_text(st, 1, id);
	rc = db_step(st);
	if (rc == DB_ROW) {
		out->created_at = db_col_int64(st, 0);
		out->updated_at = db_col_int64(st, 1);
		out->duration_s = db_col_int64(st, 2);
	}
	db_reset(st);
	if (rc == DB_ROW || rc == DB_DONE)
		return rc == DB_ROW;
	return store_fail_id(s, "playlist", id);
}
