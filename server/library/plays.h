/* Plays as clients report them: Segue's own clients in batches of events (POST
 * /v1/segue/events), OpenSubsonic clients one scrobble at a time. Both keep a play once per
 * (user, event id), and count it towards the track's play count by one rule: it lasted 30 s,
 * or the whole of a shorter track, the rule royalty accounting uses. */
#ifndef SEGUE_LIBRARY_PLAYS_H
#define SEGUE_LIBRARY_PLAYS_H

#include <stdbool.h>

#include "store/history.h"

#define PLAYS_COUNT_AFTER_MS 30000

/* Whether a play of ms_played of a track of duration_ms that ended for reason_end counts. */
bool plays_counts(long long ms_played, long long duration_ms, const char *reason_end);

/* What became of one event of a batch. */
enum play_fate { PLAY_KEPT, PLAY_DUPLICATE, PLAY_UNKNOWN_TRACK };

/* Keeps events e[0..n) for user inside the caller's transaction, each counted by the rule
 * above, in a constant number of statements whatever n (on PostgreSQL each is a round trip).
 * fate[i] says what became of e[i]: kept; a duplicate of an event id the user delivered
 * before or earlier in the batch; or nothing kept, its track not being in the catalog.
 * Returns 0, -1 on a database error or out of memory (logged). */
int plays_record(struct store *s, const char *user, const struct play_event *e, int n,
                 long long now, enum play_fate *fate);

#endif
