#include "config.h"
#include "store/store.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "fileperm.h"
#include "log.h"
#include "store/store_sqlite.h"

/* Schema migrations: each entry moves the database from version i to i + 1 and runs inside
 * one transaction, so a crash mid-migration leaves the previous version intact. Append only. */
static const char *const migrations[] = {
	/* 1: catalog, users, tokens */
	"CREATE TABLE artists ("
	"  id TEXT PRIMARY KEY, name TEXT NOT NULL, created_at INTEGER NOT NULL);"
	"CREATE TABLE albums ("
	"  id TEXT PRIMARY KEY, name TEXT NOT NULL, artist_id TEXT NOT NULL REFERENCES artists(id),"
	"  release_date TEXT NOT NULL DEFAULT '', created_at INTEGER NOT NULL);"
	"CREATE INDEX albums_artist ON albums(artist_id);"
	"CREATE TABLE tracks ("
	"  id TEXT PRIMARY KEY, name TEXT NOT NULL,"
	"  album_id TEXT NOT NULL REFERENCES albums(id),"
	"  artist_id TEXT NOT NULL REFERENCES artists(id),"
	"  disc_number INTEGER NOT NULL DEFAULT 1, track_number INTEGER NOT NULL DEFAULT 0,"
	"  duration_ms INTEGER NOT NULL, explicit INTEGER NOT NULL DEFAULT 0,"
	"  genre TEXT NOT NULL DEFAULT '', markets TEXT,"
	"  gain_db REAL NOT NULL DEFAULT 0, true_peak REAL NOT NULL DEFAULT 1,"
	"  loudness REAL NOT NULL DEFAULT 0, tempo REAL NOT NULL DEFAULT 0,"
	"  energy REAL NOT NULL DEFAULT 0, brightness REAL NOT NULL DEFAULT 0,"
	"  danceability REAL NOT NULL DEFAULT 0, acousticness REAL NOT NULL DEFAULT 0,"
	"  bytes_low INTEGER, bytes_normal INTEGER, bytes_high INTEGER, bytes_very_high INTEGER,"
	"  source_path TEXT, play_count INTEGER NOT NULL DEFAULT 0,"
	"  popularity INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL);"
	"CREATE INDEX tracks_album ON tracks(album_id, disc_number, track_number);"
	"CREATE INDEX tracks_artist ON tracks(artist_id, play_count DESC);"
	"CREATE TABLE users ("
	"  id TEXT PRIMARY KEY COLLATE NOCASE, display_name TEXT NOT NULL,"
	"  pw_hash TEXT NOT NULL, tier TEXT NOT NULL CHECK (tier IN ('free','premium')),"
	"  country TEXT NOT NULL, created_at INTEGER NOT NULL);"
	"CREATE TABLE tokens ("
	"  hash BLOB PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	"  kind TEXT NOT NULL CHECK (kind IN ('access','refresh')),"
	"  family BLOB NOT NULL, expires_at INTEGER NOT NULL, revoked INTEGER NOT NULL DEFAULT 0,"
	"  created_at INTEGER NOT NULL);"
	"CREATE INDEX tokens_family ON tokens(family);"
	"CREATE INDEX tokens_user ON tokens(user_id);",
	/* 2: the library, following, and listening history */
	"CREATE TABLE saved_tracks ("
	"  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE, track_id TEXT NOT NULL,"
	"  added_at INTEGER NOT NULL, PRIMARY KEY (user_id, track_id)) WITHOUT ROWID;"
	"CREATE INDEX saved_tracks_recent ON saved_tracks(user_id, added_at DESC, track_id);"
	"CREATE TABLE saved_albums ("
	"  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE, album_id TEXT NOT NULL,"
	"  added_at INTEGER NOT NULL, PRIMARY KEY (user_id, album_id)) WITHOUT ROWID;"
	"CREATE INDEX saved_albums_recent ON saved_albums(user_id, added_at DESC, album_id);"
	"CREATE TABLE followed_artists ("
	"  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE, artist_id TEXT NOT NULL,"
	"  followed_at INTEGER NOT NULL, PRIMARY KEY (user_id, artist_id)) WITHOUT ROWID;"
	"CREATE INDEX followed_artists_artist ON followed_artists(artist_id);"
	"CREATE TABLE plays ("
	"  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE, event_id TEXT NOT NULL,"
	"  track_id TEXT NOT NULL, context_uri TEXT, started_at INTEGER NOT NULL,"
	"  ms_played INTEGER NOT NULL, reason_end TEXT NOT NULL, counted INTEGER NOT NULL,"
	"  received_at INTEGER NOT NULL, PRIMARY KEY (user_id, event_id));"
	"CREATE INDEX plays_recent ON plays(user_id, started_at DESC);"
	"CREATE INDEX plays_track ON plays(track_id, started_at);",
	/* 3: playlists. Items keep dense positions 0..n-1, so a page is a range scan. */
	"CREATE TABLE playlists ("
	"  id TEXT PRIMARY KEY, owner_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	"  name TEXT NOT NULL, description TEXT NOT NULL DEFAULT '',"
	"  public INTEGER NOT NULL, collaborative INTEGER NOT NULL, version INTEGER NOT NULL,"
	"  length INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);"
	"CREATE INDEX playlists_owner ON playlists(owner_id, created_at);"
	"CREATE TABLE playlist_items ("
	"  playlist_id TEXT NOT NULL REFERENCES playlists(id) ON DELETE CASCADE, pos INTEGER NOT NULL,"
	"  track_id TEXT NOT NULL, added_at INTEGER NOT NULL, added_by TEXT NOT NULL,"
	"  PRIMARY KEY (playlist_id, pos)) WITHOUT ROWID;"
	"CREATE TABLE playlist_followers ("
	"  playlist_id TEXT NOT NULL REFERENCES playlists(id) ON DELETE CASCADE,"
	"  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE, followed_at INTEGER NOT NULL,"
	"  PRIMARY KEY (playlist_id, user_id)) WITHOUT ROWID;"
	"CREATE INDEX playlist_followers_user ON playlist_followers(user_id, followed_at);",
	/* 4: a counter every change to what search indexes bumps, so the index knows to rebuild */
	"CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;"
	"INSERT INTO meta VALUES ('catalog_version', 1);",
	/* 5: what ingest saw of each source file, so an unchanged file is not decoded again */
	"CREATE TABLE ingest_files ("
	"  path TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,"
	"  track_id TEXT NOT NULL) WITHOUT ROWID;",
	/* 6: the catalog's most played tracks, for the clients' Home */
	"CREATE INDEX tracks_popular ON tracks(play_count DESC, popularity DESC, id);",
	/* 7: recommendation candidates by genre */
	"CREATE INDEX tracks_genre ON tracks(genre COLLATE NOCASE, play_count DESC);",
	/* 8: recommendations. The system user owns the made-for-you playlists; its id cannot be
	 * registered (names start with a letter or digit) and its password hash matches nothing. */
	"INSERT OR IGNORE INTO users (id, display_name, pw_hash, tier, country, created_at)"
	"  VALUES ('_segue', 'Segue', '!', 'premium', 'US', 0);"
	"CREATE TABLE taste ("
	"  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	"  kind TEXT NOT NULL CHECK (kind IN ('genre','artist')), value TEXT NOT NULL,"
	"  added_at INTEGER NOT NULL, PRIMARY KEY (user_id, kind, value)) WITHOUT ROWID;"
	"CREATE TABLE made_for_you ("
	"  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	"  kind TEXT NOT NULL, slot INTEGER NOT NULL, playlist_id TEXT NOT NULL, period TEXT NOT NULL,"
	"  PRIMARY KEY (user_id, kind, slot)) WITHOUT ROWID;"
	"INSERT INTO meta VALUES ('recs_train_requested', 0);",
	/* 9: offline listening: devices registered for downloads, the licences each holds, and
	 * the digests of encoded files (keyed by size and mtime: a re-encoded file is hashed
	 * again) that downloads are checked against */
	"CREATE TABLE offline_devices ("
	"  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE, device_id TEXT NOT NULL,"
	"  name TEXT NOT NULL, registered_at INTEGER NOT NULL, last_checkin INTEGER NOT NULL," /* ms */
	"  PRIMARY KEY (user_id, device_id)) WITHOUT ROWID;"
	"CREATE TABLE offline_licences ("
	"  user_id TEXT NOT NULL, device_id TEXT NOT NULL, track_id TEXT NOT NULL,"
	"  quality TEXT NOT NULL, issued_at INTEGER NOT NULL, expires_at INTEGER NOT NULL,"
	"  PRIMARY KEY (user_id, device_id, track_id),"
	"  FOREIGN KEY (user_id, device_id) REFERENCES offline_devices ON DELETE CASCADE) WITHOUT ROWID;"
	"CREATE TABLE audio_digests ("
	"  track_id TEXT NOT NULL, quality INTEGER NOT NULL, size INTEGER NOT NULL,"
	"  mtime_ns INTEGER NOT NULL, digest TEXT NOT NULL,"
	"  PRIMARY KEY (track_id, quality)) WITHOUT ROWID;",
	/* 10: what changed for search, row by row, so the index can take in a change by indexing
	 * just the rows it touched (server/search/searcher.c). Triggers write it, so no writer can forget
	 * to; AUTOINCREMENT keeps seq rising after the log is trimmed. Types are enum
	 * search_type: 0 track, 1 artist, 2 album, 3 playlist. A track carries its artist and album
	 * along, as their genre and popularity come from their tracks; a renamed artist or album
	 * carries the tracks and albums whose text shows its name. Play counts and followers change
	 * all day and are left to the periodic full rebuild. tracks_artist now covers an artist's
	 * genre and popularity: reading a thousand rows an artist made indexing take seconds, and
	 * an artist in search results hundreds. */
	"DROP INDEX tracks_artist;"
	"CREATE INDEX tracks_artist ON tracks(artist_id, play_count DESC, popularity, genre);"
	"CREATE TABLE search_changes ("
	"  seq INTEGER PRIMARY KEY AUTOINCREMENT, type INTEGER NOT NULL, id TEXT NOT NULL);"
	"CREATE TRIGGER search_track_added AFTER INSERT ON tracks BEGIN"
	"  INSERT INTO search_changes (type, id) VALUES (0, NEW.id), (1, NEW.artist_id), (2, NEW.album_id);"
	" END;"
	"CREATE TRIGGER search_track_removed AFTER DELETE ON tracks BEGIN"
	"  INSERT INTO search_changes (type, id) VALUES (0, OLD.id), (1, OLD.artist_id), (2, OLD.album_id);"
	" END;"
	"CREATE TRIGGER search_track_changed"
	"  AFTER UPDATE OF name, album_id, artist_id, genre, markets, popularity ON tracks"
	"  WHEN OLD.name IS NOT NEW.name OR OLD.album_id IS NOT NEW.album_id"
	"    OR OLD.artist_id IS NOT NEW.artist_id OR OLD.genre IS NOT NEW.genre"
	"    OR OLD.markets IS NOT NEW.markets OR OLD.popularity IS NOT NEW.popularity BEGIN"
	"  INSERT INTO search_changes (type, id) VALUES (0, NEW.id), (1, NEW.artist_id), (2, NEW.album_id);"
	"  INSERT INTO search_changes (type, id) SELECT 1, OLD.artist_id WHERE OLD.artist_id IS NOT NEW.artist_id;"
	"  INSERT INTO search_changes (type, id) SELECT 2, OLD.album_id WHERE OLD.album_id IS NOT NEW.album_id;"
	" END;"
	"CREATE TRIGGER search_artist_added AFTER INSERT ON artists BEGIN"
	"  INSERT INTO search_changes (type, id) VALUES (1, NEW.id);"
	" END;"
	"CREATE TRIGGER search_artist_removed AFTER DELETE ON artists BEGIN"
	"  INSERT INTO search_changes (type, id) VALUES (1, OLD.id);"
	" END;"
	"CREATE TRIGGER search_artist_renamed AFTER UPDATE OF name ON artists"
	"  WHEN OLD.name IS NOT NEW.name BEGIN"
	"  INSERT INTO search_changes (type, id) VALUES (1, NEW.id);"
	"  INSERT INTO search_changes (type, id) SELECT 0, id FROM tracks WHERE artist_id = NEW.id;"
	"  INSERT INTO search_changes (type, id) SELECT 2, id FROM albums WHERE artist_id = NEW.id;"
	" END;"
	"CREATE TRIGGER search_album_added AFTER INSERT ON albums BEGIN"
	"  INSERT INTO search_changes (type, id) VALUES (2, NEW.id);"
	" END;"
	"CREATE TRIGGER search_album_removed AFTER DELETE ON albums BEGIN"
	"  INSERT INTO search_changes (type, id) VALUES (2, OLD.id);"
	" END;"
	"CREATE TRIGGER search_album_changed AFTER UPDATE OF name, artist_id, release_date ON albums"
	"  WHEN OLD.name IS NOT NEW.name OR OLD.artist_id IS NOT NEW.artist_id"
	"    OR OLD.release_date IS NOT NEW.release_date BEGIN"
	"  INSERT INTO search_changes (type, id) VALUES (2, NEW.id);"
	"  INSERT INTO search_changes (type, id) SELECT 0, id FROM tracks WHERE album_id = NEW.id;"
	" END;"
	"CREATE TRIGGER search_playlist_added AFTER INSERT ON playlists BEGIN"
	"  INSERT INTO search_changes (type, id) VALUES (3, NEW.id);"
	" END;"
	"CREATE TRIGGER search_playlist_removed AFTER DELETE ON playlists BEGIN"
	"  INSERT INTO search_changes (type, id) VALUES (3, OLD.id);"
	" END;"
	"CREATE TRIGGER search_playlist_changed AFTER UPDATE OF name, public, owner_id ON playlists"
	"  WHEN OLD.name IS NOT NEW.name OR OLD.public IS NOT NEW.public"
	"    OR OLD.owner_id IS NOT NEW.owner_id BEGIN"
	"  INSERT INTO search_changes (type, id) VALUES (3, NEW.id);"
	" END;"
	"CREATE TRIGGER search_owner_renamed AFTER UPDATE OF display_name ON users"
	"  WHEN OLD.display_name IS NOT NEW.display_name BEGIN"
	"  INSERT INTO search_changes (type, id) SELECT 3, id FROM playlists WHERE owner_id = NEW.id;"
	" END;",
	/* 11: Home's popular list walks albums newest first for the tracks nobody has played. */
	"CREATE INDEX albums_release ON albums(release_date DESC, id);",
	/* 12: the catalog as tags say. A track has its artists in tag order and an album its
	 * album artists (track_artists, album_artists; the first of each stays in
	 * tracks.artist_id and albums.artist_id, which the indexes and recommendations use). The
	 * fields MusicBrainz Picard and players write come along; genres is a JSON array of every
	 * genre (genre keeps the first, for the genre index). Existing rows get their one artist. */
	"CREATE TABLE track_artists ("
	"  track_id TEXT NOT NULL REFERENCES tracks(id) ON DELETE CASCADE, pos INTEGER NOT NULL,"
	"  artist_id TEXT NOT NULL, PRIMARY KEY (track_id, pos)) WITHOUT ROWID;"
	"CREATE INDEX track_artists_artist ON track_artists(artist_id, track_id);"
	"CREATE TABLE album_artists ("
	"  album_id TEXT NOT NULL REFERENCES albums(id) ON DELETE CASCADE, pos INTEGER NOT NULL,"
	"  artist_id TEXT NOT NULL, PRIMARY KEY (album_id, pos)) WITHOUT ROWID;"
	"CREATE INDEX album_artists_artist ON album_artists(artist_id, album_id);"
	"INSERT INTO track_artists SELECT id, 0, artist_id FROM tracks;"
	"INSERT INTO album_artists SELECT id, 0, artist_id FROM albums;"
	"ALTER TABLE tracks ADD COLUMN track_total INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE tracks ADD COLUMN disc_total INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE tracks ADD COLUMN disc_subtitle TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE tracks ADD COLUMN genres TEXT NOT NULL DEFAULT '[]';"
	"ALTER TABLE tracks ADD COLUMN isrc TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE tracks ADD COLUMN mb_track_id TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE tracks ADD COLUMN mb_recording_id TEXT NOT NULL DEFAULT '';"
	/* The file's path under the library folder it was found in: what playlists exported as
	 * M3U and other players name it by. */
	"ALTER TABLE tracks ADD COLUMN library_path TEXT;"
	"CREATE INDEX tracks_library_path ON tracks(library_path);"
	"UPDATE tracks SET genres = json_array(genre) WHERE genre <> '';"
	"ALTER TABLE albums ADD COLUMN release_type TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE albums ADD COLUMN compilation INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE albums ADD COLUMN original_date TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE albums ADD COLUMN label TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE albums ADD COLUMN mb_album_id TEXT NOT NULL DEFAULT '';"
	"UPDATE albums SET compilation = 1 WHERE artist_id IN"
	"  (SELECT id FROM artists WHERE name = 'Various Artists');"
	"ALTER TABLE artists ADD COLUMN mb_artist_id TEXT NOT NULL DEFAULT '';"
	/* Ingest finds the album a folder's tracks are filed under by the path. */
	"CREATE INDEX tracks_source ON tracks(source_path);"
	/* Search shows every artist of a track and album: a change of the lists is a change of
	 * the text, and an artist renamed changes the tracks and albums that show it second. */
	"CREATE TRIGGER search_track_artists_added AFTER INSERT ON track_artists BEGIN"
	"  INSERT INTO search_changes (type, id) VALUES (0, NEW.track_id), (1, NEW.artist_id);"
	" END;"
	"CREATE TRIGGER search_track_artists_removed AFTER DELETE ON track_artists BEGIN"
	"  INSERT INTO search_changes (type, id) VALUES (0, OLD.track_id), (1, OLD.artist_id);"
	" END;"
	"CREATE TRIGGER search_album_artists_added AFTER INSERT ON album_artists BEGIN"
	"  INSERT INTO search_changes (type, id) VALUES (2, NEW.album_id), (1, NEW.artist_id);"
	" END;"
	"CREATE TRIGGER search_album_artists_removed AFTER DELETE ON album_artists BEGIN"
	"  INSERT INTO search_changes (type, id) VALUES (2, OLD.album_id), (1, OLD.artist_id);"
	" END;"
	"CREATE TRIGGER search_artist_renamed_lists AFTER UPDATE OF name ON artists"
	"  WHEN OLD.name IS NOT NEW.name BEGIN"
	"  INSERT INTO search_changes (type, id) SELECT 0, track_id FROM track_artists"
	"    WHERE artist_id = NEW.id AND pos > 0;"
	"  INSERT INTO search_changes (type, id) SELECT 2, album_id FROM album_artists"
	"    WHERE artist_id = NEW.id AND pos > 0;"
	" END;",
	/* 13: lyrics, a track's lines, synced (from LRC) or not, in server/lyrics/'s stored form
	 * ("START_MS\tTEXT\n" a line); and the .lrc ingest last read beside each source file, by
	 * size and mtime, so a re-ingest of unchanged audio still sees the .lrc come, change or go */
	"CREATE TABLE lyrics ("
	"  track_id TEXT PRIMARY KEY REFERENCES tracks(id) ON DELETE CASCADE,"
	"  synced INTEGER NOT NULL, language TEXT,"
	"  source TEXT NOT NULL CHECK (source IN ('lrc','embedded')),"
	"  lines TEXT NOT NULL, updated_at INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE lyrics_sidecars ("
	"  path TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL) WITHOUT ROWID;",
	/* 14: pictures by name (server/images/): an album's cover, an artist's own picture, a
	 * playlist's mosaic or the one its owner uploaded (image_custom), which sticks */
	"ALTER TABLE albums ADD COLUMN image TEXT;"
	"ALTER TABLE artists ADD COLUMN image TEXT;"
	"ALTER TABLE playlists ADD COLUMN image TEXT;"
	"ALTER TABLE playlists ADD COLUMN image_custom INTEGER NOT NULL DEFAULT 0;",
	/* 15: playlists from other players name a file by the end of its path: an index on the
	 * library path's last component (its file name) bounds a suffix match to the few tracks
	 * of that name (store_tracks_by_library_path), without a column to keep up to date. The
	 * expression must stay word for word the one LIBRARY_FILE in store/catalog.c uses. */
	"CREATE INDEX IF NOT EXISTS tracks_library_file ON tracks("
	"  substr(library_path, length(rtrim(library_path, replace(library_path, '/', ''))) + 1));",
	/* 16: a library that changes: a track none of whose source files is left is withdrawn, not
	 * deleted (history, playlists and saved tracks keep it; the same audio brings it back
	 * under the same id). withdrawn_at is in ms, NULL while available. search_track_changed
	 * follows availability, as a withdrawn track leaves search and may take its album and
	 * artist along; ingest finds a track's remembered files by track; /metrics counts the
	 * withdrawn tracks (few) at every scrape. */
	"ALTER TABLE tracks ADD COLUMN available INTEGER NOT NULL DEFAULT 1;"
	"ALTER TABLE tracks ADD COLUMN withdrawn_at INTEGER;"
	"DROP TRIGGER search_track_changed;"
	"CREATE TRIGGER search_track_changed"
	"  AFTER UPDATE OF name, album_id, artist_id, genre, markets, popularity, available ON tracks"
	"  WHEN OLD.name IS NOT NEW.name OR OLD.album_id IS NOT NEW.album_id"
	"    OR OLD.artist_id IS NOT NEW.artist_id OR OLD.genre IS NOT NEW.genre"
	"    OR OLD.markets IS NOT NEW.markets OR OLD.popularity IS NOT NEW.popularity"
	"    OR OLD.available IS NOT NEW.available BEGIN"
	"  INSERT INTO search_changes (type, id) VALUES (0, NEW.id), (1, NEW.artist_id), (2, NEW.album_id);"
	"  INSERT INTO search_changes (type, id) SELECT 1, OLD.artist_id WHERE OLD.artist_id IS NOT NEW.artist_id;"
	"  INSERT INTO search_changes (type, id) SELECT 2, OLD.album_id WHERE OLD.album_id IS NOT NEW.album_id;"
	" END;"
	"CREATE INDEX ingest_files_track ON ingest_files(track_id);"
	"CREATE INDEX tracks_withdrawn ON tracks(id) WHERE NOT available;",
	/* 17: invites to sign up (registration = invite), kept by the BLAKE2b-256 of their code
	 * as tokens are; a row stays when used up or expired, so that the list can say so. */
	"CREATE TABLE invites ("
	"  hash BLOB PRIMARY KEY, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL,"
	"  uses INTEGER NOT NULL, uses_left INTEGER NOT NULL"
	") WITHOUT ROWID;",
	/* 18: the Subsonic API's credentials. API keys are kept by the BLAKE2b-256 of the key,
	 * as tokens are; a Subsonic password (the legacy token auth needs one the server can
	 * read) is kept sealed under subsonic.key, never in the clear. */
	"CREATE TABLE api_keys ("
	"  id TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	"  name TEXT NOT NULL, hash BLOB NOT NULL UNIQUE, created_at INTEGER NOT NULL,"
	"  last_used_at INTEGER);"
	"CREATE INDEX api_keys_user ON api_keys(user_id, created_at);"
	"CREATE TABLE subsonic_passwords ("
	"  user_id TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,"
	"  sealed BLOB NOT NULL, updated_at INTEGER NOT NULL) WITHOUT ROWID;"
	/* Subsonic clients page through albums by name and by newest, and artists by name; the
	 * id settles ties, so a page is read off the index without a sort. */
	"CREATE INDEX albums_name ON albums(name COLLATE NOCASE, id);"
	"CREATE INDEX albums_created ON albums(created_at, id);"
	"CREATE INDEX artists_name ON artists(name COLLATE NOCASE, id);"
	/* A genre's albums (getAlbumList2 byGenre), from the index alone. */
	"CREATE INDEX tracks_genre_album ON tracks(genre COLLATE NOCASE, album_id);",
	/* 19: the play queue an OpenSubsonic client saved, so that savePlayQueue outlives a
	 * restart (store/playqueue.h). Its songs by position: a queue may repeat a song. */
	"CREATE TABLE play_queues ("
	"  user_id TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,"
	"  current INTEGER NOT NULL, position_ms INTEGER NOT NULL, changed_by TEXT NOT NULL,"
	"  changed_at INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE play_queue_items ("
	"  user_id TEXT NOT NULL REFERENCES play_queues(user_id) ON DELETE CASCADE,"
	"  pos INTEGER NOT NULL, track_id TEXT NOT NULL,"
	"  PRIMARY KEY (user_id, pos)) WITHOUT ROWID;",
};

#define NMIGRATIONS (int)(sizeof migrations / sizeof migrations[0])

/* The integer a one-row query answers, 0 for no row, -1 on error. sql is a literal. */
static long long scalar(struct store *s, const char *sql)
{
	sqlite3_stmt *st = store_stmt(s, sql);
	long long v = 0;
	int rc;

	if (!st)
		return -1;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		log_err("database: \"%.60s\": %s", sql, sqlite3_errmsg(s->db));
		return -1;
	}
	return v;
}

long long store_search_head(struct store *s)
{
	/* sqlite_sequence, not max(seq): the log may have been trimmed to nothing. */
	return scalar(s, "SELECT seq FROM sqlite_sequence WHERE name = 'search_changes'");
}

int store_search_trim(struct store *s, long long upto)
{
	/* In slices: a trim after a big ingest must not hold the write lock for seconds. */
	for (;;) {
		sqlite3_stmt *st = store_stmt(s, "DELETE FROM search_changes WHERE seq <= ?1 AND seq <="
		                                 " (SELECT min(seq) FROM search_changes) + 20000");

		if (!st)
			return -1;
		sqlite3_bind_int64(st, 1, upto);
		if (sqlite3_step(st) != SQLITE_DONE) {
			log_err("database: trimming the search change log: %s", sqlite3_errmsg(s->db));
			sqlite3_reset(st);
			return -1;
		}
		if (sqlite3_changes(s->db) == 0)
			return 0;
	}
}

int store_bump_tracks(struct store *s)
{
	/* An upsert: the row is made by the first ingest, not by a migration. */
	sqlite3_stmt *st = store_stmt(s, "INSERT INTO meta (key, value) VALUES ('tracks_version', 1)"
	                                 " ON CONFLICT (key) DO UPDATE SET value = value + 1");

	return st && sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
}

long long store_tracks_version(struct store *s)
{
	return scalar(s, "SELECT value FROM meta WHERE key = 'tracks_version'");
}

long long store_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void store_release(struct store *s)
{
	sqlite3_stmt *st = NULL;

	/* Inside an explicit transaction nothing is left behind by accident. */
	if (!sqlite3_get_autocommit(s->db))
		return;
	while ((st = sqlite3_next_stmt(s->db, st)))
		if (sqlite3_stmt_busy(st)) {
			log_warn("store: a statement was left unfinished: %s", sqlite3_sql(st));
			sqlite3_reset(st);
		}
}

int store_exec(struct store *s, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		log_err("database: %s", msg ? msg : sqlite3_errmsg(s->db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

int store_begin(struct store *s) { return store_exec(s, "BEGIN IMMEDIATE"); }
int store_commit(struct store *s) { return store_exec(s, "COMMIT"); }

void store_rollback(struct store *s)
{
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

int store_snapshot_begin(struct store *s, bool whole)
{
	/* Mapped, a read of the whole file costs no system call a page. */
	if (whole)
		sqlite3_exec(s->db, "PRAGMA mmap_size = 2147418112", NULL, NULL, NULL);
	if (sqlite3_exec(s->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
		log_err("store: a read transaction: %s", sqlite3_errmsg(s->db));
		if (whole)
			sqlite3_exec(s->db, "PRAGMA mmap_size = 0", NULL, NULL, NULL);
		return -1;
	}
	return 0;
}

void store_snapshot_end(struct store *s, bool whole)
{
	/* A read transaction: COMMIT and ROLLBACK end it alike. */
	sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
	/* Unmapped again, so the server's memory is not the database's size. */
	if (whole)
		sqlite3_exec(s->db, "PRAGMA mmap_size = 0", NULL, NULL, NULL);
}

const char *store_file(struct store *s)
{
	return sqlite3_db_filename(s->db, "main");
}

static int migrate(struct store *s, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int version = 0;

	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		goto fail;
	if (sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (version > NMIGRATIONS) {
		snprintf(err, errlen, "database schema %d is newer than this segue-server (%d)",
		         version, NMIGRATIONS);
		return -1;
	}
	for (; version < NMIGRATIONS; version++) {
		char pragma[64];

		if (store_begin(s) < 0)
			goto fail;
		snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", version + 1);
		if (store_exec(s, migrations[version]) < 0 || store_exec(s, pragma) < 0) {
			store_rollback(s);
			goto fail;
		}
		if (store_commit(s) < 0)
			goto fail;
	}
	return 0;
fail:
	snprintf(err, errlen, "database migration failed: %s", sqlite3_errmsg(s->db));
	return -1;
}

/* segue_decay(started_at, now, tau_days): how much a play of that age weighs, exp(-age/tau).
 * SQLite has no exp() of its own in every build; PostgreSQL would use exp() in the query. */
static void decay(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	double age_days = (double)(sqlite3_value_int64(argv[1]) - sqlite3_value_int64(argv[0])) /
	                  (86400.0 * 1000);

	(void)argc;
	sqlite3_result_double(ctx, exp(-age_days / sqlite3_value_double(argv[2])));
}

int store_open(struct store *s, const char *data_dir, char *err, size_t errlen)
{
	char path[1200];

	memset(s, 0, sizeof *s);
	snprintf(path, sizeof path, "%s/segue.db", data_dir);
	/* It holds password hashes and token hashes: 0600, whatever the data directory's mode.
	 * SQLite gives -wal and -shm the database's mode, so a private database keeps them so. */
	if (sqlite_files_make_private(path, err, errlen) < 0 || file_create_private(path, err, errlen) < 0)
		goto fail;
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	                    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, s->db ? sqlite3_errmsg(s->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(s->db, 10000);
	sqlite3_create_function(s->db, "segue_decay", 3, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
	                        decay, NULL, NULL);
	/* WAL with synchronous=FULL: a commit is on disk before it is acknowledged, so an
	 * acknowledged write survives kill -9 and power loss alike. */
	if (store_exec(s, "PRAGMA journal_mode=WAL") < 0 ||
	    store_exec(s, "PRAGMA synchronous=FULL") < 0 ||
	    store_exec(s, "PRAGMA foreign_keys=ON") < 0) {
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(s->db));
		goto fail;
	}
	if (migrate(s, err, errlen) < 0)
		goto fail;
	return 0;
fail:
	store_close(s);
	return -1;
}

void store_close(struct store *s)
{
	store_withdrawn_free(s);
	for (int i = 0; i < STMT_CACHE; i++)
		sqlite3_finalize(s->cache[i].stmt);
	sqlite3_close(s->db);
	memset(s, 0, sizeof *s);
}

sqlite3_stmt *store_stmt(struct store *s, const char *sql)
{
	size_t h = ((size_t)sql >> 3) % STMT_CACHE;

	for (int probe = 0; probe < STMT_CACHE; probe++) {
		size_t i = (h + probe) % STMT_CACHE;

		if (s->cache[i].sql == sql) {
			sqlite3_reset(s->cache[i].stmt);
			sqlite3_clear_bindings(s->cache[i].stmt);
			return s->cache[i].stmt;
		}
		if (!s->cache[i].sql) {
			sqlite3_stmt *st;

			if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st,
			                       NULL) != SQLITE_OK) {
				log_err("database: preparing \"%.60s\": %s", sql, sqlite3_errmsg(s->db));
				return NULL;
			}
			s->cache[i].sql = sql;
			s->cache[i].stmt = st;
			return st;
		}
	}
	log_err("database: statement cache full");
	return NULL;
}

void store_bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

const char *store_col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t ? (const char *)t : "";
}

int store_fail(struct store *s, const char *what)
{
	log_err("store: %s: %s", what, sqlite3_errmsg(s->db));
	return -1;
}

int store_change(struct store *s, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st), n = rc == SQLITE_DONE ? sqlite3_changes(s->db) : 0;

	if (rc != SQLITE_DONE)
		store_fail(s, what); /* before the reset, which may change the message */
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? n > 0 : -1;
}

int store_done(struct store *s, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	if (rc != SQLITE_DONE)
		store_fail(s, what);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

long long store_integer(struct store *s, sqlite3_stmt *st, const char *what)
{
	long long n = 0;
	int rc;

	if (!st)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? n : store_fail(s, what);
}

int store_one(struct store *s, sqlite3_stmt *st, const char *what,
              void (*fill)(sqlite3_stmt *st, void *out), void *out)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW && fill)
		fill(st, out);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		store_fail(s, what);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

struct text_out {
	char *buf;
	size_t len;
};

static void fill_text(sqlite3_stmt *st, void *out)
{
	struct text_out *t = out;

	snprintf(t->buf, t->len, "%s", store_col_text(st, 0));
}

int store_one_text(struct store *s, sqlite3_stmt *st, const char *what, char *out, size_t len)
{
	struct text_out t = { out, len };

	return st ? store_one(s, st, what, fill_text, &t) : -1;
}

static void fill_int64(sqlite3_stmt *st, void *out)
{
	*(long long *)out = sqlite3_column_int64(st, 0);
}

int store_one_int64(struct store *s, sqlite3_stmt *st, const char *what, long long *out)
{
	return st ? store_one(s, st, what, out ? fill_int64 : NULL, out) : -1;
}

int store_each(struct store *s, sqlite3_stmt *st, const char *what,
               int (*row)(sqlite3_stmt *st, void *cb, void *ud), void *cb, void *ud)
{
	int rc, verdict = 0;

	if (!st)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && !(verdict = row(st, cb, ud)))
		;
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		store_fail(s, what);
	sqlite3_reset(st);
	return verdict < 0 || (rc != SQLITE_ROW && rc != SQLITE_DONE) ? -1 : 0;
}

static int text_row(sqlite3_stmt *st, void *cb, void *ud)
{
	return (*(int (**)(void *, const char *))cb)(ud, store_col_text(st, 0));
}

int store_each_text(struct store *s, sqlite3_stmt *st, const char *what,
                    int (*each)(void *ud, const char *text), void *ud)
{
	return store_each(s, st, what, text_row, &each, ud);
}
