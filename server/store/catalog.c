/* Catalog rows. See store/catalog.h. */
#include "config.h"
#include "store/catalog.h"

#include <stdio.h>

#include "log.h"

static int failed(struct store *s, const char *what)
{
	log_err("store: %s: %s", what, sqlite3_errmsg(s->db));
	return -1;
}

/* A statement that changes rows, stepped once: 0, or -1 after logging. */
static int done(struct store *s, sqlite3_stmt *st, const char *what)
{
	return sqlite3_step(st) == SQLITE_DONE ? 0 : failed(s, what);
}

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
	return failed(s, "a track's duration");
}

int store_track_exists(struct store *s, const char *id)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT 1 FROM tracks WHERE id = ?");
	int rc;

	if (!st)
		return -1;
	store_bind_text(st, 1, id);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		return rc == SQLITE_ROW;
	return failed(s, "a track");
}

int store_track_filing(struct store *s, const char *id, char album_id[BASE62_ID_LEN + 1],
                       char artist_id[BASE62_ID_LEN + 1])
{
	sqlite3_stmt *st = store_stmt(s, "SELECT album_id, artist_id FROM tracks WHERE id = ?");
	int rc;

	if (!st)
		return -1;
	store_bind_text(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		snprintf(album_id, BASE62_ID_LEN + 1, "%s", store_col_text(st, 0));
		snprintf(artist_id, BASE62_ID_LEN + 1, "%s", store_col_text(st, 1));
	}
	sqlite3_reset(st);
	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		return rc == SQLITE_ROW;
	return failed(s, "a track's filing");
}

int store_artist_ensure(struct store *s, const char *id, const char *name, long long now)
{
	sqlite3_stmt *st = store_stmt(s, "INSERT INTO artists (id, name, created_at) VALUES (?, ?, ?)"
	                                 " ON CONFLICT(id) DO NOTHING");

	if (!st)
		return -1;
	store_bind_text(st, 1, id);
	store_bind_text(st, 2, name);
	sqlite3_bind_int64(st, 3, now);
	return done(s, st, "an artist");
}

int store_album_ensure(struct store *s, const char *id, const char *name, const char *artist_id,
                       const char *release_date, long long now)
{
	sqlite3_stmt *st = store_stmt(s, "INSERT INTO albums (id, name, artist_id, release_date, created_at)"
	                   " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(id) DO UPDATE SET release_date ="
	                   " CASE WHEN excluded.release_date <> '' AND (albums.release_date = ''"
	                   " OR excluded.release_date < albums.release_date)"
	                   " THEN excluded.release_date ELSE albums.release_date END");

	if (!st)
		return -1;
	store_bind_text(st, 1, id);
	store_bind_text(st, 2, name);
	store_bind_text(st, 3, artist_id);
	store_bind_text(st, 4, release_date);
	sqlite3_bind_int64(st, 5, now);
	return done(s, st, "an album");
}

int store_track_put(struct store *s, const struct track_record *t, long long now)
{
	sqlite3_stmt *st = store_stmt(s,
		"INSERT INTO tracks (id, name, album_id, artist_id, disc_number, track_number, duration_ms,"
		" explicit, genre, markets, gain_db, true_peak, loudness, tempo, energy, brightness,"
		" danceability, acousticness, bytes_low, bytes_normal, bytes_high, bytes_very_high,"
		" source_path, created_at)"
		" VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,?22,?23,?24)"
		" ON CONFLICT(id) DO UPDATE SET name = excluded.name, album_id = excluded.album_id,"
		" artist_id = excluded.artist_id, disc_number = excluded.disc_number,"
		" track_number = excluded.track_number, explicit = excluded.explicit,"
		" genre = excluded.genre, markets = excluded.markets, source_path = excluded.source_path,"
		" bytes_low = coalesce(excluded.bytes_low, bytes_low),"
		" bytes_normal = coalesce(excluded.bytes_normal, bytes_normal),"
		" bytes_high = coalesce(excluded.bytes_high, bytes_high),"
		" bytes_very_high = coalesce(excluded.bytes_very_high, bytes_very_high)");

	if (!st)
		return -1;
	store_bind_text(st, 1, t->id);
	store_bind_text(st, 2, t->name);
	store_bind_text(st, 3, t->album_id);
	store_bind_text(st, 4, t->artist_id);
	sqlite3_bind_int(st, 5, t->disc_number);
	sqlite3_bind_int(st, 6, t->track_number);
	sqlite3_bind_int64(st, 7, t->duration_ms);
	sqlite3_bind_int(st, 8, t->explicit_ ? 1 : 0);
	store_bind_text(st, 9, t->genre);
	store_bind_text(st, 10, t->markets);
	sqlite3_bind_double(st, 11, t->gain_db);
	sqlite3_bind_double(st, 12, t->true_peak);
	sqlite3_bind_double(st, 13, t->loudness);
	sqlite3_bind_double(st, 14, t->tempo);
	sqlite3_bind_double(st, 15, t->energy);
	sqlite3_bind_double(st, 16, t->brightness);
	sqlite3_bind_double(st, 17, t->danceability);
	sqlite3_bind_double(st, 18, t->acousticness);
	for (int q = 0; q < 4; q++)
		if (t->bytes)
			sqlite3_bind_int64(st, 19 + q, t->bytes[q]);
	store_bind_text(st, 23, t->source_path);
	sqlite3_bind_int64(st, 24, now);
	return done(s, st, "a track");
}

int store_album_drop_if_empty(struct store *s, const char *id)
{
	sqlite3_stmt *st = store_stmt(s, "DELETE FROM albums WHERE id = ?1"
	                                 " AND NOT EXISTS (SELECT 1 FROM tracks WHERE album_id = ?1)");

	if (!st)
		return -1;
	store_bind_text(st, 1, id);
	return done(s, st, "an empty album");
}

int store_artist_drop_if_unused(struct store *s, const char *id)
{
	sqlite3_stmt *st = store_stmt(s, "DELETE FROM artists WHERE id = ?1"
	                                 " AND NOT EXISTS (SELECT 1 FROM tracks WHERE artist_id = ?1)"
	                                 " AND NOT EXISTS (SELECT 1 FROM albums WHERE artist_id = ?1)");

	if (!st)
		return -1;
	store_bind_text(st, 1, id);
	return done(s, st, "an artist without music");
}

int store_ingest_file_track(struct store *s, const char *path, long long size, long long mtime_ns,
                            char track_id[BASE62_ID_LEN + 1])
{
	sqlite3_stmt *st = store_stmt(s, "SELECT track_id FROM ingest_files WHERE path = ? AND"
	                                 " size = ? AND mtime_ns = ?");
	int rc, found = 0;

	if (!st)
		return -1;
	store_bind_text(st, 1, path);
	sqlite3_bind_int64(st, 2, size);
	sqlite3_bind_int64(st, 3, mtime_ns);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_text(st, 0)) {
		snprintf(track_id, BASE62_ID_LEN + 1, "%s", store_col_text(st, 0));
		found = 1;
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? found : failed(s, "a source file");
}

int store_ingest_file_remember(struct store *s, const char *path, long long size,
                               long long mtime_ns, const char *track_id)
{
	sqlite3_stmt *st = store_stmt(s, "INSERT OR REPLACE INTO ingest_files (path, size, mtime_ns,"
	                                 " track_id) VALUES (?, ?, ?, ?)");

	if (!st)
		return -1;
	store_bind_text(st, 1, path);
	sqlite3_bind_int64(st, 2, size);
	sqlite3_bind_int64(st, 3, mtime_ns);
	store_bind_text(st, 4, track_id);
	return done(s, st, "a source file");
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
