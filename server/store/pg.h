/* PostgreSQL under the store's statement interface (store/store_db.h), private to
 * server/store/: a connection through libpq, statements prepared on it, their rows read as
 * text. store/db.c dispatches to it for a store opened on a postgresql:// URL. */
#ifndef SEGUE_STORE_PG_H
#define SEGUE_STORE_PG_H

#include <stdbool.h>
#include <stddef.h>

struct pg_conn;
struct pg_stmt;

/* Whether where names a PostgreSQL database (postgresql:// or postgres://). */
bool pg_is_url(const char *where);

/* Connects; NULL with err. */
struct pg_conn *pg_open(const char *url, char *err, size_t errlen);
void pg_close(struct pg_conn *c);

/* Prepares sql (SQLite's placeholders: ? and ?N). stream: rows are read one at a time as
 * they arrive (see store_prepare), else the whole result is taken at the first step. */
struct pg_stmt *pg_prepare(struct pg_conn *c, const char *sql, bool stream);
void pg_finalize(struct pg_stmt *st);

int pg_step(struct pg_stmt *st);
void pg_reset(struct pg_stmt *st);
void pg_clear(struct pg_stmt *st); /* bindings back to NULL */

void pg_bind_int64(struct pg_stmt *st, int i, long long v);
void pg_bind_double(struct pg_stmt *st, int i, double v);
void pg_bind_text(struct pg_stmt *st, int i, const char *v);
/* The same for text the caller gives up (malloc'd; freed with the binding): no copy. */
void pg_bind_text_owned(struct pg_stmt *st, int i, char *v);
void pg_bind_blob(struct pg_stmt *st, int i, const void *v, size_t len);
void pg_bind_null(struct pg_stmt *st, int i);

long long pg_col_int64(struct pg_stmt *st, int i);
double pg_col_double(struct pg_stmt *st, int i);
const char *pg_col_text(struct pg_stmt *st, int i);
const void *pg_col_blob(struct pg_stmt *st, int i, size_t *len);
bool pg_col_null(struct pg_stmt *st, int i);

long long pg_changes(struct pg_conn *c);
const char *pg_errmsg(struct pg_conn *c);
/* The SQLSTATE of the last error ("" for none). */
const char *pg_sqlstate(struct pg_conn *c);
/* Runs sql (no results; several statements allowed). 0 or -1 (pg_errmsg says why). */
int pg_exec(struct pg_conn *c, const char *sql);
/* Whether a transaction is open on the connection. */
bool pg_in_transaction(struct pg_conn *c);

/* For a connection that LISTENs (store/bus.c): its socket, for the service loop to watch
 * (-1 when lost), and the notifications that have arrived, read without blocking: fn gets
 * each payload in turn. 0, or -1 when the connection is lost (pg_reconnect makes it again). */
int pg_socket(struct pg_conn *c);
int pg_notifications(struct pg_conn *c, void (*fn)(void *ud, const char *payload), void *ud);
/* Connects again at once (blocking): 0, or -1 (pg_errmsg says why). */
int pg_reconnect(struct pg_conn *c);

#endif
