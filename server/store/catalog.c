/* Catalog rows. See store/catalog.h. */
#include "config.h"
#include "store/catalog.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store/catalog_rows.h"
#include "store/store_db.h"

struct durations {
	long long *ms;
	int n;
};

static int duration_row(struct db_stmt *st, void *cb, void *ud)
{
	struct durations *d = ud;
	long long i = db_col_int64(st, 0);

	(void)cb;
	if (i >= 0 && i < d->n && !db_col_null(st, 1))
		d->ms[i] = db_col_int64(st, 1);
	return 0;
}

/* The ids go as one JSON array, so that the statement is one text whatever the batch's size
 * (cached and prepared once); each row names the index of the id it answers. On PostgreSQL
 * each id is looked up by itself (NULL when there is no such track): joined, the planner
 * hashes the whole tracks table for a hundred ids unless the catalog is large. */
int store_track_durations(struct store *s, const char *const *ids, int n, long long *ms)
{
	struct durations d = { ms, n };
	struct db_stmt *st;

	for (int i = 0; i < n; i++)
		ms[i] = -1;
	st = store_stmt2(s,
		"SELECT j.key, t.duration_ms FROM json_each(?1) j JOIN tracks t ON t.id = j.value",
		"SELECT j.i - 1, (SELECT t.duration_ms FROM tracks t WHERE t.id = j.id)"
		" FROM json_array_elements_text(CAST(?1 AS json)) WITH ORDINALITY AS j(id, i)");
	if (db_bind_json_texts(st, 1, ids, n) < 0)
		return -1;
	return store_each(s, st, "the tracks' durations", duration_row, NULL, &d);
}

int store_track_exists(struct store *s, const char *id)
{
	struct db_stmt *st = store_stmt(s, "SELECT 1 FROM tracks WHERE id = ?");

	if (!st)
		return -1;
	store_bind_text(st, 1, id);
	return store_one(s, st, "a track", NULL, NULL);
}

int store_track_filing(struct store *s, const char *id, char album_id[BASE62_ID_LEN + 1],
                       char artist_id[BASE62_ID_LEN + 1], bool *withdrawn)
{
	struct db_stmt *st = store_stmt(s, "SELECT album_id, artist_id, available FROM tracks WHERE id = ?");
	int rc;

	if (!st)
		return -1;
	store_bind_text(st, 1, id);
	rc = db_step(st);
	if (withdrawn)
		*withdrawn = rc == DB_ROW && !db_col_int(st, 2);
	if (rc == DB_ROW) {
		snprintf(album_id, BASE62_ID_LEN + 1, "%s", store_col_text(st, 0));
		snprintf(artist_id, BASE62_ID_LEN + 1, "%s", store_col_text(st, 1));
	}
	db_reset(st);
	if (rc == DB_ROW || rc == DB_DONE)
		return rc == DB_ROW;
	return store_fail(s, "a track's filing");
}

int store_artist_ensure(struct store *s, const char *id, const char *name, const char *mb_artist_id,
                        long long now)
{
	struct db_stmt *st = store_stmt(s, "INSERT INTO artists (id, name, mb_artist_id, created_at)"
	                                 " VALUES (?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET"
	                                 " mb_artist_id = excluded.mb_artist_id"
	                                 " WHERE artists.mb_artist_id = '' AND excluded.mb_artist_id <> ''");

	if (!st)
		return -1;
	store_bind_text(st, 1, id);
	store_bind_text(st, 2, name);
	store_bind_text(st, 3, mb_artist_id ? mb_artist_id : "");
	db_bind_int64(st, 4, now);
	return store_done(s, st, "an artist");
}

/* The merge of an album's fields: what a track says fills what the album lacks, the earliest
 * date wins and a compilation stays one (excluded is the row the track would insert). */
#define ALBUM_MERGE \
	" release_date = CASE WHEN excluded.release_date <> '' AND (albums.release_date = ''" \
	"  OR excluded.release_date < albums.release_date)" \
	"  THEN excluded.release_date ELSE albums.release_date END," \
	" original_date = CASE WHEN albums.original_date = '' THEN excluded.original_date" \
	"  ELSE albums.original_date END," \
	" release_type = CASE WHEN albums.release_type = '' THEN excluded.release_type" \
	"  ELSE albums.release_type END," \
	" label = CASE WHEN albums.label = '' THEN excluded.label ELSE albums.label END," \
	" mb_album_id = CASE WHEN albums.mb_album_id = '' THEN excluded.mb_album_id" \
	"  ELSE albums.mb_album_id END," \
	" compilation = CASE WHEN excluded.compilation > albums.compilation" \
	"  THEN excluded.compilation ELSE albums.compilation END"

int store_album_ensure(struct store *s, const struct album_record *a, long long now)
{
	struct db_stmt *st = store_stmt(s,
		"INSERT INTO albums (id, name, artist_id, release_date, original_date, release_type,"
		" label, mb_album_id, compilation, created_at)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT(id) DO UPDATE SET"
		ALBUM_MERGE);

	if (!st)
		return -1;
	store_bind_text(st, 1, a->id);
	store_bind_text(st, 2, a->name);
	store_bind_text(st, 3, a->artist_id);
	store_bind_text(st, 4, a->release_date ? a->release_date : "");
	store_bind_text(st, 5, a->original_date ? a->original_date : "");
	store_bind_text(st, 6, a->release_type ? a->release_type : "");
	store_bind_text(st, 7, a->label ? a->label : "");
	store_bind_text(st, 8, a->mb_album_id ? a->mb_album_id : "");
	db_bind_int(st, 9, a->compilation ? 1 : 0);
	db_bind_int64(st, 10, now);
	return store_done(s, st, "an album");
}

int store_album_release_date(struct store *s, const char *id, char date[16])
{
	struct db_stmt *st = store_stmt(s, "SELECT release_date FROM albums WHERE id = ?");

	if (!st)
		return -1;
	store_bind_text(st, 1, id);
	return store_one_text(s, st, "an album's date", date, 16);
}

/* Whether the rows of a list (track_artists or album_artists, by the statement given) already
 * hold ids in this order. Returns 1, 0, or -1 on error. */
static int list_is(struct store *s, struct db_stmt *st, const char *owner, const char *const *ids, int n)
{
	int rc, i = 0, same = 1;

	if (!st)
		return -1;
	store_bind_text(st, 1, owner);
	while ((rc = db_step(st)) == DB_ROW)
		if (i >= n || strcmp(store_col_text(st, 0), ids[i++]))
			same = 0;
	db_reset(st);
	if (rc != DB_DONE)
		return store_fail(s, "an artist list");
	return same && i == n;
}

/* Replaces a list's rows by ids (the delete and insert statements given). */
static int list_set(struct store *s, struct db_stmt *del, struct db_stmt *ins, const char *owner,
                    const char *const *ids, int n)
{
	if (!del || !ins)
		return -1;
	store_bind_text(del, 1, owner);
	if (store_done(s, del, "an artist list") < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		bool dup = false;

		for (int j = 0; j < i; j++)
			dup = dup || !strcmp(ids[j], ids[i]);
		if (dup)
			continue; /* "A feat. A": one artist, once */
		store_bind_text(ins, 1, owner);
		db_bind_int(ins, 2, i);
		store_bind_text(ins, 3, ids[i]);
		if (store_done(s, ins, "an artist list") < 0)
			return -1;
	}
	return 0;
}

static int track_artists_set(struct store *s, const char *track_id, const char *const *ids, int n)
{
	int same = list_is(s, store_stmt(s, "SELECT artist_id FROM track_artists WHERE track_id = ?"
	                                    " ORDER BY pos"), track_id, ids, n);

	if (same != 0)
		return same < 0 ? -1 : 0;
	return list_set(s, store_stmt(s, "DELETE FROM track_artists WHERE track_id = ?"),
	                store_stmt(s, "INSERT INTO track_artists (track_id, pos, artist_id) VALUES (?, ?, ?)"),
	                track_id, ids, n);
}

int store_album_artists_set(struct store *s, const char *album_id, const char *const *artist_ids,
                            int n, bool compilation)
{
	struct db_stmt *st;
	int same;

	if (n < 1)
		return 0;
	same = list_is(s, store_stmt(s, "SELECT artist_id FROM album_artists WHERE album_id = ?"
	                                " ORDER BY pos"), album_id, artist_ids, n);
	if (same < 0)
		return -1;
	if (!same && list_set(s, store_stmt(s, "DELETE FROM album_artists WHERE album_id = ?"),
	                      store_stmt(s, "INSERT INTO album_artists (album_id, pos, artist_id)"
	                                    " VALUES (?, ?, ?)"), album_id, artist_ids, n) < 0)
		return -1;
	st = store_stmt(s, "UPDATE albums SET artist_id = ?2, compilation = ?3 WHERE id = ?1"
	                   " AND (artist_id IS DISTINCT FROM ?2 OR compilation IS DISTINCT FROM ?3)");
	if (!st)
		return -1;
	store_bind_text(st, 1, album_id);
	store_bind_text(st, 2, artist_ids[0]);
	db_bind_int(st, 3, compilation ? 1 : 0);
	return store_done(s, st, "an album's artist");
}

int store_album_lead_artists(struct store *s, const char *album_id,
                             char artist_id[BASE62_ID_LEN + 1])
{
	struct db_stmt *st = store_stmt(s, "SELECT count(*), min(artist_id) FROM (SELECT DISTINCT artist_id"
	                                 " FROM tracks WHERE album_id = ? LIMIT 2) AS lead");
	int n = 0, rc;

	if (!st)
		return -1;
	store_bind_text(st, 1, album_id);
	rc = db_step(st);
	if (rc == DB_ROW) {
		n = db_col_int(st, 0);
		snprintf(artist_id, BASE62_ID_LEN + 1, "%s", store_col_text(st, 1));
	}
	db_reset(st);
	return rc == DB_ROW ? n : store_fail(s, "an album's artists");
}

struct two_ids {
	char *a, *b;
};

static void fill_two_ids(struct db_stmt *st, void *out)
{
	struct two_ids *ids = out;

	snprintf(ids->a, BASE62_ID_LEN + 1, "%s", store_col_text(st, 0));
	snprintf(ids->b, BASE62_ID_LEN + 1, "%s", store_col_text(st, 1));
}

int store_album_in_folder(struct store *s, const char *folder, const char *name,
                          char album_id[BASE62_ID_LEN + 1], char artist_id[BASE62_ID_LEN + 1])
{
	/* A range over the path index: every path under folder/ sorts between "folder/" and
	 * "folder0" ('0' follows '/'). The name's case is ignored as SQLite's NOCASE ignores it,
	 * in ASCII alone: PostgreSQL's nocase (ICU) folds every letter, and would file "Été" and
	 * "ÉTÉ" as one album. */
	struct db_stmt *st = store_stmt2(s, "SELECT al.id, al.artist_id FROM tracks t"
	                                 " JOIN albums al ON al.id = t.album_id"
	                                 " WHERE t.source_path >= ?1 || '/' AND t.source_path < ?1 || '0'"
	                                 " AND al.name = ?2 COLLATE NOCASE LIMIT 1",
	                                 "SELECT al.id, al.artist_id FROM tracks t"
	                                 " JOIN albums al ON al.id = t.album_id"
	                                 " WHERE t.source_path >= ?1 || '/' AND t.source_path < ?1 || '0'"
	                                 " AND lower(al.name COLLATE \"C\") = lower(?2 COLLATE \"C\") LIMIT 1");
	struct two_ids ids = { album_id, artist_id };

	if (!st)
		return -1;
	store_bind_text(st, 1, folder);
	store_bind_text(st, 2, name);
	return store_one(s, st, "a folder's album", fill_two_ids, &ids);
}

int store_track_artist_ids(struct store *s, const char *track_id,
                           int (*each)(void *ud, const char *artist_id), void *ud)
{
	struct db_stmt *st = store_stmt(s, "SELECT artist_id FROM track_artists WHERE track_id = ?"
	                                 " ORDER BY pos");

	if (!st)
		return -1;
	store_bind_text(st, 1, track_id);
	return store_each_text(s, st, "a track's artists", each, ud);
}

int store_track_put(struct store *s, const struct track_record *t, long long now)
{
	struct db_stmt *st = store_stmt(s,
		"INSERT INTO tracks (id, name, album_id, artist_id, disc_number, track_number, duration_ms,"
		" explicit, genre, markets, gain_db, true_peak, loudness, tempo, energy, brightness,"
		" danceability, acousticness, bytes_low, bytes_normal, bytes_high, bytes_very_high,"
		" source_path, created_at, genres, disc_subtitle, isrc, mb_track_id, mb_recording_id,"
		" disc_total, track_total, library_path)"
		" VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,?22,?23,?24,"
		" ?25,?26,?27,?28,?29,?30,?31,?32)"
		" ON CONFLICT(id) DO UPDATE SET name = excluded.name, album_id = excluded.album_id,"
		" artist_id = excluded.artist_id, disc_number = excluded.disc_number,"
		" track_number = excluded.track_number, explicit = excluded.explicit,"
		" genre = excluded.genre, markets = excluded.markets, source_path = excluded.source_path,"
		" genres = excluded.genres, disc_subtitle = excluded.disc_subtitle, isrc = excluded.isrc,"
		" mb_track_id = excluded.mb_track_id, mb_recording_id = excluded.mb_recording_id,"
		" disc_total = excluded.disc_total, track_total = excluded.track_total,"
		" library_path = excluded.library_path,"
		" available = 1, withdrawn_at = NULL,"
		" bytes_low = coalesce(excluded.bytes_low, tracks.bytes_low),"
		" bytes_normal = coalesce(excluded.bytes_normal, tracks.bytes_normal),"
		" bytes_high = coalesce(excluded.bytes_high, tracks.bytes_high),"
		" bytes_very_high = coalesce(excluded.bytes_very_high, tracks.bytes_very_high)");
	const char *one[1] = { t->artist_id };

	if (!st)
		return -1;
	store_bind_text(st, 1, t->id);
	store_bind_text(st, 2, t->name);
	store_bind_text(st, 3, t->album_id);
	store_bind_text(st, 4, t->artist_id);
	db_bind_int(st, 5, t->disc_number);
	db_bind_int(st, 6, t->track_number);
	db_bind_int64(st, 7, t->duration_ms);
	db_bind_int(st, 8, t->explicit_ ? 1 : 0);
	store_bind_text(st, 9, t->genre);
	store_bind_text(st, 10, t->markets);
	db_bind_double(st, 11, t->gain_db);
	db_bind_double(st, 12, t->true_peak);
	db_bind_double(st, 13, t->loudness);
	db_bind_double(st, 14, t->tempo);
	db_bind_double(st, 15, t->energy);
	db_bind_double(st, 16, t->brightness);
	db_bind_double(st, 17, t->danceability);
	db_bind_double(st, 18, t->acousticness);
	for (int q = 0; q < 4; q++)
		if (t->bytes)
			db_bind_int64(st, 19 + q, t->bytes[q]);
	store_bind_text(st, 23, t->source_path);
	db_bind_int64(st, 24, now);
	store_bind_text(st, 25, t->genres ? t->genres : "[]");
	store_bind_text(st, 26, t->disc_subtitle ? t->disc_subtitle : "");
	store_bind_text(st, 27, t->isrc ? t->isrc : "");
	store_bind_text(st, 28, t->mb_track_id ? t->mb_track_id : "");
	store_bind_text(st, 29, t->mb_recording_id ? t->mb_recording_id : "");
	db_bind_int(st, 30, t->disc_total);
	db_bind_int(st, 31, t->track_total);
	store_bind_text(st, 32, t->library_path);
	if (store_done(s, st, "a track") < 0)
		return -1;
	return t->nartists > 0 ? track_artists_set(s, t->id, t->artist_ids, t->nartists)
	                       : track_artists_set(s, t->id, one, 1);
}

int store_album_drop_if_empty(struct store *s, const char *id)
{
	struct db_stmt *st = store_stmt(s, "DELETE FROM albums WHERE id = ?1"
	                                 " AND NOT EXISTS (SELECT 1 FROM tracks WHERE album_id = ?1)");

	if (!st)
		return -1;
	store_bind_text(st, 1, id);
	return store_done(s, st, "an empty album");
}

int store_artist_drop_if_unused(struct store *s, const char *id)
{
	struct db_stmt *st = store_stmt(s, "DELETE FROM artists WHERE id = ?1"
	                                 " AND NOT EXISTS (SELECT 1 FROM tracks WHERE artist_id = ?1)"
	                                 " AND NOT EXISTS (SELECT 1 FROM albums WHERE artist_id = ?1)"
	                                 " AND NOT EXISTS (SELECT 1 FROM track_artists WHERE artist_id = ?1)"
	                                 " AND NOT EXISTS (SELECT 1 FROM album_artists WHERE artist_id = ?1)");

	if (!st)
		return -1;
	store_bind_text(st, 1, id);
	return store_done(s, st, "an artist without music");
}

int store_ingest_file_track(struct store *s, const char *path, long long size, long long mtime_ns,
                            char track_id[BASE62_ID_LEN + 1])
{
	/* A track row is written only once its four encodings are in place (ingest renames
	 * them there first), so the row's sizes vouch for the files without a stat of each. */
	struct db_stmt *st = store_stmt(s, "SELECT f.track_id FROM ingest_files f JOIN tracks t ON t.id = f.track_id"
	                                 " WHERE f.path = ? AND f.size = ? AND f.mtime_ns = ? AND t.available <> 0"
	                                 " AND t.bytes_low IS NOT NULL AND t.bytes_very_high IS NOT NULL");
	int rc, found = 0;

	if (!st)
		return -1;
	store_bind_text(st, 1, path);
	db_bind_int64(st, 2, size);
	db_bind_int64(st, 3, mtime_ns);
	rc = db_step(st);
	if (rc == DB_ROW && db_col_text(st, 0)) {
		snprintf(track_id, BASE62_ID_LEN + 1, "%s", store_col_text(st, 0));
		found = 1;
	}
	db_reset(st);
	return rc == DB_ROW || rc == DB_DONE ? found : store_fail(s, "a source file");
}

int store_ingest_file_get(struct store *s, const char *path, char track_id[BASE62_ID_LEN + 1])
{
	struct db_stmt *st = store_stmt(s, "SELECT track_id FROM ingest_files WHERE path = ?");

	if (!st)
		return -1;
	store_bind_text(st, 1, path);
	return store_one_text(s, st, "a source file", track_id, BASE62_ID_LEN + 1);
}

int store_ingest_file_remember(struct store *s, const char *path, long long size,
                               long long mtime_ns, const char *track_id)
{
	struct db_stmt *st = store_stmt(s, "INSERT INTO ingest_files (path, size, mtime_ns, track_id)"
	                                 " VALUES (?, ?, ?, ?) ON CONFLICT(path) DO UPDATE SET"
	                                 " size = excluded.size, mtime_ns = excluded.mtime_ns,"
	                                 " track_id = excluded.track_id");

	if (!st)
		return -1;
	store_bind_text(st, 1, path);
	db_bind_int64(st, 2, size);
	db_bind_int64(st, 3, mtime_ns);
	store_bind_text(st, 4, track_id);
	return store_done(s, st, "a source file");
}

/* Each row of a statement whose columns are a path and a track id. */
static int file_row(struct db_stmt *st, void *cb, void *ud)
{
	return (*(int (**)(void *, const char *, const char *))cb)(ud, store_col_text(st, 0),
	                                                            store_col_text(st, 1));
}

int store_ingest_files_under(struct store *s, const char *root,
                             int (*each)(void *ud, const char *path, const char *track_id), void *ud)
{
	/* Paths under root sort between root "/" and root "0", the byte after '/': a range of
	 * the primary key, however many files the rest of the library has. */
	struct db_stmt *st = store_stmt(s, "SELECT path, track_id FROM ingest_files"
	                                 " WHERE path = ?1 OR (path > ?1 || '/' AND path < ?1 || '0') ORDER BY path");

	if (!st)
		return -1;
	store_bind_text(st, 1, root);
	return store_each(s, st, "the source files under a folder", file_row, &each, ud);
}

int store_ingest_files_of_track(struct store *s, const char *track_id,
                                int (*each)(void *ud, const char *path, const char *track_id), void *ud)
{
	struct db_stmt *st = store_stmt(s, "SELECT path, track_id FROM ingest_files WHERE track_id = ?");

	if (!st)
		return -1;
	store_bind_text(st, 1, track_id);
	return store_each(s, st, "a track's source files", file_row, &each, ud);
}

int store_ingest_file_forget(struct store *s, const char *path)
{
	struct db_stmt *st = store_stmt(s, "DELETE FROM ingest_files WHERE path = ?");

	if (!st)
		return -1;
	store_bind_text(st, 1, path);
	return store_change(s, st, "a source file");
}

int store_track_withdraw_if_orphaned(struct store *s, const char *id, long long now)
{
	struct db_stmt *st = store_stmt(s, "UPDATE tracks SET available = 0, withdrawn_at = ?2"
	                                 " WHERE id = ?1 AND available <> 0"
	                                 " AND NOT EXISTS (SELECT 1 FROM ingest_files WHERE track_id = ?1)");

	if (!st)
		return -1;
	store_bind_text(st, 1, id);
	db_bind_int64(st, 2, now);
	return store_change(s, st, "a track's withdrawal");
}

long long store_tracks_withdrawn(struct store *s)
{
	/* SQLite takes the partial index tracks_withdrawn only for its own WHERE, word for word. */
	return store_integer(s, store_stmt2(s, "SELECT count(*) FROM tracks WHERE NOT available",
	                                    "SELECT count(*) FROM tracks WHERE available = 0"),
	                     "the withdrawn tracks' count");
}

int store_track_markets(struct store *s, const char *id, char markets[TRACK_MARKETS_MAX])
{
	struct db_stmt *st = store_stmt(s, "SELECT markets FROM tracks WHERE id = ?");

	if (!st)
		return -1;
	store_bind_text(st, 1, id);
	return store_one_text(s, st, "a track's markets", markets, TRACK_MARKETS_MAX);
}


void store_track_from(struct db_stmt *st, struct track_row *t)
{
	snprintf(t->id, sizeof t->id, "%s", store_col_text(st, 0));
	snprintf(t->name, sizeof t->name, "%s", store_col_text(st, 1));
	t->disc_number = db_col_int(st, 2);
	t->track_number = db_col_int(st, 3);
	t->duration_ms = db_col_int64(st, 4);
	t->explicit_ = db_col_int(st, 5) != 0;
	t->has_markets = !db_col_null(st, 6);
	snprintf(t->markets, sizeof t->markets, "%s", store_col_text(st, 6));
	t->popularity = db_col_int(st, 7);
	snprintf(t->album_id, sizeof t->album_id, "%s", store_col_text(st, 8));
	snprintf(t->artist_id, sizeof t->artist_id, "%s", store_col_text(st, 9));
	snprintf(t->artist_name, sizeof t->artist_name, "%s", store_col_text(st, 10));
	snprintf(t->isrc, sizeof t->isrc, "%s", store_col_text(st, 11));
	t->available = db_col_int(st, 12) != 0;
	t->has_lyrics = db_col_int(st, 13) != 0;
}

int store_catalog_exists(struct store *s, enum catalog_kind k, const char *id)
{
	struct db_stmt *st = store_stmt(s,
		k == CATALOG_TRACK ? "SELECT 1 FROM tracks WHERE id = ?" :
		k == CATALOG_ALBUM ? "SELECT 1 FROM albums WHERE id = ?" : "SELECT 1 FROM artists WHERE id = ?");

	if (!st)
		return -1;
	store_bind_text(st, 1, id);
	return store_one(s, st, "a catalog id", NULL, NULL);
}

/* The index of the first id of ids that names nothing, in one statement whatever n: the
 * ids go as one JSON array, each looked up by its key. */
#define MISSING_SQLITE(table) \
	"SELECT min(j.key) FROM json_each(?1) j" \
	" WHERE NOT EXISTS (SELECT 1 FROM " table " x WHERE x.id = j.value)"
#define MISSING_PG(table) \
	"SELECT min(j.i) - 1 FROM json_array_elements_text(CAST(?1 AS json)) WITH ORDINALITY AS j(id, i)" \
	" WHERE NOT EXISTS (SELECT 1 FROM " table " x WHERE x.id = j.id)"

int store_catalog_missing(struct store *s, enum catalog_kind k, const char *const *ids, int n)
{
	struct db_stmt *st;
	long long first = -1;
	int rc;

	st = k == CATALOG_TRACK ? store_stmt2(s, MISSING_SQLITE("tracks"), MISSING_PG("tracks")) :
	     k == CATALOG_ALBUM ? store_stmt2(s, MISSING_SQLITE("albums"), MISSING_PG("albums")) :
	                          store_stmt2(s, MISSING_SQLITE("artists"), MISSING_PG("artists"));
	if (db_bind_json_texts(st, 1, ids, n) < 0)
		return -1;
	/* One row always (an aggregate); NULL when every id names something. */
	rc = db_step(st);
	if (rc == DB_ROW && !db_col_null(st, 0))
		first = db_col_int64(st, 0);
	if (rc != DB_ROW)
		store_fail(s, "catalog ids");
	db_reset(st);
	if (rc != DB_ROW)
		return -1;
	return first >= 0 && first < n ? (int)first : n;
}

static void fill_track(struct db_stmt *st, void *out)
{
	store_track_from(st, out);
}

int store_track_row(struct store *s, const char *id, struct track_row *out)
{
	struct db_stmt *st = store_stmt(s, "SELECT " TRACK_COLUMNS " FROM tracks t"
	                                 " JOIN artists ar ON ar.id = t.artist_id WHERE t.id = ?");

	if (!st)
		return -1;
	store_bind_text(st, 1, id);
	return store_one(s, st, "a track", fill_track, out);
}

void store_album_fill(struct db_stmt *st, void *out)
{
	struct album_row *a = out;

	snprintf(a->name, sizeof a->name, "%s", store_col_text(st, 0));
	snprintf(a->release_date, sizeof a->release_date, "%s", store_col_text(st, 1));
	snprintf(a->artist_id, sizeof a->artist_id, "%s", store_col_text(st, 2));
	snprintf(a->artist_name, sizeof a->artist_name, "%s", store_col_text(st, 3));
	a->total_tracks = db_col_int64(st, 4);
	a->duration_ms = db_col_int64(st, 5);
	snprintf(a->original_date, sizeof a->original_date, "%s", store_col_text(st, 6));
	snprintf(a->release_type, sizeof a->release_type, "%s", store_col_text(st, 7));
	snprintf(a->label, sizeof a->label, "%s", store_col_text(st, 8));
	snprintf(a->mb_album_id, sizeof a->mb_album_id, "%s", store_col_text(st, 9));
	a->compilation = db_col_int(st, 10) != 0;
}

int store_album_row(struct store *s, const char *id, struct album_row *out)
{
	struct db_stmt *st = store_stmt(s,
		"SELECT al.name, al.release_date, al.artist_id, ar.name, t.n, t.ms, al.original_date,"
		" al.release_type, al.label, al.mb_album_id, al.compilation"
		" FROM albums al JOIN artists ar ON ar.id = al.artist_id,"
		" (SELECT count(*) n, coalesce(sum(duration_ms), 0) ms FROM tracks"
		"  WHERE album_id = ?1 AND available <> 0) t"
		" WHERE al.id = ?1");

	if (!st)
		return -1;
	store_bind_text(st, 1, id);
	return store_one(s, st, "an album", store_album_fill, out);
}

/* Calls each with the id and name of every row; an empty list calls it once with the
 * fallback statement's row (the one artist kept in tracks or albums). */
static int each_named(struct store *s, struct db_stmt *list, struct db_stmt *fallback, const char *owner,
                      int (*each)(void *ud, const char *id, const char *name), void *ud)
{
	struct db_stmt *st = list;
	int rc, n = 0, stop = 0;

	if (!list || !fallback)
		return -1;
	for (int pass = 0; pass < 2 && !n && !stop; pass++, st = fallback) {
		store_bind_text(st, 1, owner);
		while (!stop && (rc = db_step(st)) == DB_ROW) {
			n++;
			stop = each(ud, store_col_text(st, 0), store_col_text(st, 1));
		}
		db_reset(st);
		if (!stop && rc != DB_DONE)
			return store_fail(s, "an artist list");
	}
	return 0;
}

int store_track_artists(struct store *s, const char *track_id,
                        int (*each)(void *ud, const char *id, const char *name), void *ud)
{
	return each_named(s, store_stmt(s, "SELECT ar.id, ar.name FROM track_artists ta"
	                                   " JOIN artists ar ON ar.id = ta.artist_id"
	                                   " WHERE ta.track_id = ? ORDER BY ta.pos"),
	                  store_stmt(s, "SELECT ar.id, ar.name FROM tracks t JOIN artists ar"
	                                " ON ar.id = t.artist_id WHERE t.id = ?"),
	                  track_id, each, ud);
}

int store_album_artists(struct store *s, const char *album_id,
                        int (*each)(void *ud, const char *id, const char *name), void *ud)
{
	return each_named(s, store_stmt(s, "SELECT ar.id, ar.name FROM album_artists aa"
	                                   " JOIN artists ar ON ar.id = aa.artist_id"
	                                   " WHERE aa.album_id = ? ORDER BY aa.pos"),
	                  store_stmt(s, "SELECT ar.id, ar.name FROM albums al JOIN artists ar"
	                                " ON ar.id = al.artist_id WHERE al.id = ?"),
	                  album_id, each, ud);
}

void store_artist_fill(struct db_stmt *st, void *out)
{
	struct artist_row *a = out;

	snprintf(a->name, sizeof a->name, "%s", store_col_text(st, 0));
	a->popularity = db_col_int(st, 1);
	snprintf(a->genres, sizeof a->genres, "%s", store_col_text(st, 2));
	a->followers = db_col_int64(st, 3);
}

int store_album_tracks(struct store *s, const char *album_id, int offset, struct track_row *rows,
                       int max)
{
	struct db_stmt *st = store_stmt(s, "SELECT " TRACK_COLUMNS " FROM tracks t"
	                                 " JOIN artists ar ON ar.id = t.artist_id WHERE t.album_id = ? AND t.available <> 0"
	                                 " ORDER BY t.disc_number, t.track_number, t.name, t.id LIMIT ? OFFSET ?");
	int n = 0, rc = DB_DONE;

	if (!st)
		return -1;
	store_bind_text(st, 1, album_id);
	db_bind_int(st, 2, max);
	db_bind_int(st, 3, offset);
	while (n < max && (rc = db_step(st)) == DB_ROW)
		store_track_from(st, &rows[n++]);
	db_reset(st);
	if (n < max && rc != DB_DONE)
		return store_fail(s, "an album's tracks");
	return n;
}

int store_album_stats(struct store *s, const char *album_id, int *popularity,
                      char genres[CATALOG_NAME_MAX])
{
	/* The genres as store_artists_rows reads them. */
	struct db_stmt *st = store_stmt2(s, "SELECT max(popularity),"
		" (SELECT group_concat(g, char(31)) FROM (SELECT DISTINCT j.value g FROM tracks t,"
		"  json_each(CASE WHEN t.genres = '[]' THEN json_array(t.genre) ELSE t.genres END) j"
		"  WHERE t.album_id = ?1 AND t.available <> 0 AND j.value <> '' ORDER BY g)), count(*)"
		" FROM tracks WHERE album_id = ?1 AND available <> 0",
		"SELECT max(popularity),"
		" (SELECT string_agg(DISTINCT j.g COLLATE \"C\", chr(31) ORDER BY j.g COLLATE \"C\")"
		"  FROM tracks t, jsonb_array_elements_text(CASE WHEN t.genres = '[]'"
		"   THEN jsonb_build_array(t.genre) ELSE CAST(t.genres AS jsonb) END) j(g)"
		"  WHERE t.album_id = ?1 AND t.available <> 0 AND j.g <> ''), count(*)"
		" FROM tracks WHERE album_id = ?1 AND available <> 0");
	int rc, found = 0;

	if (!st)
		return -1;
	store_bind_text(st, 1, album_id);
	rc = db_step(st);
	if (rc == DB_ROW) {
		*popularity = db_col_int(st, 0);
		snprintf(genres, CATALOG_NAME_MAX, "%s", store_col_text(st, 1));
		found = db_col_int64(st, 2) > 0;
	}
	db_reset(st);
	return rc == DB_ROW ? found : store_fail(s, "an album's genres");
}

static void fill_playback(struct db_stmt *st, void *out)
{
	struct track_playback *p = out;

	p->duration_ms = db_col_int64(st, 0);
	p->gain_db = db_col_double(st, 1);
	p->has_markets = !db_col_null(st, 2);
	snprintf(p->markets, sizeof p->markets, "%s", store_col_text(st, 2));
	p->available = db_col_int(st, 3) != 0;
}

int store_track_playback(struct store *s, const char *id, struct track_playback *out)
{
	struct db_stmt *st = store_stmt(s, "SELECT duration_ms, gain_db, markets, available FROM tracks WHERE id = ?");

	if (!st)
		return -1;
	store_bind_text(st, 1, id);
	return store_one(s, st, "a track's playback", fill_playback, out);
}

long long store_tracks_count(struct store *s)
{
	return store_integer(s, store_stmt(s, "SELECT count(*) FROM tracks"), "the tracks' count");
}

int store_artist_albums(struct store *s, const char *artist_id,
                        int (*each)(void *ud, const char *album_id, bool appears_on), void *ud)
{
	struct db_stmt *st = store_stmt(s,
		"SELECT al.id, 0, al.release_date, al.name FROM albums al WHERE (al.artist_id = ?1"
		"  OR al.id IN (SELECT album_id FROM album_artists WHERE artist_id = ?1))"
		"  AND EXISTS (SELECT 1 FROM tracks t WHERE t.album_id = al.id AND t.available <> 0)"
		" UNION ALL"
		" SELECT al.id, 1, al.release_date, al.name FROM albums al WHERE al.id IN"
		"  (SELECT t.album_id FROM track_artists ta JOIN tracks t ON t.id = ta.track_id"
		"   WHERE ta.artist_id = ?1 AND t.available <> 0"
		"   UNION SELECT album_id FROM tracks WHERE artist_id = ?1 AND available <> 0)"
		"  AND al.artist_id <> ?1"
		"  AND al.id NOT IN (SELECT album_id FROM album_artists WHERE artist_id = ?1)"
		" ORDER BY 2, 3 DESC, 4, 1");
	int rc, stop = 0;

	if (!st)
		return -1;
	store_bind_text(st, 1, artist_id);
	while (!stop && (rc = db_step(st)) == DB_ROW)
		stop = each(ud, store_col_text(st, 0), db_col_int(st, 1) != 0);
	db_reset(st);
	return stop || rc == DB_DONE ? 0 : store_fail(s, "an artist's albums");
}

int store_artist_top_tracks(struct store *s, const char *artist_id,
                            int (*each)(void *ud, const char *track_id), void *ud)
{
	struct db_stmt *st = store_stmt(s, "SELECT t.id FROM tracks t WHERE (t.artist_id = ?1"
	                                 " OR t.id IN (SELECT track_id FROM track_artists WHERE artist_id = ?1))"
	                                 " AND t.available <> 0"
	                                 " ORDER BY t.play_count DESC, t.popularity DESC, t.created_at, t.id");

	if (!st)
		return -1;
	store_bind_text(st, 1, artist_id);
	return store_each_text(s, st, "an artist's top tracks", each, ud);
}

/* This and the next each walk an index (tracks_popular; albums_release, then tracks_album),
 * so a catalog of a million tracks is not sorted on every call. The join's order and index
 * are forced: the planner would otherwise take tracks_popular's equality and sort. */
int store_tracks_popular(struct store *s, int (*each)(void *ud, const char *track_id), void *ud)
{
	struct db_stmt *st = store_stmt(s, "SELECT id FROM tracks WHERE (play_count > 0 OR popularity > 0) AND available <> 0"
	                                 " ORDER BY play_count DESC, popularity DESC, id");

	if (!st)
		return -1;
	return store_each_text(s, st, "the popular tracks", each, ud);
}

int store_tracks_unplayed(struct store *s, int (*each)(void *ud, const char *track_id), void *ud)
{
	/* INDEXED BY is SQLite's alone; PostgreSQL's planner chooses its own way. */
	struct db_stmt *st = store_stmt2(s, "SELECT t.id FROM albums al CROSS JOIN tracks t INDEXED BY tracks_album"
	                                 " ON t.album_id = al.id"
	                                 " WHERE t.play_count = 0 AND t.popularity = 0 AND t.available <> 0"
	                                 " ORDER BY al.release_date DESC, al.id, t.disc_number, t.track_number",
	                                 "SELECT t.id FROM albums al JOIN tracks t ON t.album_id = al.id"
	                                 " WHERE t.play_count = 0 AND t.popularity = 0 AND t.available <> 0"
	                                 " ORDER BY al.release_date DESC, al.id, t.disc_number, t.track_number");

	if (!st)
		return -1;
	return store_each_text(s, st, "the unplayed tracks", each, ud);
}

/* A library path's last component, word for word the expression of the index
 * tracks_library_file (migration 15), so that the planner takes the index. */
#define LIBRARY_FILE \
	"substr(library_path, length(rtrim(library_path, replace(library_path, '/', ''))) + 1)"

int store_tracks_by_library_path(struct store *s, const char *path, bool suffix,
                                 char id[BASE62_ID_LEN + 1])
{
	const char *slash = strrchr(path, '/');
	/* A negative start counts from the end in SQLite's substr, not in PostgreSQL's. */
	struct db_stmt *st = suffix
		? store_stmt2(s, "SELECT id FROM tracks WHERE " LIBRARY_FILE " = ?2 AND (library_path = ?1"
		                 " OR (length(library_path) > length(?1)"
		                 "     AND substr(library_path, -length(?1) - 1) = '/' || ?1))"
		                 " ORDER BY id LIMIT 2",
		                 "SELECT id FROM tracks WHERE " LIBRARY_FILE " = ?2 AND (library_path = ?1"
		                 " OR (length(library_path) > length(?1)"
		                 "     AND right(library_path, length(?1) + 1) = '/' || ?1))"
		                 " ORDER BY id LIMIT 2")
		: store_stmt(s, "SELECT id FROM tracks WHERE library_path = ?1 ORDER BY id LIMIT 2");
	int rc, n = 0;

	if (!st)
		return -1;
	store_bind_text(st, 1, path);
	if (suffix)
		store_bind_text(st, 2, slash ? slash + 1 : path);
	while ((rc = db_step(st)) == DB_ROW)
		if (n++ == 0)
			snprintf(id, BASE62_ID_LEN + 1, "%s", store_col_text(st, 0));
	db_reset(st);
	return rc == DB_DONE ? n : store_fail(s, "tracks by their library path");
}
