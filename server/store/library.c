/* The library's three collections. See store/library.h. They differ only in their table and
 * column names, so one description each drives the same statements. The statements are
 * literals (the statement cache keys on their addresses). */
#include "config.h"
#include "store/library.h"

#include <stdio.h>

#include "log.h"
#include "store/store_db.h"

struct collection {
	const char *what;
	const char *insert, *remove, *has, *latest, *count, *page, *page_by_id;
};

static const struct collection collections[] = {
	[LIBRARY_TRACKS] = {
		"saved tracks",
		"INSERT INTO saved_tracks (user_id, track_id, added_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
		"DELETE FROM saved_tracks WHERE user_id = ? AND track_id = ?",
		"SELECT 1 FROM saved_tracks WHERE user_id = ? AND track_id = ?",
		"SELECT max(added_at) FROM saved_tracks WHERE user_id = ?",
		"SELECT count(*) FROM saved_tracks WHERE user_id = ?",
		"SELECT track_id, added_at FROM saved_tracks WHERE user_id = ?"
		" ORDER BY added_at DESC, track_id LIMIT ? OFFSET ?",
		"SELECT track_id, added_at FROM saved_tracks WHERE user_id = ? AND track_id > ?"
		" ORDER BY track_id LIMIT ?",
	},
	[LIBRARY_ALBUMS] = {
		"saved albums",
		"INSERT INTO saved_albums (user_id, album_id, added_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
		"DELETE FROM saved_albums WHERE user_id = ? AND album_id = ?",
		"SELECT 1 FROM saved_albums WHERE user_id = ? AND album_id = ?",
		"SELECT max(added_at) FROM saved_albums WHERE user_id = ?",
		"SELECT count(*) FROM saved_albums WHERE user_id = ?",
		"SELECT album_id, added_at FROM saved_albums WHERE user_id = ?"
		" ORDER BY added_at DESC, album_id LIMIT ? OFFSET ?",
		"SELECT album_id, added_at FROM saved_albums WHERE user_id = ? AND album_id > ?"
		" ORDER BY album_id LIMIT ?",
	},
	[LIBRARY_ARTISTS] = {
		"followed artists",
		"INSERT INTO followed_artists (user_id, artist_id, followed_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
		"DELETE FROM followed_artists WHERE user_id = ? AND artist_id = ?",
		"SELECT 1 FROM followed_artists WHERE user_id = ? AND artist_id = ?",
		"SELECT max(followed_at) FROM followed_artists WHERE user_id = ?",
		"SELECT count(*) FROM followed_artists WHERE user_id = ?",
		"SELECT artist_id, followed_at FROM followed_artists WHERE user_id = ?"
		" ORDER BY followed_at DESC, artist_id LIMIT ? OFFSET ?",
		"SELECT artist_id, followed_at FROM followed_artists WHERE user_id = ? AND artist_id > ?"
		" ORDER BY artist_id LIMIT ?",
	},
};

/* A statement over (user, id) that changes rows: 1 when one did, 0 when none did. */
static int change(struct store *s, const struct collection *c, const char *sql, const char *user,
                  const char *id, long long t)
{
	struct db_stmt *st = store_stmt(s, sql);

	if (!st)
		return -1;
	store_bind_text(st, 1, user);
	store_bind_text(st, 2, id);
	if (t >= 0)
		db_bind_int64(st, 3, t);
	return store_change(s, st, c->what);
}

int store_library_add(struct store *s, enum library_kind k, const char *user, const char *id,
                      long long added_at)
{
	return change(s, &collections[k], collections[k].insert, user, id, added_at);
}

int store_library_remove(struct store *s, enum library_kind k, const char *user, const char *id)
{
	return change(s, &collections[k], collections[k].remove, user, id, -1);
}

int store_library_has(struct store *s, enum library_kind k, const char *user, const char *id)
{
	struct db_stmt *st = store_stmt(s, collections[k].has);

	if (!st)
		return -1;
	store_bind_text(st, 1, user);
	store_bind_text(st, 2, id);
	return store_one(s, st, collections[k].what, NULL, NULL);
}

/* A one-integer answer over (user): 1 with *v set, 0 for NULL, -1 on error. */
static int user_integer(struct store *s, const struct collection *c, const char *sql,
                        const char *user, long long *v)
{
	struct db_stmt *st = store_stmt(s, sql);
	int rc, found = 0;

	if (!st)
		return -1;
	store_bind_text(st, 1, user);
	rc = db_step(st);
	if (rc == DB_ROW && !db_col_null(st, 0)) {
		*v = db_col_int64(st, 0);
		found = 1;
	}
	db_reset(st);
	return rc == DB_ROW ? found : store_fail(s, c->what);
}

int store_library_latest(struct store *s, enum library_kind k, const char *user, long long *t)
{
	return user_integer(s, &collections[k], collections[k].latest, user, t);
}

long long store_library_count(struct store *s, enum library_kind k, const char *user)
{
	long long n = 0;

	return user_integer(s, &collections[k], collections[k].count, user, &n) < 0 ? -1 : n;
}

static int rows(struct store *s, const struct collection *c, struct db_stmt *st,
                struct library_item *items, int max)
{
	int n = 0, rc = DB_DONE;

	while (n < max && (rc = db_step(st)) == DB_ROW) {
		snprintf(items[n].id, sizeof items[n].id, "%s", store_col_text(st, 0));
		items[n++].added_at = db_col_int64(st, 1);
	}
	db_reset(st);
	if (n < max && rc != DB_DONE)
		return store_fail(s, c->what);
	return n;
}

int store_library_page(struct store *s, enum library_kind k, const char *user, int offset,
                       struct library_item *items, int max)
{
	struct db_stmt *st = store_stmt(s, collections[k].page);

	if (!st)
		return -1;
	store_bind_text(st, 1, user);
	db_bind_int(st, 2, max);
	db_bind_int(st, 3, offset);
	return rows(s, &collections[k], st, items, max);
}

int store_library_page_by_id(struct store *s, enum library_kind k, const char *user,
                             const char *after, struct library_item *items, int max)
{
	struct db_stmt *st = store_stmt(s, collections[k].page_by_id);

	if (!st)
		return -1;
	store_bind_text(st, 1, user);
	store_bind_text(st, 2, after ? after : "");
	db_bind_int(st, 3, max);
	return rows(s, &collections[k], st, items, max);
}
