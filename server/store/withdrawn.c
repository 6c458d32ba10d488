/* Whether a track is withdrawn, for every stream request, without a query each time.
 *
 * A query costs little CPU, but each one is a read transaction, and in WAL mode that takes
 * and drops a read lock on the -shm file: two fcntl calls on the hot path of every audio
 * Range request. Withdrawn tracks are few, so their ids are kept in memory, sorted, and the
 * list is read again only when the database has changed since it was read.
 *
 * "Changed" is read from the WAL-index header, the first 48 bytes of the -shm file, which
 * every connection of every process maps and which a writer rewrites (its change counter,
 * frame count, salts and checksum) before its commit returns; its layout is part of SQLite's
 * documented WAL format for the unix VFS (https://sqlite.org/walformat.html, "The WAL-Index
 * Header"). So an ingest in another process that withdraws a track is seen by the very next
 * request, at the cost of a 48-byte compare. The header is read before the list is; a commit
 * that lands in between makes the list newer than the header kept, never older, and the next
 * compare reads the list again. When the header cannot be had (no WAL index yet, an
 * unknown version), every check asks the database, as before.
 *
 * PostgreSQL has no such header: there the list is read again when it is a second old, so a
 * track withdrawn by any instance stops streaming everywhere within a second, for one small
 * query a second at most. */

/* How old PostgreSQL's list may be. */
#define PG_LIST_MAX_AGE_NS 1000000000LL
#include "config.h"
#include "store/catalog.h"

#include <sqlite3.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base62.h"
#include "log.h"
#include "store/store_db.h"

/* One copy of the WAL-index header (there are two; writers write the first one last). */
#define WAL_HDR_SIZE 48
/* Its iVersion (a native-order u32 at offset 0): the only layout there has been. */
#define WAL_INDEX_VERSION 3007000u
/* isInit (a byte at offset 12): set once the header describes the WAL. */
#define WAL_HDR_ISINIT 12
/* The size of the regions the WAL index is mapped in, which every caller of xShmMap must use. */
#define WAL_INDEX_REGION 32768

typedef char track_id[BASE62_ID_LEN + 1];

struct store_withdrawn {
	const volatile unsigned char *hdr; /* SQLite's mapping of the header, NULL: ask every time */
	unsigned char seen[WAL_HDR_SIZE]; /* the header when ids was read */
	bool loaded;
	long long loaded_ns; /* CLOCK_MONOTONIC, PostgreSQL's */
	track_id *ids; /* sorted as SQLite's BINARY collation: strcmp */
	size_t n, cap;
};

/* SQLite's own mapping of the WAL index's first region, through the unix VFS's xShmMap (the
 * documented sqlite3_io_methods interface the WAL code itself calls), or NULL. Not a mapping
 * of our own: opening the -shm file ourselves and closing that descriptor would drop every
 * POSIX lock this process holds on it (fcntl locks belong to the process and file, not to the
 * descriptor), among them the shared lock that tells another process opening the database
 * that the index is in use. That process would then truncate and rebuild the index under our
 * connections, and a read of the truncated mapping is a SIGBUS. SQLite keeps the region
 * mapped, and the file locked, until the connection closes; store_close frees this first. */
static const volatile unsigned char *map_header(struct store *s)
{
	sqlite3_file *f = NULL;
	void volatile *p = NULL;
	const volatile unsigned char *h;
	uint32_t version = 0;

	if (sqlite3_file_control(s->db, "main", SQLITE_FCNTL_FILE_POINTER, &f) != SQLITE_OK ||
	    !f || !f->pMethods || f->pMethods->iVersion < 2 || !f->pMethods->xShmMap)
		return NULL;
	/* Region 0 as the WAL code maps it (32 KiB regions); not made if absent (bExtend 0). */
	if (f->pMethods->xShmMap(f, 0, WAL_INDEX_REGION, 0, &p) != SQLITE_OK || !p)
		return NULL;
	h = p;
	for (size_t i = 0; i < sizeof version; i++)
		((unsigned char *)&version)[i] = h[i];
	if (version != WAL_INDEX_VERSION || !h[WAL_HDR_ISINIT])
		return NULL;
	return h;
}

static int add_id(void *ud, const char *id)
{
	struct store_withdrawn *w = ud;

	if (strlen(id) != BASE62_ID_LEN)
		return 0; /* not an id a request can name */
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 64;
		track_id *ids = realloc(w->ids, cap * sizeof *ids);

		if (!ids)
			return -1;
		w->ids = ids;
		w->cap = cap;
	}
	memcpy(w->ids[w->n++], id, BASE62_ID_LEN + 1);
	return 0;
}

static int reload(struct store *s, struct store_withdrawn *w)
{
	/* tracks_withdrawn (migration 16) indexes exactly these rows, by id. */
	struct db_stmt *st = store_stmt2(s, "SELECT id FROM tracks WHERE NOT available ORDER BY id",
	                                 "SELECT id FROM tracks WHERE available = 0 ORDER BY id COLLATE \"C\"");

	w->n = 0;
	w->loaded = false;
	if (store_each_text(s, st, "the withdrawn tracks", add_id, w) < 0)
		return -1;
	w->loaded = true;
	return 0;
}

static int cmp_id(const void *key, const void *elem)
{
	return strcmp(key, *(const track_id *)elem);
}

/* Asks the database (no header to watch). */
static int ask(struct store *s, const char *id)
{
	struct db_stmt *st = store_stmt2(s, "SELECT 1 FROM tracks WHERE id = ? AND NOT available",
	                                 "SELECT 1 FROM tracks WHERE id = ? AND available = 0");

	if (!st)
		return -1;
	store_bind_text(st, 1, id);
	return store_one(s, st, "a track's availability", NULL, NULL);
}

static long long monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int pg_check(struct store *s, struct store_withdrawn *w, const char *id)
{
	long long now = monotonic_ns();

	if (!w->loaded || now - w->loaded_ns >= PG_LIST_MAX_AGE_NS) {
		if (reload(s, w) < 0)
			return -1;
		w->loaded_ns = now;
	}
	return w->n && bsearch(id, w->ids, w->n, sizeof *w->ids, cmp_id) ? 1 : 0;
}

int store_track_withdrawn(struct store *s, const char *id)
{
	struct store_withdrawn *w = s->withdrawn;
	unsigned char now[WAL_HDR_SIZE];

	if (!w) {
		if (!(w = s->withdrawn = calloc(1, sizeof *w)))
			return -1;
		if (store_is_postgres(s))
			return pg_check(s, w, id);
		w->hdr = map_header(s);
		if (!w->hdr)
			log_info("store: no WAL index to watch: every stream asks the database");
	}
	if (store_is_postgres(s))
		return pg_check(s, w, id);
	if (!w->hdr)
		return ask(s, id);
	for (size_t i = 0; i < WAL_HDR_SIZE; i++)
		now[i] = w->hdr[i];
	/* The header before the rows: see above. */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if (!w->loaded || memcmp(now, w->seen, WAL_HDR_SIZE) != 0) {
		if (reload(s, w) < 0)
			return -1;
		memcpy(w->seen, now, WAL_HDR_SIZE);
	}
	return w->n && bsearch(id, w->ids, w->n, sizeof *w->ids, cmp_id) ? 1 : 0;
}

void store_withdrawn_free(struct store *s)
{
	struct store_withdrawn *w = s->withdrawn;

	if (!w)
		return;
	free(w->ids);
	free(w);
	s->withdrawn = NULL;
}
