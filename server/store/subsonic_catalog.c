/* The Subsonic API's catalog queries. See store/subsonic_catalog.h.
 *
 * Every statement binds ?1 the market, ?2 whether the server's markets hold it, ?3 the user,
 * and its own parameters from ?4 on; PLAYABLE(D, t) is the test of a track row t for them.
 *
 * That test is where the dialects part: a market's place in a track's list is SQLite's instr
 * and PostgreSQL's strpos. So each statement is written once, as a macro of the dialect D
 * (LITE or PG), and BOTH(Q) gives store_stmt2 its two texts.
 *
 * Names are compared and sorted as SQLite's NOCASE does: ASCII letters folded, then bytes.
 * PostgreSQL's nocase collation (ICU's) folds every letter and sorts punctuation, digits and
 * accented letters by other rules, so there a name is sorted by lower() in collation C (which
 * folds ASCII alone), and an equality through the nocase index is narrowed by the same. */
#include "config.h"
#include "store/subsonic_catalog.h"

#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store/store_db.h"

#define INSTR_LITE "instr"
#define INSTR_PG "strpos"
#define BOTH(Q) Q(LITE), Q(PG)

#define NOCASE_ORDER_LITE(x) x " COLLATE NOCASE"
#define NOCASE_ORDER_PG(x) "lower(" x " COLLATE \"C\")"
#define NOCASE_ORDER(D, x) NOCASE_ORDER_##D(x)
#define NOCASE_EQ_LITE(x, p) x " = " p " COLLATE NOCASE"
#define NOCASE_EQ_PG(x, p) \
	"(" x " = " p " COLLATE NOCASE AND lower(" x " COLLATE \"C\") = lower(" p " COLLATE \"C\"))"
#define NOCASE_EQ(D, x, p) NOCASE_EQ_##D(x, p)

#define PLAYABLE(D, t) "(" t ".available <> 0 AND CASE WHEN coalesce(" t ".markets, '') = ''" \
	" THEN ?2 <> 0 ELSE " INSTR_##D "(',' || " t ".markets || ',', ',' || ?1 || ',') > 0 END)"

#define SONG_COLS(D) \
	"SELECT t.id, t.name, t.album_id, al.name, t.artist_id, ar.name, t.track_number," \
	" t.disc_number, t.duration_ms, t.genre, t.genres, al.release_date, t.mb_recording_id, t.isrc," \
	" coalesce(al.image, ''), t.created_at, t.play_count," \
	" (SELECT added_at FROM saved_tracks WHERE user_id = ?3 AND track_id = t.id)," \
	" coalesce(t.bytes_normal, 0), coalesce(t.bytes_high, 0), t.gain_db, t.true_peak, t.tempo," \
	" t.explicit, " PLAYABLE(D, "t") \
	" FROM tracks t JOIN albums al ON al.id = t.album_id JOIN artists ar ON ar.id = t.artist_id"

/* The aggregate of an album row over its playable tracks: al is the album, the group is it
 * (and ar, its artist: PostgreSQL takes a column as the group's only through a primary key
 * grouped by). */
#define ALBUM_COLS(D) \
	"SELECT al.id, al.name, al.artist_id, ar.name, al.release_date, al.original_date," \
	" al.release_type, al.label, al.mb_album_id, coalesce(al.image, ''), al.compilation," \
	" al.created_at, (SELECT added_at FROM saved_albums WHERE user_id = ?3 AND album_id = al.id)," \
	" (SELECT max(p.started_at) FROM plays p JOIN tracks pt ON pt.id = p.track_id" \
	"   WHERE p.user_id = ?3 AND pt.album_id = al.id)," \
	" count(t.id), coalesce(sum(t.duration_ms), 0), coalesce(sum(t.play_count), 0)," \
	" coalesce(max(t.explicit), 0)," \
	" (SELECT genre FROM tracks g WHERE g.album_id = al.id AND g.genre <> ''" \
	"   GROUP BY genre ORDER BY count(*) DESC, genre LIMIT 1)" \
	" FROM albums al JOIN artists ar ON ar.id = al.artist_id" \
	" LEFT JOIN tracks t ON t.album_id = al.id AND " PLAYABLE(D, "t")

/* An artist's picture is its own, else one of its albums' covers (getCoverArt chooses which,
 * as the Web API does); the least name, so that every engine names the same one. */
#define ARTIST_COLS \
	"SELECT ar.id, ar.name, ar.mb_artist_id, coalesce(ar.image, (SELECT min(pa.image) FROM albums pa" \
	"   WHERE pa.artist_id = ar.id), ''), count(al.id)," \
	" (SELECT followed_at FROM followed_artists WHERE user_id = ?3 AND artist_id = ar.id)" \
	" FROM artists ar"

#define HAS_PLAYABLE(D, al) "EXISTS (SELECT 1 FROM tracks t WHERE t.album_id = " al " AND " PLAYABLE(D, "t") ")"

static void copy(char *out, size_t len, struct db_stmt *st, int i)
{
	snprintf(out, len, "%s", store_col_text(st, i));
}

static void fill_song(struct db_stmt *st, void *out)
{
	struct sub_song *s = out;

	copy(s->id, sizeof s->id, st, 0);
	copy(s->name, sizeof s->name, st, 1);
	copy(s->album_id, sizeof s->album_id, st, 2);
	copy(s->album, sizeof s->album, st, 3);
	copy(s->artist_id, sizeof s->artist_id, st, 4);
	copy(s->artist, sizeof s->artist, st, 5);
	s->track_number = db_col_int(st, 6);
	s->disc_number = db_col_int(st, 7);
	s->duration_ms = db_col_int64(st, 8);
	copy(s->genre, sizeof s->genre, st, 9);
	copy(s->genres, sizeof s->genres, st, 10);
	copy(s->release_date, sizeof s->release_date, st, 11);
	copy(s->mb_recording_id, sizeof s->mb_recording_id, st, 12);
	copy(s->isrc, sizeof s->isrc, st, 13);
	copy(s->image, sizeof s->image, st, 14);
	s->created_ms = db_col_int64(st, 15);
	s->play_count = db_col_int64(st, 16);
	s->starred_ms = db_col_int64(st, 17);
	s->bytes_normal = db_col_int64(st, 18);
	s->bytes_high = db_col_int64(st, 19);
	s->gain_db = db_col_double(st, 20);
	s->true_peak = db_col_double(st, 21);
	s->tempo = db_col_double(st, 22);
	s->explicit_ = db_col_int(st, 23) != 0;
	s->playable = db_col_int(st, 24) != 0;
}

static void fill_album(struct db_stmt *st, void *out)
{
	struct sub_album *a = out;

	copy(a->id, sizeof a->id, st, 0);
	copy(a->name, sizeof a->name, st, 1);
	copy(a->artist_id, sizeof a->artist_id, st, 2);
	copy(a->artist, sizeof a->artist, st, 3);
	copy(a->release_date, sizeof a->release_date, st, 4);
	copy(a->original_date, sizeof a->original_date, st, 5);
	copy(a->release_type, sizeof a->release_type, st, 6);
	copy(a->label, sizeof a->label, st, 7);
	copy(a->mb_album_id, sizeof a->mb_album_id, st, 8);
	copy(a->image, sizeof a->image, st, 9);
	a->compilation = db_col_int(st, 10) != 0;
	a->created_ms = db_col_int64(st, 11);
	a->starred_ms = db_col_int64(st, 12);
	a->played_ms = db_col_int64(st, 13);
	a->song_count = db_col_int64(st, 14);
	a->duration_ms = db_col_int64(st, 15);
	a->play_count = db_col_int64(st, 16);
	a->explicit_ = db_col_int(st, 17) != 0;
	copy(a->genre, sizeof a->genre, st, 18);
}

static void fill_artist(struct db_stmt *st, void *out)
{
	struct sub_artist *a = out;

	copy(a->id, sizeof a->id, st, 0);
	copy(a->name, sizeof a->name, st, 1);
	copy(a->mb_artist_id, sizeof a->mb_artist_id, st, 2);
	copy(a->image, sizeof a->image, st, 3);
	a->album_count = db_col_int64(st, 4);
	a->starred_ms = db_col_int64(st, 5);
}

/* A LIMIT's value: a negative limit is none (SQLite's -1, which PostgreSQL refuses). */
static void bind_limit(struct db_stmt *st, int i, int limit)
{
	db_bind_int64(st, i, limit < 0 ? LLONG_MAX : limit);
}

static struct db_stmt *scoped(struct store *s, const struct sub_scope *sc, const char *lite,
                              const char *pg)
{
	struct db_stmt *st = store_stmt2(s, lite, pg);

	if (!st)
		return NULL;
	store_bind_text(st, 1, sc->market);
	db_bind_int(st, 2, sc->server_market);
	store_bind_text(st, 3, sc->user_id);
	return st;
}

/* Where a walk's rows go: one of the three callbacks, by the kind of row. */
struct sink {
	sub_song_fn song;
	sub_artist_fn artist;
	void *ud;
};

/* Steps st through its rows (each read into one row on the heap: rows are large), handing
 * each to the sink. */
static int walk(struct store *s, struct db_stmt *st, const char *what, struct sink k)
{
	union { struct sub_song song; struct sub_artist artist; } *row;
	int rc = DB_DONE, stop = 0;

	if (!st)
		return -1;
	if (!(row = calloc(1, sizeof *row))) {
		db_reset(st);
		log_err("store: out of memory reading %s", what);
		return -1;
	}
	while (!stop && (rc = db_step(st)) == DB_ROW) {
		if (k.song) {
			fill_song(st, &row->song);
			stop = k.song(k.ud, &row->song);
		} else {
			fill_artist(st, &row->artist);
			stop = k.artist(k.ud, &row->artist);
		}
	}
	db_reset(st);
	free(row);
	if (stop < 0)
		return -1;
	return stop || rc == DB_DONE ? 0 : store_fail(s, what);
}

#define SONGS(each, ud) ((struct sink){ .song = (each), .ud = (ud) })
#define ARTISTS(each, ud) ((struct sink){ .artist = (each), .ud = (ud) })

#define SONG_BY_ID(D) SONG_COLS(D) " WHERE t.id = ?4"

int store_sub_song(struct store *s, const struct sub_scope *sc, const char *id, struct sub_song *out)
{
	struct db_stmt *st = scoped(s, sc, BOTH(SONG_BY_ID));

	if (!st)
		return -1;
	store_bind_text(st, 4, id);
	return store_one(s, st, "a song", fill_song, out);
}

#define ALBUM_BY_ID(D) ALBUM_COLS(D) " WHERE al.id = ?4 GROUP BY al.id, ar.id"

int store_sub_album(struct store *s, const struct sub_scope *sc, const char *id, struct sub_album *out)
{
	struct db_stmt *st = scoped(s, sc, BOTH(ALBUM_BY_ID));

	if (!st)
		return -1;
	store_bind_text(st, 4, id);
	return store_one(s, st, "an album", fill_album, out);
}

#define ARTIST_BY_ID(D) ARTIST_COLS " LEFT JOIN albums al ON al.artist_id = ar.id AND " \
	HAS_PLAYABLE(D, "al.id") " WHERE ar.id = ?4 GROUP BY ar.id"

int store_sub_artist(struct store *s, const struct sub_scope *sc, const char *id, struct sub_artist *out)
{
	struct db_stmt *st = scoped(s, sc, BOTH(ARTIST_BY_ID));

	if (!st)
		return -1;
	store_bind_text(st, 4, id);
	return store_one(s, st, "an artist", fill_artist, out);
}

#define ALBUM_SONGS(D) SONG_COLS(D) " WHERE t.album_id = ?4 AND " PLAYABLE(D, "t") \
	" ORDER BY t.disc_number, t.track_number, t.name, t.id"

int store_sub_album_songs(struct store *s, const struct sub_scope *sc, const char *album_id,
                          sub_song_fn each, void *ud)
{
	struct db_stmt *st = scoped(s, sc, BOTH(ALBUM_SONGS));

	if (st)
		store_bind_text(st, 4, album_id);
	return walk(s, st, "an album's songs", SONGS(each, ud));
}

/* Random rows without sorting the table: rowids drawn at random, each kept when its row is
 * there and qualifies, until limit are found or the draws run out (gaps in the rowids, rows
 * the user may not play). A table of a million rows costs a few dozen lookups, not a sort of
 * a million random keys. Draws repeat rarely and a repeat is skipped; a catalog mostly out of
 * the user's reach may yield fewer than limit. */
#define RANDOM_DRAWS(limit) ((limit) * 8 + 32)

struct seen {
	char (*ids)[BASE62_ID_LEN + 1];
	int n;
};

static bool seen_add(struct seen *v, const char *id)
{
	for (int i = 0; i < v->n; i++)
		if (!strcmp(v->ids[i], id))
			return false;
	snprintf(v->ids[v->n++], sizeof *v->ids, "%s", id);
	return true;
}

static long long max_rowid(struct store *s, const char *sql, const char *what)
{
	return store_integer(s, store_stmt(s, sql), what);
}

/* A release's year, 0 for a release without a date ("" to PostgreSQL is no number). Ingest
 * writes a date as "" or four digits and more. */
#define RELEASE_YEAR \
	"CASE WHEN al.release_date = '' THEN 0 ELSE CAST(substr(al.release_date, 1, 4) AS INTEGER) END"
/* ?5 is cast for PostgreSQL, which cannot tell a parameter's type from IS NULL. */
#define RANDOM_SONGS(D) SONG_COLS(D) " WHERE (CAST(?5 AS TEXT) IS NULL OR " NOCASE_EQ(D, "t.genre", "?5") ")" \
	" AND " PLAYABLE(D, "t") \
	" AND (?6 = 0 OR " RELEASE_YEAR " >= ?6) AND (?7 = 0 OR " RELEASE_YEAR " <= ?7)" \
	" ORDER BY random() LIMIT ?4"
#define SONG_BY_ROWID(D) SONG_COLS(D) " WHERE t.rowid = ?4 AND " PLAYABLE(D, "t")

int store_sub_random_songs(struct store *s, const struct sub_scope *sc, int limit, const char *genre,
                           int from_year, int to_year, sub_song_fn each, void *ud)
{
	struct db_stmt *st;
	struct seen seen = { calloc((size_t)limit + 1, sizeof *seen.ids), 0 };
	struct sub_song *row = malloc(sizeof *row);
	long long top;
	int rc = 0;

	if (!seen.ids || !row) {
		rc = -1;
		goto out;
	}
	/* With a genre, its index gives the candidates: few enough to shuffle whole. */
	if (genre || from_year || to_year) {
		st = scoped(s, sc, BOTH(RANDOM_SONGS));
		if (st) {
			bind_limit(st, 4, limit);
			store_bind_text(st, 5, genre);
			db_bind_int(st, 6, from_year);
			db_bind_int(st, 7, to_year);
		}
		rc = walk(s, st, "random songs", SONGS(each, ud));
		goto out;
	}
	if ((top = max_rowid(s, "SELECT coalesce(max(rowid), 0) FROM tracks", "the tracks' last rowid")) <= 0) {
		rc = (int)top;
		goto out;
	}
	for (int d = 0; d < RANDOM_DRAWS(limit) && seen.n < limit && rc == 0; d++) {
		long long pick = (long long)(((unsigned long long)randombytes_random() << 32 |
		                              randombytes_random()) % (unsigned long long)top) + 1;

		if (!(st = scoped(s, sc, BOTH(SONG_BY_ROWID)))) {
			rc = -1;
			break;
		}
		db_bind_int64(st, 4, pick);
		if ((rc = store_one(s, st, "a random song", fill_song, row)) == 1)
			rc = seen_add(&seen, row->id) ? each(ud, row) : 0;
	}
	rc = rc < 0 ? -1 : 0;
out:
	free(seen.ids);
	free(row);
	return rc;
}

#define ARTIST_TOP_SONGS(D) SONG_COLS(D) " WHERE (t.artist_id = ?4" \
	" OR t.id IN (SELECT track_id FROM track_artists WHERE artist_id = ?4)) AND " PLAYABLE(D, "t") \
	" ORDER BY t.play_count DESC, t.popularity DESC, t.created_at, t.id LIMIT ?5"

int store_sub_artist_top_songs(struct store *s, const struct sub_scope *sc, const char *artist_id,
                               int limit, sub_song_fn each, void *ud)
{
	struct db_stmt *st = scoped(s, sc, BOTH(ARTIST_TOP_SONGS));

	if (st) {
		store_bind_text(st, 4, artist_id);
		bind_limit(st, 5, limit);
	}
	return walk(s, st, "an artist's top songs", SONGS(each, ud));
}

/* The ids a list statement gives (column 0), copied: each row is then read with another
 * statement, and the page stays what it was. *ids (the caller frees it) holds *n. */
static int ids_of(struct store *s, struct db_stmt *st, const char *what, char (**ids)[BASE62_ID_LEN + 1],
                  size_t *n)
{
	size_t cap = 0;
	int rc;

	*ids = NULL;
	*n = 0;
	if (!st)
		return -1;
	while ((rc = db_step(st)) == DB_ROW) {
		if (*n == cap) {
			void *p = realloc(*ids, (cap = cap ? cap * 2 : 64) * sizeof **ids);

			if (!p) {
				rc = DB_NOMEM;
				break;
			}
			*ids = p;
		}
		copy((*ids)[(*n)++], sizeof **ids, st, 0);
	}
	db_reset(st);
	if (rc == DB_DONE)
		return 0;
	free(*ids);
	*ids = NULL;
	*n = 0;
	if (rc == DB_NOMEM) {
		log_err("store: out of memory reading %s", what);
		return -1;
	}
	return store_fail(s, what);
}

#define SONG_IDS_AFTER(D) "SELECT t.id FROM tracks t WHERE t.id > ?5 AND " PLAYABLE(D, "t") \
	" ORDER BY t.id LIMIT ?4"
#define SONG_IDS(D) "SELECT t.id FROM tracks t WHERE " PLAYABLE(D, "t") " ORDER BY t.id LIMIT ?4 OFFSET ?5"

int store_sub_all_songs(struct store *s, const struct sub_scope *sc, const char *after, int offset,
                        int limit, sub_song_fn each, void *ud)
{
	char (*ids)[BASE62_ID_LEN + 1];
	struct sub_song *row;
	struct db_stmt *st;
	size_t n;
	int rc = 0;

	/* Ids first, from the tracks alone: an offset is walked without the joins and columns
	 * of a whole row (66 us a row skipped, 33 s to reach the middle of a million), and
	 * after a known id the primary key's index starts there. */
	st = after ? scoped(s, sc, BOTH(SONG_IDS_AFTER)) : scoped(s, sc, BOTH(SONG_IDS));
	if (st) {
		bind_limit(st, 4, limit);
		if (after)
			store_bind_text(st, 5, after);
		else
			db_bind_int(st, 5, offset);
	}
	if (ids_of(s, st, "every song", &ids, &n) < 0)
		return -1;
	if (!(row = malloc(sizeof *row))) {
		free(ids);
		return -1;
	}
	for (size_t i = 0; i < n && rc == 0; i++)
		if ((rc = store_sub_song(s, sc, ids[i], row)) == 1)
			rc = each(ud, row);
	free(row);
	free(ids);
	return rc < 0 ? -1 : 0;
}

/* The album lists choose ids first (a page, through indexes where there are some), then each
 * album's row is read: the aggregate runs for the page alone. */
struct album_ids {
	struct store *s;
	const struct sub_scope *sc;
	sub_album_fn each;
	void *ud;
	struct sub_album row;
	int rc;
};

static int album_by_id(void *ud, const char *id)
{
	struct album_ids *a = ud;
	int rc = store_sub_album(a->s, a->sc, id, &a->row);

	if (rc < 0)
		return a->rc = -1;
	return rc ? a->each(a->ud, &a->row) : 0;
}

/* A list statement's ids (column 0), each album's row then read and handed to each. */
static int albums_of(struct store *s, const struct sub_scope *sc, struct db_stmt *st, const char *what,
                     sub_album_fn each, void *ud)
{
	char (*ids)[BASE62_ID_LEN + 1];
	struct album_ids *a;
	size_t n;
	int rc, out = 0;

	if (ids_of(s, st, what, &ids, &n) < 0)
		return -1;
	if (!(a = calloc(1, sizeof *a))) {
		free(ids);
		return -1;
	}
	*a = (struct album_ids){ .s = s, .sc = sc, .each = each, .ud = ud };
	for (size_t i = 0; i < n && !out; i++)
		out = album_by_id(a, ids[i]);
	rc = out < 0 || a->rc < 0 ? -1 : 0;
	free(a);
	free(ids);
	return rc;
}

#define ALBUM_BY_ROWID(D) "SELECT al.id FROM albums al WHERE al.rowid = ?4 AND " HAS_PLAYABLE(D, "al.id")

/* As random songs are drawn (above); an offset means nothing in a random list. */
static int random_albums(struct store *s, const struct sub_scope *sc, int limit, sub_album_fn each,
                         void *ud)
{
	struct seen seen = { calloc((size_t)limit + 1, sizeof *seen.ids), 0 };
	struct album_ids a = { .s = s, .sc = sc, .each = each, .ud = ud };
	long long top;
	int rc = 0;

	if (!seen.ids)
		return -1;
	if ((top = max_rowid(s, "SELECT coalesce(max(rowid), 0) FROM albums", "the albums' last rowid")) <= 0) {
		free(seen.ids);
		return (int)top;
	}
	for (int d = 0; d < RANDOM_DRAWS(limit) && seen.n < limit && rc == 0; d++) {
		long long pick = (long long)(((unsigned long long)randombytes_random() << 32 |
		                              randombytes_random()) % (unsigned long long)top) + 1;
		struct db_stmt *st = scoped(s, sc, BOTH(ALBUM_BY_ROWID));
		char id[BASE62_ID_LEN + 1];

		if (!st) {
			rc = -1;
			break;
		}
		db_bind_int64(st, 4, pick);
		if ((rc = store_one_text(s, st, "a random album", id, sizeof id)) == 1)
			rc = seen_add(&seen, id) ? album_by_id(&a, id) : 0;
	}
	free(seen.ids);
	return rc < 0 || a.rc < 0 ? -1 : 0;
}

/* SQLite's planner hints, which PostgreSQL has no words for (its planner chooses alone):
 * INDEXED BY, a CROSS JOIN's fixed order, a unary + that keeps a column from its index. */
#define INDEXED_BY_LITE(i) " INDEXED BY " i
#define INDEXED_BY_PG(i) ""
#define INDEXED_BY(D, i) INDEXED_BY_##D(i)
#define CROSS_JOIN_LITE " CROSS JOIN "
#define CROSS_JOIN_PG " JOIN "
#define UNINDEXED_LITE "+"
#define UNINDEXED_PG ""

#define ALBUMS_NEWEST(D) "SELECT al.id FROM albums al WHERE " HAS_PLAYABLE(D, "al.id") \
	" ORDER BY al.created_at DESC, al.id DESC LIMIT ?4 OFFSET ?5"
#define ALBUMS_FREQUENT(D) "SELECT pt.album_id FROM plays p JOIN tracks pt ON pt.id = p.track_id" \
	" WHERE p.user_id = ?3 AND p.counted <> 0 AND " HAS_PLAYABLE(D, "pt.album_id") \
	" GROUP BY pt.album_id ORDER BY count(*) DESC, max(p.started_at) DESC, pt.album_id" \
	" LIMIT ?4 OFFSET ?5"
#define ALBUMS_RECENT(D) "SELECT pt.album_id FROM plays p JOIN tracks pt ON pt.id = p.track_id" \
	" WHERE p.user_id = ?3 AND " HAS_PLAYABLE(D, "pt.album_id") \
	" GROUP BY pt.album_id ORDER BY max(p.started_at) DESC, pt.album_id LIMIT ?4 OFFSET ?5"
#define ALBUMS_STARRED(D) "SELECT sa.album_id FROM saved_albums sa WHERE sa.user_id = ?3 AND " \
	HAS_PLAYABLE(D, "sa.album_id") " ORDER BY sa.added_at DESC, sa.album_id LIMIT ?4 OFFSET ?5"
#define ALBUMS_BY_NAME(D) "SELECT al.id FROM albums al WHERE " HAS_PLAYABLE(D, "al.id") \
	" ORDER BY " NOCASE_ORDER(D, "al.name") ", al.id LIMIT ?4 OFFSET ?5"
/* Artists in their name's order (its index), each one's albums: the CROSS JOIN keeps SQLite
 * from sorting every album instead. */
#define ALBUMS_BY_ARTIST(D) "SELECT al.id FROM artists ar" CROSS_JOIN_##D "albums al" \
	" ON al.artist_id = ar.id WHERE " HAS_PLAYABLE(D, "al.id") \
	" ORDER BY " NOCASE_ORDER(D, "ar.name") ", ar.id, " NOCASE_ORDER(D, "al.name") ", al.id" \
	" LIMIT ?4 OFFSET ?5"
/* The specification: fromYear after toYear lists in descending order. Dates are
 * "YYYY[-MM[-DD]]" text, so the years' albums are a range of it, which the release date's
 * index seeks to. */
#define ALBUMS_BY_YEAR(D) "SELECT al.id FROM albums al WHERE al.release_date >= ?6" \
	" AND al.release_date < ?7 AND " HAS_PLAYABLE(D, "al.id") \
	" ORDER BY al.release_date, " NOCASE_ORDER(D, "al.name") ", al.id LIMIT ?4 OFFSET ?5"
#define ALBUMS_BY_YEAR_DESC(D) "SELECT al.id FROM albums al WHERE al.release_date >= ?6" \
	" AND al.release_date < ?7 AND " HAS_PLAYABLE(D, "al.id") \
	" ORDER BY al.release_date DESC, " NOCASE_ORDER(D, "al.name") ", al.id LIMIT ?4 OFFSET ?5"
/* The genre's albums come from an index of (genre, album) alone; then albums are walked in
 * name order, each of the genre's kept when it has a playable track of it, until the page is
 * full. The unary + keeps SQLite from answering that test through the genre's index, once
 * per album, instead of the album's few tracks. */
#define ALBUMS_BY_GENRE(D) "SELECT al.id FROM albums al" INDEXED_BY(D, "albums_name") " WHERE al.id IN" \
	" (SELECT album_id FROM tracks WHERE " NOCASE_EQ(D, "genre", "?8") ") AND EXISTS" \
	" (SELECT 1 FROM tracks t WHERE t.album_id = al.id AND " NOCASE_EQ(D, UNINDEXED_##D "t.genre", "?8") \
	" AND " PLAYABLE(D, "t") ") ORDER BY " NOCASE_ORDER(D, "al.name") ", al.id LIMIT ?4 OFFSET ?5"
#define ALBUMS_AFTER(D) "SELECT al.id FROM albums al WHERE al.id > ?9 AND " HAS_PLAYABLE(D, "al.id") \
	" ORDER BY al.id LIMIT ?4 OFFSET ?5"
#define ALBUMS_ALL(D) "SELECT al.id FROM albums al WHERE " HAS_PLAYABLE(D, "al.id") \
	" ORDER BY al.id LIMIT ?4 OFFSET ?5"

int store_sub_albums(struct store *s, const struct sub_scope *sc, const struct sub_album_query *q,
                     sub_album_fn each, void *ud)
{
	struct db_stmt *st = NULL;
	int lo = q->from_year, hi = q->to_year;

	switch (q->type) {
	case SUB_ALBUMS_RANDOM:
		return random_albums(s, sc, q->limit, each, ud);
	case SUB_ALBUMS_NEWEST:
		st = scoped(s, sc, BOTH(ALBUMS_NEWEST));
		break;
	case SUB_ALBUMS_FREQUENT:
		st = scoped(s, sc, BOTH(ALBUMS_FREQUENT));
		break;
	case SUB_ALBUMS_RECENT:
		st = scoped(s, sc, BOTH(ALBUMS_RECENT));
		break;
	case SUB_ALBUMS_STARRED:
		st = scoped(s, sc, BOTH(ALBUMS_STARRED));
		break;
	case SUB_ALBUMS_BY_NAME:
		st = scoped(s, sc, BOTH(ALBUMS_BY_NAME));
		break;
	case SUB_ALBUMS_BY_ARTIST:
		st = scoped(s, sc, BOTH(ALBUMS_BY_ARTIST));
		break;
	case SUB_ALBUMS_BY_YEAR:
		st = lo <= hi ? scoped(s, sc, BOTH(ALBUMS_BY_YEAR)) : scoped(s, sc, BOTH(ALBUMS_BY_YEAR_DESC));
		break;
	case SUB_ALBUMS_BY_GENRE:
		st = scoped(s, sc, BOTH(ALBUMS_BY_GENRE));
		break;
	case SUB_ALBUMS_ALL:
		st = q->after ? scoped(s, sc, BOTH(ALBUMS_AFTER)) : scoped(s, sc, BOTH(ALBUMS_ALL));
		break;
	}
	if (!st)
		return -1;
	bind_limit(st, 4, q->limit);
	db_bind_int(st, 5, q->offset);
	if (q->type == SUB_ALBUMS_BY_YEAR) {
		char from[8], upto[8];

		/* "YYYY~" sorts after every date of that year ('~' after '-') and before the next
		 * year's. */
		snprintf(from, sizeof from, "%04d", lo < hi ? lo : hi);
		snprintf(upto, sizeof upto, "%04d~", lo < hi ? hi : lo);
		store_bind_text(st, 6, from);
		store_bind_text(st, 7, upto);
	}
	if (q->type == SUB_ALBUMS_BY_GENRE)
		store_bind_text(st, 8, q->genre);
	if (q->type == SUB_ALBUMS_ALL && q->after) {
		db_bind_int(st, 5, 0);
		store_bind_text(st, 9, q->after);
	}
	return albums_of(s, sc, st, "an album list", each, ud);
}

#define ARTIST_ALBUMS(D) "SELECT al.id FROM albums al WHERE al.artist_id = ?4 AND " \
	HAS_PLAYABLE(D, "al.id") " ORDER BY al.release_date DESC, " NOCASE_ORDER(D, "al.name") ", al.id"

int store_sub_artist_albums(struct store *s, const struct sub_scope *sc, const char *artist_id,
                            sub_album_fn each, void *ud)
{
	struct db_stmt *st = scoped(s, sc, BOTH(ARTIST_ALBUMS));

	if (st)
		store_bind_text(st, 4, artist_id);
	return albums_of(s, sc, st, "an artist's albums", each, ud);
}

#define ARTIST_LIST(D) ARTIST_COLS " JOIN albums al ON al.artist_id = ar.id WHERE " HAS_PLAYABLE(D, "al.id") \
	" GROUP BY ar.id ORDER BY " NOCASE_ORDER(D, "ar.name") ", ar.id LIMIT ?4 OFFSET ?5"

int store_sub_artists(struct store *s, const struct sub_scope *sc, int offset, int limit,
                      sub_artist_fn each, void *ud)
{
	struct db_stmt *st = scoped(s, sc, BOTH(ARTIST_LIST));

	if (st) {
		bind_limit(st, 4, limit);
		db_bind_int(st, 5, offset);
	}
	return walk(s, st, "the artists", ARTISTS(each, ud));
}

int store_sub_artist_by_name(struct store *s, const char *name, char id[BASE62_ID_LEN + 1])
{
	struct db_stmt *st = store_stmt2(s, "SELECT id FROM artists WHERE " NOCASE_EQ(LITE, "name", "?1")
	                                 " ORDER BY id LIMIT 1",
	                                 "SELECT id FROM artists WHERE " NOCASE_EQ(PG, "name", "?1")
	                                 " ORDER BY id LIMIT 1");

	if (!st)
		return -1;
	store_bind_text(st, 1, name);
	return store_one_text(s, st, "an artist by name", id, BASE62_ID_LEN + 1);
}

/* By each track's genre (its first), the column that is indexed: what byGenre and random
 * songs find a genre by. Genres that differ in case are one, named by the least spelling
 * (PostgreSQL names no column of a group that is not grouped by or aggregated). */
#define GENRES(D) "SELECT min(t.genre), count(*), count(DISTINCT t.album_id)" \
	" FROM tracks t WHERE t.genre <> '' AND " PLAYABLE(D, "t") \
	" GROUP BY " NOCASE_ORDER(D, "t.genre") " ORDER BY " NOCASE_ORDER(D, "t.genre")

int store_sub_genres(struct store *s, const struct sub_scope *sc,
                     int (*each)(void *ud, const char *genre, long long songs, long long albums),
                     void *ud)
{
	struct db_stmt *st = scoped(s, sc, BOTH(GENRES));
	int rc, stop = 0;

	if (!st)
		return -1;
	while (!stop && (rc = db_step(st)) == DB_ROW)
		stop = each(ud, store_col_text(st, 0), db_col_int64(st, 1), db_col_int64(st, 2));
	db_reset(st);
	if (stop < 0)
		return -1;
	return stop || rc == DB_DONE ? 0 : store_fail(s, "the genres");
}

long long store_sub_last_modified(struct store *s)
{
	/* The later of two maxima, in words both engines have (SQLite's two-argument max is
	 * PostgreSQL's greatest). Each is a query of its own, which both engines answer from its
	 * index (tracks_created, tracks_withdrawn_at) without reading the table. */
	return store_integer(s, store_stmt(s, "SELECT CASE WHEN made > gone THEN made ELSE gone END"
	                                      " FROM (SELECT coalesce((SELECT max(created_at) FROM tracks), 0) AS made,"
	                                      " coalesce((SELECT max(withdrawn_at) FROM tracks"
	                                      "  WHERE withdrawn_at IS NOT NULL), 0) AS gone) m"),
	                     "the catalog's last change");
}
