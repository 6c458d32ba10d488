/* Playlists, their items and their followers. See store/playlists.h. */
#include "config.h"
#include "store/playlists.h"

#include <stdio.h>

#include "log.h"
#include "store/store_sqlite.h"

static int failed(struct store *s, const char *what, const char *id)
{
	log_err("store: %s %s: %s", what, id, sqlite3_errmsg(s->db));
	return -1;
}

/* Statements that change rows: 1 when one did, 0 when none matched. */
static int changed(struct store *s, sqlite3_stmt *st, const char *what, const char *id)
{
	if (sqlite3_step(st) != SQLITE_DONE)
		return failed(s, what, id);
	return sqlite3_changes(s->db) > 0;
}

int store_playlist_get(struct store *s, const char *id, struct playlist *p)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT owner_id, name, description, public, collaborative,"
	                                 " version, length FROM playlists WHERE id = ?");
	int rc;

	if (!st)
		return -1;
	store_bind_text(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		snprintf(p->id, sizeof p->id, "%s", id);
		snprintf(p->owner, sizeof p->owner, "%s", store_col_text(st, 0));
		snprintf(p->name, sizeof p->name, "%s", store_col_text(st, 1));
		snprintf(p->description, sizeof p->description, "%s", store_col_text(st, 2));
		p->public_ = sqlite3_column_int(st, 3);
		p->collaborative = sqlite3_column_int(st, 4);
		p->version = sqlite3_column_int64(st, 5);
		p->length = sqlite3_column_int64(st, 6);
	}
	sqlite3_reset(st);
	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		return rc == SQLITE_ROW;
	return failed(s, "playlist", id);
}

int store_playlist_insert(struct store *s, const struct playlist *p, long long now)
{
	sqlite3_stmt *st = store_stmt(s,
		"INSERT INTO playlists (id, owner_id, name, description, public, collaborative,"
		" version, length, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 1, 0, ?, ?)");

	if (!st)
		return -1;
	store_bind_text(st, 1, p->id);
	store_bind_text(st, 2, p->owner);
	store_bind_text(st, 3, p->name);
	store_bind_text(st, 4, p->description);
	sqlite3_bind_int(st, 5, p->public_);
	sqlite3_bind_int(st, 6, p->collaborative);
	sqlite3_bind_int64(st, 7, now);
	sqlite3_bind_int64(st, 8, now);
	return sqlite3_step(st) == SQLITE_DONE ? 0 : failed(s, "new playlist", p->id);
}

int store_playlist_set_details(struct store *s, const struct playlist *p)
{
	sqlite3_stmt *st = store_stmt(s,
		"UPDATE playlists SET name = ?, description = ?, public = ?, collaborative = ?"
		" WHERE id = ?");

	if (!st)
		return -1;
	store_bind_text(st, 1, p->name);
	store_bind_text(st, 2, p->description);
	sqlite3_bind_int(st, 3, p->public_);
	sqlite3_bind_int(st, 4, p->collaborative);
	store_bind_text(st, 5, p->id);
	return changed(s, st, "playlist details of", p->id);
}

int store_playlist_bump(struct store *s, const char *id, long long length, long long updated_at)
{
	sqlite3_stmt *st = store_stmt(s, "UPDATE playlists SET version = version + 1, length = ?2,"
	                                 " updated_at = ?3 WHERE id = ?1");

	if (!st)
		return -1;
	store_bind_text(st, 1, id);
	sqlite3_bind_int64(st, 2, length);
	sqlite3_bind_int64(st, 3, updated_at);
	return changed(s, st, "playlist version of", id);
}

int store_playlist_delete(struct store *s, const char *id)
{
	sqlite3_stmt *st = store_stmt(s, "DELETE FROM playlists WHERE id = ?");

	if (!st)
		return -1;
	store_bind_text(st, 1, id);
	return changed(s, st, "deleting playlist", id);
}

/* A range scan on the dense positions, so the cost of a page does not grow with the
 * playlist's length (tests/playlists.py checks the plan of this very statement). */
long long store_playlist_items(struct store *s, const char *id, long long from,
                               struct pl_item *items, long long max)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT track_id, added_at, added_by FROM playlist_items"
	                                 " WHERE playlist_id = ? AND pos >= ? ORDER BY pos LIMIT ?");
	long long n = 0;
	int rc = SQLITE_DONE;

	if (!st)
		return -1;
	store_bind_text(st, 1, id);
	sqlite3_bind_int64(st, 2, from);
	sqlite3_bind_int64(st, 3, max);
	while (n < max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct pl_item *it = &items[n++];

		snprintf(it->track, sizeof it->track, "%s", store_col_text(st, 0));
		it->added_at = sqlite3_column_int64(st, 1);
		snprintf(it->added_by, sizeof it->added_by, "%s", store_col_text(st, 2));
	}
	sqlite3_reset(st);
	if (n < max && rc != SQLITE_DONE)
		return failed(s, "items of playlist", id);
	return n;
}

int store_playlist_items_write(struct store *s, const char *id, long long from,
                               const struct pl_item *items, long long n)
{
	sqlite3_stmt *st = store_stmt(s, "DELETE FROM playlist_items WHERE playlist_id = ? AND pos >= ?");

	if (!st)
		return -1;
	store_bind_text(st, 1, id);
	sqlite3_bind_int64(st, 2, from);
	if (sqlite3_step(st) != SQLITE_DONE)
		return failed(s, "items of playlist", id);
	for (long long i = 0; i < n; i++) {
		st = store_stmt(s, "INSERT INTO playlist_items (playlist_id, pos, track_id, added_at, added_by)"
		                   " VALUES (?, ?, ?, ?, ?)");
		if (!st)
			return -1;
		store_bind_text(st, 1, id);
		sqlite3_bind_int64(st, 2, from + i);
		store_bind_text(st, 3, items[i].track);
		sqlite3_bind_int64(st, 4, items[i].added_at);
		store_bind_text(st, 5, items[i].added_by);
		if (sqlite3_step(st) != SQLITE_DONE)
			return failed(s, "an item of playlist", id);
	}
	return 0;
}

int store_playlist_follows(struct store *s, const char *id, const char *user)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT 1 FROM playlist_followers WHERE playlist_id = ? AND user_id = ?");

	if (!st)
		return -1;
	store_bind_text(st, 1, id);
	store_bind_text(st, 2, user);
	return store_one(s, st, "a playlist's followers", NULL, NULL);
}

int store_playlist_follow(struct store *s, const char *id, const char *user, long long followed_at)
{
	sqlite3_stmt *st = store_stmt(s, "INSERT INTO playlist_followers (playlist_id, user_id, followed_at)"
	                                 " VALUES (?, ?, ?) ON CONFLICT DO NOTHING");

	if (!st)
		return -1;
	store_bind_text(st, 1, id);
	store_bind_text(st, 2, user);
	sqlite3_bind_int64(st, 3, followed_at);
	return changed(s, st, "following playlist", id);
}

int store_playlist_unfollow(struct store *s, const char *id, const char *user)
{
	sqlite3_stmt *st = store_stmt(s, "DELETE FROM playlist_followers WHERE playlist_id = ? AND user_id = ?");

	if (!st)
		return -1;
	store_bind_text(st, 1, id);
	store_bind_text(st, 2, user);
	return changed(s, st, "unfollowing playlist", id);
}

int store_playlist_audience(struct store *s, const char *id,
                            void (*each)(void *ud, const char *user), void *ud)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT owner_id FROM playlists WHERE id = ?1"
	                                 " UNION SELECT user_id FROM playlist_followers WHERE playlist_id = ?1");
	int rc;

	if (!st)
		return -1;
	store_bind_text(st, 1, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		each(ud, store_col_text(st, 0));
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : failed(s, "the audience of playlist", id);
}

/* A one-integer answer over one text argument, or -1 on error. */
static long long count(struct store *s, sqlite3_stmt *st, const char *arg, const char *what)
{
	long long n = 0;
	int rc;

	if (!st)
		return -1;
	store_bind_text(st, 1, arg);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? n : failed(s, what, arg);
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
		" UNION SELECT playlist_id FROM playlist_followers WHERE user_id = ?1)" :
		"SELECT count(*) FROM playlists WHERE owner_id = ?1 AND public"), user, "playlists of");
}

int store_playlists_page(struct store *s, const char *user, bool self, int offset,
                         char (*ids)[BASE62_ID_LEN + 1], int max)
{
	sqlite3_stmt *st = store_stmt(s, self ?
		"SELECT id FROM (SELECT id, created_at AS t FROM playlists WHERE owner_id = ?1"
		" UNION SELECT playlist_id, followed_at FROM playlist_followers WHERE user_id = ?1"
		" AND playlist_id NOT IN (SELECT id FROM playlists WHERE owner_id = ?1))"
		" ORDER BY t DESC, id LIMIT ?2 OFFSET ?3" :
		"SELECT id FROM playlists WHERE owner_id = ?1 AND public ORDER BY created_at DESC, id"
		" LIMIT ?2 OFFSET ?3");
	int n = 0, rc = SQLITE_DONE;

	if (!st)
		return -1;
	store_bind_text(st, 1, user);
	sqlite3_bind_int(st, 2, max);
	sqlite3_bind_int(st, 3, offset);
	while (n < max && (rc = sqlite3_step(st)) == SQLITE_ROW)
		snprintf(ids[n++], BASE62_ID_LEN + 1, "%s", store_col_text(st, 0));
	sqlite3_reset(st);
	if (n < max && rc != SQLITE_DONE)
		return failed(s, "playlists of", user);
	return n;
}

int store_playlist_summary(struct store *s, const char *id, struct playlist_summary *out)
{
	sqlite3_stmt *st = store_stmt(s,
		"SELECT created_at, updated_at, (SELECT coalesce(sum((t.duration_ms + 500) / 1000), 0)"
		" FROM playlist_items i JOIN tracks t ON t.id = i.track_id WHERE i.playlist_id = p.id)"
		" FROM playlists p WHERE id = ?");
	int rc;

	if (!st)
		return -1;
	store_bind_text(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		out->created_at = sqlite3_column_int64(st, 0);
		out->updated_at = sqlite3_column_int64(st, 1);
		out->duration_s = sqlite3_column_int64(st, 2);
	}
	sqlite3_reset(st);
	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		return rc == SQLITE_ROW;
	return failed(s, "playlist", id);
}
