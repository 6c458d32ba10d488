/* The search index's sources. See store/search.h. */
#include "config.h"
#include "store/search.h"

#include <stdio.h>
#include <stdlib.h>

#include "log.h"
#include "store/store_db.h"

/* Each ends in a WHERE clause, so that a delta can narrow it to the changed ids. Withdrawn
 * tracks are not searchable, nor an album or artist that has no available track left. */
static const struct {
	const char *sqlite, *pg; /* the artist lists are joined by each engine's own aggregate */
	const char *id;
} load[] = {
	/* A track is found by any of its artists and an album by any of its album artists: the
	 * artist text is the list, in order (most have one, which the join gives directly). */
	{ "SELECT t.id, t.name, coalesce((SELECT group_concat(name, ', ') FROM (SELECT a.name"
	"  FROM track_artists ta JOIN artists a ON a.id = ta.artist_id WHERE ta.track_id = t.id"
	"  ORDER BY ta.pos) HAVING count(*) > 1), ar.name), al.name, t.genre,"
	" substr(al.release_date, 1, 4),"
	" t.popularity + ln(1 + t.play_count) / 100.0, t.markets, t.artist_id"
	" FROM tracks t JOIN artists ar ON ar.id = t.artist_id JOIN albums al ON al.id = t.album_id"
	" WHERE t.available <> 0",
	"SELECT t.id, t.name, coalesce((SELECT string_agg(a.name, ', ' ORDER BY ta.pos)"
	"  FROM track_artists ta JOIN artists a ON a.id = ta.artist_id WHERE ta.track_id = t.id"
	"  HAVING count(*) > 1), ar.name), al.name, t.genre,"
	" substr(al.release_date, 1, 4),"
	" t.popularity + ln(1 + t.play_count) / 100.0, t.markets, t.artist_id"
	" FROM tracks t JOIN artists ar ON ar.id = t.artist_id JOIN albums al ON al.id = t.album_id"
	" WHERE t.available <> 0", "t.id" },
#define ARTIST_SOURCE \
	"SELECT ar.id, ar.name, NULL, NULL," \
	" (SELECT genre FROM tracks WHERE artist_id = ar.id AND genre <> '' GROUP BY genre ORDER BY count(*) DESC, genre LIMIT 1)," \
	" NULL, coalesce((SELECT max(popularity) FROM tracks WHERE artist_id = ar.id), 0), NULL, ar.id" \
	" FROM artists ar WHERE (EXISTS (SELECT 1 FROM tracks WHERE artist_id = ar.id AND available <> 0)" \
	"  OR EXISTS (SELECT 1 FROM track_artists ta JOIN tracks t ON t.id = ta.track_id" \
	"   WHERE ta.artist_id = ar.id AND t.available <> 0))"
	{ ARTIST_SOURCE, ARTIST_SOURCE, "ar.id" },
	/* An album's genre is its first track's that has one (the index's order). */
	{ "SELECT al.id, al.name, coalesce((SELECT group_concat(name, ', ') FROM (SELECT a.name"
	"  FROM album_artists aa JOIN artists a ON a.id = aa.artist_id WHERE aa.album_id = al.id"
	"  ORDER BY aa.pos) HAVING count(*) > 1), ar.name), NULL,"
	" (SELECT genre FROM tracks WHERE album_id = al.id AND genre <> ''"
	"  ORDER BY disc_number, track_number LIMIT 1),"
	" substr(al.release_date, 1, 4),"
	" coalesce((SELECT max(popularity) FROM tracks WHERE album_id = al.id), 0), NULL, al.artist_id"
	" FROM albums al JOIN artists ar ON ar.id = al.artist_id"
	" WHERE EXISTS (SELECT 1 FROM tracks WHERE album_id = al.id AND available <> 0)",
	"SELECT al.id, al.name, coalesce((SELECT string_agg(a.name, ', ' ORDER BY aa.pos)"
	"  FROM album_artists aa JOIN artists a ON a.id = aa.artist_id WHERE aa.album_id = al.id"
	"  HAVING count(*) > 1), ar.name), NULL,"
	" (SELECT genre FROM tracks WHERE album_id = al.id AND genre <> ''"
	"  ORDER BY disc_number, track_number LIMIT 1),"
	" substr(al.release_date, 1, 4),"
	" coalesce((SELECT max(popularity) FROM tracks WHERE album_id = al.id), 0), NULL, al.artist_id"
	" FROM albums al JOIN artists ar ON ar.id = al.artist_id"
	" WHERE EXISTS (SELECT 1 FROM tracks WHERE album_id = al.id AND available <> 0)", "al.id" },
#define PLAYLIST_SOURCE \
	"SELECT p.id, p.name, u.display_name, NULL, NULL, NULL," \
	" (SELECT count(*) FROM playlist_followers f WHERE f.playlist_id = p.id) + p.length / 1000.0, NULL, NULL" \
	" FROM playlists p JOIN users u ON u.id = p.owner_id WHERE p.public <> 0"
	{ PLAYLIST_SOURCE, PLAYLIST_SOURCE, "p.id" },
};

#define NTYPES (int)(sizeof load / sizeof load[0])

static const char *col(struct db_stmt *st, int i)
{
	return (const char *)db_col_text(st, i);
}

int store_search_rows(struct store *s, int type, long long since, long long upto,
                      int (*each)(void *ud, const struct search_source *row), void *ud)
{
	char sql[2048];
	const char *base;
	struct db_stmt *st;
	int n, rc, stop = 0;

	if (type < 0 || type >= NTYPES)
		return -1;
	base = store_is_postgres(s) ? load[type].pg : load[type].sqlite;
	if (since >= 0)
		n = snprintf(sql, sizeof sql, "%s AND %s IN (SELECT id FROM search_changes"
		             " WHERE seq > ?1 AND seq <= ?2 AND type = %d)", base, load[type].id, type);
	else
		n = snprintf(sql, sizeof sql, "%s", base);
	if (n < 0 || (size_t)n >= sizeof sql) {
		log_err("store: the search sources' statement is too long");
		return -1;
	}
	/* Not cached: a build is rare, and the delta's text differs from the whole one's. */
	if (!(st = store_prepare(s, sql)))
		return -1;
	if (since >= 0) {
		db_bind_int64(st, 1, since);
		db_bind_int64(st, 2, upto);
	}
	while (!stop && (rc = db_step(st)) == DB_ROW) {
		const char *year = col(st, 5);
		struct search_source r = {
			.id = store_col_text(st, 0), .artist_id = store_col_text(st, 8),
			.text = { col(st, 1), col(st, 2), col(st, 3) },
			.genre = col(st, 4), .markets = col(st, 7),
			.year = year ? atoi(year) : 0, .score = db_col_double(st, 6),
		};

		stop = each(ud, &r) < 0;
	}
	if (stop) {
		db_finalize(st);
		return -1;
	}
	if (rc != DB_DONE) {
		store_fail(s, "the search sources");
		db_finalize(st);
		return -1;
	}
	db_finalize(st);
	return 0;
}

int store_search_changed(struct store *s, int type, long long since, long long upto,
                         int (*each)(void *ud, const char *id), void *ud)
{
	struct db_stmt *st = store_stmt(s, "SELECT DISTINCT id FROM search_changes"
	                                 " WHERE seq > ?1 AND seq <= ?2 AND type = ?3");
	int rc = DB_DONE;

	if (!st)
		return -1;
	db_bind_int64(st, 1, since);
	db_bind_int64(st, 2, upto);
	db_bind_int(st, 3, type);
	while ((rc = db_step(st)) == DB_ROW)
		if (each(ud, store_col_text(st, 0)) < 0) {
			db_reset(st);
			return -1;
		}
	db_reset(st);
	return rc == DB_DONE ? 0 : store_fail(s, "the search change log");
}
