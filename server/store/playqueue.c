/* Saved play queues. See store/playqueue.h. */
#include "config.h"
#include "store/playqueue.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_db.h"

static int delete_rows(struct store *s, const char *user_id)
{
	struct db_stmt *st = store_stmt(s, "DELETE FROM play_queue_items WHERE user_id = ?");

	if (!st)
		return -1;
	store_bind_text(st, 1, user_id);
	if (store_done(s, st, "a saved play queue's songs") < 0)
		return -1;
	if (!(st = store_stmt(s, "DELETE FROM play_queues WHERE user_id = ?")))
		return -1;
	store_bind_text(st, 1, user_id);
	return store_done(s, st, "a saved play queue");
}

int store_playqueue_save(struct store *s, const char *user_id, const char *const *ids, int n,
                         int current, long long position_ms, const char *by, long long at)
{
	struct db_stmt *st;

	if (store_begin(s) < 0)
		return -1;
	if (delete_rows(s, user_id) < 0)
		goto fail;
	if (!(st = store_stmt(s, "INSERT INTO play_queues (user_id, current, position_ms, changed_by,"
	                         " changed_at) VALUES (?, ?, ?, ?, ?)")))
		goto fail;
	store_bind_text(st, 1, user_id);
	db_bind_int(st, 2, current);
	db_bind_int64(st, 3, position_ms);
	store_bind_text(st, 4, by);
	db_bind_int64(st, 5, at);
	if (store_done(s, st, "a saved play queue") < 0)
		goto fail;
	for (int i = 0; i < n; i++) {
		if (!(st = store_stmt(s, "INSERT INTO play_queue_items (user_id, pos, track_id)"
		                         " VALUES (?, ?, ?)")))
			goto fail;
		store_bind_text(st, 1, user_id);
		db_bind_int(st, 2, i);
		store_bind_text(st, 3, ids[i]);
		if (store_done(s, st, "a saved play queue's song") < 0)
			goto fail;
	}
	if (store_commit(s) < 0)
		goto fail;
	return 0;
fail:
	store_rollback(s);
	return -1;
}

int store_playqueue_clear(struct store *s, const char *user_id)
{
	if (store_begin(s) < 0)
		return -1;
	if (delete_rows(s, user_id) < 0 || store_commit(s) < 0) {
		store_rollback(s);
		return -1;
	}
	return 0;
}

static void fill_head(struct db_stmt *st, void *out)
{
	struct playqueue_row *q = out;

	q->current = db_col_int(st, 0);
	q->position_ms = db_col_int64(st, 1);
	snprintf(q->changed_by, sizeof q->changed_by, "%s", store_col_text(st, 2));
	q->changed_at = db_col_int64(st, 3);
}

static int add_id(void *ud, const char *id)
{
	struct playqueue_row *q = ud;
	char (*p)[24];

	/* Room doubles at 8, 16, 32...: n is a power of two then. */
	if (!q->n || (q->n >= 8 && !(q->n & (q->n - 1)))) {
		if (!(p = realloc(q->ids, (size_t)(q->n ? q->n * 2 : 8) * sizeof *p)))
			return -1;
		q->ids = p;
	}
	snprintf(q->ids[q->n++], sizeof *p, "%s", id);
	return 0;
}

int store_playqueue_load(struct store *s, const char *user_id, struct playqueue_row *out)
{
	struct db_stmt *st = store_stmt(s, "SELECT current, position_ms, changed_by, changed_at"
	                                 " FROM play_queues WHERE user_id = ?");
	int rc;

	memset(out, 0, sizeof *out);
	if (!st)
		return -1;
	store_bind_text(st, 1, user_id);
	if ((rc = store_one(s, st, "a saved play queue", fill_head, out)) != 1)
		return rc;
	if (!(st = store_stmt(s, "SELECT track_id FROM play_queue_items WHERE user_id = ? ORDER BY pos")))
		return -1;
	store_bind_text(st, 1, user_id);
	if (store_each_text(s, st, "a saved play queue's songs", add_id, out) < 0) {
		playqueue_row_free(out);
		return -1;
	}
	if (out->current < 0 || out->current >= out->n) {
		/* (the save wrote both in one transaction: only a hand-edited database gets here) */
		playqueue_row_free(out);
		return 0;
	}
	return 1;
}

void playqueue_row_free(struct playqueue_row *q)
{
	free(q->ids);
	q->ids = NULL;
	q->n = 0;
}
