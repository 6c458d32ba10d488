/* Pictures' names on albums, artists and playlists. See store/images.h. */
#include "config.h"
#include "store/images.h"

#include <stdio.h>
#include <string.h>

#include "store/store_db.h"

static void fill_hash(struct db_stmt *st, void *out)
{
	snprintf(out, STORE_IMAGE_MAX, "%s", store_col_text(st, 0));
}

/* One picture name from st: 1 when there is a non-empty one. */
static int one_hash(struct store *s, struct db_stmt *st, const char *what, char hash[STORE_IMAGE_MAX])
{
	int rc;

	hash[0] = '\0';
	if (!st)
		return -1;
	rc = store_one(s, st, what, fill_hash, hash);
	return rc < 0 ? -1 : rc && hash[0];
}

int store_album_image(struct store *s, const char *album_id, char hash[STORE_IMAGE_MAX])
{
	struct db_stmt *st = store_stmt(s, "SELECT image FROM albums WHERE id = ?");

	if (st)
		store_bind_text(st, 1, album_id);
	return one_hash(s, st, "an album's cover", hash);
}

int store_album_image_set(struct store *s, const char *album_id, const char *hash)
{
	struct db_stmt *st = store_stmt(s, "UPDATE albums SET image = ?2 WHERE id = ?1 AND image IS NULL");

	if (!st)
		return -1;
	store_bind_text(st, 1, album_id);
	store_bind_text(st, 2, hash);
	return store_change(s, st, "an album's cover");
}

int store_artist_image(struct store *s, const char *artist_id, char hash[STORE_IMAGE_MAX])
{
	struct db_stmt *st = store_stmt(s, "SELECT " ARTIST_PICTURE " FROM artists ar WHERE ar.id = ?");

	if (st)
		store_bind_text(st, 1, artist_id);
	return one_hash(s, st, "an artist's picture", hash);
}

int store_artist_image_set(struct store *s, const char *artist_id, const char *hash)
{
	struct db_stmt *st = store_stmt(s, "UPDATE artists SET image = ?2 WHERE id = ?1 AND image IS NULL");

	if (!st)
		return -1;
	store_bind_text(st, 1, artist_id);
	store_bind_text(st, 2, hash);
	return store_change(s, st, "an artist's picture");
}

static void fill_art(struct db_stmt *st, void *out)
{
	struct album_art *a = out;

	a->has_image = !db_col_null(st, 0);
	snprintf(a->artist_id, sizeof a->artist_id, "%s", store_col_text(st, 1));
	snprintf(a->artist_name, sizeof a->artist_name, "%s", store_col_text(st, 2));
	a->artist_has_image = !db_col_null(st, 3);
}

int store_album_art(struct store *s, const char *album_id, struct album_art *out)
{
	struct db_stmt *st = store_stmt(s, "SELECT al.image, ar.id, ar.name, ar.image FROM albums al"
	                                 " JOIN artists ar ON ar.id = al.artist_id WHERE al.id = ?");

	if (!st)
		return -1;
	store_bind_text(st, 1, album_id);
	return store_one(s, st, "an album's pictures", fill_art, out);
}

struct playlist_image {
	char *hash;
	bool *custom;
};

static void fill_playlist(struct db_stmt *st, void *out)
{
	struct playlist_image *o = out;

	snprintf(o->hash, STORE_IMAGE_MAX, "%s", store_col_text(st, 0));
	*o->custom = db_col_int(st, 1) != 0;
}

int store_playlist_image(struct store *s, const char *id, char hash[STORE_IMAGE_MAX], bool *custom)
{
	struct db_stmt *st = store_stmt(s, "SELECT image, image_custom FROM playlists WHERE id = ?");
	struct playlist_image o = { hash, custom };

	hash[0] = '\0';
	*custom = false;
	if (!st)
		return -1;
	store_bind_text(st, 1, id);
	return store_one(s, st, "a playlist's picture", fill_playlist, &o);
}

int store_playlist_image_set(struct store *s, const char *id, const char *hash, bool custom)
{
	struct db_stmt *st = store_stmt(s, custom ?
		"UPDATE playlists SET image = ?2, image_custom = 1 WHERE id = ?1" :
		"UPDATE playlists SET image = ?2 WHERE id = ?1 AND image_custom = 0");

	if (!st)
		return -1;
	store_bind_text(st, 1, id);
	store_bind_text(st, 2, hash && hash[0] ? hash : NULL);
	return store_change(s, st, "a playlist's picture");
}

struct covers {
	char (*hashes)[STORE_IMAGE_MAX];
	int n, max;
};

static int cover_row(struct db_stmt *st, void *cb, void *ud)
{
	struct covers *c = ud;

	(void)cb;
	snprintf(c->hashes[c->n++], STORE_IMAGE_MAX, "%s", store_col_text(st, 0));
	return c->n == c->max; /* (the statement stops there itself) */
}

/* One statement, walking the items in position order (their primary key) only as far as the
 * max-th distinct cover: each step of the recursion is the next item whose album has a cover
 * not among those found, which `seen` lists ("/a/b/": the names are hex) but for the step's
 * own, `image`. A GROUP BY would read every item of a long playlist on each change to find
 * covers nearly always among the first few dozen; this reads those, and the whole playlist
 * (once) only when it has fewer than max covers. The album is looked up per item in a
 * subquery of its own: as a join, PostgreSQL's planner filters the albums by the search
 * first and joins every item to all of them (bench/playlist-covers.py). The two texts
 * differ only in the substring search. */
#define COVER_OF_T "(SELECT a.image FROM albums a WHERE a.id = t.album_id)"
#define NEXT_COVER(FIND, WHAT) \
	"(SELECT " WHAT " FROM playlist_items p JOIN tracks t ON t.id = p.track_id" \
	" WHERE p.playlist_id = ?1 AND p.pos > c.pos" \
	" AND " FIND "(c.seen || c.image || '/', '/' || " COVER_OF_T " || '/') = 0" \
	" ORDER BY p.pos LIMIT 1)"
#define PLAYLIST_COVERS(FIND) \
	"WITH RECURSIVE c(n, pos, image, seen) AS (" \
	" SELECT 0, CAST(-1 AS BIGINT), CAST('' AS TEXT), CAST('' AS TEXT)" \
	" UNION ALL SELECT c.n + 1, " NEXT_COVER(FIND, "p.pos") ", " NEXT_COVER(FIND, COVER_OF_T) "," \
	"  c.seen || c.image || '/' FROM c WHERE c.n < ?2 AND c.pos IS NOT NULL)" \
	" SELECT image FROM c WHERE n > 0 AND image IS NOT NULL ORDER BY n"

int store_playlist_covers(struct store *s, const char *id, char (*hashes)[STORE_IMAGE_MAX], int max)
{
	struct covers c = { hashes, 0, max };
	struct db_stmt *st;

	if (max <= 0)
		return 0;
	st = store_stmt2(s, PLAYLIST_COVERS("instr"), PLAYLIST_COVERS("strpos"));
	if (st) {
		store_bind_text(st, 1, id);
		db_bind_int(st, 2, max);
	}
	if (store_each(s, st, "a playlist's covers", cover_row, NULL, &c) < 0)
		return -1;
	return c.n;
}

int store_track_has_cover(struct store *s, const char *track_id)
{
	struct db_stmt *st = store_stmt(s, "SELECT 1 FROM tracks t JOIN albums al ON al.id = t.album_id"
	                                 " WHERE t.id = ? AND al.image IS NOT NULL");

	if (!st)
		return -1;
	store_bind_text(st, 1, track_id);
	return store_one(s, st, "a track's cover", NULL, NULL);
}
