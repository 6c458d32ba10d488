/* The client's SQLite database. */
#include "config.h"
#include "store.h"
#include "store_sqlite.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fileperm.h"
#include "paths.h"

static const char *const migrations[] = {
	/* 1: the outbox and the metadata cache */
	"CREATE TABLE outbox ("
	"  id TEXT PRIMARY KEY,"
	"  track_id TEXT NOT NULL,"
	"  context_uri TEXT,"
	"  started_at INTEGER NOT NULL,"
	"  ms_played INTEGER NOT NULL DEFAULT 0,"
	"  reason_end TEXT,"          /* NULL while the play is still going on */
	"  seq INTEGER NOT NULL"      /* delivery order */
	");"
	"CREATE INDEX outbox_ready ON outbox (reason_end, seq);"
	"CREATE TABLE cache ("
	"  key TEXT PRIMARY KEY,"
	"  value TEXT NOT NULL,"
	"  fetched_at INTEGER NOT NULL"
	");"
	"CREATE TABLE kv ("
	"  key TEXT PRIMARY KEY,"
	"  value TEXT NOT NULL"
	");",
	/* 2: offline listening (offline.h): downloaded collections, their tracks, and each
	 * track's download and licence */
	"CREATE TABLE offline_collections ("
	"  uri TEXT PRIMARY KEY,"
	"  name TEXT NOT NULL,"
	"  quality TEXT NOT NULL,"
	"  snapshot_id TEXT,"
	"  followed INTEGER NOT NULL DEFAULT 1," /* 0: a playlist the user no longer follows */
	"  added_at INTEGER NOT NULL"
	");"
	"CREATE TABLE offline_members ("
	"  collection TEXT NOT NULL REFERENCES offline_collections(uri) ON DELETE CASCADE,"
	"  track_id TEXT NOT NULL,"
	"  position INTEGER NOT NULL,"
	"  PRIMARY KEY (collection, track_id)"
	");"
	"CREATE INDEX offline_members_track ON offline_members (track_id);"
	"CREATE TABLE offline_tracks ("
	"  track_id TEXT PRIMARY KEY,"
	"  quality TEXT NOT NULL,"
	"  state TEXT NOT NULL,"         /* queued, done, failed, evicted */
	"  klass INTEGER NOT NULL,"      /* KLASS_* in offline.h: asked, recently played, background */
	"  prio INTEGER NOT NULL,"       /* order within the class, lowest first */
	"  bytes INTEGER NOT NULL DEFAULT 0,"  /* plaintext size, from the licence */
	"  digest TEXT,"
	"  licence TEXT,"                /* the signed licence (JSON) */
	"  expires_at INTEGER,"          /* the licence's, unix s */
	"  track TEXT,"                  /* the track object, for display and offline queues */
	"  added_at INTEGER NOT NULL,"   /* unix s */
	"  last_played INTEGER,"         /* unix s */
	"  fetched INTEGER NOT NULL DEFAULT 0," /* bytes taken from the network for it */
	"  error TEXT"
	");"
	"CREATE INDEX offline_tracks_next ON offline_tracks (state, klass, prio);",
};

#define NMIGRATIONS (int)(sizeof migrations / sizeof migrations[0])

enum seg_err store_exec(struct store *s, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		enum seg_err e = seg_fail(SEG_EIO, "state database: %s", msg ? msg : "error");

		sqlite3_free(msg);
		return e;
	}
	return SEG_OK;
}

static enum seg_err migrate(struct store *s)
{
	sqlite3_stmt *st = store_prepare(s, "PRAGMA user_version");
	int version;
	enum seg_err e;

	if (!st)
		return SEG_EIO;
	version = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	sqlite3_finalize(st);
	if (version > NMIGRATIONS)
		return seg_fail(SEG_EIO, "the state database is from a newer segue (schema %d)", version);
	for (int v = version; v < NMIGRATIONS; v++) {
		char pragma[64];

		snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", v + 1);
		if ((e = store_exec(s, "BEGIN IMMEDIATE")))
			return e;
		if ((e = store_exec(s, migrations[v])) || (e = store_exec(s, pragma))) {
			store_exec(s, "ROLLBACK");
			return e;
		}
		if ((e = store_exec(s, "COMMIT")))
			return e;
	}
	return SEG_OK;
}

enum seg_err store_open(struct store *s, const char *path)
{
	char dir[PATH_MAX], err[PATH_MAX + 200];
	enum seg_err e;

	s->db = NULL;
	snprintf(dir, sizeof dir, "%s", path);
	if ((e = paths_mkdir(dirname(dir))))
		return e;
	/* Private before SQLite opens it (SQLite would create it 0644; -wal and -shm take the
	 * database's mode), and an older, looser one tightened. Neither opens a descriptor of an
	 * existing database: closing one would drop every POSIX lock this process holds on it,
	 * and another process would then checkpoint and delete the WAL under our connections
	 * (the daemon opens one per download thread). */
	if (sqlite_files_make_private(path, err, sizeof err) < 0 ||
	    file_create_private(path, err, sizeof err) < 0)
		return seg_fail(SEG_EIO, "%s", err);
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK) {
		e = seg_fail(SEG_EIO, "cannot open %s: %s", path, s->db ? sqlite3_errmsg(s->db) : "error");
		goto fail;
	}
	sqlite3_busy_timeout(s->db, 5000);
	if ((e = store_exec(s, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
	                 " PRAGMA foreign_keys = ON")) ||
	    (e = migrate(s)))
		goto fail;
	return SEG_OK;
fail:
	sqlite3_close(s->db);
	s->db = NULL;
	return e;
}

void store_close(struct store *s)
{
	if (s->db)
		sqlite3_close(s->db);
	s->db = NULL;
}

sqlite3_stmt *store_prepare(struct store *s, const char *sql)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		seg_fail(SEG_EIO, "state database: %s", sqlite3_errmsg(s->db));
		return NULL;
	}
	return st;
}

enum seg_err store_begin(struct store *s)
{
	return store_exec(s, "BEGIN IMMEDIATE");
}

enum seg_err store_commit(struct store *s)
{
	return store_exec(s, "COMMIT");
}

void store_rollback(struct store *s)
{
	store_exec(s, "ROLLBACK");
}

int store_fail(struct store *s)
{
	seg_fail(SEG_EIO, "state database: %s", sqlite3_errmsg(s->db));
	return -1;
}

int store_change(struct store *s, sqlite3_stmt *st)
{
	int rc, n;

	if (!st)
		return -1;
	rc = sqlite3_step(st);
	n = rc == SQLITE_DONE ? sqlite3_changes(s->db) : 0;
	if (rc != SQLITE_DONE)
		store_fail(s); /* before the finalise, which may change the message */
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? n > 0 : -1;
}

int store_done(struct store *s, sqlite3_stmt *st)
{
	int rc;

	if (!st)
		return -1;
	if ((rc = sqlite3_step(st)) != SQLITE_DONE)
		store_fail(s);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int store_one(struct store *s, sqlite3_stmt *st, void (*fill)(sqlite3_stmt *st, void *out), void *out)
{
	int rc;

	if (!st)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && fill)
		fill(st, out);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		store_fail(s);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

void store_bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

json_t *store_cache_get(struct store *s, const char *key, long max_age_s)
{
	sqlite3_stmt *st = store_prepare(s, "SELECT value FROM cache WHERE key = ? AND fetched_at >= ?");
	json_t *v = NULL;

	if (!st)
		return NULL;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (long long)time(NULL) - max_age_s);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL);
	sqlite3_finalize(st);
	return v;
}

void store_cache_put(struct store *s, const char *key, json_t *value)
{
	sqlite3_stmt *st = store_prepare(s, "INSERT OR REPLACE INTO cache (key, value, fetched_at)"
	                                    " VALUES (?, ?, ?)");
	char *text = json_dumps(value, JSON_COMPACT);

	if (st && text) {
		sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, (long long)time(NULL));
		sqlite3_step(st);
	}
	sqlite3_finalize(st);
	free(text);
}

char *store_kv_get(struct store *s, const char *key)
{
	sqlite3_stmt *st = store_prepare(s, "SELECT value FROM kv WHERE key = ?");
	char *v = NULL;

	if (!st)
		return NULL;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = strdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return v;
}

enum seg_err store_kv_set(struct store *s, const char *key, const char *value)
{
	sqlite3_stmt *st = store_prepare(s, "INSERT OR REPLACE INTO kv (key, value) VALUES (?, ?)");
	int rc;

	if (!st)
		return SEG_EIO;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? SEG_OK : seg_fail(SEG_EIO, "state database: %s", sqlite3_errmsg(s->db));
}
