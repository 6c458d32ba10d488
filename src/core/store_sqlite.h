/* The client store's SQLite side, private to src/core/store*.c: preparing, running and
 * stepping statements. Every other module speaks to the state database through store.h (the
 * connection, transactions, the cache and small named values) and the domain headers
 * (store_outbox.h, store_offline.h), which say nothing of SQL. The unit tests that write
 * their data with SQL include it too.
 *
 * Statements are prepared per call and finalised before the function that prepared them
 * returns: a connection may be used by more than one thread (SQLITE_OPEN_FULLMUTEX), so no
 * statement outlives a call. */
#ifndef SEGUE_CLIENT_STORE_SQLITE_H
#define SEGUE_CLIENT_STORE_SQLITE_H

#include <sqlite3.h>

#include "store.h"

/* A prepared statement for sql (a string literal) that the caller finalises; NULL with the
 * database's message recorded (seg_fail) on error. */
sqlite3_stmt *store_prepare(struct store *s, const char *sql);

/* Runs sql without results; SEG_EIO with the message recorded on failure. */
enum seg_err store_exec(struct store *s, const char *sql);

/* Records the database's last error ("state database: ...", SEG_EIO) and returns -1. */
int store_fail(struct store *s);
/* Steps st (a statement that changes rows) once and finalises it: 1 when it changed one or
 * more rows, 0 when it matched none, -1 (recorded). st may be NULL (a failed prepare): -1. */
int store_change(struct store *s, sqlite3_stmt *st);
/* The same when how many does not matter: 0, or -1 (recorded). */
int store_done(struct store *s, sqlite3_stmt *st);
/* Steps st (at most one row) and finalises it: 1 with fill(st, out) done (fill may be NULL),
 * 0 when there is no row, -1 (recorded). st may be NULL: -1. */
int store_one(struct store *s, sqlite3_stmt *st, void (*fill)(sqlite3_stmt *st, void *out), void *out);

/* Binds text that outlives the statement's use (SQLITE_STATIC); NULL binds SQL NULL. */
void store_bind_text(sqlite3_stmt *st, int i, const char *v);

#endif
