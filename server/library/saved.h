/* The user's saved tracks, saved albums and followed artists, changed several ids at a time,
 * for OpenSubsonic's star and unstar: the same collections as the Web API's /v1/me/tracks,
 * /v1/me/albums and /v1/me/following, with the same rule for the times things are added
 * (api/library.c keeps its own copy of it for now, as it takes times from the client too). */
#ifndef SEGUE_LIBRARY_SAVED_H
#define SEGUE_LIBRARY_SAVED_H

#include <stdbool.h>

#include "store/library.h"

/* Adds (save) or removes ids[0..n) in user's collection k, inside the caller's transaction.
 * What is added gets times strictly after everything already there, increasing in the order of
 * ids, so "newest first" is the order of the requests, and of the ids within one, even within
 * a millisecond; of a repeated id the first counts. Two statements whatever n (one to remove).
 * Whether the ids name something is the caller's to check. Returns 0, or -1 on a database
 * error (logged; the caller rolls back). */
int saved_change(struct store *s, enum library_kind k, const char *user, const char *const *ids, int n,
                 bool save, long long now);

#endif
