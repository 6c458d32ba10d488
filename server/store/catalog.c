/* Catalog rows. See store/catalog.h. */
#include "config.h"
#include "store/catalog.h"

#include <stdio.h>

#include "log.h"

int store_track_duration(struct store *s, const char *id, long long *ms)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT duration_ms FROM tracks WHERE id = ?");
	int rc;

	if (!st)
		return -1;
	store_bind_text(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*ms = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		return rc == SQLITE_ROW;
	log_err("store: track %s: %s", id, sqlite3_errmsg(s->db));
	return -1;
}

int store_track_markets(struct store *s, const char *id, char markets[TRACK_MARKETS_MAX])
{
	sqlite3_stmt *st = store_stmt(s, "SELECT markets FROM tracks WHERE id = ?");
	int rc;

	if (!st)
		return -1;
	store_bind_text(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		snprintf(markets, TRACK_MARKETS_MAX, "%s", store_col_text(st, 0));
	sqlite3_reset(st);
	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		return rc == SQLITE_ROW;
	log_err("store: track %s: %s", id, sqlite3_errmsg(s->db));
	return -1;
}
