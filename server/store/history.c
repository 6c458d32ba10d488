/* Play events. See store/history.h. */
#include "config.h"
#include "store/history.h"

#include <stdio.h>
#include <stdlib.h>

#include "log.h"
#include "store/store_db.h"

int store_play_add(struct store *s, const char *user, const struct play_event *e, bool counted,
                   long long received_at)
{
	struct db_stmt *st = store_stmt(s, "INSERT INTO plays (user_id, event_id, track_id, context_uri,"
	                                 " started_at, ms_played, reason_end, counted, received_at)"
	                                 " VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING");

	if (!st)
		return -1;
	store_bind_text(st, 1, user);
	store_bind_text(st, 2, e->event_id);
	store_bind_text(st, 3, e->track_id);
	store_bind_text(st, 4, e->context_uri);
	db_bind_int64(st, 5, e->started_at);
	db_bind_int64(st, 6, e->ms_played);
	store_bind_text(st, 7, e->reason_end);
	db_bind_int(st, 8, counted);
	db_bind_int64(st, 9, received_at);
	if (db_step(st) != DB_DONE)
		return store_fail(s, "a play event");
	if (!db_changes(s))
		return 0;
	if (!counted)
		return 1;
	if (!(st = store_stmt(s, "UPDATE tracks SET play_count = play_count + 1 WHERE id = ?")))
		return -1;
	store_bind_text(st, 1, e->track_id);
	if (db_step(st) != DB_DONE)
		return store_fail(s, "a play count");
	return 1;
}

int store_plays_recent(struct store *s, const char *user, long long before, long long after,
                       struct play_row *rows, int max)
{
	/* after: the plays just after the cursor, oldest first, then turned round. */
	struct db_stmt *st = store_stmt(s, after >= 0 ?
		"SELECT * FROM (SELECT track_id, context_uri, started_at, ms_played FROM plays"
		" WHERE user_id = ?1 AND counted <> 0 AND started_at > ?2 ORDER BY started_at ASC LIMIT ?3) AS p"
		" ORDER BY started_at DESC" :
		"SELECT track_id, context_uri, started_at, ms_played FROM plays"
		" WHERE user_id = ?1 AND counted <> 0 AND started_at < ?2 ORDER BY started_at DESC LIMIT ?3");
	int n = 0, rc = DB_DONE;

	if (!st)
		return -1;
	store_bind_text(st, 1, user);
	db_bind_int64(st, 2, after >= 0 ? after : before >= 0 ? before : 0x7fffffffffffffffLL);
	db_bind_int(st, 3, max);
	while (n < max && (rc = db_step(st)) == DB_ROW) {
		struct play_row *p = &rows[n++];

		snprintf(p->track_id, sizeof p->track_id, "%s", store_col_text(st, 0));
		snprintf(p->context_uri, sizeof p->context_uri, "%s", store_col_text(st, 1));
		p->started_at = db_col_int64(st, 2);
		p->ms_played = db_col_int64(st, 3);
	}
	if (n < max && rc != DB_DONE) {
		db_reset(st);
		return store_fail(s, "recent plays");
	}
	db_reset(st);
	return n;
}

long long store_plays_mark(struct store *s)
{
	struct db_stmt *st = store_stmt(s, "SELECT coalesce(max(rowid), 0) + count(*) FROM plays");
	long long mark = -1;

	if (!st)
		return -1;
	if (db_step(st) == DB_ROW)
		mark = db_col_int64(st, 0);
	db_reset(st);
	return mark < 0 ? store_fail(s, "the plays' mark") : mark;
}

int store_track_plays(struct store *s, long long now, long long window_ms, double tau_days,
                      struct track_plays **out, size_t *n)
{
	struct db_stmt *st;
	size_t cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	/* segue_decay is store.c's on SQLite, registered on every connection, and an SQL function
	 * of the schema's on PostgreSQL. The casts give PostgreSQL the parameters' types, which it
	 * cannot infer from an arithmetic of two of them. */
	st = store_stmt(s, "SELECT t.id, t.popularity, t.play_count, coalesce(r.score, 0)"
		" FROM tracks t LEFT JOIN (SELECT track_id,"
		"  sum(segue_decay(started_at, CAST(?1 AS BIGINT), CAST(?3 AS DOUBLE PRECISION))) AS score"
		"  FROM plays WHERE counted <> 0 AND started_at > CAST(?1 AS BIGINT) - CAST(?2 AS BIGINT)"
		"  GROUP BY track_id) r"
		"  ON r.track_id = t.id WHERE t.play_count > 0 OR r.score IS NOT NULL");
	if (!st)
		return -1;
	db_bind_int64(st, 1, now);
	db_bind_int64(st, 2, window_ms);
	db_bind_double(st, 3, tau_days);
	while ((rc = db_step(st)) == DB_ROW) {
		struct track_plays *p;

		if (*n == cap) {
			if (!(p = realloc(*out, (cap = cap ? cap * 2 : 4096) * sizeof **out))) {
				log_err("store: out of memory reading plays");
				rc = DB_NOMEM;
				break;
			}
			*out = p;
		}
		p = &(*out)[(*n)++];
		snprintf(p->id, sizeof p->id, "%s", store_col_text(st, 0));
		p->popularity = db_col_int(st, 1);
		p->play_count = db_col_int64(st, 2);
		p->recent = db_col_double(st, 3);
	}
	db_reset(st);
	if (rc != DB_DONE) {
		free(*out);
		*out = NULL;
		*n = 0;
		return rc == DB_NOMEM ? -1 : store_fail(s, "the tracks' plays");
	}
	return 0;
}

int store_track_set_popularity(struct store *s, const char *id, int popularity)
{
	struct db_stmt *st = store_stmt(s, "UPDATE tracks SET popularity = ? WHERE id = ?");

	if (!st)
		return -1;
	db_bind_int(st, 1, popularity);
	store_bind_text(st, 2, id);
	return db_step(st) == DB_DONE ? 0 : store_fail(s, "a track's popularity");
}

int store_user_affinity(struct store *s, const char *user, long long since,
                        const struct affinity_weights *w, struct affinity_row *rows, int max)
{
	struct db_stmt *st = store_stmt(s,
		/* The weights are cast: a union of bare parameters would be text on PostgreSQL. The
		 * id settles ties, so that both engines pick the same rows. */
		"SELECT id, sum(w) FROM ("
		" SELECT track_id AS id, CAST(?4 AS DOUBLE PRECISION) AS w FROM plays"
		"  WHERE user_id = ?1 AND counted <> 0 AND started_at > ?2"
		" UNION ALL SELECT t.artist_id, CAST(?5 AS DOUBLE PRECISION) FROM plays p"
		"  JOIN tracks t ON t.id = p.track_id WHERE p.user_id = ?1 AND p.counted <> 0 AND p.started_at > ?2"
		" UNION ALL SELECT track_id, CAST(?6 AS DOUBLE PRECISION) FROM saved_tracks WHERE user_id = ?1"
		" UNION ALL SELECT artist_id, CAST(?7 AS DOUBLE PRECISION) FROM followed_artists WHERE user_id = ?1) a"
		" GROUP BY id ORDER BY sum(w) DESC, id LIMIT ?3");
	int n = 0, rc = DB_DONE;

	if (!st)
		return -1;
	store_bind_text(st, 1, user);
	db_bind_int64(st, 2, since);
	db_bind_int(st, 3, max);
	db_bind_double(st, 4, w->play);
	db_bind_double(st, 5, w->played_artist);
	db_bind_double(st, 6, w->saved_track);
	db_bind_double(st, 7, w->followed_artist);
	while (n < max && (rc = db_step(st)) == DB_ROW) {
		snprintf(rows[n].id, sizeof rows[n].id, "%s", store_col_text(st, 0));
		rows[n].weight = db_col_double(st, 1);
		n++;
	}
	db_reset(st);
	if (n < max && rc != DB_DONE)
		return store_fail(s, "a user's affinity");
	return n;
}

/* Both read plays_recent (user_id, started_at DESC) for the user's plays in the window. */
int store_user_top(struct store *s, const char *user, enum top_kind k, long long since, int offset,
                   struct top_row *rows, int max)
{
	struct db_stmt *st = k == TOP_TRACKS
		? store_stmt(s, "SELECT track_id, count(*) AS n FROM plays"
		                " WHERE user_id = ?1 AND counted <> 0 AND started_at > ?2 GROUP BY track_id"
		                " ORDER BY n DESC, sum(ms_played) DESC, max(started_at) DESC, track_id"
		                " LIMIT ?3 OFFSET ?4")
		: store_stmt(s, "SELECT t.artist_id, count(*) AS n FROM plays p JOIN tracks t ON t.id = p.track_id"
		                " WHERE p.user_id = ?1 AND p.counted <> 0 AND p.started_at > ?2 GROUP BY t.artist_id"
		                " ORDER BY n DESC, sum(p.ms_played) DESC, max(p.started_at) DESC, t.artist_id"
		                " LIMIT ?3 OFFSET ?4");
	int n = 0, rc = DB_DONE;

	if (!st)
		return -1;
	store_bind_text(st, 1, user);
	db_bind_int64(st, 2, since);
	db_bind_int(st, 3, max);
	db_bind_int(st, 4, offset);
	while (n < max && (rc = db_step(st)) == DB_ROW) {
		snprintf(rows[n].id, sizeof rows[n].id, "%s", store_col_text(st, 0));
		rows[n].plays = db_col_int64(st, 1);
		n++;
	}
	db_reset(st);
	if (n < max && rc != DB_DONE)
		return store_fail(s, "a user's top items");
	return n;
}

long long store_user_top_count(struct store *s, const char *user, enum top_kind k, long long since)
{
	struct db_stmt *st = k == TOP_TRACKS
		? store_stmt(s, "SELECT count(DISTINCT track_id) FROM plays"
		                " WHERE user_id = ?1 AND counted <> 0 AND started_at > ?2")
		: store_stmt(s, "SELECT count(DISTINCT t.artist_id) FROM plays p JOIN tracks t ON t.id = p.track_id"
		                " WHERE p.user_id = ?1 AND p.counted <> 0 AND p.started_at > ?2");

	if (!st)
		return -1;
	store_bind_text(st, 1, user);
	db_bind_int64(st, 2, since);
	return store_integer(s, st, "a user's top items' count");
}
