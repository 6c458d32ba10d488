/* The SQLite store copied into PostgreSQL (store/copy.h).
 *
 * The two schemas are the same migrations in two dialects (store/schema.h), so a table is
 * copied by its SQLite column names, row by row as SQLite typed each value, in multi-row
 * INSERTs. Tables go in the order SQLite created them, which is an order their foreign keys
 * allow (a table can only name one made before it). Three things are PostgreSQL's own:
 * the rowid columns some of its tables carry (filled from SQLite's rowids, and their
 * sequences moved past them), the rows its migrations inserted (replaced by the copied ones),
 * and the search change log (not copied: a server builds its index whole when it starts, and
 * its triggers, which only keep that log, are off during the copy: the role that made the
 * schema owns the tables, so it may). */
#include "config.h"
#include "store/copy.h"

#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "log.h"
#include "store/schema.h"
#include "store/secrets.h"
#include "store/store_db.h"

#define COPY_MAX_COLS 96
/* Rows per INSERT: fewer round trips, within PostgreSQL's 65535 parameters. */
#define COPY_BATCH_PARAMS 20000

struct table {
	char name[64];
	char cols[COPY_MAX_COLS][64];
	int ncols;
	bool rowid; /* PostgreSQL's table has a rowid column SQLite keeps implicitly */
};

static int fail(char *err, size_t errlen, const char *what, const char *why)
{
	snprintf(err, errlen, "%s: %s", what, why);
	return -1;
}

/* SQLite's tables, in the order they were made. */
static int list_tables(struct store *from, struct table **out, int *n, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	struct table *t = NULL;
	int cap = 0;

	*n = 0;
	if (sqlite3_prepare_v2(from->db, "SELECT name FROM sqlite_master WHERE type = 'table'"
	                       " AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY rowid", -1, &st,
	                       NULL) != SQLITE_OK)
		return fail(err, errlen, "the SQLite tables", sqlite3_errmsg(from->db));
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);

		if (*n == cap) {
			struct table *more = realloc(t, (size_t)(cap = cap ? cap * 2 : 32) * sizeof *t);

			if (!more) {
				sqlite3_finalize(st);
				free(t);
				return fail(err, errlen, "the SQLite tables", "out of memory");
			}
			t = more;
		}
		memset(&t[*n], 0, sizeof t[*n]);
		if (snprintf(t[*n].name, sizeof t[*n].name, "%s", name) >= (int)sizeof t[*n].name) {
			sqlite3_finalize(st);
			free(t);
			return fail(err, errlen, name, "a table name too long");
		}
		(*n)++;
	}
	sqlite3_finalize(st);
	*out = t;
	return 0;
}

/* The columns to copy: SQLite's, each of which PostgreSQL's table must have. */
static int read_columns(struct store *from, struct store *to, struct table *t, char *err,
                        size_t errlen)
{
	char sql[160];
	sqlite3_stmt *st;
	struct db_stmt *pg;
	bool pg_rowid = false, lite_rowid = false;
	int found;

	snprintf(sql, sizeof sql, "SELECT name FROM pragma_table_info('%s') ORDER BY cid", t->name);
	if (sqlite3_prepare_v2(from->db, sql, -1, &st, NULL) != SQLITE_OK)
		return fail(err, errlen, t->name, sqlite3_errmsg(from->db));
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *col = (const char *)sqlite3_column_text(st, 0);

		if (t->ncols == COPY_MAX_COLS) {
			sqlite3_finalize(st);
			return fail(err, errlen, t->name, "too many columns");
		}
		snprintf(t->cols[t->ncols++], sizeof t->cols[0], "%s", col);
		lite_rowid |= !strcmp(col, "rowid");
	}
	sqlite3_finalize(st);
	for (int i = 0; i < t->ncols; i++) {
		if (!(pg = store_stmt(to, "SELECT 1 FROM information_schema.columns"
		                          " WHERE table_schema = current_schema() AND table_name = ?1"
		                          " AND column_name = ?2")))
			return fail(err, errlen, t->name, db_errmsg(to));
		db_bind_text(pg, 1, t->name);
		db_bind_text(pg, 2, t->cols[i]);
		if ((found = store_one(to, pg, "a PostgreSQL column", NULL, NULL)) < 0)
			return fail(err, errlen, t->name, db_errmsg(to));
		if (!found) {
			snprintf(err, errlen, "%s.%s: PostgreSQL's schema has no such column",
			         t->name, t->cols[i]);
			return -1;
		}
	}
	if (!(pg = store_stmt(to, "SELECT 1 FROM information_schema.columns"
	                          " WHERE table_schema = current_schema() AND table_name = ?1"
	                          " AND column_name = 'rowid'")))
		return fail(err, errlen, t->name, db_errmsg(to));
	db_bind_text(pg, 1, t->name);
	if ((found = store_one(to, pg, "a PostgreSQL column", NULL, NULL)) < 0)
		return fail(err, errlen, t->name, db_errmsg(to));
	pg_rowid = found;
	t->rowid = pg_rowid && !lite_rowid;
	return 0;
}

static void bind_value(struct db_stmt *ins, int i, sqlite3_stmt *st, int col)
{
	switch (sqlite3_column_type(st, col)) {
	case SQLITE_INTEGER:
		db_bind_int64(ins, i, sqlite3_column_int64(st, col));
		break;
	case SQLITE_FLOAT:
		db_bind_double(ins, i, sqlite3_column_double(st, col));
		break;
	case SQLITE_TEXT:
		db_bind_text(ins, i, (const char *)sqlite3_column_text(st, col));
		break;
	case SQLITE_BLOB: {
		const void *p = sqlite3_column_blob(st, col);
		size_t n = (size_t)sqlite3_column_bytes(st, col);

		db_bind_blob(ins, i, p ? p : "", n);
		break;
	}
	default:
		db_bind_null(ins, i);
	}
}

/* "INSERT INTO t (a, b) VALUES (?, ?), (?, ?)..." for rows rows, or NULL. */
static char *insert_sql(const struct table *t, int ncols, int rows)
{
	struct buf head = BUF_INIT;
	char *sql = NULL;
	int bad = buf_printf(&head, "INSERT INTO %s (%s", t->name, t->rowid ? "rowid" : "");

	for (int i = 0; i < t->ncols; i++)
		bad |= buf_printf(&head, "%s%s", i || t->rowid ? ", " : "", t->cols[i]);
	bad |= buf_puts(&head, ")");
	if (!bad)
		sql = db_values_sql(head.p, ncols, rows, NULL);
	buf_free(&head);
	return sql;
}

/* How many rows SQLite's table holds (in the copy's read transaction). */
static long long count_rows(struct store *from, const struct table *t)
{
	char sql[128];
	sqlite3_stmt *st;
	long long n = -1;

	snprintf(sql, sizeof sql, "SELECT count(*) FROM \"%s\"", t->name);
	if (sqlite3_prepare_v2(from->db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static long long copy_table(struct store *from, struct store *to, const struct table *t,
                            char *err, size_t errlen)
{
	int ncols = t->ncols + (t->rowid ? 1 : 0);
	int per = COPY_BATCH_PARAMS / (ncols ? ncols : 1);
	struct buf sel = BUF_INIT;
	int bad = 0;
	sqlite3_stmt *st = NULL;
	struct db_stmt *ins = NULL;
	long long total = count_rows(from, t), copied = 0;
	int rows = 0, batch = 0, rc;

	if (total < 0)
		return fail(err, errlen, t->name, sqlite3_errmsg(from->db));
	if (per < 1)
		per = 1;
	bad |= buf_printf(&sel, "SELECT %s", t->rowid ? "rowid" : "");
	for (int i = 0; i < t->ncols; i++)
		bad |= buf_printf(&sel, "%s\"%s\"", i || t->rowid ? ", " : "", t->cols[i]);
	bad |= buf_printf(&sel, " FROM \"%s\"", t->name);
	if (bad || sqlite3_prepare_v2(from->db, sel.p, -1, &st, NULL) != SQLITE_OK) {
		fail(err, errlen, t->name, bad ? "out of memory" : sqlite3_errmsg(from->db));
		goto fail;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (copied + rows >= total) {
			fail(err, errlen, t->name, "the table changed while it was copied");
			goto fail;
		}
		if (!ins) {
			/* A batch of per rows, or of what is left: the statement fits the batch. */
			char *sql;

			batch = total - copied < per ? (int)(total - copied) : per;
			if (!(sql = insert_sql(t, ncols, batch))) {
				fail(err, errlen, t->name, "out of memory");
				goto fail;
			}
			ins = store_prepare(to, sql);
			free(sql);
			if (!ins) {
				fail(err, errlen, t->name, db_errmsg(to));
				goto fail;
			}
		}
		for (int c = 0; c < ncols; c++)
			bind_value(ins, rows * ncols + c + 1, st, c);
		if (++rows == batch) {
			rc = db_step(ins);
			db_finalize(ins);
			ins = NULL;
			if (rc != DB_DONE) {
				fail(err, errlen, t->name, db_errmsg(to));
				goto fail;
			}
			copied += rows;
			rows = 0;
		}
	}
	if (rc != SQLITE_DONE || copied != total) {
		fail(err, errlen, t->name, rc != SQLITE_DONE ? sqlite3_errmsg(from->db) :
		     "the table changed while it was copied");
		goto fail;
	}
	sqlite3_finalize(st);
	buf_free(&sel);
	return copied;
fail:
	db_finalize(ins);
	sqlite3_finalize(st);
	buf_free(&sel);
	return -1;
}

/* Moves a column's sequence past the values copied into it. */
static int advance(struct store *to, const char *table, const char *col, char *err, size_t errlen)
{
	char sql[320];
	struct db_stmt *st;
	int rc;

	snprintf(sql, sizeof sql, "SELECT setval(pg_get_serial_sequence('%s', '%s'),"
	         " greatest((SELECT max(%s) FROM %s), 1))", table, col, col, table);
	if (!(st = store_prepare(to, sql)))
		return fail(err, errlen, table, db_errmsg(to));
	while ((rc = db_step(st)) == DB_ROW)
		;
	db_finalize(st);
	return rc == DB_DONE ? 0 : fail(err, errlen, table, db_errmsg(to));
}

/* The key files beside SQLite, as rows of PostgreSQL's server_secrets (in the copy's
 * transaction). A key not made yet is left for the server to make. */
static int copy_secrets(struct store *from, const char *dir, struct store *to,
                        void (*progress)(void *ud, const char *table, long long rows), void *ud,
                        char *err, size_t errlen)
{
	char text[SECRET_MAX];
	long long version, n = 0;
	int rc;

	for (size_t i = 0; i < STORE_NSECRETS; i++) {
		rc = store_secret_read(from, dir, store_secret_names[i], text, sizeof text, &version,
		                       err, errlen);
		if (rc == 1) {
			rc = store_secret_replace(to, NULL, store_secret_names[i], text, err, errlen);
			n += rc == 0;
		}
		sodium_memzero(text, sizeof text);
		if (rc < 0)
			return -1;
	}
	if (progress)
		progress(ud, "server_secrets (keys)", n);
	return 0;
}

static int empty_target(struct store *to, char *err, size_t errlen)
{
	long long n = store_integer(to, store_stmt(to,
		"SELECT (SELECT count(*) FROM users WHERE id <> '_segue') + (SELECT count(*) FROM tracks)"
		" + (SELECT count(*) FROM playlists)"), "what PostgreSQL holds");

	if (n < 0)
		return fail(err, errlen, "PostgreSQL", db_errmsg(to));
	if (n > 0) {
		snprintf(err, errlen, "the PostgreSQL database already holds accounts or a catalog:"
		         " copy into an empty one");
		return -2;
	}
	return 0;
}

long long store_copy(struct store *from, const char *dir, struct store *to,
                     void (*progress)(void *ud, const char *table, long long rows), void *ud,
                     char *err, size_t errlen)
{
	struct table *t = NULL;
	long long total = 0, n;
	int ntables = 0, rc;
	char sql[160];

	if (!from->db || !to->pg)
		return fail(err, errlen, "copy", "from SQLite to PostgreSQL only");
	if (sqlite_nmigrations != pg_nmigrations)
		return fail(err, errlen, "copy", "this build's two schemas are at different versions");
	if ((rc = empty_target(to, err, errlen)) < 0)
		return rc;
	if (list_tables(from, &t, &ntables, err, errlen) < 0)
		return -1;
	/* One read transaction on SQLite (a server may be writing) and one write on PostgreSQL. */
	if (store_snapshot_begin(from, true) < 0) {
		free(t);
		return fail(err, errlen, "SQLite", "cannot begin a read transaction");
	}
	if (store_begin(to) < 0) {
		fail(err, errlen, "PostgreSQL", db_errmsg(to));
		goto fail;
	}
	for (int i = 0; i < ntables; i++)
		if (read_columns(from, to, &t[i], err, errlen) < 0)
			goto fail;
	/* What the migrations inserted goes first, children before parents. */
	for (int i = ntables - 1; i >= 0; i--) {
		snprintf(sql, sizeof sql, "DELETE FROM %s", t[i].name);
		if (store_exec(to, sql) < 0) {
			fail(err, errlen, t[i].name, db_errmsg(to));
			goto fail;
		}
	}
	for (int i = 0; i < ntables; i++) {
		snprintf(sql, sizeof sql, "ALTER TABLE %s DISABLE TRIGGER USER", t[i].name);
		if (store_exec(to, sql) < 0) {
			fail(err, errlen, t[i].name, db_errmsg(to));
			goto fail;
		}
	}
	for (int i = 0; i < ntables; i++) {
		if (!strcmp(t[i].name, "search_changes"))
			continue;
		if ((n = copy_table(from, to, &t[i], err, errlen)) < 0)
			goto fail;
		if (t[i].rowid && advance(to, t[i].name, "rowid", err, errlen) < 0)
			goto fail;
		total += n;
		if (progress)
			progress(ud, t[i].name, n);
	}
	if (copy_secrets(from, dir, to, progress, ud, err, errlen) < 0)
		goto fail;
	for (int i = 0; i < ntables; i++) {
		snprintf(sql, sizeof sql, "ALTER TABLE %s ENABLE TRIGGER USER", t[i].name);
		if (store_exec(to, sql) < 0) {
			fail(err, errlen, t[i].name, db_errmsg(to));
			goto fail;
		}
	}
	if (store_commit(to) < 0) {
		fail(err, errlen, "PostgreSQL", db_errmsg(to));
		goto fail;
	}
	/* The planner's statistics, now rather than when autovacuum comes by: without them it
	 * guesses table sizes and scans a whole table where an index would answer (a batch of
	 * albums' tracks, say). VACUUM as well, which marks the pages all-visible, so that the
	 * indexes that carry what a statement reads (tracks_album) answer without the heap. A
	 * failure is logged and costs only speed. */
	store_exec(to, "VACUUM (ANALYZE)");
	store_snapshot_end(from, true);
	free(t);
	return total;
fail:
	store_rollback(to);
	store_snapshot_end(from, true);
	free(t);
	return -1;
}
