/* Offline listening in the state database (tables offline_collections, offline_members,
 * offline_tracks; the registration's named values): one data operation a function. The
 * rules -- what is kept, when a licence is valid, the order of the queue and of eviction,
 * resuming a download -- are offline.c's and download.c's, which call these on the
 * connection they are given (a download thread has its own).
 *
 * Functions return 1/0 (found or not, changed or not), a count, or -1 with the database's
 * message recorded (seg_fail, SEG_EIO). Strings passed in are borrowed for the call; rows
 * handed to a callback are borrowed for the callback, which returns nonzero to stop the walk.
 * Transactions are the caller's (store_begin, store_commit, store_rollback). */
#ifndef SEGUE_STORE_OFFLINE_H
#define SEGUE_STORE_OFFLINE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "store.h"

/* --- collections and their members --- */

/* Adds a collection, or updates its name, quality and snapshot (snapshot may be NULL) and
 * marks it followed again; added_at (unix s) is kept from the first time. */
int store_offline_collection_put(struct store *db, const char *uri, const char *name, const char *quality,
                                 const char *snapshot, long long added_at);
/* Deletes a collection with its members: 1, or 0 when there was none. */
int store_offline_collection_delete(struct store *db, const char *uri);
/* Deletes every collection with its members. */
int store_offline_collections_clear(struct store *db);
/* Sets whether the user still follows a downloaded playlist. */
int store_offline_set_followed(struct store *db, const char *uri, bool followed);
/* Sets a downloaded playlist's snapshot id. */
int store_offline_set_snapshot(struct store *db, const char *uri, const char *snapshot);
/* Appends [uri, quality, snapshot id or ""] to lists for each downloaded playlist. Returns how
 * many. */
int store_offline_playlists(struct store *db, json_t *lists);

/* Where a track goes in the download queue when set_members queues it: its class (KLASS_*
 * in offline.h) and its order within the class. id is the track's, i its index in tracks. */
typedef void (*store_offline_rank_fn)(void *arg, const char *id, size_t i, int *klass, long long *prio);
/* Replaces the members of collection uri by tracks (track objects, in order; one without an
 * id, or with an id over 64 characters, is left out) and puts each track's row: a new one
 * queued at quality as rank says, added_at now (unix s); one failed or evicted and ranked
 * KLASS_ASKED queued again; one queued moved up to a better class; the track object kept
 * fresh. *queued (may be NULL) counts the members that are queued afterwards. */
int store_offline_set_members(struct store *db, const char *uri, const char *quality, json_t *tracks,
                              long long now, store_offline_rank_fn rank, void *arg, int *queued);
/* Appends the track objects of collection uri that are downloaded (state done), in its
 * order, to tracks. Returns how many. */
int store_offline_collection_tracks(struct store *db, const char *uri, json_t *tracks);
/* Appends one object to out for each collection, oldest first: {uri, name, quality,
 * followed, tracks, downloaded, bytes}. Returns how many. */
int store_offline_collections(struct store *db, json_t *out);

/* One member of a collection, as `offline ls URI` shows it (borrowed for the callback). */
struct store_offline_member {
	const char *id, *track; /* track: the track object's JSON text, or NULL */
	const char *state, *quality, *error; /* error may be NULL */
	long long bytes;
	bool has_expiry;
	long long expires_at;
};
/* Calls fn for each member of collection uri, in its order. Returns how many rows were seen. */
int store_offline_members(struct store *db, const char *uri,
                          int (*fn)(void *arg, const struct store_offline_member *m), void *arg);

/* --- tracks --- */

/* A downloaded track's licence, its expiry and its track object: *licence and *track are new
 * references (NULL when their text does not parse). 1, or 0 when id is not downloaded. */
int store_offline_download(struct store *db, const char *id, json_t **licence, long long *expires_at,
                           json_t **track);
/* 1 when id is downloaded under a licence that expires after now (unix s), else 0. */
int store_offline_has(struct store *db, const char *id, long long now);
/* Whether id is queued: 1 or 0. */
int store_offline_is_queued(struct store *db, const char *id);
/* The stored track object of id (*track a new reference, NULL when there is none): 1 when
 * id has a row, else 0. */
int store_offline_track(struct store *db, const char *id, json_t **track);
/* Notes that id was played at (unix s). */
int store_offline_played(struct store *db, const char *id, long long at);
/* Queues id again in KLASS_ASKED at prio, with why as its note. */
int store_offline_requeue(struct store *db, const char *id, long long prio, const char *why);
/* Deletes id's row. */
int store_offline_delete(struct store *db, const char *id);
/* Appends to ids the tracks no collection holds. Returns how many. */
int store_offline_orphans(struct store *db, json_t *ids);
/* Appends {id, quality} to held for each track that has a licence. Returns how many. */
int store_offline_licensed(struct store *db, json_t *held);
/* Replaces id's licence (JSON text) and its expiry (unix s). */
int store_offline_renew(struct store *db, const char *id, const char *licence, long long expires_at);
/* What marks lists: {track id: state} for every track not evicted, and {collection URI:
 * "done" when all of its tracks are, else "queued"}, set into o. */
int store_offline_marks(struct store *db, json_t *o);

/* --- the download queue --- */

/* One queued track (borrowed for the callback). */
struct store_offline_queued {
	const char *id, *quality, *track; /* track: its JSON text, or NULL */
};
/* Calls fn for at most limit queued tracks, in queue order (class, then order within it);
 * with quality, only those at that quality and other than except. Returns how many rows were
 * seen. */
int store_offline_queue(struct store *db, const char *quality, const char *except, int limit,
                        int (*fn)(void *arg, const struct store_offline_queued *q), void *arg);
/* Appends the id of every queued track to ids. Returns how many. */
int store_offline_queued_ids(struct store *db, json_t *ids);
/* Moves a queued track to state ("done", "failed") with error (may be NULL) and adds
 * fetched to the bytes taken from the network for it. 0 when it was no longer queued. */
int store_offline_finish(struct store *db, const char *id, const char *state, const char *error,
                         long long fetched);
/* Adds fetched to the bytes taken from the network for id. */
int store_offline_add_fetched(struct store *db, const char *id, long long fetched);
/* id's digest as last stored, in *digest (malloc'd; NULL when none). 1 when id has a row. */
int store_offline_digest(struct store *db, const char *id, char **digest);
/* Stores a licence (JSON text) with what it says of the file: expiry (unix s), plaintext
 * bytes and digest. */
int store_offline_set_licence(struct store *db, const char *id, const char *licence, long long expires_at,
                              long long bytes, const char *digest);

/* Calls fn with the plaintext size of each downloaded track. Returns how many. */
int store_offline_sizes(struct store *db, void (*fn)(void *arg, long long bytes), void *arg);
/* The first track to evict: downloaded; not of a collection that holds keep; ranked 0 when
 * last played (or, never played, downloaded) before stale_before (unix s), 1 when only
 * unfollowed playlists hold it, else 2; by rank, then oldest play. id (idlen bytes) and *rank
 * receive it: 1, or 0 when there is none. */
int store_offline_evict_candidate(struct store *db, long long stale_before, const char *keep, char *id,
                                  size_t idlen, int *rank);
/* Marks id evicted, its file gone. */
int store_offline_evict(struct store *db, const char *id);

/* --- per track: states of a list --- */

/* Calls fn for each id of ids (strings) with its state and plaintext bytes, state NULL when it
 * has no row. */
int store_offline_states(struct store *db, json_t *ids,
                         void (*fn)(void *arg, const char *id, const char *state, long long bytes), void *arg);
/* Appends {id, name, error} to failures for each of ids that has a row not done: name from its
 * track object (the id without one), error its note (its state without one). Returns how
 * many. */
int store_offline_unfinished(struct store *db, json_t *ids, json_t *failures);

/* The counts `offline status` shows; licences_expire_at is the earliest expiry of a
 * downloaded track's licence (has_expiry false with none), expired counts those at or before
 * now (unix s). */
struct store_offline_counts {
	long long downloaded, queued, failed, evicted, expired, collections;
	bool has_expiry;
	long long licences_expire_at;
};
int store_offline_counts(struct store *db, long long now, struct store_offline_counts *c);

/* --- registration --- */

/* Forgets this device's offline registration (its id and the server's public key). */
int store_offline_forget_device(struct store *db);

#endif
