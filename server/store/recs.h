/* The recommender in the store: the bulk reads a model is built from (the catalog, every
 * play, the users' playlists), what a profile is read from (a user's recent plays, saved and
 * heard tracks, onboarding picks; a seed's tracks), the catalog reads of /v1/recommendations,
 * the onboarding picks (table taste), the made-for-you lists' slots (table made_for_you) and
 * the trainer's record in meta. How any of it is weighed is recs/'s; every call runs inside
 * the caller's transaction when there is one.
 *
 * The readers that take a callback call it once a row with values borrowed for the call; it
 * returns 0 to go on, or -1 to stop, and then the reader returns -1 too. */
#ifndef SEGUE_STORE_RECS_H
#define SEGUE_STORE_RECS_H

#include <stdbool.h>

#include "base62.h"
#include "store/catalog.h"
#include "store/store.h"

/* ---- the model's build: bulk reads, each in one statement; wrap them in a snapshot ---- */

/* Every artist id, in id order. Returns 0, -1 on error (logged) or when each stopped. */
int store_recs_artists(struct store *s, int (*each)(void *ud, const char *id), void *ud);
/* How many tracks there are, or -1 on error. */
long long store_recs_track_count(struct store *s);

/* A track as the model's catalog part reads it. */
struct recs_track_source {
	const char *id, *artist_id;
	const char *genre;          /* "" for none */
	const char *release_date;   /* its album's, "" when unknown */
	int popularity;             /* 0..100 */
	double tempo, energy, danceability, acousticness, brightness, loudness;
	bool restricted;            /* it names its own markets, or is withdrawn */
	int duration_ms;
};
/* Every track, in id order. Returns 0, -1. */
int store_recs_tracks(struct store *s, int (*each)(void *ud, const struct recs_track_source *t), void *ud);

/* One play as training reads it. */
struct recs_play_source {
	const char *user, *track;
	long long started_at;
	int ms_played;
	bool counted, skipped;      /* skipped: it ended with reason "skipped" */
};
/* Every play, by user (descending), each user's in time order. Returns 0, -1. */
int store_recs_plays(struct store *s, int (*each)(void *ud, const struct recs_play_source *p), void *ud);
/* Every item of the users' playlists (not the made-for-you ones), by playlist id, each in
 * position order. Returns 0, -1. */
int store_recs_playlist_items(struct store *s, int (*each)(void *ud, const char *playlist, const char *track),
                              void *ud);
/* The names of the same playlists, in id order. Returns 0, -1. */
int store_recs_playlist_names(struct store *s, int (*each)(void *ud, const char *id, const char *name),
                              void *ud);

/* ---- profiles ---- */

/* A user's listening of one track among their latest plays. */
struct recs_listening {
	const char *track;
	double full;                /* the share heard of each counted play (at most 1), summed */
	double skips;               /* the plays not counted that ended with a skip */
	int counted;                /* how many plays counted */
};
/* The latest `max` plays of user, aggregated per track (of those still in the catalog). Returns
 * 0, -1. */
int store_recs_recent_listening(struct store *s, const char *user, int max,
                                int (*each)(void *ud, const struct recs_listening *l), void *ud);
/* The latest `max` tracks user saved, newest first. Returns 0, -1. */
int store_recs_saved_tracks(struct store *s, const char *user, int max,
                            int (*each)(void *ud, const char *track), void *ud);
/* Every track user ever played, once each. Returns 0, -1. */
int store_recs_heard_tracks(struct store *s, const char *user, int (*each)(void *ud, const char *track),
                            void *ud);
/* The first `max` tracks of album id (disc and track order) or of playlist id (position
 * order). Returns 0, -1. */
int store_recs_album_tracks(struct store *s, const char *id, int max,
                            int (*each)(void *ud, const char *track), void *ud);
int store_recs_playlist_tracks(struct store *s, const char *id, int max,
                               int (*each)(void *ud, const char *track), void *ud);
/* What places a track the model does not know: its artist and genre ("" for none); for an
 * artist (by_artist), those of its most played track. Returns 1, 0 when there is no such
 * track (or the artist has none), -1. */
int store_recs_placing(struct store *s, const char *id, bool by_artist, char artist_id[BASE62_ID_LEN + 1],
                       char genre[CATALOG_NAME_MAX]);
/* Up to max artists user follows, the latest first. Returns how many, -1. */
int store_recs_followed_artists(struct store *s, const char *user, char (*ids)[BASE62_ID_LEN + 1], int max);
/* The name of artist id into name. Returns 1, 0 when there is none, -1. */
int store_recs_artist_name(struct store *s, const char *id, char name[CATALOG_NAME_MAX]);

/* ---- onboarding picks (table taste) ---- */

/* user's picks in the order they were made: genres (lower case) and artist ids. Returns 0, -1. */
int store_taste(struct store *s, const char *user, int (*each)(void *ud, bool genre, const char *value),
                void *ud);
/* Replaces user's picks of one kind (genre or artist) with values[0..n), made at now, now + 1,
 * ... in that order. Returns 0, -1. */
int store_taste_set(struct store *s, const char *user, bool genre, const char *const *values, int n,
                    long long now);

/* ---- the catalog as /v1/recommendations reads it ---- */

/* A track's audio features with what the catalog-only ranker needs beside them. */
struct track_features {
	char artist_id[BASE62_ID_LEN + 1];
	char genre[CATALOG_NAME_MAX];        /* "" for none */
	char markets[TRACK_MARKETS_MAX];     /* "" for the server's */
	double acousticness, danceability, energy, loudness, tempo, brightness, popularity, duration_ms;
};
/* Track id's features into *out. Returns 1, 0 when there is no such track, -1. */
int store_track_features(struct store *s, const char *id, struct track_features *out);
/* Those of artist id's max most played tracks. Returns how many, -1. */
int store_artist_features(struct store *s, const char *id, struct track_features *rows, int max);

/* Where the catalog-only ranker draws candidates from: a genre's (case-insensitive) or an
 * artist's most played tracks, or the catalog's; withdrawn tracks are never candidates. */
enum recs_pool { RECS_POOL_GENRE, RECS_POOL_ARTIST, RECS_POOL_TOP };
/* Up to limit ids of a pool (key: the genre or artist id; NULL for the top), at most max of them
 * into ids. Returns how many, -1. */
int store_recs_pool(struct store *s, enum recs_pool pool, const char *key, int limit,
                    char (*ids)[BASE62_ID_LEN + 1], int max);
/* Every genre tracks have, in lower case, sorted. Returns 0, -1. */
int store_genres(struct store *s, int (*each)(void *ud, const char *genre), void *ud);
/* Returns 1 when some track has genre (case-insensitive), 0 when none has, -1. */
int store_genre_exists(struct store *s, const char *genre);

/* ---- made-for-you lists (table made_for_you) ---- */

/* One slot of a user's lists: kind "discover-weekly", "daily-mix" or "release-radar", the
 * slot (a mix's number from 0; -1 for the marker of a generation that may have written no
 * list), its playlist ("" for a marker) and the period it was made for. */
struct mfy_slot {
	const char *kind;
	int slot;
	const char *playlist, *period;
};
/* user's slots, by kind and slot. Returns 0, -1. */
int store_mfy_slots(struct store *s, const char *user, int (*each)(void *ud, const struct mfy_slot *m), void *ud);
/* Sets a slot's playlist and period; the marker (slot -1) is store_mfy_mark's. Returns 0, -1. */
int store_mfy_set(struct store *s, const char *user, const char *kind, int slot, const char *playlist,
                  const char *period);
/* Records that kind was generated for period, lists or none. Returns 0, -1. */
int store_mfy_mark(struct store *s, const char *user, const char *kind, const char *period);
/* Forgets a slot (its playlist is the caller's to delete). Returns 1, 0 when there was none,
 * -1. */
int store_mfy_drop(struct store *s, const char *user, const char *kind, int slot);

/* ---- the trainer's record (table meta) ---- */

/* Times in ms since 1970, 0 for never. */
struct recs_training {
	long long requested;   /* the latest `segue-server recs train` */
	long long trained_at;  /* the latest full training's end */
	long long took_ms;     /* how long it took */
	long long failed_at;   /* the latest failure */
};
/* Returns 0, -1. */
int store_recs_training(struct store *s, struct recs_training *out);
/* Each returns 0, -1. */
int store_recs_request_training(struct store *s, long long at);
int store_recs_trained(struct store *s, long long at, long long took_ms);
int store_recs_failed(struct store *s, long long at);

/* Several instances over one PostgreSQL database train one at a time: the trainer holds a
 * session advisory lock on its connection while it trains (released with the connection if
 * the instance dies). 1 when this connection has the lock, 0 when another has it, -1
 * (logged). SQLite's one process always has it. */
int store_recs_train_lock(struct store *s);
void store_recs_train_unlock(struct store *s);

#endif
