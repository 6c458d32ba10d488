/* The store's statements, private to server/store/: one interface over both backends
 * (SQLite, store/store.c; PostgreSQL, store/pg.c), so that every domain file is written once.
 * Every other module speaks to the store through the domain headers (store/catalog.h,
 * store/history.h, ...), which say nothing of SQL.
 *
 * The SQL is written once, in the part of the language both engines share: placeholders
 * ? and ?N (PostgreSQL's driver numbers them $N), ON CONFLICT for upserts, integers compared
 * with 0 rather than used as booleans, COLLATE NOCASE (a case-insensitive collation of that
 * name on PostgreSQL), rowid where the PostgreSQL schema has a column of that name. Where
 * the two cannot say a thing alike, store_stmt2 takes one text each. */
#ifndef SEGUE_STORE_DB_H
#define SEGUE_STORE_DB_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "store/store.h"

/* What db_step answers. */
enum { DB_ERROR = -1, DB_ROW = 100, DB_DONE = 101 };
/* Never answered by db_step: a caller's mark for a walk it stopped for want of memory. */
#define DB_NOMEM (-2)

/* A prepared statement of either backend; the store owns it (its statement cache). */
struct db_stmt;

/* A prepared statement for sql, which must be a string literal (the cache keys on its
 * address). The statement is reset and its bindings cleared; the store keeps ownership.
 * A statement that returns rows is reset before the function that stepped it returns.
 * NULL after logging the error. */
struct db_stmt *store_stmt(struct store *s, const char *sql);
/* The same where the dialects differ: sqlite's text on SQLite, pg's on PostgreSQL. */
struct db_stmt *store_stmt2(struct store *s, const char *sqlite, const char *pg);

/* A statement of the caller's own, for SQL made at run time: not cached, freed with
 * db_finalize. On PostgreSQL its rows stream (a whole catalog is not held in memory at
 * once), so no other statement may run on the connection until it is finalised. */
struct db_stmt *store_prepare(struct store *s, const char *sql);
void db_finalize(struct db_stmt *st);

/* Steps: DB_ROW with a row to read, DB_DONE, or DB_ERROR (db_errmsg says why). */
int db_step(struct db_stmt *st);
/* Ends a statement's run (its rows unread are dropped); its bindings stay. */
void db_reset(struct db_stmt *st);

/* Bindings, 1-based as the placeholders are. A NULL text or blob binds SQL NULL. */
void db_bind_int(struct db_stmt *st, int i, int v);
void db_bind_int64(struct db_stmt *st, int i, long long v);
void db_bind_double(struct db_stmt *st, int i, double v);
void db_bind_text(struct db_stmt *st, int i, const char *v);
void db_bind_blob(struct db_stmt *st, int i, const void *v, size_t len);
void db_bind_null(struct db_stmt *st, int i);
/* A list of any length as one bound text, v's compact JSON: the statement reads it with
 * json_each(?N) on SQLite, json_array_elements(CAST(?N AS json)) on PostgreSQL, so that its
 * text is one whatever the list's size (cached and prepared once). Takes v's reference, and
 * takes NULL for a list that could not be made. Returns 0, or -1 after logging when v is
 * NULL or cannot be written out (out of memory), or when st is NULL (already logged). */
int db_bind_json(struct db_stmt *st, int i, json_t *v);
/* The same for texts[0..n), bound as a JSON array of strings (a list of ids, most often). */
int db_bind_json_texts(struct db_stmt *st, int i, const char *const *texts, int n);

/* The current row's columns, 0-based. A text or blob is valid until the next step or reset;
 * NULL reads as 0, "" (db_col_text) or NULL with 0 bytes (db_col_blob). */
int db_col_int(struct db_stmt *st, int i);
long long db_col_int64(struct db_stmt *st, int i);
double db_col_double(struct db_stmt *st, int i);
const char *db_col_text(struct db_stmt *st, int i);
const void *db_col_blob(struct db_stmt *st, int i);
size_t db_col_bytes(struct db_stmt *st, int i);
bool db_col_null(struct db_stmt *st, int i);

/* Rows the last finished INSERT, UPDATE or DELETE on this connection changed. */
long long db_changes(struct store *s);
/* The last error on this connection, for a log line. */
const char *db_errmsg(struct store *s);
/* Whether the last error was a constraint's (a unique key taken, a foreign key missing). */
bool db_constraint(struct store *s);

/* Finalises every cached statement (store_close calls it). */
void store_stmt_cache_free(struct store *s);

/* Frees what store_track_withdrawn keeps (store_close calls it). */
void store_withdrawn_free(struct store *s);

/* Runs sql (no results; on SQLite, several statements) and returns 0, or -1 after logging. */
int store_exec(struct store *s, const char *sql);

/* Logs the database's last error, saying what was being done, and returns -1. */
int store_fail(struct store *s, const char *what);
/* The same naming the row it was done to ("what id: error"; id may be NULL). */
int store_fail_id(struct store *s, const char *what, const char *id);
/* Steps a statement that changes rows, once: 1 when it changed one or more, 0 when it
 * matched none, -1 (logged). */
int store_change(struct store *s, struct db_stmt *st, const char *what);
/* The same, a failure logged with the row's id as store_fail_id logs it. */
int store_change_id(struct store *s, struct db_stmt *st, const char *what, const char *id);
/* The same when how many does not matter: 0, or -1 (logged). */
int store_done(struct store *s, struct db_stmt *st, const char *what);
/* Steps a statement that selects at most one row and resets it: 1 with fill(st, out) done
 * (fill may be NULL: existence), 0 when there is no row, -1 (logged). */
int store_one(struct store *s, struct db_stmt *st, const char *what,
              void (*fill)(struct db_stmt *st, void *out), void *out);
/* store_one for a row of one column: its text copied into out (len bytes with the NUL), or
 * its integer into *out (out may be NULL: existence). */
int store_one_text(struct store *s, struct db_stmt *st, const char *what, char *out, size_t len);
int store_one_int64(struct store *s, struct db_stmt *st, const char *what, long long *out);

/* The integer a one-row statement answers (a count), 0 when it gives no row, or -1 (logged;
 * st NULL: -1 at once). The statement is reset. */
long long store_integer(struct store *s, struct db_stmt *st, const char *what);

/* Steps st (NULL: -1 at once) through its rows, calling row(st, cb, ud) for each: 0 goes on,
 * more stops the walk there (no error), less fails it. st is reset. Returns 0, or -1 for a
 * failed row or after logging the database's error. */
int store_each(struct store *s, struct db_stmt *st, const char *what,
               int (*row)(struct db_stmt *st, void *cb, void *ud), void *cb, void *ud);
/* The same for statements whose rows are one text (an id): each(ud, column 0). */
int store_each_text(struct store *s, struct db_stmt *st, const char *what,
                    int (*each)(void *ud, const char *text), void *ud);

/* A list of up to STORE_BATCH_MAX ids in one statement: "x IN " DB_IDS, bound by db_bind_ids
 * (the slots past n repeat the last id, which an IN list matches once). One text for every
 * length keeps the statement cached and prepared once. */
#define DB_IDS "(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,?22,?23,?24,?25,?26,?27,?28,?29,?30,?31,?32,?33,?34,?35,?36,?37,?38,?39,?40,?41,?42,?43,?44,?45,?46,?47,?48,?49,?50)"
void db_bind_ids(struct db_stmt *st, const char *const *ids, int n);

/* "HEAD VALUES (?, ?), (?, ?)... TAIL": rows rows of ncols placeholders each, for an INSERT
 * of many rows in one statement (store_prepare it: its text varies with rows). head names
 * the table and columns; tail (may be NULL) is what follows, an ON CONFLICT. Returns
 * malloc'd text, or NULL when out of memory. */
char *db_values_sql(const char *head, int ncols, int rows, const char *tail);

/* An artist's picture (artists ar): their own, else the cover of their most played album
 * that has one, else of the most played album they play on. Each fallback walks an index:
 * albums_artist then tracks_album, or tracks_artist. An album without tracks sums to NULL,
 * last (SQLite's place for it; PostgreSQL's is first). Shared by store/images.c and the
 * artist rows of store/catalog.c. */
#define ARTIST_PICTURE \
	"coalesce(ar.image," \
	" (SELECT al.image FROM albums al WHERE al.artist_id = ar.id AND al.image IS NOT NULL" \
	"  ORDER BY (SELECT sum(play_count) FROM tracks t WHERE t.album_id = al.id) DESC NULLS LAST," \
	"  al.release_date DESC, al.id LIMIT 1)," \
	" (SELECT al.image FROM tracks t JOIN albums al ON al.id = t.album_id" \
	"  WHERE t.artist_id = ar.id AND al.image IS NOT NULL GROUP BY al.id" \
	"  ORDER BY sum(t.play_count) DESC, al.release_date DESC, al.id LIMIT 1))"

/* Compatibility names the domain files use. */
#define store_bind_text db_bind_text
#define store_col_text db_col_text

#endif
