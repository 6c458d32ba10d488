/* The store's SQLite side, private to server/store/: the statements and the helpers that bind
 * and read them. Every other module speaks to the store through the domain headers
 * (store/catalog.h, store/history.h, ...), which say nothing of SQL, so that another backend
 * can implement them. */
#ifndef SEGUE_STORE_SQLITE_H
#define SEGUE_STORE_SQLITE_H

#include <sqlite3.h>

#include "store/store.h"

/* A prepared statement for sql, which must be a string literal (the cache keys on its
 * address). The statement is reset and its bindings cleared; the store keeps ownership.
 * A statement that returns rows is reset before the function that stepped it returns. */
sqlite3_stmt *store_stmt(struct store *s, const char *sql);

/* Frees what store_track_withdrawn keeps (store_close calls it). */
void store_withdrawn_free(struct store *s);

/* Runs sql (no results) and returns 0, or -1 after logging the error. */
int store_exec(struct store *s, const char *sql);

/* Logs the database's last error, saying what was being done, and returns -1. */
int store_fail(struct store *s, const char *what);
/* Steps a statement that changes rows, once: 1 when it changed one or more, 0 when it
 * matched none, -1 (logged). */
int store_change(struct store *s, sqlite3_stmt *st, const char *what);
/* The same when how many does not matter: 0, or -1 (logged). */
int store_done(struct store *s, sqlite3_stmt *st, const char *what);
/* Steps a statement that selects at most one row and resets it: 1 with fill(st, out) done
 * (fill may be NULL: existence), 0 when there is no row, -1 (logged). */
int store_one(struct store *s, sqlite3_stmt *st, const char *what,
              void (*fill)(sqlite3_stmt *st, void *out), void *out);
/* store_one for a row of one column: its text copied into out (len bytes with the NUL), or
 * its integer into *out (out may be NULL: existence). */
int store_one_text(struct store *s, sqlite3_stmt *st, const char *what, char *out, size_t len);
int store_one_int64(struct store *s, sqlite3_stmt *st, const char *what, long long *out);

/* The integer a one-row statement answers (a count), 0 when it gives no row, or -1 (logged;
 * st NULL: -1 at once). The statement is reset. */
long long store_integer(struct store *s, sqlite3_stmt *st, const char *what);

/* Steps st (NULL: -1 at once) through its rows, calling row(st, cb, ud) for each: 0 goes on,
 * more stops the walk there (no error), less fails it. st is reset. Returns 0, or -1 for a
 * failed row or after logging the database's error. */
int store_each(struct store *s, sqlite3_stmt *st, const char *what,
               int (*row)(sqlite3_stmt *st, void *cb, void *ud), void *cb, void *ud);
/* The same for statements whose rows are one text (an id): each(ud, column 0). */
int store_each_text(struct store *s, sqlite3_stmt *st, const char *what,
                    int (*each)(void *ud, const char *text), void *ud);

/* Binding helpers: text NULL binds SQL NULL. */
void store_bind_text(sqlite3_stmt *st, int i, const char *v);
const char *store_col_text(sqlite3_stmt *st, int i); /* "" for NULL */

#endif
