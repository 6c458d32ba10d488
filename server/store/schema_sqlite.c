/* The SQLite schema, migration by migration (store/schema.h). */
#include "config.h"
#include "store/schema.h"

/* Schema migrations: each entry moves the database from version i to i + 1 and runs inside
 * one transaction, so a crash mid-migration leaves the previous version intact. Append only. */
/* An artist's genres as artists.genres keeps them (24): the distinct genres of its 200 most
 * played tracks (each track's genres, or its one genre), in byte order, joined with US (0x1f);
 * "" for none. store/catalog_batch.c reads them; schema_pg.c has the same in its dialect. */
#define ARTIST_GENRES(id) \
	"coalesce((SELECT group_concat(g, char(31)) FROM (SELECT DISTINCT j.value g FROM" \
	" (SELECT genre, genres FROM tracks WHERE artist_id = " id " ORDER BY play_count DESC LIMIT 200) t," \
	" json_each(CASE WHEN t.genres = '[]' THEN json_array(t.genre) ELSE t.genres END) j" \
	" WHERE j.value <> '' ORDER BY g)), '')"

const char *const sqlite_migrations[] = {
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
	/* 20: what several instances over one database share (store/secrets.h,
	 * store/ratelimit.h). SQLite's server is one process, which keeps its keys in files
	 * beside the database and its rate limits in memory: the tables stay empty here. */
	"CREATE TABLE server_secrets ("
	"  name TEXT PRIMARY KEY, body TEXT NOT NULL, version INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE ratelimit_hits ("
	"  key INTEGER NOT NULL, win INTEGER NOT NULL, n INTEGER NOT NULL,"
	"  PRIMARY KEY (key, win)) WITHOUT ROWID;",
	/* 21: the Connect hub
	 * of several instances over PostgreSQL (store/bus.h): the instances alive, the devices
	 * each holds, each user's player state (versioned: every instance follows the newest)
	 * and the parcels too big for a notification. A single SQLite process keeps all of it in
	 * memory and never writes these tables; they are made here all the same so that a
	 * database of either kind at a given version holds the same tables. */
	"CREATE TABLE connect_instances (id TEXT PRIMARY KEY, beat_at INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE connect_devices ("
	"  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE, device_id TEXT NOT NULL,"
	"  instance TEXT NOT NULL, name TEXT NOT NULL, type TEXT NOT NULL, volume INTEGER NOT NULL,"
	"  seq INTEGER NOT NULL, PRIMARY KEY (user_id, device_id)) WITHOUT ROWID;"
	"CREATE INDEX connect_devices_instance ON connect_devices(instance);"
	"CREATE TABLE connect_players ("
	"  user_id TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,"
	"  version INTEGER NOT NULL, state TEXT, queue TEXT, queue_version INTEGER NOT NULL,"
	"  active_device TEXT, changed_at INTEGER NOT NULL, changed_by TEXT NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE connect_parcels ("
	"  id INTEGER PRIMARY KEY, created_at INTEGER NOT NULL, body TEXT NOT NULL);"
	"CREATE INDEX connect_parcels_created ON connect_parcels(created_at);",
	/* 22: the Subsonic lists' indexes. On PostgreSQL, the name orders' on the expression its
	 * statements sort by; here albums_name and artists_name (18) already are that order
	 * (NOCASE). On both, the catalog's last change (getIndexes' lastModified), the latest
	 * track made or withdrawn, read off an index instead of a scan of every track. */
	"CREATE INDEX tracks_created ON tracks(created_at);"
	"CREATE INDEX tracks_withdrawn_at ON tracks(withdrawn_at) WHERE withdrawn_at IS NOT NULL;",
	/* 23: PostgreSQL's tracks_album carries the columns an album's count and markets read
	 * (see schema_pg.c). Nothing here: SQLite reads those rows from its mapped file, and a
	 * database of either kind keeps the same version number. */
	"SELECT 1;",
	/* 24: an artist's genres kept on its row, made again by triggers whenever one of its
	 * tracks is added, removed, retagged or moves to another artist: rendering an artist
	 * read its tracks' genres, some 25 rows each and up to 200 (most of a search's time on
	 * PostgreSQL, where each is a heap page). Play counts change which tracks are an
	 * artist's 200 most played without changing its genres here: only an artist with more
	 * than 200 tracks can tell, and then the next change to its tracks brings them up to
	 * date (on PostgreSQL popularity orders ties there too). Each track written costs a
	 * read of up to 200 of its artist's tracks. */
	"ALTER TABLE artists ADD COLUMN genres TEXT NOT NULL DEFAULT '';"
	"UPDATE artists SET genres = " ARTIST_GENRES("artists.id") ";"
	"CREATE TRIGGER artist_genres_track_added AFTER INSERT ON tracks BEGIN"
	"  UPDATE artists SET genres = " ARTIST_GENRES("NEW.artist_id") " WHERE id = NEW.artist_id;"
	" END;"
	"CREATE TRIGGER artist_genres_track_removed AFTER DELETE ON tracks BEGIN"
	"  UPDATE artists SET genres = " ARTIST_GENRES("OLD.artist_id") " WHERE id = OLD.artist_id;"
	" END;"
	"CREATE TRIGGER artist_genres_track_changed AFTER UPDATE OF artist_id, genre, genres ON tracks"
	"  WHEN OLD.artist_id IS NOT NEW.artist_id OR OLD.genre IS NOT NEW.genre"
	"    OR OLD.genres IS NOT NEW.genres BEGIN"
	"  UPDATE artists SET genres = " ARTIST_GENRES("artists.id")
	"   WHERE id IN (OLD.artist_id, NEW.artist_id);"
	" END;",
};

const int sqlite_nmigrations = (int)(sizeof sqlite_migrations / sizeof sqlite_migrations[0]);
