/* Offline listening in the state database. See store_offline.h. */
#include "config.h"
#include "store_offline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_sqlite.h"

/* Ends a walk: finalises st and returns n, or -1 (recorded) when the last step was an error. */
static int walk_end(struct store *db, sqlite3_stmt *st, int rc, int n)
{
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		n = store_fail(db);
	sqlite3_finalize(st);
	return n;
}

/* --- collections and their members --- */

int store_offline_collection_put(struct store *db, const char *uri, const char *name, const char *quality,
                                 const char *snapshot, long long added_at)
{
	sqlite3_stmt *st = store_prepare(db, "INSERT INTO offline_collections (uri, name, quality, snapshot_id, added_at)"
	                       " VALUES (?, ?, ?, ?, ?) ON CONFLICT (uri) DO UPDATE SET name = excluded.name,"
	                       " quality = excluded.quality, snapshot_id = excluded.snapshot_id, followed = 1");

	if (!st)
		return -1;
	store_bind_text(st, 1, uri);
	store_bind_text(st, 2, name);
	store_bind_text(st, 3, quality);
	store_bind_text(st, 4, snapshot);
	sqlite3_bind_int64(st, 5, added_at);
	return store_done(db, st);
}

int store_offline_collection_delete(struct store *db, const char *uri)
{
	sqlite3_stmt *st = store_prepare(db, "DELETE FROM offline_collections WHERE uri = ?");

	if (!st)
		return -1;
	store_bind_text(st, 1, uri);
	return store_change(db, st);
}

int store_offline_collections_clear(struct store *db)
{
	return store_exec(db, "DELETE FROM offline_collections") ? -1 : 0;
}

int store_offline_set_followed(struct store *db, const char *uri, bool followed)
{
	sqlite3_stmt *st = store_prepare(db, "UPDATE offline_collections SET followed = ? WHERE uri = ?");

	if (!st)
		return -1;
	sqlite3_bind_int(st, 1, followed);
	store_bind_text(st, 2, uri);
	return store_done(db, st);
}

int store_offline_set_snapshot(struct store *db, const char *uri, const char *snapshot)
{
	sqlite3_stmt *st = store_prepare(db, "UPDATE offline_collections SET snapshot_id = ? WHERE uri = ?");

	if (!st)
		return -1;
	store_bind_text(st, 1, snapshot);
	store_bind_text(st, 2, uri);
	return store_done(db, st);
}

int store_offline_playlists(struct store *db, json_t *lists)
{
	sqlite3_stmt *st = store_prepare(db, "SELECT uri, quality, coalesce(snapshot_id, '') FROM"
	                                     " offline_collections WHERE uri LIKE 'segue:playlist:%'");
	int rc, n = 0;

	if (!st)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_array_append_new(lists, json_pack("[sss]", sqlite3_column_text(st, 0),
		                                       sqlite3_column_text(st, 1), sqlite3_column_text(st, 2)));
		n++;
	}
	return walk_end(db, st, rc, n);
}

int store_offline_set_members(struct store *db, const char *uri, const char *quality, json_t *tracks,
                              long long now, store_offline_rank_fn rank, void *arg, int *queued)
{
	sqlite3_stmt *del = store_prepare(db, "DELETE FROM offline_members WHERE collection = ?");
	sqlite3_stmt *mem = store_prepare(db, "INSERT OR IGNORE INTO offline_members (collection, track_id,"
	                                      " position) VALUES (?, ?, ?)");
	/* A failed or evicted track asked for again is queued again; one being downloaded or
	 * done stays as it is. */
	sqlite3_stmt *put = store_prepare(db,
		"INSERT INTO offline_tracks (track_id, quality, state, klass, prio, track, added_at)"
		" VALUES (?1, ?2, 'queued', ?3, ?4, ?5, ?6)"
		" ON CONFLICT (track_id) DO UPDATE SET track = excluded.track,"
		"  state = CASE WHEN state IN ('failed', 'evicted') AND ?3 = 0 THEN 'queued' ELSE state END,"
		"  error = CASE WHEN state IN ('failed', 'evicted') AND ?3 = 0 THEN NULL ELSE error END,"
		"  klass = CASE WHEN state = 'queued' OR (state IN ('failed', 'evicted') AND ?3 = 0)"
		"               THEN min(klass, excluded.klass) ELSE klass END,"
		"  prio = CASE WHEN (state IN ('failed', 'evicted') AND ?3 = 0) OR"
		"               (state = 'queued' AND excluded.klass < klass) THEN excluded.prio ELSE prio END");
	sqlite3_stmt *is_queued = store_prepare(db, "SELECT state = 'queued' FROM offline_tracks WHERE track_id = ?");
	int r = 0;
	json_t *t;
	size_t i;

	if (!del || !mem || !put || !is_queued)
		goto fail;
	store_bind_text(del, 1, uri);
	if (sqlite3_step(del) != SQLITE_DONE)
		goto db_error;
	json_array_foreach(tracks, i, t) {
		const char *id = json_string_value(json_object_get(t, "id"));
		long long prio;
		char *text;
		int klass, rc;

		if (!id || strlen(id) > 64)
			continue;
		sqlite3_reset(mem);
		store_bind_text(mem, 1, uri);
		store_bind_text(mem, 2, id);
		sqlite3_bind_int64(mem, 3, (sqlite3_int64)i);
		if (sqlite3_step(mem) != SQLITE_DONE)
			goto db_error;
		if (!(text = json_dumps(t, JSON_COMPACT))) {
			seg_fail(SEG_ENOMEM, "out of memory");
			goto fail;
		}
		rank(arg, id, i, &klass, &prio);
		sqlite3_reset(put);
		store_bind_text(put, 1, id);
		store_bind_text(put, 2, quality);
		sqlite3_bind_int(put, 3, klass);
		sqlite3_bind_int64(put, 4, prio);
		sqlite3_bind_text(put, 5, text, -1, free);
		sqlite3_bind_int64(put, 6, now);
		if (sqlite3_step(put) != SQLITE_DONE)
			goto db_error;
		sqlite3_reset(is_queued);
		store_bind_text(is_queued, 1, id);
		rc = sqlite3_step(is_queued);
		if (rc == SQLITE_ROW && queued)
			*queued += sqlite3_column_int(is_queued, 0);
	}
	goto out;
db_error:
	store_fail(db);
fail:
	r = -1;
out:
	sqlite3_finalize(del);
	sqlite3_finalize(mem);
	sqlite3_finalize(put);
	sqlite3_finalize(is_queued);
	return r;
}

int store_offline_collection_tracks(struct store *db, const char *uri, json_t *tracks)
{
	sqlite3_stmt *st = store_prepare(db, "SELECT t.track FROM offline_members m JOIN offline_tracks t"
	                                     " ON t.track_id = m.track_id WHERE m.collection = ?"
	                                     " AND t.state = 'done' ORDER BY m.position");
	int rc, n = 0;

	if (!st)
		return -1;
	store_bind_text(st, 1, uri);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *t = json_loads((const char *)sqlite3_column_text(st, 0) ?: "", 0, NULL);

		if (t && !json_array_append_new(tracks, t))
			n++;
	}
	return walk_end(db, st, rc, n);
}

int store_offline_collections(struct store *db, json_t *out)
{
	sqlite3_stmt *st = store_prepare(db, "SELECT c.uri, c.name, c.quality, c.followed, count(m.track_id),"
		                       " count(t.track_id) FILTER (WHERE t.state = 'done'),"
		                       " coalesce(sum(t.bytes) FILTER (WHERE t.state = 'done'), 0)"
		                       " FROM offline_collections c LEFT JOIN offline_members m ON m.collection = c.uri"
		                       " LEFT JOIN offline_tracks t ON t.track_id = m.track_id"
		                       " GROUP BY c.uri ORDER BY c.added_at, c.uri");
	int rc, n = 0;

	if (!st)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_array_append_new(out, json_pack("{s:s,s:s,s:s,s:b,s:I,s:I,s:I}",
		                      "uri", sqlite3_column_text(st, 0), "name", sqlite3_column_text(st, 1),
		                      "quality", sqlite3_column_text(st, 2), "followed", sqlite3_column_int(st, 3),
		                      "tracks", (json_int_t)sqlite3_column_int64(st, 4),
		                      "downloaded", (json_int_t)sqlite3_column_int64(st, 5),
		                      "bytes", (json_int_t)sqlite3_column_int64(st, 6)));
		n++;
	}
	return walk_end(db, st, rc, n);
}

int store_offline_members(struct store *db, const char *uri,
                          int (*fn)(void *arg, const struct store_offline_member *m), void *arg)
{
	sqlite3_stmt *st = store_prepare(db, "SELECT t.track_id, t.track, t.state, t.bytes, t.expires_at, t.error,"
		                       " t.quality FROM offline_members m JOIN offline_tracks t"
		                       " ON t.track_id = m.track_id WHERE m.collection = ? ORDER BY m.position");
	int rc, n = 0;

	if (!st)
		return -1;
	store_bind_text(st, 1, uri);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_offline_member m = {
			.id = (const char *)sqlite3_column_text(st, 0),
			.track = (const char *)sqlite3_column_text(st, 1),
			.state = (const char *)sqlite3_column_text(st, 2),
			.bytes = sqlite3_column_int64(st, 3),
			.has_expiry = sqlite3_column_type(st, 4) != SQLITE_NULL,
			.expires_at = sqlite3_column_int64(st, 4),
			.error = (const char *)sqlite3_column_text(st, 5),
			.quality = (const char *)sqlite3_column_text(st, 6),
		};

		n++;
		if (fn(arg, &m))
			break;
	}
	return walk_end(db, st, rc, n);
}

/* --- tracks --- */

struct download_row {
	json_t **licence, **track;
	long long *expires_at;
};

static void fill_download(sqlite3_stmt *st, void *out)
{
	struct download_row *r = out;

	*r->licence = json_loads((const char *)sqlite3_column_text(st, 0) ?: "", 0, NULL);
	*r->track = json_loads((const char *)sqlite3_column_text(st, 2) ?: "", 0, NULL);
	*r->expires_at = sqlite3_column_int64(st, 1);
}

int store_offline_download(struct store *db, const char *id, json_t **licence, long long *expires_at,
                           json_t **track)
{
	sqlite3_stmt *st = store_prepare(db, "SELECT licence, expires_at, track FROM offline_tracks"
	                                     " WHERE track_id = ? AND state = 'done'");
	struct download_row r = { licence, track, expires_at };

	*licence = *track = NULL;
	if (!st)
		return -1;
	store_bind_text(st, 1, id);
	return store_one(db, st, fill_download, &r);
}

int store_offline_has(struct store *db, const char *id, long long now)
{
	sqlite3_stmt *st = store_prepare(db, "SELECT 1 FROM offline_tracks WHERE track_id = ?"
	                                     " AND state = 'done' AND expires_at > ?");

	if (!st)
		return -1;
	store_bind_text(st, 1, id);
	sqlite3_bind_int64(st, 2, now);
	return store_one(db, st, NULL, NULL);
}

int store_offline_is_queued(struct store *db, const char *id)
{
	sqlite3_stmt *st = store_prepare(db, "SELECT 1 FROM offline_tracks WHERE track_id = ? AND state = 'queued'");

	if (!st)
		return -1;
	store_bind_text(st, 1, id);
	return store_one(db, st, NULL, NULL);
}

static void fill_track(sqlite3_stmt *st, void *out)
{
	if (sqlite3_column_text(st, 0))
		*(json_t **)out = json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL);
}

int store_offline_track(struct store *db, const char *id, json_t **track)
{
	sqlite3_stmt *st = store_prepare(db, "SELECT track FROM offline_tracks WHERE track_id = ?");

	*track = NULL;
	if (!st)
		return -1;
	store_bind_text(st, 1, id);
	return store_one(db, st, fill_track, track);
}

int store_offline_played(struct store *db, const char *id, long long at)
{
	sqlite3_stmt *st = store_prepare(db, "UPDATE offline_tracks SET last_played = ? WHERE track_id = ?");

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, at);
	store_bind_text(st, 2, id);
	return store_done(db, st);
}

int store_offline_requeue(struct store *db, const char *id, long long prio, const char *why)
{
	sqlite3_stmt *st = store_prepare(db, "UPDATE offline_tracks SET state = 'queued', klass = 0,"
	                                     " prio = ?, error = ? WHERE track_id = ?"); /* KLASS_ASKED */

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, prio);
	store_bind_text(st, 2, why);
	store_bind_text(st, 3, id);
	return store_done(db, st);
}

int store_offline_delete(struct store *db, const char *id)
{
	sqlite3_stmt *st = store_prepare(db, "DELETE FROM offline_tracks WHERE track_id = ?");

	if (!st)
		return -1;
	store_bind_text(st, 1, id);
	return store_done(db, st);
}

/* Appends column 0 of every row of st (bound) to ids as strings. */
static int append_ids(struct store *db, sqlite3_stmt *st, json_t *ids)
{
	int rc, n = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_array_append_new(ids, json_string((const char *)sqlite3_column_text(st, 0)));
		n++;
	}
	return walk_end(db, st, rc, n);
}

int store_offline_orphans(struct store *db, json_t *ids)
{
	sqlite3_stmt *st = store_prepare(db, "SELECT track_id FROM offline_tracks WHERE track_id NOT IN"
	                                     " (SELECT track_id FROM offline_members)");

	return st ? append_ids(db, st, ids) : -1;
}

int store_offline_licensed(struct store *db, json_t *held)
{
	sqlite3_stmt *st = store_prepare(db, "SELECT track_id, quality FROM offline_tracks WHERE licence IS NOT NULL");
	int rc, n = 0;

	if (!st)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_array_append_new(held, json_pack("{s:s,s:s}", "id", sqlite3_column_text(st, 0),
		                                      "quality", sqlite3_column_text(st, 1)));
		n++;
	}
	return walk_end(db, st, rc, n);
}

int store_offline_renew(struct store *db, const char *id, const char *licence, long long expires_at)
{
	sqlite3_stmt *st = store_prepare(db, "UPDATE offline_tracks SET licence = ?, expires_at = ? WHERE track_id = ?");

	if (!st)
		return -1;
	store_bind_text(st, 1, licence);
	sqlite3_bind_int64(st, 2, expires_at);
	store_bind_text(st, 3, id);
	return store_done(db, st);
}

int store_offline_marks(struct store *db, json_t *o)
{
	sqlite3_stmt *t = store_prepare(db, "SELECT track_id, state FROM offline_tracks WHERE state <> 'evicted'");
	sqlite3_stmt *c = store_prepare(db,
		"SELECT m.collection, min(t.state = 'done') FROM offline_members m"
		" JOIN offline_tracks t ON t.track_id = m.track_id GROUP BY m.collection");
	int r = -1;

	if (!t || !c)
		goto out;
	while (sqlite3_step(t) == SQLITE_ROW)
		json_object_set_new(o, (const char *)sqlite3_column_text(t, 0),
		                    json_string((const char *)sqlite3_column_text(t, 1)));
	while (sqlite3_step(c) == SQLITE_ROW)
		json_object_set_new(o, (const char *)sqlite3_column_text(c, 0),
		                    json_string(sqlite3_column_int(c, 1) ? "done" : "queued"));
	r = 0;
out:
	sqlite3_finalize(t);
	sqlite3_finalize(c);
	return r;
}

/* --- the download queue --- */

int store_offline_queue(struct store *db, const char *quality, const char *except, int limit,
                        int (*fn)(void *arg, const struct store_offline_queued *q), void *arg)
{
	sqlite3_stmt *st = quality ?
		store_prepare(db, "SELECT track_id, quality, track FROM offline_tracks WHERE state = 'queued'"
		                  " AND quality = ? AND track_id <> ? ORDER BY klass, prio LIMIT ?") :
		store_prepare(db, "SELECT track_id, quality, track FROM offline_tracks"
		                  " WHERE state = 'queued' ORDER BY klass, prio LIMIT ?");
	int rc, n = 0;

	if (!st)
		return -1;
	if (quality) {
		store_bind_text(st, 1, quality);
		store_bind_text(st, 2, except ? except : "");
		sqlite3_bind_int(st, 3, limit);
	} else {
		sqlite3_bind_int(st, 1, limit);
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_offline_queued q = {
			.id = (const char *)sqlite3_column_text(st, 0),
			.quality = (const char *)sqlite3_column_text(st, 1),
			.track = (const char *)sqlite3_column_text(st, 2),
		};

		n++;
		if (fn(arg, &q))
			break;
	}
	return walk_end(db, st, rc, n);
}

int store_offline_queued_ids(struct store *db, json_t *ids)
{
	sqlite3_stmt *st = store_prepare(db, "SELECT track_id FROM offline_tracks WHERE state = 'queued'");

	return st ? append_ids(db, st, ids) : -1;
}

int store_offline_finish(struct store *db, const char *id, const char *state, const char *error,
                         long long fetched)
{
	sqlite3_stmt *st = store_prepare(db, "UPDATE offline_tracks SET state = ?, error = ?,"
	                                     " fetched = fetched + ? WHERE track_id = ? AND state = 'queued'");

	if (!st)
		return -1;
	store_bind_text(st, 1, state);
	if (error) /* a copy: it may be the thread's error message, which the next failure rewrites */
		sqlite3_bind_text(st, 2, error, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, fetched);
	store_bind_text(st, 4, id);
	return store_change(db, st);
}

int store_offline_add_fetched(struct store *db, const char *id, long long fetched)
{
	sqlite3_stmt *st = store_prepare(db, "UPDATE offline_tracks SET fetched = fetched + ? WHERE track_id = ?");

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, fetched);
	store_bind_text(st, 2, id);
	return store_done(db, st);
}

static void fill_digest(sqlite3_stmt *st, void *out)
{
	if (sqlite3_column_text(st, 0))
		*(char **)out = strdup((const char *)sqlite3_column_text(st, 0));
}

int store_offline_digest(struct store *db, const char *id, char **digest)
{
	sqlite3_stmt *st = store_prepare(db, "SELECT digest FROM offline_tracks WHERE track_id = ?");

	*digest = NULL;
	if (!st)
		return -1;
	store_bind_text(st, 1, id);
	return store_one(db, st, fill_digest, digest);
}

int store_offline_set_licence(struct store *db, const char *id, const char *licence, long long expires_at,
                              long long bytes, const char *digest)
{
	sqlite3_stmt *st = store_prepare(db, "UPDATE offline_tracks SET licence = ?, expires_at = ?, bytes = ?,"
	                                     " digest = ? WHERE track_id = ?");

	if (!st)
		return -1;
	store_bind_text(st, 1, licence);
	sqlite3_bind_int64(st, 2, expires_at);
	sqlite3_bind_int64(st, 3, bytes);
	store_bind_text(st, 4, digest);
	store_bind_text(st, 5, id);
	return store_done(db, st);
}

int store_offline_sizes(struct store *db, void (*fn)(void *arg, long long bytes), void *arg)
{
	sqlite3_stmt *st = store_prepare(db, "SELECT bytes FROM offline_tracks WHERE state = 'done'");
	int rc, n = 0;

	if (!st)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		fn(arg, sqlite3_column_int64(st, 0));
		n++;
	}
	return walk_end(db, st, rc, n);
}

int store_offline_evict_candidate(struct store *db, long long stale_before, const char *keep, char *id,
                                  size_t idlen, int *rank)
{
	/* Stale first (by last play, or by download for what was never played), then what only
	 * unfollowed playlists hold, then the least recently played; never the tracks of the
	 * collections keep belongs to. */
	sqlite3_stmt *st = store_prepare(db,
		"SELECT t.track_id, CASE"
		"  WHEN coalesce(t.last_played, t.added_at) < ?1 THEN 0"
		"  WHEN NOT EXISTS (SELECT 1 FROM offline_members m JOIN offline_collections c"
		"                   ON c.uri = m.collection WHERE m.track_id = t.track_id AND c.followed)"
		"  THEN 1 ELSE 2 END AS rank"
		" FROM offline_tracks t WHERE t.state = 'done' AND t.track_id NOT IN"
		"  (SELECT m2.track_id FROM offline_members m2 WHERE m2.collection IN"
		"   (SELECT m3.collection FROM offline_members m3 WHERE m3.track_id = ?2))"
		" ORDER BY rank, coalesce(t.last_played, t.added_at), t.track_id LIMIT 1");
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, stale_before);
	store_bind_text(st, 2, keep ? keep : "");
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		snprintf(id, idlen, "%s", (const char *)sqlite3_column_text(st, 0));
		*rank = sqlite3_column_int(st, 1);
	}
	return walk_end(db, st, rc, rc == SQLITE_ROW);
}

int store_offline_evict(struct store *db, const char *id)
{
	sqlite3_stmt *st = store_prepare(db, "UPDATE offline_tracks SET state = 'evicted',"
	                                     " error = 'removed to make room for newer downloads'"
	                                     " WHERE track_id = ?");

	if (!st)
		return -1;
	store_bind_text(st, 1, id);
	return store_done(db, st);
}

/* --- per track: states of a list --- */

int store_offline_states(struct store *db, json_t *ids,
                         void (*fn)(void *arg, const char *id, const char *state, long long bytes), void *arg)
{
	sqlite3_stmt *st = store_prepare(db, "SELECT state, bytes FROM offline_tracks WHERE track_id = ?");
	json_t *v;
	size_t i;

	if (!st)
		return -1;
	json_array_foreach(ids, i, v) {
		const char *id = json_string_value(v);

		sqlite3_reset(st);
		store_bind_text(st, 1, id);
		if (sqlite3_step(st) != SQLITE_ROW)
			fn(arg, id, NULL, 0);
		else
			fn(arg, id, (const char *)sqlite3_column_text(st, 0), sqlite3_column_int64(st, 1));
	}
	sqlite3_finalize(st);
	return 0;
}

int store_offline_unfinished(struct store *db, json_t *ids, json_t *failures)
{
	sqlite3_stmt *q = store_prepare(db, "SELECT track_id, coalesce(json_extract(track, '$.name'), track_id),"
	                                    " coalesce(error, state) FROM offline_tracks WHERE track_id = ?"
	                                    " AND state <> 'done'");
	json_t *v;
	size_t i;
	int n = 0;

	if (!q)
		return -1;
	json_array_foreach(ids, i, v) {
		sqlite3_reset(q);
		store_bind_text(q, 1, json_string_value(v));
		if (sqlite3_step(q) == SQLITE_ROW) {
			json_array_append_new(failures, json_pack("{s:s,s:s,s:s}", "id", sqlite3_column_text(q, 0),
			                                          "name", sqlite3_column_text(q, 1),
			                                          "error", sqlite3_column_text(q, 2)));
			n++;
		}
	}
	sqlite3_finalize(q);
	return n;
}

int store_offline_counts(struct store *db, long long now, struct store_offline_counts *c)
{
	sqlite3_stmt *st = store_prepare(db, "SELECT count(*) FILTER (WHERE state = 'done'),"
	                                     " count(*) FILTER (WHERE state = 'queued'),"
	                                     " count(*) FILTER (WHERE state = 'failed'),"
	                                     " count(*) FILTER (WHERE state = 'evicted'),"
	                                     " count(*) FILTER (WHERE state = 'done' AND expires_at <= ?1),"
	                                     " min(expires_at) FILTER (WHERE state = 'done'),"
	                                     " (SELECT count(*) FROM offline_collections)"
	                                     " FROM offline_tracks");
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, now);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		c->downloaded = sqlite3_column_int64(st, 0);
		c->queued = sqlite3_column_int64(st, 1);
		c->failed = sqlite3_column_int64(st, 2);
		c->evicted = sqlite3_column_int64(st, 3);
		c->expired = sqlite3_column_int64(st, 4);
		c->has_expiry = sqlite3_column_type(st, 5) != SQLITE_NULL;
		c->licences_expire_at = sqlite3_column_int64(st, 5);
		c->collections = sqlite3_column_int64(st, 6);
	}
	return walk_end(db, st, rc, rc == SQLITE_ROW);
}

/* --- registration --- */

int store_offline_forget_device(struct store *db)
{
	return store_exec(db, "DELETE FROM kv WHERE key IN ('offline_device', 'offline_public_key')") ? -1 : 0;
}
