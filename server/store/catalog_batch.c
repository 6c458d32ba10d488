/* The catalog's rows for a list at once: one statement per kind for up to STORE_BATCH_MAX
 * ids (see store/catalog.h), so that a page of a list costs a fixed number of round trips on
 * PostgreSQL. */
#include "config.h"
#include "store/catalog.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store/catalog_rows.h"
#include "store/store_db.h"

/* Each owner's artists, in order, as one JSON array of [id, name] pairs, read by each
 * engine's own JSON functions (SQLite aggregates in its subquery's order; an owner with none
 * gives [] there and NULL on PostgreSQL). Carried in the owner's row, they cost no statement
 * of their own: on PostgreSQL each statement is a round trip. */
#define OWNED_ARTISTS_SQLITE(table, key, owner) \
	"(SELECT json_group_array(json_array(id, name)) FROM (SELECT x.id, x.name FROM " table " o" \
	" JOIN artists x ON x.id = o.artist_id WHERE o." key " = " owner " ORDER BY o.pos))"
#define OWNED_ARTISTS_PG(table, key, owner) \
	"(SELECT json_agg(json_build_array(x.id, x.name) ORDER BY o.pos) FROM " table " o" \
	" JOIN artists x ON x.id = o.artist_id WHERE o." key " = " owner ")"

/* Calls with->artist for each pair of the JSON array text (NULL: none). A list that does not
 * parse (a name stored before text was checked for UTF-8) is logged and left out: the owner
 * then shows the one artist its row names, and the rest of the page is served. */
static int owned_artists(const char *json, const char *owner, const struct store_batch_with *with,
                         void *ud)
{
	json_error_t err;
	json_t *a, *x;
	size_t i;
	int rc = 0;

	if (!with || !with->artist || !json || !*json)
		return 0;
	/* Parsed once, then tested: json_is_array evaluates its argument twice, so a call inside
	 * it would parse the text again and leak the first result. */
	a = json_loads(json, 0, &err);
	if (!json_is_array(a)) {
		json_decref(a);
		if (!a && json_error_code(&err) == json_error_out_of_memory) {
			log_err("store: the artists of %s: out of memory", owner);
			return -1;
		}
		log_warn("store: the artists of %s do not read as JSON (%s): left out", owner, err.text);
		return 0;
	}
	json_array_foreach(a, i, x) {
		const char *id = json_string_value(json_array_get(x, 0));
		const char *name = json_string_value(json_array_get(x, 1));

		if (id && name && (rc = with->artist(ud, owner, id, name)) != 0)
			break;
	}
	json_decref(a);
	return rc;
}

struct batch_pass {
	void *row;                           /* the row struct the statement's columns fill */
	const struct store_batch_with *with;
	void *ud;
};

static int track_path_row(struct db_stmt *st, void *cb, void *ud)
{
	int (*each)(void *, const struct track_row *, const char *) =
		*(int (**)(void *, const struct track_row *, const char *))cb;
	struct batch_pass *p = ud;
	struct track_row *t = p->row;
	int rc;

	store_track_from(st, t);
	if ((rc = each(p->ud, t, db_col_null(st, 14) ? NULL : store_col_text(st, 14))) != 0)
		return rc;
	return owned_artists(db_col_null(st, 15) ? NULL : store_col_text(st, 15), t->id, p->with, p->ud);
}

int store_tracks_rows(struct store *s, const char *const *ids, int n,
                      int (*each)(void *ud, const struct track_row *t, const char *library_path),
                      const struct store_batch_with *with, void *ud)
{
	struct db_stmt *st = store_stmt2(s,
		"SELECT " TRACK_COLUMNS ", t.library_path, "
		OWNED_ARTISTS_SQLITE("track_artists", "track_id", "t.id") " FROM tracks t"
		" JOIN artists ar ON ar.id = t.artist_id WHERE t.id IN " DB_IDS,
		"SELECT " TRACK_COLUMNS ", t.library_path, "
		OWNED_ARTISTS_PG("track_artists", "track_id", "t.id") " FROM tracks t"
		" JOIN artists ar ON ar.id = t.artist_id WHERE t.id IN " DB_IDS);
	struct batch_pass pass = { malloc(sizeof(struct track_row)), with, ud }; /* a few KiB: not on a worker's stack */
	int rc;

	if (!st || !pass.row) {
		if (st)
			log_err("store: tracks: out of memory");
		free(pass.row);
		return -1;
	}
	db_bind_ids(st, ids, n);
	rc = store_each(s, st, "tracks", track_path_row, &each, &pass);
	free(pass.row);
	return rc;
}

static int path_row(struct db_stmt *st, void *cb, void *ud)
{
	int (*each)(void *, const char *, const char *) = *(int (**)(void *, const char *, const char *))cb;
	struct batch_pass *p = ud;
	const char *id = store_col_text(st, 0);
	int rc;

	if (!db_col_null(st, 1) && (rc = each(p->ud, id, store_col_text(st, 1))) != 0)
		return rc;
	return owned_artists(db_col_null(st, 2) ? NULL : store_col_text(st, 2), id, p->with, p->ud);
}

int store_tracks_library_paths(struct store *s, const char *const *ids, int n,
                               int (*each)(void *ud, const char *id, const char *library_path),
                               const struct store_batch_with *with, void *ud)
{
	struct db_stmt *st = store_stmt2(s,
		"SELECT t.id, t.library_path, " OWNED_ARTISTS_SQLITE("track_artists", "track_id", "t.id")
		" FROM tracks t WHERE t.id IN " DB_IDS,
		"SELECT t.id, t.library_path, " OWNED_ARTISTS_PG("track_artists", "track_id", "t.id")
		" FROM tracks t WHERE t.id IN " DB_IDS);
	struct batch_pass pass = { NULL, with, ud };

	if (!st)
		return -1;
	db_bind_ids(st, ids, n);
	return store_each(s, st, "tracks' library paths", path_row, &each, &pass);
}

/* Every distinct markets value among an album's available tracks, joined with US (0x1f), NULL
 * (the server's markets) as "" and first, then in byte order on both engines; NULL when none
 * is available. */
#define ALBUM_MARKETS_SQLITE \
	"(SELECT group_concat(coalesce(m, ''), char(31)) FROM (SELECT DISTINCT markets m FROM tracks" \
	"  WHERE album_id = al.id AND available <> 0 ORDER BY m))"
#define ALBUM_MARKETS_PG \
	"(SELECT string_agg(coalesce(m, ''), chr(31) ORDER BY m COLLATE \"C\" NULLS FIRST) FROM" \
	"  (SELECT DISTINCT markets m FROM tracks WHERE album_id = al.id AND available <> 0) d)"
/* The columns of store_album_row, then the id, the cover, the artists and (MARKETS, or NULL)
 * the markets. The albums' tracks are counted in one pass over tracks_album for all of them,
 * not one per album and column; on PostgreSQL that index carries what the count and the
 * markets read (migration 23). */
#define ALBUMS_SQL(artists, markets) \
	"SELECT al.name, al.release_date, al.artist_id, ar.name, coalesce(t.n, 0), coalesce(t.ms, 0)," \
	" al.original_date, al.release_type, al.label, al.mb_album_id, al.compilation, al.id, al.image, " \
	artists ", " markets \
	" FROM albums al JOIN artists ar ON ar.id = al.artist_id" \
	" LEFT JOIN (SELECT album_id, count(*) n, sum(duration_ms) ms FROM tracks" \
	"  WHERE album_id IN " DB_IDS " AND available <> 0 GROUP BY album_id) t ON t.album_id = al.id" \
	" WHERE al.id IN " DB_IDS

static int album_markets(const char *list, const char *album_id, const struct store_batch_with *with,
                         void *ud)
{
	for (const char *p = list; p; ) {
		const char *end = strchr(p, '\x1f');
		char one[TRACK_MARKETS_MAX];

		snprintf(one, sizeof one, "%.*s", end ? (int)(end - p) : (int)strlen(p), p);
		with->markets(ud, album_id, one[0] ? one : NULL);
		p = end ? end + 1 : NULL;
	}
	return 0;
}

static int album_row_each(struct db_stmt *st, void *cb, void *ud)
{
	int (*each)(void *, const char *, const struct album_row *, const char *) =
		*(int (**)(void *, const char *, const struct album_row *, const char *))cb;
	struct batch_pass *p = ud;
	const char *id = store_col_text(st, 11);
	int rc;

	store_album_fill(st, p->row);
	if ((rc = each(p->ud, id, p->row, store_col_text(st, 12))) != 0 ||
	    (rc = owned_artists(db_col_null(st, 13) ? NULL : store_col_text(st, 13), id, p->with, p->ud)) != 0)
		return rc;
	if (p->with && p->with->markets && !db_col_null(st, 14))
		return album_markets(store_col_text(st, 14), id, p->with, p->ud);
	return 0;
}

int store_albums_rows(struct store *s, const char *const *ids, int n,
                      int (*each)(void *ud, const char *id, const struct album_row *a,
                                  const char *image),
                      const struct store_batch_with *with, void *ud)
{
	/* Two texts for each engine, so that a list without markets does not gather them. */
	bool markets = with && with->markets;
	struct db_stmt *st = markets
		? store_stmt2(s, ALBUMS_SQL(OWNED_ARTISTS_SQLITE("album_artists", "album_id", "al.id"),
		                            ALBUM_MARKETS_SQLITE),
		              ALBUMS_SQL(OWNED_ARTISTS_PG("album_artists", "album_id", "al.id"), ALBUM_MARKETS_PG))
		: store_stmt2(s, ALBUMS_SQL(OWNED_ARTISTS_SQLITE("album_artists", "album_id", "al.id"), "NULL"),
		              ALBUMS_SQL(OWNED_ARTISTS_PG("album_artists", "album_id", "al.id"), "NULL"));
	struct batch_pass pass = { malloc(sizeof(struct album_row)), with, ud };
	int rc;

	if (!st || !pass.row) {
		if (st)
			log_err("store: albums: out of memory");
		free(pass.row);
		return -1;
	}
	db_bind_ids(st, ids, n);
	rc = store_each(s, st, "albums", album_row_each, &each, &pass);
	free(pass.row);
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
	 * gives them in order), which carry the popularity; PostgreSQL is given the index's
	 * order in full (play count, then popularity and genre ascending), so that ties fall the
	 * same way. The genres are kept on the artist's row (migration 24). Then the id and
	 * picture. */
	struct db_stmt *st = store_stmt2(s,
		"SELECT ar.name, (SELECT max(popularity) FROM (SELECT popularity FROM tracks"
		"  WHERE artist_id = ar.id ORDER BY play_count DESC LIMIT 50)), ar.genres,"
		" (SELECT count(*) FROM followed_artists f WHERE f.artist_id = ar.id), ar.id, " ARTIST_PICTURE
		" FROM artists ar WHERE ar.id IN " DB_IDS,
		"SELECT ar.name, (SELECT max(popularity) FROM (SELECT popularity FROM tracks"
		"  WHERE artist_id = ar.id ORDER BY play_count DESC, popularity, genre LIMIT 50) top),"
		" ar.genres,"
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
