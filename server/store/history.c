/* Play events. See store/history.h. */
#include "config.h"
#include "store/history.h"

#include <stdio.h>

#include "log.h"

static int failed(struct store *s, const char *what)
{
	log_err("store: %s: %s", what, sqlite3_errmsg(s->db));
	return -1;
}

int store_play_add(struct store *s, const char *user, const struct play_event *e, bool counted,
                   long long received_at)
{
	sqlite3_stmt *st = store_stmt(s, "INSERT INTO plays (user_id, event_id, track_id, context_uri,"
	                                 " started_at, ms_played, reason_end, counted, received_at)"
	                                 " VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING");

	if (!st)
		return -1;
	store_bind_text(st, 1, user);
	store_bind_text(st, 2, e->event_id);
	store_bind_text(st, 3, e->track_id);
	store_bind_text(st, 4, e->context_uri);
	sqlite3_bind_int64(st, 5, e->started_at);
	sqlite3_bind_int64(st, 6, e->ms_played);
	store_bind_text(st, 7, e->reason_end);
	sqlite3_bind_int(st, 8, counted);
	sqlite3_bind_int64(st, 9, received_at);
	if (sqlite3_step(st) != SQLITE_DONE)
		return failed(s, "a play event");
	if (!sqlite3_changes(s->db))
		return 0;
	if (!counted)
		return 1;
	if (!(st = store_stmt(s, "UPDATE tracks SET play_count = play_count + 1 WHERE id = ?")))
		return -1;
	store_bind_text(st, 1, e->track_id);
	if (sqlite3_step(st) != SQLITE_DONE)
		return failed(s, "a play count");
	return 1;
}

int store_plays_recent(struct store *s, const char *user, long long before, long long after,
                       struct play_row *rows, int max)
{
	/* after: the plays just after the cursor, oldest first, then turned round. */
	sqlite3_stmt *st = store_stmt(s, after >= 0 ?
		"SELECT * FROM (SELECT track_id, context_uri, started_at, ms_played FROM plays"
		" WHERE user_id = ?1 AND counted AND started_at > ?2 ORDER BY started_at ASC LIMIT ?3)"
		" ORDER BY started_at DESC" :
		"SELECT track_id, context_uri, started_at, ms_played FROM plays"
		" WHERE user_id = ?1 AND counted AND started_at < ?2 ORDER BY started_at DESC LIMIT ?3");
	int n = 0, rc = SQLITE_DONE;

	if (!st)
		return -1;
	store_bind_text(st, 1, user);
	sqlite3_bind_int64(st, 2, after >= 0 ? after : before >= 0 ? before : 0x7fffffffffffffffLL);
	sqlite3_bind_int(st, 3, max);
	while (n < max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct play_row *p = &rows[n++];

		snprintf(p->track_id, sizeof p->track_id, "%s", store_col_text(st, 0));
		snprintf(p->context_uri, sizeof p->context_uri, "%s", store_col_text(st, 1));
		p->started_at = sqlite3_column_int64(st, 2);
		p->ms_played = sqlite3_column_int64(st, 3);
	}
	if (n < max && rc != SQLITE_DONE) {
		sqlite3_reset(st);
		return failed(s, "recent plays");
	}
	sqlite3_reset(st);
	return n;
}
