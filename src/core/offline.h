/* Offline listening on this device (doc/offline.md): what is downloaded, under which
 * licence, and the policy around it -- registration, check-in, eviction, playlists that
 * follow their changes. The bytes themselves are vaults (vault.h) in
 * $XDG_DATA_HOME/segue/offline/, one per track, under a key made from this device's key
 * (offline/device.key, mode 0600, never sent anywhere) and the licence's key material; the
 * rest is in the state database (store_offline.h, tables offline_*).
 *
 * Functions take the database connection to use, so the downloader's thread (download.h)
 * works on its own connection while the player and the commands use the process's. */
#ifndef SEGUE_OFFLINE_H
#define SEGUE_OFFLINE_H

#include <jansson.h>
#include <limits.h>
#include <stdbool.h>

#include "api.h"
#include "err.h"
#include "store.h"
#include "vault.h"

#define OFFLINE_STALE_DAYS 90   /* eviction takes tracks unplayed this long first */

/* The download queue's classes, taken in this order (offline_tracks.klass). */
enum {
	KLASS_ASKED,      /* the user asked for it (segue download, D): in the order asked */
	KLASS_RECENT,     /* background work on tracks the user played lately: newest play first */
	KLASS_BACKGROUND, /* other background work (a followed playlist's new tracks) */
};

struct seg;

/* The clock licences are judged by: the wall clock, or SEGUE_NOW (unix seconds) when set, so
 * tests can move past an expiry. */
long long offline_now(void);

/* The folder of the vaults (made 0700) and one track's vault path in it. */
enum seg_err offline_dir(const char *data_dir, char *out, size_t len);
void offline_track_path(const char *data_dir, const char *id, char *out, size_t len);

/* This device's key, made on first use. */
enum seg_err offline_device_key(const char *data_dir, unsigned char key[VAULT_KEY_BYTES]);
/* The key a track's vault is encrypted with, from the device key and its licence. */
enum seg_err offline_file_key(const char *data_dir, json_t *licence, unsigned char key[VAULT_KEY_BYTES]);

/* Checks a licence the server sent: its signature under the public key this device was given
 * at registration, and that it is for this user, device and track. */
bool offline_licence_valid(struct store *db, json_t *licence, const char *user, const char *device,
                           const char *track);

enum offline_state { OFFLINE_NONE, OFFLINE_PLAYABLE, OFFLINE_EXPIRED };
struct offline_item {
	char path[PATH_MAX];
	unsigned char key[VAULT_KEY_BYTES];
	long long expires_at;
	char title[200];
};
/* Whether track id can play from its download now. */
enum offline_state offline_lookup(struct store *db, const char *data_dir, const char *id,
                                  struct offline_item *it);
/* Whether track id is downloaded under a licence not yet expired (a quick check: the
 * licence itself is verified when it plays, by offline_lookup). */
bool offline_has(struct store *db, const char *id);
/* The stored track object of a downloaded track (new reference), or NULL. */
json_t *offline_track(struct store *db, const char *id);
/* Notes a play (eviction prefers what is not played). */
void offline_played(struct store *db, const char *id);

/* Adds a collection (a track, album or playlist URI) with its tracks (track objects) and
 * queues what is not downloaded yet, ahead of background work. *out: {"uri", "name",
 * "tracks", "queued", "ids": [...]}. */
enum seg_err offline_add(struct store *db, const char *uri, const char *name, const char *quality,
                         const char *snapshot, json_t *tracks, json_t **out);
/* Removes a collection; tracks no other collection holds are deleted with their files. */
enum seg_err offline_remove(struct store *db, const char *data_dir, const char *uri, int *tracks_removed);
/* Queues a downloaded track again, ahead of other work (a damaged chunk); why is shown. */
void offline_requeue(struct store *db, const char *id, const char *why);
/* Deletes one track's download (file and row). */
void offline_delete_track(struct store *db, const char *data_dir, const char *id);
/* The downloaded tracks of a collection, in its order (track objects; empty if none). */
enum seg_err offline_collection_tracks(struct store *db, const char *uri, json_t **tracks);

/* Makes room for need more bytes under offline_max_size (mb, 0: no limit), evicting as
 * documented, never a track of the collections of keep (a track id, may be NULL).
 * SEG_EFAIL with a message when there is not enough room even so. */
enum seg_err offline_make_room(struct store *db, const char *data_dir, long long max_mb,
                               long long need, const char *keep);
/* Bytes the finished downloads take on disk. */
long long offline_used(struct store *db);

/* Registers this device for offline listening (idempotent) and keeps the server's public key. */
enum seg_err offline_register(struct store *db, struct api *a, const char *device, const char *name);
/* Checks in: reports what this device holds; renewed licences replace the old ones, revoked
 * tracks are deleted. *out: {"renewed": N, "revoked": [{id, reason, message}]}. */
enum seg_err offline_checkin(struct store *db, struct api *a, const char *data_dir, const char *device,
                             json_t **out);
/* Brings downloaded playlists up to date: new tracks queued, removed ones deleted, and
 * unfollowed playlists marked (eviction takes their tracks early). *out: {"added", "removed"}. */
enum seg_err offline_follow_playlists(struct store *db, struct api *a, const char *data_dir, json_t **out);

/* What is downloaded, for marking lists: {track id: "done" | "queued" | "failed", collection
 * URI: "done" (all of it) | "queued" (some of it still to come)}. Evicted tracks are left out.
 * NULL on a database error. */
json_t *offline_marks(struct store *db);

/* What `segue offline status` shows: usage, limit, counts, licences. */
json_t *offline_status(struct store *db, long long max_mb);
/* The collections (uri NULL) or one collection's tracks, with their state. */
enum seg_err offline_list(struct store *db, const char *uri, json_t **out);

#endif
