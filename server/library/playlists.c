#include "config.h"
#include "library/playlists.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base62.h"

int playlist_load(struct store *s, const char *id, struct playlist *p)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT owner_id, name, description, public, collaborative,"
	                                 " version, length FROM playlists WHERE id = ?");
	int rc;

	if (!st)
		return -1;
	store_bind_text(st, 1, id);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		return rc == SQLITE_DONE ? 1 : -1;
	}
	snprintf(p->id, sizeof p->id, "%s", id);
	snprintf(p->owner, sizeof p->owner, "%s", store_col_text(st, 0));
	snprintf(p->name, sizeof p->name, "%s", store_col_text(st, 1));
	snprintf(p->description, sizeof p->description, "%s", store_col_text(st, 2));
	p->public_ = sqlite3_column_int(st, 3);
	p->collaborative = sqlite3_column_int(st, 4);
	p->version = sqlite3_column_int64(st, 5);
	p->length = sqlite3_column_int64(st, 6);
	sqlite3_reset(st);
	return 0;
}

bool playlist_follows(struct store *s, const char *id, const char *user)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT 1 FROM playlist_followers WHERE playlist_id = ? AND user_id = ?");
	bool yes;

	if (!st)
		return false;
	store_bind_text(st, 1, id);
	store_bind_text(st, 2, user);
	yes = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_reset(st);
	return yes;
}

enum pl_access playlist_access(struct store *s, const struct playlist *p, const char *user)
{
	bool follows;

	if (!strcasecmp(p->owner, user))
		return PL_WRITE;
	follows = playlist_follows(s, p->id, user);
	if (p->collaborative && follows)
		return PL_WRITE;
	return p->public_ || follows ? PL_READ : PL_NONE;
}

static void check(const struct playlist *p, long long version, char out[9])
{
	char key[64], id[BASE62_ID_LEN + 1];

	snprintf(key, sizeof key, "snapshot\x1f%s\x1f%lld", p->id, version);
	base62_id_from_bytes(key, strlen(key), id);
	memcpy(out, id + BASE62_ID_LEN - 8, 8);
	out[8] = '\0';
}

void playlist_snapshot(const struct playlist *p, long long version, char out[SNAPSHOT_MAX])
{
	char c[9];

	check(p, version, c);
	snprintf(out, SNAPSHOT_MAX, "%lld-%s", version, c);
}

long long playlist_snapshot_version(const struct playlist *p, const char *snapshot)
{
	char c[9], *end;
	long long v;

	if (!snapshot)
		return -1;
	v = strtoll(snapshot, &end, 10);
	if (end == snapshot || *end != '-' || v < 1 || v > p->version)
		return -1;
	check(p, v, c);
	return strcmp(end + 1, c) ? -1 : v;
}

int playlist_items_load(struct store *s, const struct playlist *p, long long from,
                        struct pl_item **items, long long *n)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT track_id, added_at, added_by FROM playlist_items"
	                                 " WHERE playlist_id = ? AND pos >= ? ORDER BY pos");
	long long cap = p->length - from > 0 ? p->length - from : 1;
	struct pl_item *a;

	*items = NULL;
	*n = 0;
	if (!st || !(a = calloc((size_t)cap, sizeof *a)))
		return -1;
	store_bind_text(st, 1, p->id);
	sqlite3_bind_int64(st, 2, from);
	while (sqlite3_step(st) == SQLITE_ROW && *n < cap) {
		snprintf(a[*n].track, sizeof a[*n].track, "%s", store_col_text(st, 0));
		a[*n].added_at = sqlite3_column_int64(st, 1);
		snprintf(a[*n].added_by, sizeof a[*n].added_by, "%s", store_col_text(st, 2));
		(*n)++;
	}
	sqlite3_reset(st);
	*items = a;
	return 0;
}

int playlist_touch(struct store *s, struct playlist *p)
{
	sqlite3_stmt *st = store_stmt(s, "UPDATE playlists SET version = version + 1, length = ?2,"
	                                 " updated_at = ?3 WHERE id = ?1");

	if (!st)
		return -1;
	store_bind_text(st, 1, p->id);
	sqlite3_bind_int64(st, 2, p->length);
	sqlite3_bind_int64(st, 3, store_now_ms());
	if (sqlite3_step(st) != SQLITE_DONE)
		return -1;
	p->version++;
	return 0;
}

int playlist_items_rewrite(struct store *s, struct playlist *p, long long from,
                           const struct pl_item *items, long long n)
{
	sqlite3_stmt *st = store_stmt(s, "DELETE FROM playlist_items WHERE playlist_id = ? AND pos >= ?");

	if (!st)
		return -1;
	store_bind_text(st, 1, p->id);
	sqlite3_bind_int64(st, 2, from);
	if (sqlite3_step(st) != SQLITE_DONE)
		return -1;
	for (long long i = 0; i < n; i++) {
		st = store_stmt(s, "INSERT INTO playlist_items (playlist_id, pos, track_id, added_at, added_by)"
		                   " VALUES (?, ?, ?, ?, ?)");
		if (!st)
			return -1;
		store_bind_text(st, 1, p->id);
		sqlite3_bind_int64(st, 2, from + i);
		store_bind_text(st, 3, items[i].track);
		sqlite3_bind_int64(st, 4, items[i].added_at);
		store_bind_text(st, 5, items[i].added_by);
		if (sqlite3_step(st) != SQLITE_DONE)
			return -1;
	}
	p->length = from + n;
	return playlist_touch(s, p);
}
