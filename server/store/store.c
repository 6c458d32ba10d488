#include "config.h"
#include "store/store.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "fileperm.h"
#include "log.h"
#include "store/pg.h"
#include "store/schema.h"
#include "store/store_db.h"


/* PostgreSQL's advisory locks the store takes (any two numbers no other program of the
 * database's would pick): one instance migrates at a time, and write transactions run one
 * at a time across all instances, as SQLite's BEGIN IMMEDIATE makes them, so that what the
 * domain code reads inside one (a playlist's length, a play's event id) stays true until
 * it commits. */
#define PG_LOCK_MIGRATE "7310498117001"
#define PG_LOCK_WRITE "7310498117002"

/* The integer a one-row query answers, 0 for no row, -1 on error. sql is a literal. */
static long long scalar(struct store *s, const char *sql)
{
	return store_integer(s, store_stmt(s, sql), sql);
}

long long store_search_head(struct store *s)
{
	/* SQLite: sqlite_sequence, not max(seq), as the log may have been trimmed to nothing.
	 * PostgreSQL: a sequence runs ahead of what is committed, so max(seq) it is, and the
	 * trim keeps the newest row. */
	return store_integer(s, store_stmt2(s,
		"SELECT seq FROM sqlite_sequence WHERE name = 'search_changes'",
		"SELECT coalesce(max(seq), 0) FROM search_changes"), "the search change log's head");
}

int store_search_trim(struct store *s, long long upto)
{
	/* In slices: a trim after a big ingest must not hold the write lock for seconds. */
	for (;;) {
		struct db_stmt *st = store_stmt2(s,
			"DELETE FROM search_changes WHERE seq <= ?1 AND seq <="
			" (SELECT min(seq) FROM search_changes) + 20000",
			"DELETE FROM search_changes WHERE seq <= ?1 AND seq <="
			" (SELECT min(seq) FROM search_changes) + 20000"
			" AND seq < (SELECT max(seq) FROM search_changes)");
		int rc;

		if (!st)
			return -1;
		db_bind_int64(st, 1, upto);
		if ((rc = store_change(s, st, "trimming the search change log")) <= 0)
			return rc;
	}
}

int store_bump_tracks(struct store *s)
{
	/* An upsert: the row is made by the first ingest, not by a migration. */
	struct db_stmt *st = store_stmt(s, "INSERT INTO meta (key, value) VALUES ('tracks_version', 1)"
	                                   " ON CONFLICT (key) DO UPDATE SET value = meta.value + 1");

	return st ? store_done(s, st, "the tracks' version") : -1;
}

long long store_tracks_version(struct store *s)
{
	return scalar(s, "SELECT value FROM meta WHERE key = 'tracks_version'");
}

long long store_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void store_release(struct store *s)
{
	sqlite3_stmt *st = NULL;

	/* PostgreSQL's statements hold no transaction open between their steps. */
	if (s->pg)
		return;
	/* Inside an explicit transaction nothing is left behind by accident. */
	if (!sqlite3_get_autocommit(s->db))
		return;
	while ((st = sqlite3_next_stmt(s->db, st)))
		if (sqlite3_stmt_busy(st)) {
			log_warn("store: a statement was left unfinished: %s", sqlite3_sql(st));
			sqlite3_reset(st);
		}
}

int store_exec(struct store *s, const char *sql)
{
	char *msg = NULL;

	if (s->pg) {
		if (pg_exec(s->pg, sql) < 0) {
			log_err("database: %s", pg_errmsg(s->pg));
			return -1;
		}
		return 0;
	}
	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		log_err("database: %s", msg ? msg : sqlite3_errmsg(s->db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

int store_begin(struct store *s)
{
	return store_exec(s, s->pg ? "BEGIN; SELECT pg_advisory_xact_lock(" PG_LOCK_WRITE ")" :
	                             "BEGIN IMMEDIATE");
}

int store_commit(struct store *s) { return store_exec(s, "COMMIT"); }

void store_rollback(struct store *s)
{
	if (s->pg) {
		if (pg_in_transaction(s->pg))
			pg_exec(s->pg, "ROLLBACK");
		return;
	}
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

int store_snapshot_begin(struct store *s, bool whole)
{
	if (s->pg)
		return store_exec(s, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
	/* Mapped, a read of the whole file costs no system call a page. */
	if (whole)
		sqlite3_exec(s->db, "PRAGMA mmap_size = 2147418112", NULL, NULL, NULL);
	if (sqlite3_exec(s->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
		log_err("store: a read transaction: %s", sqlite3_errmsg(s->db));
		if (whole)
			sqlite3_exec(s->db, "PRAGMA mmap_size = 0", NULL, NULL, NULL);
		return -1;
	}
	return 0;
}

void store_snapshot_end(struct store *s, bool whole)
{
	if (s->pg) {
		pg_exec(s->pg, "COMMIT");
		return;
	}
	/* A read transaction: COMMIT and ROLLBACK end it alike. */
	sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
	/* Unmapped again, so the server's memory is not the database's size. */
	if (whole)
		sqlite3_exec(s->db, "PRAGMA mmap_size = 0", NULL, NULL, NULL);
}

const char *store_file(struct store *s)
{
	return s->db ? sqlite3_db_filename(s->db, "main") : NULL;
}

bool store_is_open(const struct store *s)
{
	return s->db || s->pg;
}

bool store_is_postgres(const struct store *s)
{
	return s->pg != NULL;
}

static int migrate_sqlite(struct store *s, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int version = 0;

	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		goto fail;
	if (sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (version > sqlite_nmigrations) {
		snprintf(err, errlen, "database schema %d is newer than this segue-server (%d)",
		         version, sqlite_nmigrations);
		return -1;
	}
	for (; version < sqlite_nmigrations; version++) {
		char pragma[64];

		if (store_begin(s) < 0)
			goto fail;
		snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", version + 1);
		if (store_exec(s, sqlite_migrations[version]) < 0 || store_exec(s, pragma) < 0) {
			store_rollback(s);
			goto fail;
		}
		if (store_commit(s) < 0)
			goto fail;
	}
	return 0;
fail:
	snprintf(err, errlen, "database migration failed: %s", sqlite3_errmsg(s->db));
	return -1;
}

/* PostgreSQL keeps its version in a table of its own. Every migration runs in one
 * transaction under the migration lock, so that several instances starting at once apply
 * each one once, and a crash mid-way leaves the previous version. The version table is
 * made under the lock too: CREATE TABLE IF NOT EXISTS is no guard against another
 * transaction making the table at the same moment (the second fails on the catalog's
 * unique index), and two version rows could be inserted. */
static int migrate_pg(struct store *s, char *err, size_t errlen)
{
	long long version;

	if (store_exec(s, "BEGIN; SELECT pg_advisory_xact_lock(" PG_LOCK_MIGRATE ");"
	                  "CREATE TABLE IF NOT EXISTS segue_schema (version INTEGER NOT NULL);"
	                  "INSERT INTO segue_schema SELECT 0"
	                  " WHERE NOT EXISTS (SELECT 1 FROM segue_schema);"
	                  "COMMIT") < 0)
		goto fail_tx;
	for (;;) {
		char set[80];

		if (store_exec(s, "BEGIN; SELECT pg_advisory_xact_lock(" PG_LOCK_MIGRATE ")") < 0)
			goto fail;
		if ((version = scalar(s, "SELECT version FROM segue_schema")) < 0)
			goto fail_tx;
		if (version > pg_nmigrations) {
			store_rollback(s);
			snprintf(err, errlen, "database schema %lld is newer than this segue-server (%d)",
			         version, pg_nmigrations);
			return -1;
		}
		if (version == pg_nmigrations)
			break;
		snprintf(set, sizeof set, "UPDATE segue_schema SET version = %lld", version + 1);
		if (store_exec(s, pg_migrations[version]) < 0 || store_exec(s, set) < 0 ||
		    store_commit(s) < 0)
			goto fail_tx;
	}
	return store_commit(s) < 0 ? -1 : 0;
fail_tx:
	snprintf(err, errlen, "database migration failed: %s", pg_errmsg(s->pg));
	store_rollback(s);
	return -1;
fail:
	snprintf(err, errlen, "database migration failed: %s", pg_errmsg(s->pg));
	return -1;
}

/* segue_decay(started_at, now, tau_days): how much a play of that age weighs, exp(-age/tau).
 * SQLite has no exp() of its own in every build; PostgreSQL's schema defines it in SQL. */
static void decay(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	double age_days = (double)(sqlite3_value_int64(argv[1]) - sqlite3_value_int64(argv[0])) /
	                  (86400.0 * 1000);

	(void)argc;
	sqlite3_result_double(ctx, exp(-age_days / sqlite3_value_double(argv[2])));
}

static int open_sqlite(struct store *s, const char *data_dir, char *err, size_t errlen)
{
	char path[1200];

	snprintf(path, sizeof path, "%s/segue.db", data_dir);
	/* It holds password hashes and token hashes: 0600, whatever the data directory's mode.
	 * SQLite gives -wal and -shm the database's mode, so a private database keeps them so. */
	if (sqlite_files_make_private(path, err, errlen) < 0 || file_create_private(path, err, errlen) < 0)
		return -1;
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	                    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, s->db ? sqlite3_errmsg(s->db) : "out of memory");
		return -1;
	}
	sqlite3_busy_timeout(s->db, 10000);
	sqlite3_create_function(s->db, "segue_decay", 3, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
	                        decay, NULL, NULL);
	/* WAL with synchronous=FULL: a commit is on disk before it is acknowledged, so an
	 * acknowledged write survives kill -9 and power loss alike. */
	if (store_exec(s, "PRAGMA journal_mode=WAL") < 0 ||
	    store_exec(s, "PRAGMA synchronous=FULL") < 0 ||
	    store_exec(s, "PRAGMA foreign_keys=ON") < 0) {
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(s->db));
		return -1;
	}
	return migrate_sqlite(s, err, errlen);
}

int store_open(struct store *s, const char *where, char *err, size_t errlen)
{
	memset(s, 0, sizeof *s);
	if (pg_is_url(where)) {
		if (!(s->pg = pg_open(where, err, errlen)) || migrate_pg(s, err, errlen) < 0)
			goto fail;
		return 0;
	}
	if (open_sqlite(s, where, err, errlen) < 0)
		goto fail;
	return 0;
fail:
	store_close(s);
	return -1;
}

void store_close(struct store *s)
{
	store_withdrawn_free(s);
	store_stmt_cache_free(s);
	if (s->pg)
		pg_close(s->pg);
	sqlite3_close(s->db);
	memset(s, 0, sizeof *s);
}
