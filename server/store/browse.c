/* Browsing the whole catalog. See store/browse.h. */
#include "config.h"
#include "store/browse.h"

#include "store/store_db.h"

/* Walks the index albums_release (release_date DESC, id) alone: a page costs its offset in
 * index entries (2 ms at offset 10,000), where probing each album for an available track
 * cost 280. The albums left out are those whose every track is withdrawn, found once from
 * the few withdrawn tracks, as store_albums_available counts them. SQLite is told which
 * indexes to take, and takes the partial index tracks_withdrawn only for its own WHERE (NOT
 * available), word for word; PostgreSQL has neither and is given its own text. */
int store_albums_newest(struct store *s, int offset, int max,
                        int (*each)(void *ud, const char *album_id), void *ud)
{
	struct db_stmt *st = store_stmt2(s, "SELECT al.id FROM albums al INDEXED BY albums_release"
	                                 " WHERE al.id NOT IN (SELECT t.album_id FROM tracks t INDEXED BY tracks_withdrawn"
	                                 "  WHERE NOT t.available AND NOT EXISTS (SELECT 1 FROM tracks a"
	                                 "   WHERE a.album_id = t.album_id AND a.available <> 0))"
	                                 " ORDER BY al.release_date DESC, al.id LIMIT ?1 OFFSET ?2",
	                                 "SELECT al.id FROM albums al"
	                                 " WHERE al.id NOT IN (SELECT t.album_id FROM tracks t"
	                                 "  WHERE t.available = 0 AND NOT EXISTS (SELECT 1 FROM tracks a"
	                                 "   WHERE a.album_id = t.album_id AND a.available <> 0))"
	                                 " ORDER BY al.release_date DESC, al.id LIMIT ?1 OFFSET ?2");

	if (!st)
		return -1;
	db_bind_int(st, 1, max);
	db_bind_int(st, 2, offset);
	return store_each_text(s, st, "the newest albums", each, ud);
}

/* Not a probe of every album for an available track (150 ms at 100,000 albums): the albums
 * less those whose every track is withdrawn, found from the few withdrawn tracks through
 * tracks_withdrawn. Ingest drops an album with its last track, so no album has none. */
long long store_albums_available(struct store *s)
{
	return store_integer(s, store_stmt2(s, "SELECT (SELECT count(*) FROM albums) -"
	                                      " (SELECT count(DISTINCT t.album_id) FROM tracks t INDEXED BY tracks_withdrawn"
	                                      "  WHERE NOT t.available AND NOT EXISTS (SELECT 1 FROM tracks a"
	                                      "   WHERE a.album_id = t.album_id AND a.available <> 0))",
	                                    "SELECT (SELECT count(*) FROM albums) -"
	                                      " (SELECT count(DISTINCT t.album_id) FROM tracks t"
	                                      "  WHERE t.available = 0 AND NOT EXISTS (SELECT 1 FROM tracks a"
	                                      "   WHERE a.album_id = t.album_id AND a.available <> 0))"),
	                     "the albums' count");
}

int store_track_market_lists(struct store *s, int (*each)(void *ud, const char *markets), void *ud)
{
	struct db_stmt *st = store_stmt(s, "SELECT DISTINCT markets FROM tracks"
	                                 " WHERE available <> 0 AND markets IS NOT NULL AND markets <> ''");

	if (!st)
		return -1;
	return store_each_text(s, st, "the tracks' markets", each, ud);
}
