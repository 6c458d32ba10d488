/* The play-event outbox over the client's database. */
#include "config.h"
#include "outbox.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

static enum seg_err step_done(sqlite3_stmt *st, struct store *s)
{
	int rc = sqlite3_step(st);

	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return seg_fail(SEG_EIO, "state database: %s", sqlite3_errmsg(s->db));
	return SEG_OK;
}

enum seg_err outbox_begin(struct store *s, const char *track_id, const char *context_uri,
                          long long started_at_ms, char *id)
{
	unsigned char raw[OUTBOX_ID_LEN / 2];
	sqlite3_stmt *st;

	randombytes_buf(raw, sizeof raw);
	sodium_bin2hex(id, OUTBOX_ID_LEN + 1, raw, sizeof raw);
	st = store_prepare(s, "INSERT INTO outbox (id, track_id, context_uri, started_at, seq)"
	                      " VALUES (?, ?, ?, ?, (SELECT coalesce(max(seq), 0) + 1 FROM outbox))");
	if (!st)
		return SEG_EIO;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, track_id, -1, SQLITE_STATIC);
	if (context_uri && *context_uri)
		sqlite3_bind_text(st, 3, context_uri, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, started_at_ms);
	return step_done(st, s);
}

enum seg_err outbox_progress(struct store *s, const char *id, long long ms_played)
{
	sqlite3_stmt *st = store_prepare(s, "UPDATE outbox SET ms_played = ?"
	                                    " WHERE id = ? AND reason_end IS NULL");

	if (!st)
		return SEG_EIO;
	sqlite3_bind_int64(st, 1, ms_played);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	return step_done(st, s);
}

enum seg_err outbox_finish(struct store *s, const char *id, long long ms_played,
                           const char *reason)
{
	sqlite3_stmt *st = store_prepare(s, "UPDATE outbox SET ms_played = ?, reason_end = ?"
	                                    " WHERE id = ? AND reason_end IS NULL");

	if (!st)
		return SEG_EIO;
	sqlite3_bind_int64(st, 1, ms_played);
	sqlite3_bind_text(st, 2, reason, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, id, -1, SQLITE_STATIC);
	return step_done(st, s);
}

int outbox_recover(struct store *s)
{
	sqlite3_stmt *st = store_prepare(s, "UPDATE outbox SET reason_end = 'error'"
	                                    " WHERE reason_end IS NULL");

	if (!st || step_done(st, s))
		return -1;
	return sqlite3_changes(s->db);
}

int outbox_pending(struct store *s)
{
	sqlite3_stmt *st = store_prepare(s, "SELECT count(*) FROM outbox WHERE reason_end IS NOT NULL");
	int n = -1;

	if (st && sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* Reads the next batch into an events array; *last_seq receives the highest seq in it. */
static json_t *next_batch(struct store *s, long long *last_seq)
{
	sqlite3_stmt *st = store_prepare(s, "SELECT id, track_id, context_uri, started_at, ms_played,"
	                                    " reason_end, seq FROM outbox WHERE reason_end IS NOT NULL"
	                                    " ORDER BY seq LIMIT ?");
	json_t *events = json_array();

	if (!st || !events)
		goto fail;
	sqlite3_bind_int(st, 1, OUTBOX_BATCH);
	while (sqlite3_step(st) == SQLITE_ROW) {
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
		json_array_append_new(events, e);
		*last_seq = sqlite3_column_int64(st, 6);
	}
	sqlite3_finalize(st);
	return events;
fail:
	sqlite3_finalize(st);
	json_decref(events);
	return NULL;
}

static enum seg_err drop_through(struct store *s, long long seq)
{
	sqlite3_stmt *st = store_prepare(s, "DELETE FROM outbox WHERE reason_end IS NOT NULL"
	                                    " AND seq <= ?");

	if (!st)
		return SEG_EIO;
	sqlite3_bind_int64(st, 1, seq);
	return step_done(st, s);
}

enum seg_err outbox_deliver(struct store *s, struct api *a, int *sent)
{
	enum seg_err e = SEG_OK;

	if (sent)
		*sent = 0;
	for (;;) {
		long long last = 0;
		json_t *events = next_batch(s, &last), *body, *reply = NULL;
		size_t n;
		long status = 0;

		if (!events)
			return seg_fail(SEG_EIO, "cannot read the outbox");
		if ((n = json_array_size(events)) == 0) {
			json_decref(events);
			return SEG_OK;
		}
		body = json_pack("{s:o}", "events", events);
		e = api_request(a, "POST", "/v1/segue/events", body, &reply, &status);
		json_decref(body);
		json_decref(reply);
		if (e == SEG_EUSAGE && status == 400) {
			log_warn("the server refused %zu play events as malformed (%s); dropping them",
			         n, seg_errmsg());
		} else if (e) {
			return e;
		}
		/* Only now, after the server has them, do they leave the disk. */
		if ((e = drop_through(s, last)))
			return e;
		if (sent && status == 200)
			*sent += (int)n;
	}
}
