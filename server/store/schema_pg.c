/* The PostgreSQL schema, migration by migration (store/schema.h).
 *
 * Migration N here makes what migration N of store/schema_sqlite.c makes, in the same order:
 * the same tables with their columns in the same order, the same indexes and triggers under
 * the same names (tests/schema_pg.py holds the two side by side). The dialect's
 * differences, kept to the types and the few things SQLite has built in:
 *   - INTEGER is BIGINT (SQLite's integers are 64-bit: times are in ms), REAL is DOUBLE
 *     PRECISION, BLOB is BYTEA, and WITHOUT ROWID goes.
 *   - The tables whose rowid the shared SQL reads (tracks, albums, plays, api_keys) have a
 *     column of that name, unique, first as SQLite's hidden one is; the comparison leaves it
 *     out. See segue_rowid below for how tracks and albums number theirs.
 *   - COLLATE NOCASE names the case-insensitive collation nocase made by migration 1, and
 *     segue_decay, which SQLite takes from C (store/store.c), is a function in SQL.
 *   - SQLite's triggers are trigger functions in PL/pgSQL. search_changes.seq is a sequence,
 *     which hands out numbers before commit: see search_lock below.
 *   - Integers SQLite reads as booleans are compared with 0 (WHERE available = 0). */
#include "config.h"
#include "store/schema.h"

/* The write lock of store_begin (PG_LOCK_WRITE in store/store.c). */
#define WRITE_LOCK "7310498117002"

/* The search change log is read by seq (store_search_changed): a reader that has seen seq N
 * never looks below N again. A sequence's numbers are handed out when a row is inserted, not
 * when it commits, so two writers could commit in the other order and a reader between the
 * two commits would skip the lower number for ever. Every statement that may write to the
 * log therefore first takes the store's write lock (a no-op for a transaction of
 * store_begin's, which holds it already), so the log's writers take their numbers and commit
 * one at a time, in seq order. The lock is taken before the statement touches a row
 * (statement-level BEFORE triggers), never by a row trigger while the statement holds rows
 * that a lock holder may want. */
#define SEARCH_LOCK(table, events) \
	"CREATE TRIGGER search_lock_" table " BEFORE " events " ON " table \
	"  FOR EACH STATEMENT EXECUTE FUNCTION search_lock();"

/* A row trigger whose body is PL/pgSQL: the function and its trigger, under one name. */
#define ROW_TRIGGER(name, events, table, when, body) \
	"CREATE FUNCTION " name "() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN " body \
	" RETURN NULL; END $$;" \
	"CREATE TRIGGER " name " AFTER " events " ON " table " FOR EACH ROW " when \
	" EXECUTE FUNCTION " name "();"

/* An artist's genres as artists.genres keeps them (24; see schema_sqlite.c): PostgreSQL is
 * given tracks_artist's order in full (play count, then popularity and genre ascending), so
 * that ties fall as on SQLite, and sorts in byte order (collation C). */
#define ARTIST_GENRES(id) \
	"coalesce((SELECT string_agg(DISTINCT j.g COLLATE \"C\", chr(31) ORDER BY j.g COLLATE \"C\") FROM" \
	" (SELECT genre, genres FROM tracks WHERE artist_id = " id \
	"  ORDER BY play_count DESC, popularity, genre LIMIT 200) t," \
	" jsonb_array_elements_text(CASE WHEN t.genres = '[]' THEN jsonb_build_array(t.genre)" \
	"  ELSE CAST(t.genres AS jsonb) END) j(g) WHERE j.g <> ''), '')"

const char *const pg_migrations[] = {
	/* 1: catalog, users, tokens; and what later SQL relies on: the collation nocase (ICU's
	 * root locale at strength 2: case is ignored, accents are not, as near SQLite's NOCASE
	 * as PostgreSQL comes while comparing letters beyond ASCII too) and segue_decay. */
	"DO $$ BEGIN"
	"  CREATE COLLATION nocase (provider = icu, locale = 'und-u-ks-level2', deterministic = false);"
	" EXCEPTION WHEN feature_not_supported THEN"
	"  RAISE EXCEPTION 'segue-server needs PostgreSQL built with ICU, for its case-insensitive"
	" collation (nocase)';"
	" END $$;"
	/* A new row's rowid in tracks and albums, as SQLite gives one: the table's largest plus
	 * one, under the write lock (store_begin's, so an insert outside a transaction waits for
	 * the writer inside one). Their rowids are drawn at random to pick random songs and
	 * albums (store/subsonic_catalog.c), which needs them dense, and an identity would not
	 * keep them so: ingest upserts every album once per track, and an upsert that finds its
	 * row has taken a number from the sequence all the same. The price is that one statement
	 * cannot insert several rows into these tables (they would share a number; the unique
	 * index says so): the store inserts them row by row. plays and api_keys, whose rowids
	 * only order and count, keep identities. */
	"CREATE FUNCTION segue_rowid(tbl TEXT) RETURNS BIGINT LANGUAGE plpgsql VOLATILE AS $$"
	" DECLARE n BIGINT; BEGIN"
	"  PERFORM pg_advisory_xact_lock(" WRITE_LOCK ");"
	"  IF tbl = 'tracks' THEN SELECT coalesce(max(rowid), 0) + 1 INTO n FROM tracks;"
	"  ELSIF tbl = 'albums' THEN SELECT coalesce(max(rowid), 0) + 1 INTO n FROM albums;"
	"  ELSE RAISE EXCEPTION 'segue_rowid: no rowids for %', tbl; END IF;"
	"  RETURN n; END $$;"
	/* exp() underflows to an error in PostgreSQL where C gives 0: a play 700 time
	 * constants old weighs nothing either way. */
	"CREATE FUNCTION segue_decay(started_at BIGINT, now BIGINT, tau_days DOUBLE PRECISION)"
	"  RETURNS DOUBLE PRECISION LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$"
	"  SELECT CASE WHEN (now - started_at) / 86400000.0::float8 / tau_days > 700 THEN 0"
	"   WHEN (now - started_at) / 86400000.0::float8 / tau_days < -700 THEN 'Infinity'"
	"   ELSE exp(-((now - started_at) / 86400000.0::float8) / tau_days) END $$;"
	"CREATE TABLE artists ("
	"  id TEXT PRIMARY KEY, name TEXT NOT NULL, created_at BIGINT NOT NULL);"
	"CREATE TABLE albums ("
	"  rowid BIGINT NOT NULL DEFAULT segue_rowid('albums'),"
	"  id TEXT PRIMARY KEY, name TEXT NOT NULL, artist_id TEXT NOT NULL REFERENCES artists(id),"
	"  release_date TEXT NOT NULL DEFAULT '', created_at BIGINT NOT NULL);"
	"CREATE UNIQUE INDEX albums_rowid ON albums(rowid);"
	"CREATE INDEX albums_artist ON albums(artist_id);"
	"CREATE TABLE tracks ("
	"  rowid BIGINT NOT NULL DEFAULT segue_rowid('tracks'),"
	"  id TEXT PRIMARY KEY, name TEXT NOT NULL,"
	"  album_id TEXT NOT NULL REFERENCES albums(id),"
	"  artist_id TEXT NOT NULL REFERENCES artists(id),"
	"  disc_number BIGINT NOT NULL DEFAULT 1, track_number BIGINT NOT NULL DEFAULT 0,"
	"  duration_ms BIGINT NOT NULL, explicit BIGINT NOT NULL DEFAULT 0,"
	"  genre TEXT NOT NULL DEFAULT '', markets TEXT,"
	"  gain_db DOUBLE PRECISION NOT NULL DEFAULT 0, true_peak DOUBLE PRECISION NOT NULL DEFAULT 1,"
	"  loudness DOUBLE PRECISION NOT NULL DEFAULT 0, tempo DOUBLE PRECISION NOT NULL DEFAULT 0,"
	"  energy DOUBLE PRECISION NOT NULL DEFAULT 0, brightness DOUBLE PRECISION NOT NULL DEFAULT 0,"
	"  danceability DOUBLE PRECISION NOT NULL DEFAULT 0,"
	"  acousticness DOUBLE PRECISION NOT NULL DEFAULT 0,"
	"  bytes_low BIGINT, bytes_normal BIGINT, bytes_high BIGINT, bytes_very_high BIGINT,"
	"  source_path TEXT, play_count BIGINT NOT NULL DEFAULT 0,"
	"  popularity BIGINT NOT NULL DEFAULT 0, created_at BIGINT NOT NULL);"
	"CREATE UNIQUE INDEX tracks_rowid ON tracks(rowid);"
	"CREATE INDEX tracks_album ON tracks(album_id, disc_number, track_number);"
	"CREATE INDEX tracks_artist ON tracks(artist_id, play_count DESC);"
	"CREATE TABLE users ("
	"  id TEXT PRIMARY KEY COLLATE nocase, display_name TEXT NOT NULL,"
	"  pw_hash TEXT NOT NULL, tier TEXT NOT NULL CHECK (tier IN ('free','premium')),"
	"  country TEXT NOT NULL, created_at BIGINT NOT NULL);"
	"CREATE TABLE tokens ("
	"  hash BYTEA PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	"  kind TEXT NOT NULL CHECK (kind IN ('access','refresh')),"
	"  family BYTEA NOT NULL, expires_at BIGINT NOT NULL, revoked BIGINT NOT NULL DEFAULT 0,"
	"  created_at BIGINT NOT NULL);"
	"CREATE INDEX tokens_family ON tokens(family);"
	"CREATE INDEX tokens_user ON tokens(user_id);",
	/* 2: the library, following, and listening history */
	"CREATE TABLE saved_tracks ("
	"  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE, track_id TEXT NOT NULL,"
	"  added_at BIGINT NOT NULL, PRIMARY KEY (user_id, track_id));"
	"CREATE INDEX saved_tracks_recent ON saved_tracks(user_id, added_at DESC, track_id);"
	"CREATE TABLE saved_albums ("
	"  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE, album_id TEXT NOT NULL,"
	"  added_at BIGINT NOT NULL, PRIMARY KEY (user_id, album_id));"
	"CREATE INDEX saved_albums_recent ON saved_albums(user_id, added_at DESC, album_id);"
	"CREATE TABLE followed_artists ("
	"  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE, artist_id TEXT NOT NULL,"
	"  followed_at BIGINT NOT NULL, PRIMARY KEY (user_id, artist_id));"
	"CREATE INDEX followed_artists_artist ON followed_artists(artist_id);"
	"CREATE TABLE plays ("
	"  rowid BIGINT GENERATED BY DEFAULT AS IDENTITY,"
	"  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE, event_id TEXT NOT NULL,"
	"  track_id TEXT NOT NULL, context_uri TEXT, started_at BIGINT NOT NULL,"
	"  ms_played BIGINT NOT NULL, reason_end TEXT NOT NULL, counted BIGINT NOT NULL,"
	"  received_at BIGINT NOT NULL, PRIMARY KEY (user_id, event_id));"
	"CREATE UNIQUE INDEX plays_rowid ON plays(rowid);"
	"CREATE INDEX plays_recent ON plays(user_id, started_at DESC);"
	"CREATE INDEX plays_track ON plays(track_id, started_at);",
	/* 3: playlists. Items keep dense positions 0..n-1, so a page is a range scan. */
	"CREATE TABLE playlists ("
	"  id TEXT PRIMARY KEY, owner_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	"  name TEXT NOT NULL, description TEXT NOT NULL DEFAULT '',"
	"  public BIGINT NOT NULL, collaborative BIGINT NOT NULL, version BIGINT NOT NULL,"
	"  length BIGINT NOT NULL DEFAULT 0, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL);"
	"CREATE INDEX playlists_owner ON playlists(owner_id, created_at);"
	"CREATE TABLE playlist_items ("
	"  playlist_id TEXT NOT NULL REFERENCES playlists(id) ON DELETE CASCADE, pos BIGINT NOT NULL,"
	"  track_id TEXT NOT NULL, added_at BIGINT NOT NULL, added_by TEXT NOT NULL,"
	"  PRIMARY KEY (playlist_id, pos));"
	"CREATE TABLE playlist_followers ("
	"  playlist_id TEXT NOT NULL REFERENCES playlists(id) ON DELETE CASCADE,"
	"  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE, followed_at BIGINT NOT NULL,"
	"  PRIMARY KEY (playlist_id, user_id));"
	"CREATE INDEX playlist_followers_user ON playlist_followers(user_id, followed_at);",
	/* 4: a counter every change to what search indexes bumps, so the index knows to rebuild */
	"CREATE TABLE meta (key TEXT PRIMARY KEY, value BIGINT NOT NULL);"
	"INSERT INTO meta VALUES ('catalog_version', 1);",
	/* 5: what ingest saw of each source file, so an unchanged file is not decoded again */
	"CREATE TABLE ingest_files ("
	"  path TEXT PRIMARY KEY, size BIGINT NOT NULL, mtime_ns BIGINT NOT NULL,"
	"  track_id TEXT NOT NULL);",
	/* 6: the catalog's most played tracks, for the clients' Home */
	"CREATE INDEX tracks_popular ON tracks(play_count DESC, popularity DESC, id);",
	/* 7: recommendation candidates by genre */
	"CREATE INDEX tracks_genre ON tracks(genre COLLATE nocase, play_count DESC);",
	/* 8: recommendations; the system user owns the made-for-you playlists */
	"INSERT INTO users (id, display_name, pw_hash, tier, country, created_at)"
	"  VALUES ('_segue', 'Segue', '!', 'premium', 'US', 0) ON CONFLICT DO NOTHING;"
	"CREATE TABLE taste ("
	"  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	"  kind TEXT NOT NULL CHECK (kind IN ('genre','artist')), value TEXT NOT NULL,"
	"  added_at BIGINT NOT NULL, PRIMARY KEY (user_id, kind, value));"
	"CREATE TABLE made_for_you ("
	"  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	"  kind TEXT NOT NULL, slot BIGINT NOT NULL, playlist_id TEXT NOT NULL, period TEXT NOT NULL,"
	"  PRIMARY KEY (user_id, kind, slot));"
	"INSERT INTO meta VALUES ('recs_train_requested', 0);",
	/* 9: offline listening: devices, their licences, and the encoded files' digests */
	"CREATE TABLE offline_devices ("
	"  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE, device_id TEXT NOT NULL,"
	"  name TEXT NOT NULL, registered_at BIGINT NOT NULL, last_checkin BIGINT NOT NULL,"
	"  PRIMARY KEY (user_id, device_id));"
	"CREATE TABLE offline_licences ("
	"  user_id TEXT NOT NULL, device_id TEXT NOT NULL, track_id TEXT NOT NULL,"
	"  quality TEXT NOT NULL, issued_at BIGINT NOT NULL, expires_at BIGINT NOT NULL,"
	"  PRIMARY KEY (user_id, device_id, track_id),"
	"  FOREIGN KEY (user_id, device_id) REFERENCES offline_devices ON DELETE CASCADE);"
	"CREATE TABLE audio_digests ("
	"  track_id TEXT NOT NULL, quality BIGINT NOT NULL, size BIGINT NOT NULL,"
	"  mtime_ns BIGINT NOT NULL, digest TEXT NOT NULL,"
	"  PRIMARY KEY (track_id, quality));",
	/* 10: what changed for search, row by row (see schema_sqlite.c). The triggers' WHEN
	 * clauses are SQLite's, with IS DISTINCT FROM for IS NOT. */
	"DROP INDEX tracks_artist;"
	"CREATE INDEX tracks_artist ON tracks(artist_id, play_count DESC, popularity, genre);"
	"CREATE TABLE search_changes ("
	"  seq BIGSERIAL PRIMARY KEY, type BIGINT NOT NULL, id TEXT NOT NULL);"
	"CREATE FUNCTION search_lock() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
	"  PERFORM pg_advisory_xact_lock(" WRITE_LOCK "); RETURN NULL; END $$;"
	SEARCH_LOCK("tracks", "INSERT OR DELETE OR UPDATE OF name, album_id, artist_id, genre,"
	                      " markets, popularity")
	SEARCH_LOCK("artists", "INSERT OR DELETE OR UPDATE OF name")
	SEARCH_LOCK("albums", "INSERT OR DELETE OR UPDATE OF name, artist_id, release_date")
	SEARCH_LOCK("playlists", "INSERT OR DELETE OR UPDATE OF name, public, owner_id")
	SEARCH_LOCK("users", "UPDATE OF display_name")
	ROW_TRIGGER("search_track_added", "INSERT", "tracks", "",
		"INSERT INTO search_changes (type, id) VALUES (0, NEW.id), (1, NEW.artist_id),"
		" (2, NEW.album_id);")
	ROW_TRIGGER("search_track_removed", "DELETE", "tracks", "",
		"INSERT INTO search_changes (type, id) VALUES (0, OLD.id), (1, OLD.artist_id),"
		" (2, OLD.album_id);")
	ROW_TRIGGER("search_track_changed",
		"UPDATE OF name, album_id, artist_id, genre, markets, popularity", "tracks",
		"WHEN (OLD.name IS DISTINCT FROM NEW.name OR OLD.album_id IS DISTINCT FROM NEW.album_id"
		" OR OLD.artist_id IS DISTINCT FROM NEW.artist_id OR OLD.genre IS DISTINCT FROM NEW.genre"
		" OR OLD.markets IS DISTINCT FROM NEW.markets"
		" OR OLD.popularity IS DISTINCT FROM NEW.popularity)",
		"INSERT INTO search_changes (type, id) VALUES (0, NEW.id), (1, NEW.artist_id),"
		" (2, NEW.album_id);"
		" IF OLD.artist_id IS DISTINCT FROM NEW.artist_id THEN"
		"  INSERT INTO search_changes (type, id) VALUES (1, OLD.artist_id); END IF;"
		" IF OLD.album_id IS DISTINCT FROM NEW.album_id THEN"
		"  INSERT INTO search_changes (type, id) VALUES (2, OLD.album_id); END IF;")
	ROW_TRIGGER("search_artist_added", "INSERT", "artists", "",
		"INSERT INTO search_changes (type, id) VALUES (1, NEW.id);")
	ROW_TRIGGER("search_artist_removed", "DELETE", "artists", "",
		"INSERT INTO search_changes (type, id) VALUES (1, OLD.id);")
	ROW_TRIGGER("search_artist_renamed", "UPDATE OF name", "artists",
		"WHEN (OLD.name IS DISTINCT FROM NEW.name)",
		"INSERT INTO search_changes (type, id) VALUES (1, NEW.id);"
		" INSERT INTO search_changes (type, id) SELECT 0, id FROM tracks WHERE artist_id = NEW.id;"
		" INSERT INTO search_changes (type, id) SELECT 2, id FROM albums WHERE artist_id = NEW.id;")
	ROW_TRIGGER("search_album_added", "INSERT", "albums", "",
		"INSERT INTO search_changes (type, id) VALUES (2, NEW.id);")
	ROW_TRIGGER("search_album_removed", "DELETE", "albums", "",
		"INSERT INTO search_changes (type, id) VALUES (2, OLD.id);")
	ROW_TRIGGER("search_album_changed", "UPDATE OF name, artist_id, release_date", "albums",
		"WHEN (OLD.name IS DISTINCT FROM NEW.name OR OLD.artist_id IS DISTINCT FROM NEW.artist_id"
		" OR OLD.release_date IS DISTINCT FROM NEW.release_date)",
		"INSERT INTO search_changes (type, id) VALUES (2, NEW.id);"
		" INSERT INTO search_changes (type, id) SELECT 0, id FROM tracks WHERE album_id = NEW.id;")
	ROW_TRIGGER("search_playlist_added", "INSERT", "playlists", "",
		"INSERT INTO search_changes (type, id) VALUES (3, NEW.id);")
	ROW_TRIGGER("search_playlist_removed", "DELETE", "playlists", "",
		"INSERT INTO search_changes (type, id) VALUES (3, OLD.id);")
	ROW_TRIGGER("search_playlist_changed", "UPDATE OF name, public, owner_id", "playlists",
		"WHEN (OLD.name IS DISTINCT FROM NEW.name OR OLD.public IS DISTINCT FROM NEW.public"
		" OR OLD.owner_id IS DISTINCT FROM NEW.owner_id)",
		"INSERT INTO search_changes (type, id) VALUES (3, NEW.id);")
	ROW_TRIGGER("search_owner_renamed", "UPDATE OF display_name", "users",
		"WHEN (OLD.display_name IS DISTINCT FROM NEW.display_name)",
		"INSERT INTO search_changes (type, id) SELECT 3, id FROM playlists"
		" WHERE owner_id = NEW.id;"),
	/* 11: Home's popular list walks albums newest first for the tracks nobody has played. */
	"CREATE INDEX albums_release ON albums(release_date DESC, id);",
	/* 12: the catalog as tags say (see schema_sqlite.c) */
	"CREATE TABLE track_artists ("
	"  track_id TEXT NOT NULL REFERENCES tracks(id) ON DELETE CASCADE, pos BIGINT NOT NULL,"
	"  artist_id TEXT NOT NULL, PRIMARY KEY (track_id, pos));"
	"CREATE INDEX track_artists_artist ON track_artists(artist_id, track_id);"
	"CREATE TABLE album_artists ("
	"  album_id TEXT NOT NULL REFERENCES albums(id) ON DELETE CASCADE, pos BIGINT NOT NULL,"
	"  artist_id TEXT NOT NULL, PRIMARY KEY (album_id, pos));"
	"CREATE INDEX album_artists_artist ON album_artists(artist_id, album_id);"
	"INSERT INTO track_artists SELECT id, 0, artist_id FROM tracks;"
	"INSERT INTO album_artists SELECT id, 0, artist_id FROM albums;"
	"ALTER TABLE tracks ADD COLUMN track_total BIGINT NOT NULL DEFAULT 0;"
	"ALTER TABLE tracks ADD COLUMN disc_total BIGINT NOT NULL DEFAULT 0;"
	"ALTER TABLE tracks ADD COLUMN disc_subtitle TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE tracks ADD COLUMN genres TEXT NOT NULL DEFAULT '[]';"
	"ALTER TABLE tracks ADD COLUMN isrc TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE tracks ADD COLUMN mb_track_id TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE tracks ADD COLUMN mb_recording_id TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE tracks ADD COLUMN library_path TEXT;"
	"CREATE INDEX tracks_library_path ON tracks(library_path);"
	"UPDATE tracks SET genres = json_build_array(genre)::text WHERE genre <> '';"
	"ALTER TABLE albums ADD COLUMN release_type TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE albums ADD COLUMN compilation BIGINT NOT NULL DEFAULT 0;"
	"ALTER TABLE albums ADD COLUMN original_date TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE albums ADD COLUMN label TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE albums ADD COLUMN mb_album_id TEXT NOT NULL DEFAULT '';"
	"UPDATE albums SET compilation = 1 WHERE artist_id IN"
	"  (SELECT id FROM artists WHERE name = 'Various Artists');"
	"ALTER TABLE artists ADD COLUMN mb_artist_id TEXT NOT NULL DEFAULT '';"
	"CREATE INDEX tracks_source ON tracks(source_path);"
	SEARCH_LOCK("track_artists", "INSERT OR DELETE")
	SEARCH_LOCK("album_artists", "INSERT OR DELETE")
	ROW_TRIGGER("search_track_artists_added", "INSERT", "track_artists", "",
		"INSERT INTO search_changes (type, id) VALUES (0, NEW.track_id), (1, NEW.artist_id);")
	ROW_TRIGGER("search_track_artists_removed", "DELETE", "track_artists", "",
		"INSERT INTO search_changes (type, id) VALUES (0, OLD.track_id), (1, OLD.artist_id);")
	ROW_TRIGGER("search_album_artists_added", "INSERT", "album_artists", "",
		"INSERT INTO search_changes (type, id) VALUES (2, NEW.album_id), (1, NEW.artist_id);")
	ROW_TRIGGER("search_album_artists_removed", "DELETE", "album_artists", "",
		"INSERT INTO search_changes (type, id) VALUES (2, OLD.album_id), (1, OLD.artist_id);")
	ROW_TRIGGER("search_artist_renamed_lists", "UPDATE OF name", "artists",
		"WHEN (OLD.name IS DISTINCT FROM NEW.name)",
		"INSERT INTO search_changes (type, id) SELECT 0, track_id FROM track_artists"
		"  WHERE artist_id = NEW.id AND pos > 0;"
		" INSERT INTO search_changes (type, id) SELECT 2, album_id FROM album_artists"
		"  WHERE artist_id = NEW.id AND pos > 0;"),
	/* 13: lyrics, and the .lrc files ingest last read */
	"CREATE TABLE lyrics ("
	"  track_id TEXT PRIMARY KEY REFERENCES tracks(id) ON DELETE CASCADE,"
	"  synced BIGINT NOT NULL, language TEXT,"
	"  source TEXT NOT NULL CHECK (source IN ('lrc','embedded')),"
	"  lines TEXT NOT NULL, updated_at BIGINT NOT NULL);"
	"CREATE TABLE lyrics_sidecars ("
	"  path TEXT PRIMARY KEY, size BIGINT NOT NULL, mtime_ns BIGINT NOT NULL);",
	/* 14: pictures by name */
	"ALTER TABLE albums ADD COLUMN image TEXT;"
	"ALTER TABLE artists ADD COLUMN image TEXT;"
	"ALTER TABLE playlists ADD COLUMN image TEXT;"
	"ALTER TABLE playlists ADD COLUMN image_custom BIGINT NOT NULL DEFAULT 0;",
	/* 15: the library path's file name; the expression stays word for word LIBRARY_FILE of
	 * store/catalog.c, so that the planner matches it. */
	"CREATE INDEX IF NOT EXISTS tracks_library_file ON tracks(("
	"  substr(library_path, length(rtrim(library_path, replace(library_path, '/', ''))) + 1)));",
	/* 16: withdrawn tracks; search_track_changed follows availability */
	"ALTER TABLE tracks ADD COLUMN available BIGINT NOT NULL DEFAULT 1;"
	"ALTER TABLE tracks ADD COLUMN withdrawn_at BIGINT;"
	"DROP TRIGGER search_track_changed ON tracks;"
	"DROP TRIGGER search_lock_tracks ON tracks;"
	SEARCH_LOCK("tracks", "INSERT OR DELETE OR UPDATE OF name, album_id, artist_id, genre,"
	                      " markets, popularity, available")
	"CREATE TRIGGER search_track_changed"
	"  AFTER UPDATE OF name, album_id, artist_id, genre, markets, popularity, available"
	"  ON tracks FOR EACH ROW"
	"  WHEN (OLD.name IS DISTINCT FROM NEW.name OR OLD.album_id IS DISTINCT FROM NEW.album_id"
	"    OR OLD.artist_id IS DISTINCT FROM NEW.artist_id OR OLD.genre IS DISTINCT FROM NEW.genre"
	"    OR OLD.markets IS DISTINCT FROM NEW.markets"
	"    OR OLD.popularity IS DISTINCT FROM NEW.popularity"
	"    OR OLD.available IS DISTINCT FROM NEW.available)"
	"  EXECUTE FUNCTION search_track_changed();"
	"CREATE INDEX ingest_files_track ON ingest_files(track_id);"
	"CREATE INDEX tracks_withdrawn ON tracks(id) WHERE available = 0;",
	/* 17: invites to sign up */
	"CREATE TABLE invites ("
	"  hash BYTEA PRIMARY KEY, created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL,"
	"  uses BIGINT NOT NULL, uses_left BIGINT NOT NULL);",
	/* 18: the Subsonic API's credentials, and the indexes its clients page through */
	"CREATE TABLE api_keys ("
	"  rowid BIGINT GENERATED BY DEFAULT AS IDENTITY,"
	"  id TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	"  name TEXT NOT NULL, hash BYTEA NOT NULL UNIQUE, created_at BIGINT NOT NULL,"
	"  last_used_at BIGINT);"
	"CREATE UNIQUE INDEX api_keys_rowid ON api_keys(rowid);"
	"CREATE INDEX api_keys_user ON api_keys(user_id, created_at);"
	"CREATE TABLE subsonic_passwords ("
	"  user_id TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,"
	"  sealed BYTEA NOT NULL, updated_at BIGINT NOT NULL);"
	"CREATE INDEX albums_name ON albums(name COLLATE nocase, id);"
	"CREATE INDEX albums_created ON albums(created_at, id);"
	"CREATE INDEX artists_name ON artists(name COLLATE nocase, id);"
	"CREATE INDEX tracks_genre_album ON tracks(genre COLLATE nocase, album_id);",
	/* 19: the play queue an OpenSubsonic client saved */
	"CREATE TABLE play_queues ("
	"  user_id TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,"
	"  current BIGINT NOT NULL, position_ms BIGINT NOT NULL, changed_by TEXT NOT NULL,"
	"  changed_at BIGINT NOT NULL);"
	"CREATE TABLE play_queue_items ("
	"  user_id TEXT NOT NULL REFERENCES play_queues(user_id) ON DELETE CASCADE,"
	"  pos BIGINT NOT NULL, track_id TEXT NOT NULL,"
	"  PRIMARY KEY (user_id, pos));",
	/* 20: what several instances over one database share. The signing keys, the offline
	 * licence keys and the Subsonic key, as the text their files hold on SQLite
	 * (store/secrets.h); the version changes with every write, so an instance sees another's
	 * rotation by reading one integer. The rate limits' counters (store/ratelimit.h) are
	 * UNLOGGED: a crash loses at most a window of counts, and no write waits on the WAL. */
	"CREATE TABLE server_secrets ("
	"  name TEXT PRIMARY KEY, body TEXT NOT NULL, version BIGINT NOT NULL,"
	"  updated_at BIGINT NOT NULL);"
	"CREATE UNLOGGED TABLE ratelimit_hits ("
	"  key BIGINT NOT NULL, win BIGINT NOT NULL, n BIGINT NOT NULL,"
	"  PRIMARY KEY (key, win));",
	/* 21: the Connect hub of several instances (store/bus.h) */
	"CREATE TABLE connect_instances (id TEXT PRIMARY KEY, beat_at BIGINT NOT NULL);"
	"CREATE TABLE connect_devices ("
	"  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE, device_id TEXT NOT NULL,"
	"  instance TEXT NOT NULL, name TEXT NOT NULL, type TEXT NOT NULL, volume BIGINT NOT NULL,"
	"  seq BIGINT NOT NULL, PRIMARY KEY (user_id, device_id));"
	"CREATE INDEX connect_devices_instance ON connect_devices(instance);"
	"CREATE TABLE connect_players ("
	"  user_id TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,"
	"  version BIGINT NOT NULL, state TEXT, queue TEXT, queue_version BIGINT NOT NULL,"
	"  active_device TEXT, changed_at BIGINT NOT NULL, changed_by TEXT NOT NULL);"
	"CREATE TABLE connect_parcels ("
	"  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, created_at BIGINT NOT NULL,"
	"  body TEXT NOT NULL);"
	"CREATE INDEX connect_parcels_created ON connect_parcels(created_at);",
	/* 22: the Subsonic lists' indexes. The statements sort names by lower() in collation C
	 * (SQLite's NOCASE order; store/subsonic_catalog.c), which the nocase indexes of 18 do
	 * not give: every alphabetical page sorted every album. Indexed on that expression, a
	 * page is read off the index in order; an equality of names (lower() on both sides)
	 * finds its row through it too. And the catalog's last change (see schema_sqlite.c). */
	"DROP INDEX albums_name;"
	"CREATE INDEX albums_name ON albums(lower(name COLLATE \"C\"), id);"
	"DROP INDEX artists_name;"
	"CREATE INDEX artists_name ON artists(lower(name COLLATE \"C\"), id);"
	"CREATE INDEX tracks_created ON tracks(created_at);"
	"CREATE INDEX tracks_withdrawn_at ON tracks(withdrawn_at) WHERE withdrawn_at IS NOT NULL;",
	/* 23: an album's tracks counted and their markets gathered from the index alone. A
	 * page of 50 albums has some 500 tracks, each on a heap page of its own (tracks are not
	 * stored by album): reading them was most of a search's time at a million tracks, where
	 * SQLite reads the same rows from its mapped file. With the columns those statements
	 * read carried in the index (markets is at most 512 bytes, well inside an index row),
	 * an index-only scan answers once VACUUM has marked the pages visible (copy-to runs it;
	 * autovacuum after that). */
	"DROP INDEX tracks_album;"
	"CREATE INDEX tracks_album ON tracks(album_id, disc_number, track_number)"
	"  INCLUDE (available, duration_ms, markets);",
	/* 24: an artist's genres kept on its row (see schema_sqlite.c). The triggers lock the
	 * artist's row till commit; every statement that fires them also takes the search log's
	 * write lock first (search_lock: inserts, deletes, updates of artist_id or genre, which
	 * every writer of genres sets too), so writers of tracks never meet on artists' rows in
	 * another order. */
	"ALTER TABLE artists ADD COLUMN genres TEXT NOT NULL DEFAULT '';"
	"UPDATE artists SET genres = " ARTIST_GENRES("artists.id") ";"
	ROW_TRIGGER("artist_genres_track_added", "INSERT", "tracks", "",
		"UPDATE artists SET genres = " ARTIST_GENRES("NEW.artist_id") " WHERE id = NEW.artist_id;")
	ROW_TRIGGER("artist_genres_track_removed", "DELETE", "tracks", "",
		"UPDATE artists SET genres = " ARTIST_GENRES("OLD.artist_id") " WHERE id = OLD.artist_id;")
	ROW_TRIGGER("artist_genres_track_changed", "UPDATE OF artist_id, genre, genres", "tracks",
		"WHEN (OLD.artist_id IS DISTINCT FROM NEW.artist_id OR OLD.genre IS DISTINCT FROM NEW.genre"
		" OR OLD.genres IS DISTINCT FROM NEW.genres)",
		"UPDATE artists SET genres = " ARTIST_GENRES("artists.id")
		" WHERE id IN (OLD.artist_id, NEW.artist_id);"),
};

const int pg_nmigrations = (int)(sizeof pg_migrations / sizeof pg_migrations[0]);
