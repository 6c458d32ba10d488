/* Playlists: their details, their items and who may see or change them. Items keep dense
 * positions 0..n-1; every change rewrites only the positions from the first one it
 * touches, and bumps the playlist's version, which is what its snapshot_id names. All of it
 * runs inside the caller's transaction. */
#ifndef SEGUE_PLAYLISTS_H
#define SEGUE_PLAYLISTS_H

#include <stdbool.h>

#include "types/playlist.h"
#include "store/store.h"

#define PLAYLIST_MAX_ITEMS 10000
#define SNAPSHOT_MAX 48

enum pl_access { PL_NONE, PL_READ, PL_WRITE };

/* 0 and p filled, 1 when there is no such playlist, -1 on a database error. */
int playlist_load(struct store *s, const char *id, struct playlist *p);
/* Owners write; followers of a collaborative playlist write; anyone reads a public one, and
 * followers read a private one they follow. */
enum pl_access playlist_access(struct store *s, const struct playlist *p, const char *user);
bool playlist_follows(struct store *s, const char *id, const char *user);

void playlist_snapshot(const struct playlist *p, long long version, char out[SNAPSHOT_MAX]);
/* The version a snapshot_id of this playlist names, or -1 if it is not one of its own. */
long long playlist_snapshot_version(const struct playlist *p, const char *snapshot);

/* Items [from, length): a malloc'd array the caller frees. */
int playlist_items_load(struct store *s, const struct playlist *p, long long from,
                        struct pl_item **items, long long *n);
/* Items [from, to) the same way. */
int playlist_items_range(struct store *s, const struct playlist *p, long long from, long long to,
                         struct pl_item **items, long long *n);
/* Replaces items [from, length) with items[0..n), then bumps the version (p is updated).
 * With images_dir, the playlist's picture follows its items: a mosaic of the first four
 * distinct album covers (one cover when fewer, none without any), made there, unless its
 * owner uploaded one. A picture that cannot be made never fails the change. */
int playlist_items_rewrite(struct store *s, const char *images_dir, struct playlist *p, long long from,
                           const struct pl_item *items, long long n);
/* Replaces items [from, from + n) with items[0..n), the others and the length staying (a
 * move within the playlist), then as playlist_items_rewrite. */
int playlist_items_overwrite(struct store *s, const char *images_dir, struct playlist *p, long long from,
                             const struct pl_item *items, long long n);
/* Bumps the version after a change of details. */
int playlist_touch(struct store *s, struct playlist *p);
/* Inside a write transaction: whether the playlist is still as p was loaded before it (its
 * version and length), so that a change worked out from p may be written. Servers sharing
 * one database can change a playlist between a request's load and its transaction; a change
 * made from the stale copy would drop theirs. 1 unchanged, 0 changed or gone, -1 on error. */
int playlist_unchanged(struct store *s, const struct playlist *p);

#endif
