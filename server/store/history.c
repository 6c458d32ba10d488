/* Play events. See store/history.h. */
#include "config.h"
#include "store/history.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store/store_db.h"

/* The batch as one JSON array of [event id, track, context, started, played, reason_end,
 * counted]: one statement text whatever its size, so it is prepared once. NULL when out of
 * memory (or a text is not UTF-8, which the API's JSON parser already refuses). */
static json_t *batch_json(const struct play_add *a, int n)
{
	json_t *list = json_array();

	for (int i = 0; list && i < n; i++) {
		const struct play_event *e = &a[i].ev;
		json_t *row = json_pack("[s,s,s?,I,I,s,i]", e->event_id, e->track_id, e->context_uri,
		                        (json_int_t)e->started_at, (json_int_t)e->ms_played,
		                        e->reason_end, a[i].counted ? 1 : 0);

		if (!row || json_array_append_new(list, row) < 0) {
			json_decref(list);
			list = NULL;
		}
	}
	return list;
}

/* The batch's events by event id, then by place in the batch: a returned id is found by a
 * binary search, not a walk of the batch (500 events would be 125,000 compares). */
struct by_id {
	const char *id;
	int i;
};

static int by_id_cmp(const void *x, const void *y)
{
	const struct by_id *a = x, *b = y;
	int c = strcmp(a->id, b->id);

	return c ? c : (a->i > b->i) - (a->i < b->i);
}

struct kept {
	struct play_add *a;
	struct by_id *order; /* n of them, sorted */
	int n, kept;
};

/* An event id the insert kept: the first of the batch's events with that id (the rows go in
 * in the batch's order, so a repeat later in the batch is the one ON CONFLICT dropped). */
static int kept_row(struct db_stmt *st, void *cb, void *ud)
{
	struct kept *k = ud;
	const char *id = store_col_text(st, 0);
	int lo = 0, hi = k->n;

	(void)cb;
	while (lo < hi) { /* the first entry not below id */
		int mid = lo + (hi - lo) / 2;

		if (strcmp(k->order[mid].id, id) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < k->n && !strcmp(k->order[lo].id, id); lo++) {
		struct play_add *e = &k->a[k->order[lo].i];

		if (!e->kept) {
			e->kept = true;
			k->kept++;
			return 0;
		}
	}
	log_err("store: the plays' insert answered an event id not in its batch");
	return -1;
}

/* SQLite: the counted plays kept, in one UPDATE (PostgreSQL's insert does it itself). */
static int counts_add(struct store *s, const struct play_add *a, int n)
{
	json_t *ids = json_array();
	struct db_stmt *st;
	int any = 0;

	for (int i = 0; i < n; i++)
		if (a[i].kept && a[i].counted) {
			if (ids && json_array_append_new(ids, json_string(a[i].ev.track_id)) < 0) {
				json_decref(ids);
				ids = NULL;
			}
			any++;
		}
	if (!any) {
		json_decref(ids);
		return 0;
	}
	st = store_stmt(s, "UPDATE tracks SET play_count = play_count + c.n FROM"
	                   " (SELECT value AS id, count(*) AS n FROM json_each(?1) GROUP BY value) AS c"
	                   " WHERE tracks.id = c.id");
	if (db_bind_json(st, 1, ids) < 0)
		return -1;
	return store_done(s, st, "the play counts");
}

int store_plays_add(struct store *s, const char *user, struct play_add *a, int n,
                    long long received_at)
{
	struct kept k = { a, NULL, n, 0 };
	struct db_stmt *st;
	int rc;

	for (int i = 0; i < n; i++)
		a[i].kept = false;
	if (n <= 0)
		return 0;
	if (!(k.order = malloc((size_t)n * sizeof *k.order))) {
		log_err("store: out of memory writing a play batch");
		return -1;
	}
	for (int i = 0; i < n; i++)
		k.order[i] = (struct by_id){ a[i].ev.event_id, i };
	qsort(k.order, (size_t)n, sizeof *k.order, by_id_cmp);
	/* On PostgreSQL, where each statement is a round trip, the play counts follow in the
	 * same statement, from the rows the insert kept; their tracks are found by their key (a
	 * join would have the planner hash the whole tracks table for a hundred rows). */
	st = store_stmt2(s,
		"INSERT INTO plays (user_id, event_id, track_id, context_uri, started_at, ms_played,"
		" reason_end, counted, received_at)"
		" SELECT ?1, json_extract(value, '$[0]'), json_extract(value, '$[1]'),"
		" json_extract(value, '$[2]'), json_extract(value, '$[3]'), json_extract(value, '$[4]'),"
		" json_extract(value, '$[5]'), json_extract(value, '$[6]'), ?3"
		" FROM json_each(?2) WHERE true ORDER BY key"
		" ON CONFLICT DO NOTHING RETURNING event_id",
		"WITH ins AS (INSERT INTO plays (user_id, event_id, track_id, context_uri, started_at,"
		"  ms_played, reason_end, counted, received_at)"
		"  SELECT CAST(?1 AS TEXT), e ->> 0, e ->> 1, e ->> 2, CAST(e ->> 3 AS BIGINT),"
		"  CAST(e ->> 4 AS BIGINT), e ->> 5, CAST(e ->> 6 AS BIGINT), CAST(?3 AS BIGINT)"
		"  FROM json_array_elements(CAST(?2 AS json)) WITH ORDINALITY AS j(e, i) ORDER BY i"
		"  ON CONFLICT DO NOTHING RETURNING event_id, track_id, counted),"
		" counts AS (UPDATE tracks SET play_count = play_count"
		"  + (SELECT count(*) FROM ins WHERE ins.track_id = tracks.id AND ins.counted <> 0)"
		"  WHERE tracks.id = ANY (ARRAY (SELECT track_id FROM ins WHERE counted <> 0)))"
		" SELECT event_id FROM ins");
	rc = -1;
	if (db_bind_json(st, 2, batch_json(a, n)) == 0) {
		store_bind_text(st, 1, user);
		db_bind_int64(st, 3, received_at);
		rc = store_each(s, st, "a play batch", kept_row, NULL, &k);
	}
	free(k.order);
	if (rc < 0 || (!store_is_postgres(s) && counts_add(s, a, n) < 0))
		return -1;
	return k.kept;
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

int store_tracks_set_popularity(struct store *s, const struct track_popularity *v, size_t n)
{
	json_t *list = json_array();
	struct db_stmt *st;

	for (size_t i = 0; list && i < n; i++)
		if (json_array_append_new(list, json_pack("[s,i]", v[i].id, v[i].popularity)) < 0) {
			json_decref(list);
			list = NULL;
		}
	st = store_stmt2(s,
		"UPDATE tracks SET popularity = c.p FROM"
		" (SELECT json_extract(value, '$[0]') AS id, json_extract(value, '$[1]') AS p"
		"  FROM json_each(?1)) AS c WHERE tracks.id = c.id",
		"UPDATE tracks SET popularity = c.p FROM"
		" (SELECT e ->> 0 AS id, CAST(e ->> 1 AS BIGINT) AS p"
		"  FROM json_array_elements(CAST(?1 AS json)) AS j(e)) AS c WHERE tracks.id = c.id");
	if (db_bind_json(st, 1, list) < 0)
		return -1;
	return store_done(s, st, "the tracks' popularity");
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
