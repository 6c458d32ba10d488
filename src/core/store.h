/* The client's local state: one SQLite database ($XDG_DATA_HOME/segue/segue.db) in WAL mode
 * with synchronous=FULL, so whatever a function here reports as written survives kill -9 and
 * power loss. It holds the play-event outbox (store_outbox.h), the offline downloads
 * (store_offline.h), a cache of catalog metadata and small named values. Schema changes are
 * append-only migrations, numbered by PRAGMA user_version.
 *
 * This header and the domain headers speak no SQL: the statements live in store.c and its
 * neighbours store_*.c, whose SQLite helpers are the private store_sqlite.h. */
#ifndef SEGUE_CLIENT_STORE_H
#define SEGUE_CLIENT_STORE_H

#include <jansson.h>

#include "err.h"

struct sqlite3;

/* One connection. A struct so that callers can hold one by value; the member is the store
 * files' alone. */
struct store {
	struct sqlite3 *db;
};

/* Opens (creating the file 0600 and its directory 0700) and migrates. */
enum seg_err store_open(struct store *s, const char *path);
void store_close(struct store *s);

/* Transactions around calls of the domain stores (store_offline.h, ...): BEGIN IMMEDIATE,
 * COMMIT, ROLLBACK. begin and commit return SEG_EIO with the message on failure. */
enum seg_err store_begin(struct store *s);
enum seg_err store_commit(struct store *s);
void store_rollback(struct store *s);

/* The metadata cache: JSON documents by key (e.g. "track:ID"). get returns a new reference or
 * NULL when absent or older than max_age_s seconds. put is best effort. */
json_t *store_cache_get(struct store *s, const char *key, long max_age_s);
void store_cache_put(struct store *s, const char *key, json_t *value);

/* Small named values (the device id, ...): get returns a malloc'd copy or NULL. */
char *store_kv_get(struct store *s, const char *key);
enum seg_err store_kv_set(struct store *s, const char *key, const char *value);

#endif
