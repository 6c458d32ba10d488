/* The store's statements over either backend (store/store_db.h): SQLite's own calls, or
 * store/pg.c's. A store has one of the two connections; each statement knows its own. */
#include "config.h"
#include "store/store_db.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "log.h"
#include "store/pg.h"

struct db_stmt {
	sqlite3_stmt *lite;
	struct pg_stmt *pg;
	size_t bytes; /* of the blob pg_col_blob read last */
};

static struct db_stmt *wrap(sqlite3_stmt *lite, struct pg_stmt *pg)
{
	struct db_stmt *st = calloc(1, sizeof *st);

	if (!st) {
		log_err("database: out of memory");
		sqlite3_finalize(lite);
		if (pg)
			pg_finalize(pg);
		return NULL;
	}
	st->lite = lite;
	st->pg = pg;
	return st;
}

static struct db_stmt *prepare(struct store *s, const char *sql, bool cached)
{
	if (s->pg) {
		struct pg_stmt *p = pg_prepare(s->pg, sql, !cached);

		if (!p) {
			log_err("database: preparing \"%.60s\": %s", sql, pg_errmsg(s->pg));
			return NULL;
		}
		return wrap(NULL, p);
	}
	sqlite3_stmt *lite;

	if (sqlite3_prepare_v3(s->db, sql, -1, cached ? SQLITE_PREPARE_PERSISTENT : 0, &lite,
	                       NULL) != SQLITE_OK) {
		log_err("database: preparing \"%.60s\": %s", sql, sqlite3_errmsg(s->db));
		return NULL;
	}
	return wrap(lite, NULL);
}

struct db_stmt *store_stmt2(struct store *s, const char *sqlite, const char *pg)
{
	/* Keyed by the text this backend runs: the two texts are two literals. */
	const char *sql = s->pg ? pg : sqlite;
	size_t h = ((size_t)sql >> 3) % STMT_CACHE;

	for (int probe = 0; probe < STMT_CACHE; probe++) {
		size_t i = (h + probe) % STMT_CACHE;

		if (s->cache[i].sql == sql) {
			struct db_stmt *st = s->cache[i].stmt;

			db_reset(st);
			if (st->lite)
				sqlite3_clear_bindings(st->lite);
			else
				pg_clear(st->pg);
			return st;
		}
		if (!s->cache[i].sql) {
			struct db_stmt *st = prepare(s, sql, true);

			if (!st)
				return NULL;
			s->cache[i].sql = sql;
			s->cache[i].stmt = st;
			return st;
		}
	}
	log_err("database: statement cache full");
	return NULL;
}

struct db_stmt *store_stmt(struct store *s, const char *sql)
{
	return store_stmt2(s, sql, sql);
}

struct db_stmt *store_prepare(struct store *s, const char *sql)
{
	return prepare(s, sql, false);
}

void db_finalize(struct db_stmt *st)
{
	if (!st)
		return;
	if (st->lite)
		sqlite3_finalize(st->lite);
	else if (st->pg)
		pg_finalize(st->pg);
	free(st);
}

int db_step(struct db_stmt *st)
{
	if (st->lite) {
		int rc = sqlite3_step(st->lite);

		return rc == SQLITE_ROW ? DB_ROW : rc == SQLITE_DONE ? DB_DONE : DB_ERROR;
	}
	return pg_step(st->pg);
}

void db_reset(struct db_stmt *st)
{
	if (st->lite)
		sqlite3_reset(st->lite);
	else
		pg_reset(st->pg);
}

void db_bind_int(struct db_stmt *st, int i, int v)
{
	db_bind_int64(st, i, v);
}

void db_bind_int64(struct db_stmt *st, int i, long long v)
{
	if (st->lite)
		sqlite3_bind_int64(st->lite, i, v);
	else
		pg_bind_int64(st->pg, i, v);
}

void db_bind_double(struct db_stmt *st, int i, double v)
{
	if (st->lite)
		sqlite3_bind_double(st->lite, i, v);
	else
		pg_bind_double(st->pg, i, v);
}

void db_bind_text(struct db_stmt *st, int i, const char *v)
{
	if (!v)
		db_bind_null(st, i);
	else if (st->lite)
		sqlite3_bind_text(st->lite, i, v, -1, SQLITE_TRANSIENT);
	else
		pg_bind_text(st->pg, i, v);
}

void db_bind_blob(struct db_stmt *st, int i, const void *v, size_t len)
{
	if (!v)
		db_bind_null(st, i);
	else if (st->lite)
		sqlite3_bind_blob64(st->lite, i, v, len, SQLITE_TRANSIENT);
	else
		pg_bind_blob(st->pg, i, v, len);
}

void db_bind_null(struct db_stmt *st, int i)
{
	if (st->lite)
		sqlite3_bind_null(st->lite, i);
	else
		pg_bind_null(st->pg, i);
}

int db_bind_json(struct db_stmt *st, int i, json_t *v)
{
	char *text = v ? json_dumps(v, JSON_COMPACT) : NULL;

	json_decref(v);
	if (!st) {
		free(text);
		return -1;
	}
	if (!text) {
		log_err("store: a list could not be written as JSON (out of memory, or text that is not UTF-8)");
		return -1;
	}
	/* The text is handed over, not copied: a list can be a refresh's thousands of rows. */
	if (st->lite)
		sqlite3_bind_text(st->lite, i, text, -1, free);
	else
		pg_bind_text_owned(st->pg, i, text);
	return 0;
}

int db_bind_json_texts(struct db_stmt *st, int i, const char *const *texts, int n)
{
	json_t *a = json_array();

	for (int k = 0; a && k < n; k++)
		if (json_array_append_new(a, json_string(texts[k])) < 0) {
			json_decref(a);
			a = NULL;
		}
	return db_bind_json(st, i, a);
}

int db_col_int(struct db_stmt *st, int i)
{
	return (int)db_col_int64(st, i);
}

long long db_col_int64(struct db_stmt *st, int i)
{
	return st->lite ? sqlite3_column_int64(st->lite, i) : pg_col_int64(st->pg, i);
}

double db_col_double(struct db_stmt *st, int i)
{
	return st->lite ? sqlite3_column_double(st->lite, i) : pg_col_double(st->pg, i);
}

const char *db_col_text(struct db_stmt *st, int i)
{
	const char *t = st->lite ? (const char *)sqlite3_column_text(st->lite, i) :
	                           pg_col_text(st->pg, i);

	return t ? t : "";
}

const void *db_col_blob(struct db_stmt *st, int i)
{
	if (st->lite) {
		const void *p = sqlite3_column_blob(st->lite, i);

		st->bytes = p ? (size_t)sqlite3_column_bytes(st->lite, i) : 0;
		return p;
	}
	return pg_col_blob(st->pg, i, &st->bytes);
}

size_t db_col_bytes(struct db_stmt *st, int i)
{
	if (st->lite)
		return (size_t)sqlite3_column_bytes(st->lite, i);
	db_col_blob(st, i);
	return st->bytes;
}

bool db_col_null(struct db_stmt *st, int i)
{
	return st->lite ? sqlite3_column_type(st->lite, i) == SQLITE_NULL : pg_col_null(st->pg, i);
}

long long db_changes(struct store *s)
{
	return s->pg ? pg_changes(s->pg) : sqlite3_changes64(s->db);
}

const char *db_errmsg(struct store *s)
{
	return s->pg ? pg_errmsg(s->pg) : sqlite3_errmsg(s->db);
}

bool db_constraint(struct store *s)
{
	/* Class 23: integrity constraint violation. */
	if (s->pg)
		return !strncmp(pg_sqlstate(s->pg), "23", 2);
	return sqlite3_errcode(s->db) == SQLITE_CONSTRAINT;
}

void store_stmt_cache_free(struct store *s)
{
	for (int i = 0; i < STMT_CACHE; i++) {
		db_finalize(s->cache[i].stmt);
		s->cache[i].stmt = NULL;
		s->cache[i].sql = NULL;
	}
}

int store_fail(struct store *s, const char *what)
{
	return store_fail_id(s, what, NULL);
}

int store_fail_id(struct store *s, const char *what, const char *id)
{
	log_err("store: %s%s%s: %s", what, id ? " " : "", id ? id : "", db_errmsg(s));
	return -1;
}

int store_change(struct store *s, struct db_stmt *st, const char *what)
{
	return store_change_id(s, st, what, NULL);
}

int store_change_id(struct store *s, struct db_stmt *st, const char *what, const char *id)
{
	int rc = db_step(st);
	long long n = rc == DB_DONE ? db_changes(s) : 0;

	if (rc != DB_DONE)
		store_fail_id(s, what, id); /* before the reset, which may change the message */
	db_reset(st);
	return rc == DB_DONE ? n > 0 : -1;
}

int store_done(struct store *s, struct db_stmt *st, const char *what)
{
	int rc = db_step(st);

	if (rc != DB_DONE)
		store_fail(s, what);
	db_reset(st);
	return rc == DB_DONE ? 0 : -1;
}

long long store_integer(struct store *s, struct db_stmt *st, const char *what)
{
	long long n = 0;
	int rc;

	if (!st)
		return -1;
	rc = db_step(st);
	if (rc == DB_ROW)
		n = db_col_int64(st, 0);
	if (rc == DB_ERROR)
		store_fail(s, what);
	db_reset(st);
	return rc == DB_ERROR ? -1 : n;
}

int store_one(struct store *s, struct db_stmt *st, const char *what,
              void (*fill)(struct db_stmt *st, void *out), void *out)
{
	int rc = db_step(st);

	if (rc == DB_ROW && fill)
		fill(st, out);
	if (rc == DB_ERROR)
		store_fail(s, what);
	db_reset(st);
	return rc == DB_ROW ? 1 : rc == DB_DONE ? 0 : -1;
}

struct text_out {
	char *buf;
	size_t len;
};

static void fill_text(struct db_stmt *st, void *out)
{
	struct text_out *t = out;

	snprintf(t->buf, t->len, "%s", db_col_text(st, 0));
}

int store_one_text(struct store *s, struct db_stmt *st, const char *what, char *out, size_t len)
{
	struct text_out t = { out, len };

	return st ? store_one(s, st, what, fill_text, &t) : -1;
}

static void fill_int64(struct db_stmt *st, void *out)
{
	*(long long *)out = db_col_int64(st, 0);
}

int store_one_int64(struct store *s, struct db_stmt *st, const char *what, long long *out)
{
	return st ? store_one(s, st, what, out ? fill_int64 : NULL, out) : -1;
}

int store_each(struct store *s, struct db_stmt *st, const char *what,
               int (*row)(struct db_stmt *st, void *cb, void *ud), void *cb, void *ud)
{
	int rc, verdict = 0;

	if (!st)
		return -1;
	while ((rc = db_step(st)) == DB_ROW && !(verdict = row(st, cb, ud)))
		;
	if (rc == DB_ERROR)
		store_fail(s, what);
	db_reset(st);
	return verdict < 0 || rc == DB_ERROR ? -1 : 0;
}

static int text_row(struct db_stmt *st, void *cb, void *ud)
{
	return (*(int (**)(void *, const char *))cb)(ud, db_col_text(st, 0));
}

int store_each_text(struct store *s, struct db_stmt *st, const char *what,
                    int (*each)(void *ud, const char *text), void *ud)
{
	return store_each(s, st, what, text_row, &each, ud);
}

/* The unused slots repeat the last id rather than bind NULL: PostgreSQL then plans a list of
 * any length as costly as one of 50, as its generic plan does, and after five runs keeps that
 * plan instead of planning every run afresh (with NULLs each run's own plan looked cheaper,
 * and planning a 50-slot statement cost as much as running it). */
void db_bind_ids(struct db_stmt *st, const char *const *ids, int n)
{
	for (int i = 0; i < STORE_BATCH_MAX; i++) {
		if (i < n)
			db_bind_text(st, i + 1, ids[i]);
		else if (n > 0)
			db_bind_text(st, i + 1, ids[n - 1]);
		else
			db_bind_null(st, i + 1);
	}
}

char *db_values_sql(const char *head, int ncols, int rows, const char *tail)
{
	struct buf b = BUF_INIT;
	int bad = buf_puts(&b, head);

	bad |= buf_puts(&b, " VALUES ");
	for (int r = 0; r < rows; r++) {
		bad |= buf_puts(&b, r ? ", (" : "(");
		for (int c = 0; c < ncols; c++)
			bad |= buf_puts(&b, c + 1 < ncols ? "?, " : "?");
		bad |= buf_puts(&b, ")");
	}
	if (tail)
		bad |= buf_puts(&b, tail);
	if (bad) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b);
}
