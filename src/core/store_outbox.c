/* The play outbox in the state database. See store_outbox.h. */
#include "config.h"
#include "store_outbox.h"

#include "store_sqlite.h"

int store_outbox_add(struct store *s, const char *id, const char *track_id, const char *context_uri,
                     long long started_at_ms)
{
	sqlite3_stmt *st = store_prepare(s, "INSERT INTO outbox (id, track_id, context_uri, started_at, seq)"
	                                    " VALUES (?, ?, ?, ?, (SELECT coalesce(max(seq), 0) + 1 FROM outbox))");

	if (!st)
		return -1;
	store_bind_text(st, 1, id);
	store_bind_text(st, 2, track_id);
	store_bind_text(st, 3, context_uri && *context_uri ? context_uri : NULL);
	sqlite3_bind_int64(st, 4, started_at_ms);
	return store_done(s, st);
}

int store_outbox_progress(struct store *s, const char *id, long long ms_played)
{
	sqlite3_stmt *st = store_prepare(s, "UPDATE outbox SET ms_played = ?"
	                                    " WHERE id = ? AND reason_end IS NULL");

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, ms_played);
	store_bind_text(st, 2, id);
	return store_done(s, st);
}

int store_outbox_finish(struct store *s, const char *id, long long ms_played, const char *reason)
{
	sqlite3_stmt *st = store_prepare(s, "UPDATE outbox SET ms_played = ?, reason_end = ?"
	                                    " WHERE id = ? AND reason_end IS NULL");

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, ms_played);
	store_bind_text(st, 2, reason);
	store_bind_text(st, 3, id);
	return store_done(s, st);
}

int store_outbox_close_open(struct store *s)
{
	sqlite3_stmt *st = store_prepare(s, "UPDATE outbox SET reason_end = 'error'"
	                                    " WHERE reason_end IS NULL");

	if (store_done(s, st) < 0)
		return -1;
	return sqlite3_changes(s->db);
}

int store_outbox_closed(struct store *s)
{
	sqlite3_stmt *st = store_prepare(s, "SELECT count(*) FROM outbox WHERE reason_end IS NOT NULL");
	int n = -1;

	if (!st)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	else
		store_fail(s);
	sqlite3_finalize(st);
	return n;
}

int store_outbox_batch(struct store *s, int max, json_t **events, long long *last_seq)
{
	sqlite3_stmt *st = store_prepare(s, "SELECT id, track_id, context_uri, started_at, ms_played,"
	                                    " reason_end, seq FROM outbox WHERE reason_end IS NOT NULL"
	                                    " ORDER BY seq LIMIT ?");
	int rc;

	*events = NULL;
	if (!st || !(*events = json_array()))
		goto fail;
	sqlite3_bind_int(st, 1, max);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *e = json_pack("{s:s,s:s,s:I,s:I,s:s}",
		                      "id", (const char *)sqlite3_column_text(st, 0),
		                      "track_id", (const char *)sqlite3_column_text(st, 1),
		                      "started_at", (json_int_t)sqlite3_column_int64(st, 3),
		                      "ms_played", (json_int_t)sqlite3_column_int64(st, 4),
		                      "reason_end", (const char *)sqlite3_column_text(st, 5));

		if (!e)
			goto fail;
		if (sqlite3_column_type(st, 2) != SQLITE_NULL)
			json_object_set_new(e, "context_uri",
			                    json_string((const char *)sqlite3_column_text(st, 2)));
		json_array_append_new(*events, e);
		*last_seq = sqlite3_column_int64(st, 6);
	}
	if (rc != SQLITE_DONE) {
		store_fail(s);
		goto fail;
	}
	sqlite3_finalize(st);
	return (int)json_array_size(*events);
fail:
	sqlite3_finalize(st);
	json_decref(*events);
	*events = NULL;
	return -1;
}

int store_outbox_drop_through(struct store *s, long long seq)
{
	sqlite3_stmt *st = store_prepare(s, "DELETE FROM outbox WHERE reason_end IS NOT NULL"
	                                    " AND seq <= ?");

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, seq);
	return store_done(s, st);
}
