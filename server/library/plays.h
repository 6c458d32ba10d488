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

/* Keeps e for user inside the caller's transaction, counted by the rule above. Returns 1 when
 * kept, 0 for an event id the user delivered before, 2 when e's track is not in the catalog
 * (nothing kept), -1 on a database error (logged). */
int plays_record(struct store *s, const char *user, const struct play_event *e, long long now);

#endif
