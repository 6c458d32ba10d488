/* The catalog's rows for a list at once: one statement per kind for up to STORE_BATCH_MAX
 * ids (see store/catalog.h), so that a page of a list costs a fixed number of round trips on
 * PostgreSQL. */
#include "config.h"
#include "store/catalog.h"

#include <stdlib.h>

#include "log.h"
#include "store/catalog_rows.h"
#include "store/store_db.h"

static int track_path_row(struct db_stmt *st, void *cb, void *ud)
{
	int (*each)(void *, const struct track_row *, const char *) =
		*(int (**)(void *, const struct track_row *, const char *))cb;
	struct track_row **t = ud;

	store_track_from(st, t[0]);
	return each(t[1], t[0], db_col_null(st, 14) ? NULL : store_col_text(st, 14));
}

int store_tracks_rows(struct store *s, const char *const *ids, int n,
                      int (*each)(void *ud, const struct track_row *t, const char *library_path),
                      void *ud)
{
	struct db_stmt *st = store_stmt(s, "SELECT " TRACK_COLUMNS ", t.library_path FROM tracks t"
	                                 " JOIN artists ar ON ar.id = t.artist_id WHERE t.id IN " DB_IDS);
	struct track_row *row = malloc(sizeof *row); /* a few KiB: not on a worker's stack */
	void *pass[2] = { row, ud };
	int rc;

	if (!st || !row) {
		if (st)
			log_err("store: tracks: out of memory");
		free(row);
		return -1;
	}
	db_bind_ids(st, ids, n);
	rc = store_each(s, st, "tracks", track_path_row, &each, pass);
	free(row);
	return rc;
}

static int path_row(struct db_stmt *st, void *cb, void *ud)
{
	return (*(int (**)(void *, const char *, const char *))cb)(ud, store_col_text(st, 0),
	                                                            store_col_text(st, 1));
}

int store_tracks_library_paths(struct store *s, const char *const *ids, int n,
                               int (*each)(void *ud, const char *id, const char *library_path),
                               void *ud)
{
	struct db_stmt *st = store_stmt(s, "SELECT id, library_path FROM tracks WHERE id IN " DB_IDS
	                                 " AND library_path IS NOT NULL");

	if (!st)
		return -1;
	db_bind_ids(st, ids, n);
	return store_each(s, st, "tracks' library paths", path_row, &each, ud);
}

static int album_row_each(struct db_stmt *st, void *cb, void *ud)
{
	int (*each)(void *, const char *, const struct album_row *, const char *) =
		*(int (**)(void *, const char *, const struct album_row *, const char *))cb;
	void **pass = ud;

	store_album_fill(st, pass[0]);
	return each(pass[1], store_col_text(st, 11), pass[0], store_col_text(st, 12));
}

int store_albums_rows(struct store *s, const char *const *ids, int n,
                      int (*each)(void *ud, const char *id, const struct album_row *a,
                                  const char *image),
                      void *ud)
{
	/* The columns of store_album_row, then the id and the cover. The albums' tracks are
	 * counted in one pass over the tracks_album index for all of them, not one per album
	 * and column. */
	struct db_stmt *st = store_stmt(s,
		"SELECT al.name, al.release_date, al.artist_id, ar.name, coalesce(t.n, 0), coalesce(t.ms, 0),"
		" al.original_date, al.release_type, al.label, al.mb_album_id, al.compilation, al.id, al.image"
		" FROM albums al JOIN artists ar ON ar.id = al.artist_id"
		" LEFT JOIN (SELECT album_id, count(*) n, sum(duration_ms) ms FROM tracks"
		"  WHERE album_id IN " DB_IDS " AND available <> 0 GROUP BY album_id) t ON t.album_id = al.id"
		" WHERE al.id IN " DB_IDS);
	struct album_row *row = malloc(sizeof *row);
	void *pass[2] = { row, ud };
	int rc;

	if (!st || !row) {
		if (st)
			log_err("store: albums: out of memory");
		free(row);
		return -1;
	}
	db_bind_ids(st, ids, n);
	rc = store_each(s, st, "albums", album_row_each, &each, pass);
	free(row);
	return rc;
}

static int artist_row_each(struct db_stmt *st, void *cb, void *ud)
{
	int (*each)(void *, const char *, const struct artist_row *, const char *) =
		*(int (**)(void *, const char *, const struct artist_row *, const char *))cb;
	void **pass = ud;

	store_artist_fill(st, pass[0]);
	return each(pass[1], store_col_text(st, 4), pass[0], store_col_text(st, 5));
}

int store_artists_rows(struct store *s, const char *const *ids, int n,
                       int (*each)(void *ud, const char *id, const struct artist_row *a,
                                   const char *image),
                       void *ud)
{
	/* An artist can have a hundred thousand tracks: read only the most played (the index
	 * gives them in order), which carry the popularity and the main genres. The genres are
	 * a JSON array, read by each engine's own JSON functions, and joined with US (0x1f) in
	 * byte order; PostgreSQL is given the index's order in full (play count, then popularity
	 * and genre ascending), so that ties fall the same way. Then the id and picture. */
	struct db_stmt *st = store_stmt2(s,
		"SELECT ar.name, (SELECT max(popularity) FROM (SELECT popularity FROM tracks"
		"  WHERE artist_id = ar.id ORDER BY play_count DESC LIMIT 50)),"
		" (SELECT group_concat(g, char(31)) FROM (SELECT DISTINCT j.value g FROM"
		"  (SELECT genre, genres FROM tracks WHERE artist_id = ar.id ORDER BY play_count DESC LIMIT 200) t,"
		"  json_each(CASE WHEN t.genres = '[]' THEN json_array(t.genre) ELSE t.genres END) j"
		"  WHERE j.value <> '' ORDER BY g)),"
		" (SELECT count(*) FROM followed_artists f WHERE f.artist_id = ar.id), ar.id, " ARTIST_PICTURE
		" FROM artists ar WHERE ar.id IN " DB_IDS,
		"SELECT ar.name, (SELECT max(popularity) FROM (SELECT popularity FROM tracks"
		"  WHERE artist_id = ar.id ORDER BY play_count DESC, popularity, genre LIMIT 50) top),"
		" (SELECT string_agg(DISTINCT j.g COLLATE \"C\", chr(31) ORDER BY j.g COLLATE \"C\") FROM"
		"  (SELECT genre, genres FROM tracks WHERE artist_id = ar.id"
		"   ORDER BY play_count DESC, popularity, genre LIMIT 200) t,"
		"  jsonb_array_elements_text(CASE WHEN t.genres = '[]' THEN jsonb_build_array(t.genre)"
		"   ELSE CAST(t.genres AS jsonb) END) j(g)"
		"  WHERE j.g <> ''),"
		" (SELECT count(*) FROM followed_artists f WHERE f.artist_id = ar.id), ar.id, " ARTIST_PICTURE
		" FROM artists ar WHERE ar.id IN " DB_IDS);
	struct artist_row *row = malloc(sizeof *row);
	void *pass[2] = { row, ud };
	int rc;

	if (!st || !row) {
		if (st)
			log_err("store: artists: out of memory");
		free(row);
		return -1;
	}
	db_bind_ids(st, ids, n);
	rc = store_each(s, st, "artists", artist_row_each, &each, pass);
	free(row);
	return rc;
}

static int owned_artist_row(struct db_stmt *st, void *cb, void *ud)
{
	return (*(int (**)(void *, const char *, const char *, const char *))cb)(
		ud, store_col_text(st, 0), store_col_text(st, 1), store_col_text(st, 2));
}

int store_tracks_artists(struct store *s, const char *const *ids, int n,
                         int (*each)(void *ud, const char *owner, const char *id, const char *name),
                         void *ud)
{
	struct db_stmt *st = store_stmt(s, "SELECT ta.track_id, ar.id, ar.name FROM track_artists ta"
	                                 " JOIN artists ar ON ar.id = ta.artist_id"
	                                 " WHERE ta.track_id IN " DB_IDS " ORDER BY ta.track_id, ta.pos");

	if (!st)
		return -1;
	db_bind_ids(st, ids, n);
	return store_each(s, st, "tracks' artists", owned_artist_row, &each, ud);
}

int store_albums_artists(struct store *s, const char *const *ids, int n,
                         int (*each)(void *ud, const char *owner, const char *id, const char *name),
                         void *ud)
{
	struct db_stmt *st = store_stmt(s, "SELECT aa.album_id, ar.id, ar.name FROM album_artists aa"
	                                 " JOIN artists ar ON ar.id = aa.artist_id"
	                                 " WHERE aa.album_id IN " DB_IDS " ORDER BY aa.album_id, aa.pos");

	if (!st)
		return -1;
	db_bind_ids(st, ids, n);
	return store_each(s, st, "albums' artists", owned_artist_row, &each, ud);
}

static int markets_row(struct db_stmt *st, void *cb, void *ud)
{
	(*(void (**)(void *, const char *, const char *))cb)(
		ud, store_col_text(st, 0), db_col_null(st, 1) ? NULL : store_col_text(st, 1));
	return 0;
}

int store_albums_markets(struct store *s, const char *const *ids, int n,
                         void (*each)(void *ud, const char *album_id, const char *markets), void *ud)
{
	/* In order, so that an album's list (each market once, in the order first met) is the
	 * same on every engine; NULL (everywhere) first, where SQLite puts it. */
	struct db_stmt *st = store_stmt(s, "SELECT DISTINCT album_id, markets FROM tracks"
	                                 " WHERE album_id IN " DB_IDS " AND available <> 0"
	                                 " ORDER BY album_id, markets NULLS FIRST");

	if (!st)
		return -1;
	db_bind_ids(st, ids, n);
	return store_each(s, st, "albums' markets", markets_row, &each, ud);
}
