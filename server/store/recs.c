/* The recommender's reads and writes. See store/recs.h. */
#include "config.h"
#include "store/recs.h"

#include <stdio.h>
#include <string.h>

#include "log.h"
#include "store/store_db.h"

/* The trainer's keys in meta (migration 8 makes the first). */
#define META_REQUESTED "recs_train_requested"
#define META_TRAINED "recs_trained_at"
#define META_TOOK "recs_train_ms"
#define META_FAILED "recs_train_failed_at"

/* A callback over ids (store_each_text hands it column 0). */
typedef int (*each_id)(void *ud, const char *id);

/* ---- the model's build ---- */

/* The build's scans of whole tables run as statements of their own: PostgreSQL then streams
 * their rows, where a cached statement's result (every play of every user) would be held
 * whole in memory first. Their callbacks run no statements, as streaming requires. */
static int scan(struct store *s, const char *sql, const char *what,
                int (*row)(struct db_stmt *st, void *cb, void *ud), void *cb, void *ud)
{
	struct db_stmt *st = store_prepare(s, sql);
	int rc = store_each(s, st, what, row, cb, ud);

	db_finalize(st);
	return rc;
}

int store_recs_artists(struct store *s, int (*each)(void *ud, const char *id), void *ud)
{
	return store_each_text(s, store_stmt(s, "SELECT id FROM artists ORDER BY id"), "artists", each, ud);
}

long long store_recs_track_count(struct store *s)
{
	return store_integer(s, store_stmt(s, "SELECT count(*) FROM tracks"), "counting tracks");
}

typedef int (*each_track)(void *ud, const struct recs_track_source *t);

static int track_row(struct db_stmt *st, void *cb, void *ud)
{
	struct recs_track_source t = {
		.id = store_col_text(st, 0), .artist_id = store_col_text(st, 1), .genre = store_col_text(st, 2),
		.popularity = db_col_int(st, 3), .release_date = store_col_text(st, 4),
		.tempo = db_col_double(st, 5), .energy = db_col_double(st, 6),
		.danceability = db_col_double(st, 7), .acousticness = db_col_double(st, 8),
		.brightness = db_col_double(st, 9), .loudness = db_col_double(st, 10),
		.restricted = db_col_int(st, 11) != 0, .duration_ms = db_col_int(st, 12),
	};

	return (*(each_track *)cb)(ud, &t);
}

int store_recs_tracks(struct store *s, int (*each)(void *ud, const struct recs_track_source *t), void *ud)
{
	return scan(s, "SELECT t.id, t.artist_id, t.genre, t.popularity, coalesce(a.release_date, ''),"
	            " t.tempo, t.energy, t.danceability, t.acousticness, t.brightness, t.loudness,"
	            " t.markets IS NOT NULL OR t.available = 0, t.duration_ms"
	            " FROM tracks t LEFT JOIN albums a ON a.id = t.album_id ORDER BY t.id",
	            "tracks", track_row, &each, ud);
}

typedef int (*each_play)(void *ud, const struct recs_play_source *p);

static int play_row(struct db_stmt *st, void *cb, void *ud)
{
	struct recs_play_source p = {
		.user = store_col_text(st, 0), .track = store_col_text(st, 1),
		.started_at = db_col_int64(st, 2), .ms_played = db_col_int(st, 3),
		.counted = db_col_int(st, 4) != 0, .skipped = db_col_int(st, 5) != 0,
	};

	return (*(each_play *)cb)(ud, &p);
}

int store_recs_plays(struct store *s, int (*each)(void *ud, const struct recs_play_source *p), void *ud)
{
	/* Descending users, ascending time: the backwards walk of plays_recent(user_id, started_at
	 * DESC), so no sort of every play is needed. */
	return scan(s, "SELECT user_id, track_id, started_at, ms_played, counted, reason_end = 'skipped'"
	            " FROM plays ORDER BY user_id DESC, started_at ASC", "plays", play_row, &each, ud);
}

typedef int (*each_pair)(void *ud, const char *a, const char *b);

static int pair_row(struct db_stmt *st, void *cb, void *ud)
{
	return (*(each_pair *)cb)(ud, store_col_text(st, 0), store_col_text(st, 1));
}

int store_recs_playlist_items(struct store *s, int (*each)(void *ud, const char *playlist, const char *track),
                              void *ud)
{
	/* Made-for-you playlists are the model's own output: learning from them would echo it. */
	return scan(s, "SELECT i.playlist_id, i.track_id FROM playlist_items i JOIN playlists p ON p.id = i.playlist_id"
	            " WHERE p.owner_id <> '" SYSTEM_USER "' ORDER BY i.playlist_id, i.pos",
	            "playlist items", pair_row, &each, ud);
}

int store_recs_playlist_names(struct store *s, int (*each)(void *ud, const char *id, const char *name),
                              void *ud)
{
	struct db_stmt *st = store_stmt(s, "SELECT id, name FROM playlists WHERE owner_id <> '" SYSTEM_USER "' ORDER BY id");

	return store_each(s, st, "playlist names", pair_row, &each, ud);
}

/* ---- profiles ---- */

typedef int (*each_listening)(void *ud, const struct recs_listening *l);

static int listening_row(struct db_stmt *st, void *cb, void *ud)
{
	struct recs_listening l = {
		.track = store_col_text(st, 0), .full = db_col_double(st, 1),
		.skips = db_col_double(st, 2), .counted = db_col_int(st, 3),
	};

	return (*(each_listening *)cb)(ud, &l);
}

int store_recs_recent_listening(struct store *s, const char *user, int max,
                                int (*each)(void *ud, const struct recs_listening *l), void *ud)
{
	/* Completion of counted plays, and the skips among the others. SQLite has no greatest()
	 * or least() and PostgreSQL no two-argument max() or min(): CASE says both. */
	struct db_stmt *st = store_stmt(s, "SELECT p.track_id,"
	                                 " sum(CASE WHEN p.counted = 0 THEN 0"
	                                 "  WHEN p.ms_played >= t.duration_ms AND p.ms_played >= 1 THEN 1.0"
	                                 "  ELSE p.ms_played * 1.0 / CASE WHEN t.duration_ms > 1 THEN t.duration_ms ELSE 1 END END),"
	                                 " count(*) FILTER (WHERE p.counted = 0 AND p.reason_end = 'skipped'),"
	                                 " count(*) FILTER (WHERE p.counted <> 0)"
	                                 " FROM (SELECT track_id, counted, ms_played, reason_end FROM plays WHERE user_id = ?"
	                                 "       ORDER BY started_at DESC LIMIT ?) p"
	                                 " JOIN tracks t ON t.id = p.track_id GROUP BY p.track_id");

	if (!st)
		return -1;
	store_bind_text(st, 1, user);
	db_bind_int(st, 2, max);
	return store_each(s, st, "recent plays", listening_row, &each, ud);
}

int store_recs_saved_tracks(struct store *s, const char *user, int max,
                            int (*each)(void *ud, const char *track), void *ud)
{
	struct db_stmt *st = store_stmt(s, "SELECT track_id FROM saved_tracks WHERE user_id = ? ORDER BY added_at DESC LIMIT ?");

	if (!st)
		return -1;
	store_bind_text(st, 1, user);
	db_bind_int(st, 2, max);
	return store_each_text(s, st, "saved tracks", each, ud);
}

int store_recs_heard_tracks(struct store *s, const char *user, int (*each)(void *ud, const char *track),
                            void *ud)
{
	struct db_stmt *st = store_stmt(s, "SELECT DISTINCT track_id FROM plays WHERE user_id = ?");

	if (!st)
		return -1;
	store_bind_text(st, 1, user);
	return store_each_text(s, st, "heard tracks", each, ud);
}

static int list_tracks(struct store *s, struct db_stmt *st, const char *id, int max, each_id each, void *ud)
{
	if (!st)
		return -1;
	store_bind_text(st, 1, id);
	db_bind_int(st, 2, max);
	return store_each_text(s, st, "a seed's tracks", each, ud);
}

int store_recs_album_tracks(struct store *s, const char *id, int max,
                            int (*each)(void *ud, const char *track), void *ud)
{
	return list_tracks(s, store_stmt(s, "SELECT id FROM tracks WHERE album_id = ?"
	                                    " ORDER BY disc_number, track_number LIMIT ?"), id, max, each, ud);
}

int store_recs_playlist_tracks(struct store *s, const char *id, int max,
                               int (*each)(void *ud, const char *track), void *ud)
{
	return list_tracks(s, store_stmt(s, "SELECT track_id FROM playlist_items WHERE playlist_id = ?"
	                                    " ORDER BY pos LIMIT ?"), id, max, each, ud);
}

int store_recs_placing(struct store *s, const char *id, bool by_artist, char artist_id[BASE62_ID_LEN + 1],
                       char genre[CATALOG_NAME_MAX])
{
	struct db_stmt *st = store_stmt(s, !by_artist ? "SELECT artist_id, genre FROM tracks WHERE id = ?"
	                                            : "SELECT artist_id, genre FROM tracks WHERE artist_id = ?"
	                                              " ORDER BY play_count DESC LIMIT 1");
	int rc;

	if (!st)
		return -1;
	store_bind_text(st, 1, id);
	rc = db_step(st);
	if (rc == DB_ROW) {
		snprintf(artist_id, BASE62_ID_LEN + 1, "%s", store_col_text(st, 0));
		snprintf(genre, CATALOG_NAME_MAX, "%s", store_col_text(st, 1));
	}
	db_reset(st);
	if (rc == DB_ROW || rc == DB_DONE)
		return rc == DB_ROW;
	return store_fail(s, "a seed's artist and genre");
}

/* Up to max ids from st's rows into out: how many, or -1. */
static int id_array(struct store *s, struct db_stmt *st, const char *what, char (*out)[BASE62_ID_LEN + 1], int max)
{
	int n = 0, rc = DB_DONE;

	while (n < max && (rc = db_step(st)) == DB_ROW)
		snprintf(out[n++], BASE62_ID_LEN + 1, "%s", store_col_text(st, 0));
	db_reset(st);
	if (n < max && rc != DB_DONE)
		return store_fail(s, what);
	return n;
}

int store_recs_followed_artists(struct store *s, const char *user, char (*ids)[BASE62_ID_LEN + 1], int max)
{
	struct db_stmt *st = store_stmt(s, "SELECT artist_id FROM followed_artists WHERE user_id = ?"
	                                 " ORDER BY followed_at DESC LIMIT ?");

	if (!st)
		return -1;
	store_bind_text(st, 1, user);
	db_bind_int(st, 2, max);
	return id_array(s, st, "followed artists", ids, max);
}

int store_recs_artist_name(struct store *s, const char *id, char name[CATALOG_NAME_MAX])
{
	struct db_stmt *st = store_stmt(s, "SELECT name FROM artists WHERE id = ?");

	if (!st)
		return -1;
	store_bind_text(st, 1, id);
	return store_one_text(s, st, "an artist's name", name, CATALOG_NAME_MAX);
}

/* ---- onboarding picks ---- */

typedef int (*each_pick)(void *ud, bool genre, const char *value);

static int pick_row(struct db_stmt *st, void *cb, void *ud)
{
	return (*(each_pick *)cb)(ud, !strcmp(store_col_text(st, 0), "genre"), store_col_text(st, 1));
}

int store_taste(struct store *s, const char *user, int (*each)(void *ud, bool genre, const char *value),
                void *ud)
{
	struct db_stmt *st = store_stmt(s, "SELECT kind, value FROM taste WHERE user_id = ? ORDER BY added_at, value");

	if (!st)
		return -1;
	store_bind_text(st, 1, user);
	return store_each(s, st, "taste", pick_row, &each, ud);
}

int store_taste_set(struct store *s, const char *user, bool genre, const char *const *values, int n,
                    long long now)
{
	struct db_stmt *st = store_stmt(s, "DELETE FROM taste WHERE user_id = ? AND kind = ?");

	if (!st)
		return -1;
	store_bind_text(st, 1, user);
	store_bind_text(st, 2, genre ? "genre" : "artist");
	if (db_step(st) != DB_DONE)
		return store_fail(s, "replacing taste");
	for (int i = 0; i < n; i++) {
		st = store_stmt(s, "INSERT INTO taste (user_id, kind, value, added_at) VALUES (?, ?, ?, ?)"
		                   " ON CONFLICT DO NOTHING");
		if (!st)
			return -1;
		store_bind_text(st, 1, user);
		store_bind_text(st, 2, genre ? "genre" : "artist");
		store_bind_text(st, 3, values[i]);
		db_bind_int64(st, 4, now + i);
		if (db_step(st) != DB_DONE)
			return store_fail(s, "adding to taste");
	}
	return 0;
}

/* ---- the catalog as /v1/recommendations reads it ---- */

/* A genre matched as SQLite's NOCASE matches it (ASCII letters folded, others not): on
 * PostgreSQL the nocase collation (ICU's, which the genre index is in) folds every letter, so
 * its match is narrowed by lower() in collation C, which folds ASCII alone. ?1 is the genre. */
#define GENRE_ASCII_FOLD_PG "lower(genre COLLATE \"C\") = lower(?1 COLLATE \"C\")"

#define FEATURE_COLUMNS "t.acousticness, t.danceability, t.energy, t.loudness, t.tempo, t.brightness," \
	" t.popularity, t.duration_ms, t.genre, t.artist_id, t.markets"

static void read_features(struct db_stmt *st, struct track_features *f)
{
	f->acousticness = db_col_double(st, 0);
	f->danceability = db_col_double(st, 1);
	f->energy = db_col_double(st, 2);
	f->loudness = db_col_double(st, 3);
	f->tempo = db_col_double(st, 4);
	f->brightness = db_col_double(st, 5);
	f->popularity = db_col_double(st, 6);
	f->duration_ms = db_col_double(st, 7);
	snprintf(f->genre, sizeof f->genre, "%s", store_col_text(st, 8));
	snprintf(f->artist_id, sizeof f->artist_id, "%s", store_col_text(st, 9));
	snprintf(f->markets, sizeof f->markets, "%s", store_col_text(st, 10));
}

int store_track_features(struct store *s, const char *id, struct track_features *out)
{
	struct db_stmt *st = store_stmt(s, "SELECT " FEATURE_COLUMNS " FROM tracks t WHERE t.id = ?");
	int rc;

	if (!st)
		return -1;
	store_bind_text(st, 1, id);
	rc = db_step(st);
	if (rc == DB_ROW)
		read_features(st, out);
	db_reset(st);
	if (rc == DB_ROW || rc == DB_DONE)
		return rc == DB_ROW;
	return store_fail(s, "a track's features");
}

int store_artist_features(struct store *s, const char *id, struct track_features *rows, int max)
{
	struct db_stmt *st = store_stmt(s, "SELECT " FEATURE_COLUMNS " FROM tracks t WHERE t.artist_id = ?"
	                                 " ORDER BY t.play_count DESC LIMIT ?");
	int n = 0, rc = DB_DONE;

	if (!st)
		return -1;
	store_bind_text(st, 1, id);
	db_bind_int(st, 2, max);
	while (n < max && (rc = db_step(st)) == DB_ROW)
		read_features(st, &rows[n++]);
	db_reset(st);
	if (n < max && rc != DB_DONE)
		return store_fail(s, "an artist's features");
	return n;
}

int store_recs_pool(struct store *s, enum recs_pool pool, const char *key, int limit,
                    char (*ids)[BASE62_ID_LEN + 1], int max)
{
	struct db_stmt *st = pool == RECS_POOL_GENRE ? store_stmt2(s,
		"SELECT id FROM tracks WHERE genre = ? COLLATE NOCASE AND available <> 0"
		" ORDER BY play_count DESC, popularity DESC, id LIMIT ?",
		"SELECT id FROM tracks WHERE genre = ?1 COLLATE NOCASE AND " GENRE_ASCII_FOLD_PG
		" AND available <> 0 ORDER BY play_count DESC, popularity DESC, id LIMIT ?2") : store_stmt(s,
		pool == RECS_POOL_ARTIST ?
		"SELECT id FROM tracks WHERE artist_id = ? AND available <> 0 ORDER BY play_count DESC LIMIT ?" :
		"SELECT id FROM tracks WHERE available <> 0 ORDER BY play_count DESC, popularity DESC, id LIMIT ?");

	if (!st)
		return -1;
	if (pool != RECS_POOL_TOP)
		store_bind_text(st, 1, key);
	db_bind_int(st, pool != RECS_POOL_TOP ? 2 : 1, limit);
	return id_array(s, st, "candidate tracks", ids, max);
}

int store_genres(struct store *s, int (*each)(void *ud, const char *genre), void *ud)
{
	return store_each_text(s, store_stmt(s, "SELECT DISTINCT lower(genre) FROM tracks WHERE genre <> '' ORDER BY 1"),
	           "genres", each, ud);
}

int store_genre_exists(struct store *s, const char *genre)
{
	struct db_stmt *st = store_stmt2(s, "SELECT 1 FROM tracks WHERE genre = ? COLLATE NOCASE LIMIT 1",
	                                 "SELECT 1 FROM tracks WHERE genre = ?1 COLLATE NOCASE AND "
	                                 GENRE_ASCII_FOLD_PG " LIMIT 1");
	int rc;

	if (!st)
		return -1;
	store_bind_text(st, 1, genre);
	rc = db_step(st);
	db_reset(st);
	if (rc == DB_ROW || rc == DB_DONE)
		return rc == DB_ROW;
	return store_fail(s, "a genre");
}

/* ---- made-for-you lists ---- */

typedef int (*each_slot)(void *ud, const struct mfy_slot *m);

static int slot_row(struct db_stmt *st, void *cb, void *ud)
{
	struct mfy_slot m = {
		.kind = store_col_text(st, 0), .slot = db_col_int(st, 1),
		.playlist = store_col_text(st, 2), .period = store_col_text(st, 3),
	};

	return (*(each_slot *)cb)(ud, &m);
}

int store_mfy_slots(struct store *s, const char *user, int (*each)(void *ud, const struct mfy_slot *m), void *ud)
{
	struct db_stmt *st = store_stmt(s, "SELECT kind, slot, playlist_id, period FROM made_for_you"
	                                 " WHERE user_id = ? ORDER BY kind, slot");

	if (!st)
		return -1;
	store_bind_text(st, 1, user);
	return store_each(s, st, "made-for-you lists", slot_row, &each, ud);
}

int store_mfy_set(struct store *s, const char *user, const char *kind, int slot, const char *playlist,
                  const char *period)
{
	struct db_stmt *st = store_stmt(s, "INSERT INTO made_for_you (user_id, kind, slot, playlist_id, period) VALUES (?, ?, ?, ?, ?)"
	                                 " ON CONFLICT (user_id, kind, slot) DO UPDATE SET playlist_id = excluded.playlist_id,"
	                                 " period = excluded.period");

	if (!st)
		return -1;
	store_bind_text(st, 1, user);
	store_bind_text(st, 2, kind);
	db_bind_int(st, 3, slot);
	store_bind_text(st, 4, playlist);
	store_bind_text(st, 5, period);
	return store_done(s, st, "a made-for-you list");
}

int store_mfy_mark(struct store *s, const char *user, const char *kind, const char *period)
{
	struct db_stmt *st = store_stmt(s, "INSERT INTO made_for_you (user_id, kind, slot, playlist_id, period)"
	                                 " VALUES (?, ?, -1, '', ?) ON CONFLICT (user_id, kind, slot)"
	                                 " DO UPDATE SET period = excluded.period");

	if (!st)
		return -1;
	store_bind_text(st, 1, user);
	store_bind_text(st, 2, kind);
	store_bind_text(st, 3, period);
	return store_done(s, st, "a made-for-you generation");
}

int store_mfy_drop(struct store *s, const char *user, const char *kind, int slot)
{
	struct db_stmt *st = store_stmt(s, "DELETE FROM made_for_you WHERE user_id = ? AND kind = ? AND slot = ?");

	if (!st)
		return -1;
	store_bind_text(st, 1, user);
	store_bind_text(st, 2, kind);
	db_bind_int(st, 3, slot);
	return store_change(s, st, "dropping a made-for-you list");
}

/* ---- the trainer's record ---- */

/* One key's value into *v (0 when unset). Returns 0, -1. */
static int meta_get(struct store *s, const char *key, long long *v)
{
	struct db_stmt *st = store_stmt(s, "SELECT value FROM meta WHERE key = ?");
	int rc;

	*v = 0;
	if (!st)
		return -1;
	store_bind_text(st, 1, key);
	rc = db_step(st);
	if (rc == DB_ROW)
		*v = db_col_int64(st, 0);
	db_reset(st);
	return rc == DB_ROW || rc == DB_DONE ? 0 : store_fail(s, key);
}

static int meta_set(struct store *s, const char *key, long long v)
{
	struct db_stmt *st = store_stmt(s, "INSERT INTO meta (key, value) VALUES (?, ?)"
	                                 " ON CONFLICT (key) DO UPDATE SET value = excluded.value");

	if (!st)
		return -1;
	store_bind_text(st, 1, key);
	db_bind_int64(st, 2, v);
	return store_done(s, st, key);
}

int store_recs_training(struct store *s, struct recs_training *out)
{
	int rc = 0;

	rc |= meta_get(s, META_REQUESTED, &out->requested);
	rc |= meta_get(s, META_TRAINED, &out->trained_at);
	rc |= meta_get(s, META_TOOK, &out->took_ms);
	rc |= meta_get(s, META_FAILED, &out->failed_at);
	return rc ? -1 : 0;
}

int store_recs_request_training(struct store *s, long long at)
{
	/* The request is a time: a model trained after it answers it. */
	struct db_stmt *st = store_stmt(s, "UPDATE meta SET value = ? WHERE key = '" META_REQUESTED "'");

	if (!st)
		return -1;
	db_bind_int64(st, 1, at);
	return store_done(s, st, "requesting a training");
}

int store_recs_trained(struct store *s, long long at, long long took_ms)
{
	/* The time taken first: whoever sees the new time reads the time it took with it. */
	int took = meta_set(s, META_TOOK, took_ms), trained = meta_set(s, META_TRAINED, at);

	return took < 0 || trained < 0 ? -1 : 0;
}

int store_recs_failed(struct store *s, long long at)
{
	return meta_set(s, META_FAILED, at);
}

/* Beside store_begin's write lock (7310498117002) in the same numbering. */
#define TRAIN_LOCK "7310498117003"

int store_recs_train_lock(struct store *s)
{
	long long got = 0;

	if (!store_is_postgres(s))
		return 1;
	if (store_one_int64(s, store_stmt(s, "SELECT pg_try_advisory_lock(" TRAIN_LOCK ")"),
	                    "the training lock", &got) < 0)
		return -1;
	return got ? 1 : 0;
}

void store_recs_train_unlock(struct store *s)
{
	if (store_is_postgres(s))
		store_one_int64(s, store_stmt(s, "SELECT pg_advisory_unlock(" TRAIN_LOCK ")"),
		                "releasing the training lock", NULL);
}
