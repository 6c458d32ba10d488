/* The user's library in the store: saved tracks, saved albums and followed artists, each a
 * set of ids with the time it was added. */
#ifndef SEGUE_STORE_LIBRARY_H
#define SEGUE_STORE_LIBRARY_H

#include <stdbool.h>

#include "base62.h"
#include "store/store.h"

enum library_kind { LIBRARY_TRACKS, LIBRARY_ALBUMS, LIBRARY_ARTISTS };

struct library_item {
	char id[BASE62_ID_LEN + 1];
	long long added_at;
};

/* The newest time in user's collection into *t. Returns 1, 0 when it is empty, -1 on error. */
int store_library_latest(struct store *s, enum library_kind k, const char *user, long long *t);
/* Adds ids[0..n) to user's collection, ids[i] at time at[i], in one statement whatever n.
 * An id already there keeps its time; of an id repeated in ids, the first counts. Returns how
 * many were added, or -1 on error (logged). */
int store_library_add_many(struct store *s, enum library_kind k, const char *user,
                           const char *const *ids, const long long *at, int n);
/* Removes ids[0..n) from user's collection in one statement. Returns how many were there,
 * or -1 on error (logged). */
int store_library_remove_many(struct store *s, enum library_kind k, const char *user,
                              const char *const *ids, int n);
/* Sets has[i] to whether ids[i] is in user's collection, for i in [0, n), in one statement
 * whatever n. Returns how many of ids[] are there (a repeated id counts each time), or -1 on
 * error (logged). */
int store_library_has_many(struct store *s, enum library_kind k, const char *user,
                           const char *const *ids, int n, bool *has);
/* How many ids the collection holds, or -1 on error. */
long long store_library_count(struct store *s, enum library_kind k, const char *user);
/* Up to max items newest first from offset (by_id: in id order after the id `after`, which
 * may be ""). Returns how many were filled, or -1 on error. */
int store_library_page(struct store *s, enum library_kind k, const char *user, int offset,
                       struct library_item *items, int max);
int store_library_page_by_id(struct store *s, enum library_kind k, const char *user,
                             const char *after, struct library_item *items, int max);

#endif
