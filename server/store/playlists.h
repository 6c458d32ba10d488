/* Playlists in the store: their details, their items at positions 0..n-1, and who follows
 * them. The rules (who may see or change one, what a snapshot names, how many items one
 * holds, where a change puts them) are the playlists module's and the handlers'; every call
 * runs inside the caller's transaction when there is one. */
#ifndef SEGUE_STORE_PLAYLISTS_H
#define SEGUE_STORE_PLAYLISTS_H

#include <stdbool.h>

#include "base62.h"
#include "types/playlist.h"
#include "store/store.h"

/* The playlist id into p. Returns 1, 0 when there is none, -1 on error (logged). */
int store_playlist_get(struct store *s, const char *id, struct playlist *p);
/* p as a new playlist (version 1, no items), created and updated at `now`. Returns 0, -1 on
 * error. */
int store_playlist_insert(struct store *s, const struct playlist *p, long long now);
/* Sets p's name, description, public and collaborative. Returns 1, 0 when there is no such
 * playlist, -1 on error. */
int store_playlist_set_details(struct store *s, const struct playlist *p);
/* Adds one to id's version and sets its length and update time. Returns 1, 0 when there is
 * no such playlist, -1 on error. */
int store_playlist_bump(struct store *s, const char *id, long long length, long long updated_at);
/* Deletes id with its items and followers. Returns 1, 0 when there was none, -1 on error. */
int store_playlist_delete(struct store *s, const char *id);

/* Up to max items of id in position order from position `from`. Returns how many were
 * filled, or -1 on error. */
long long store_playlist_items(struct store *s, const char *id, long long from,
                               struct pl_item *items, long long max);
/* Writes items[0..n) at positions from..from+n-1 of id, in place of any there. Returns 0,
 * -1 on error. */
int store_playlist_items_put(struct store *s, const char *id, long long from,
                             const struct pl_item *items, long long n);
/* Drops the items of id at positions from and after. Returns 0, -1 on error. */
int store_playlist_items_cut(struct store *s, const char *id, long long from);

/* Returns 1 when user follows id, 0 when not, -1 on error. */
int store_playlist_follows(struct store *s, const char *id, const char *user);
/* Returns 1 when user now follows id, 0 when they did already, -1 on error. */
int store_playlist_follow(struct store *s, const char *id, const char *user, long long followed_at);
/* Returns 1 when user followed id, 0 when not, -1 on error. */
int store_playlist_unfollow(struct store *s, const char *id, const char *user);
/* How many users follow id, or -1 on error. */
long long store_playlist_followers(struct store *s, const char *id);

/* When a playlist was made and last changed, and how long its tracks last together: the sum
 * of each one's duration in seconds, rounded, as a client adds up the durations it is given. */
struct playlist_summary {
	long long created_at, updated_at, duration_s;
};
/* Returns 1 with out filled, 0 when there is no such playlist, -1 on error. */
int store_playlist_summary(struct store *s, const char *id, struct playlist_summary *out);

/* Calls each with every user who owns or follows id, once each (borrowed for the call).
 * Returns 0, -1 on error. */
int store_playlist_audience(struct store *s, const char *id,
                            void (*each)(void *ud, const char *user), void *ud);

/* A user's playlists: when self, every one they own and every one they follow; otherwise
 * the public ones they own. The count, or -1 on error; and up to max ids from offset, newest
 * (created or followed) first, returning how many were filled, or -1 on error. */
long long store_playlists_count(struct store *s, const char *user, bool self);
int store_playlists_page(struct store *s, const char *user, bool self, int offset,
                         char (*ids)[BASE62_ID_LEN + 1], int max);

#endif
