/* The server's storage: one SQLite database in WAL mode under the data directory, or a
 * PostgreSQL database that several instances share (database = postgresql://...). Every
 * other module reaches it through store_* functions that speak in domain values (this header
 * and store/catalog.h, store/history.h, ...); the statements behind them are written once
 * for both backends (store/store_db.h, private to server/store/). A struct store is one
 * connection and is used by one thread at a time: the service loop has one, each ingest
 * worker opens its own. */
#ifndef SEGUE_STORE_H
#define SEGUE_STORE_H

#include <stdbool.h>
#include <stddef.h>

#define STMT_CACHE 256
/* The most ids one batched lookup takes (store_tracks_rows and its kin): a list is looked up
 * in a fixed number of statements per this many, however long it is. */
#define STORE_BATCH_MAX 50

/* The server embeds one; only server/store/ looks inside. */
struct store {
	struct sqlite3 *db; /* SQLite's connection, or NULL */
	struct pg_conn *pg; /* PostgreSQL's (store/pg.c), or NULL */
	struct {
		const char *sql; /* keyed by the address of a string literal */
		struct db_stmt *stmt;
	} cache[STMT_CACHE];
	struct store_withdrawn *withdrawn; /* store/withdrawn.c's, made on first use */
};

/* Opens where, creating and migrating the schema if needed: a postgresql:// (or
 * postgres://) URL, or else a data directory, whose segue.db is SQLite's. Returns 0 or -1
 * with err. */
int store_open(struct store *s, const char *where, char *err, size_t errlen);
void store_close(struct store *s);
bool store_is_open(const struct store *s);
/* Whether the store is PostgreSQL's (what only one backend does: SQLite's online backup). */
bool store_is_postgres(const struct store *s);

/* Resets any statement a caller left mid-result, logging it: an unreset statement holds a
 * read transaction open, and this connection's next write would fail once another connection
 * had written. The service loop calls it after every request. */
void store_release(struct store *s);

/* Transactions around calls to the domain headers' functions. Each returns 0, or -1 after
 * logging the error. A write transaction takes the write lock up front (SQLite's BEGIN
 * IMMEDIATE; on PostgreSQL an advisory lock all instances share), so writers run one at a
 * time and what a transaction read stays true until it commits. */
int store_begin(struct store *s);
int store_commit(struct store *s);
void store_rollback(struct store *s);

/* A consistent view of the database across several reads (a read transaction); whole maps
 * the file for a read of all of it, and unmaps it after (SQLite). */
int store_snapshot_begin(struct store *s, bool whole);
void store_snapshot_end(struct store *s, bool whole);

/* The database's file, for scratch files beside it; NULL or "" when it has none. */
const char *store_file(struct store *s);

/* The user that owns the made-for-you playlists (migration 8 makes it); it cannot log in. */
#define SYSTEM_USER "_segue"

long long store_now_ms(void);

/* The search change log (migration 10): triggers append a row for every change to what
 * search indexes. The head is the seq of the newest row ever written (0 for none); trimming
 * drops the rows up to a seq that a full index already reflects. */
long long store_search_head(struct store *s);
int store_search_trim(struct store *s, long long upto);
/* The tracks version counts only changes to the set of tracks (ingest): what the recommender
 * learns from. Play counts and playlists change all day and would retrain it every debounce. */
int store_bump_tracks(struct store *s);
long long store_tracks_version(struct store *s);

#endif
