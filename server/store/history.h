/* Listening history in the store: play events as clients deliver them, each kept once per
 * (user, event id), and read back newest first. The rule of what counts as a play is the
 * caller's (api/history.c); the store keeps the verdict and the track's play count with it. */
#ifndef SEGUE_STORE_HISTORY_H
#define SEGUE_STORE_HISTORY_H

#include <stdbool.h>

#include "base62.h"
#include "store/store.h"

#define PLAY_CONTEXT_MAX 256 /* a context URI, with its NUL; longer ones are refused upstream */

/* One play event as a client delivered it. Strings are borrowed for the call; context_uri may
 * be NULL. */
struct play_event {
	const char *event_id, *track_id, *context_uri, *reason_end;
	long long started_at, ms_played;
};

/* One counted play read back. */
struct play_row {
	char track_id[BASE62_ID_LEN + 1];
	char context_uri[PLAY_CONTEXT_MAX]; /* "" for none */
	long long started_at, ms_played;
};

/* One event of a batch, with the caller's verdict on whether it counts, and what became of
 * it. */
struct play_add {
	struct play_event ev;
	bool counted;
	bool kept; /* out: false when the user already delivered an event with its id, before
	            * or earlier in the same batch */
};

/* Keeps a[0..n) for user, each unless that user already delivered an event with its id (the
 * first of a batch's repeats is the one kept), in the caller's transaction: one statement
 * for the batch, and each counted one kept adds one to its track's play count. Every track
 * must exist. Returns how many were kept, -1 on error (logged). */
int store_plays_add(struct store *s, const char *user, struct play_add *a, int n,
                    long long received_at);

/* Up to max counted plays of user, newest first: those started before `before` (any time
 * when before < 0), or, when after >= 0, the max plays just after `after` (still given newest
 * first). Returns how many rows were filled, or -1 on error (logged). */
int store_plays_recent(struct store *s, const char *user, long long before, long long after,
                       struct play_row *rows, int max);

/* A number that changes whenever a play is added (0 with none): a cheap "anything new?".
 * Returns -1 on error. */
long long store_plays_mark(struct store *s);

/* A track's plays, for popularity: its lifetime count and the counted plays of the window
 * before now, each weighing exp(-age / tau_days), summed. */
struct track_plays {
	char id[BASE62_ID_LEN + 1];
	int popularity; /* as stored now */
	long long play_count;
	double recent;
};
/* Every track with plays into *out (the caller frees it), *n of them. Returns 0, -1. */
int store_track_plays(struct store *s, long long now, long long window_ms, double tau_days,
                      struct track_plays **out, size_t *n);
/* A track's new popularity. */
struct track_popularity {
	char id[BASE62_ID_LEN + 1];
	int popularity;
};
/* Sets the popularity of the tracks of v[0..n) in one statement (a refresh changes thousands,
 * each a round trip on PostgreSQL were it a statement of its own). Returns 0, -1 on error. */
int store_tracks_set_popularity(struct store *s, const struct track_popularity *v, size_t n);

/* What a user's listening and library say of their taste: tracks and artists (ids of both in
 * one list), each weighing the sum of what names it. The weights are the caller's. */
struct affinity_weights {
	double play;          /* each counted play of the track since `since` */
	double played_artist; /* each counted play since `since` of one of the artist's tracks */
	double saved_track, followed_artist;
};
struct affinity_row {
	char id[BASE62_ID_LEN + 1];
	double weight;
};
/* Up to max of user's tracks and artists, heaviest first. Returns how many rows were
 * filled, or -1 on error. */
int store_user_affinity(struct store *s, const char *user, long long since,
                        const struct affinity_weights *w, struct affinity_row *rows, int max);

/* A user's most played tracks or artists (a track's first artist) among counted plays started
 * after `since` (ms; 0: all of them), most plays first (then most listened, latest, by id). */
enum top_kind { TOP_TRACKS, TOP_ARTISTS };
struct top_row {
	char id[BASE62_ID_LEN + 1];
	long long plays;
};
/* Up to max rows from offset into rows. Returns how many, -1 on error. */
int store_user_top(struct store *s, const char *user, enum top_kind k, long long since, int offset,
                   struct top_row *rows, int max);
/* How many distinct tracks or artists those plays name, or -1. */
long long store_user_top_count(struct store *s, const char *user, enum top_kind k, long long since);

#endif
