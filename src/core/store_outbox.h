/* The play outbox in the state database (table outbox): one row per play, from its start
 * until the server acknowledged it. When a play counts as closed, how plays are batched and
 * when they are retried are outbox.c's. Functions return 0 (or a count), or -1 with the
 * database's message recorded (seg_fail). */
#ifndef SEGUE_STORE_OUTBOX_H
#define SEGUE_STORE_OUTBOX_H

#include <jansson.h>

#include "store.h"

/* Adds a play that started at started_at_ms (unix ms) under id, after every other in
 * delivery order; context_uri may be NULL or "" (none). */
int store_outbox_add(struct store *s, const char *id, const char *track_id, const char *context_uri,
                     long long started_at_ms);
/* Saves the progress of a play still open (a closed one is left as it is). */
int store_outbox_progress(struct store *s, const char *id, long long ms_played);
/* Closes a play still open with its progress and reason. */
int store_outbox_finish(struct store *s, const char *id, long long ms_played, const char *reason);
/* Closes every open play with reason "error"; returns how many. */
int store_outbox_close_open(struct store *s);
/* How many plays are closed. */
int store_outbox_closed(struct store *s);
/* The first max closed plays in delivery order, as the events the server takes ({id,
 * track_id, started_at, ms_played, reason_end, context_uri if any}), into *events (a new
 * array the caller owns); *last_seq receives the delivery position of the last. Returns how
 * many. */
int store_outbox_batch(struct store *s, int max, json_t **events, long long *last_seq);
/* Deletes the closed plays up to delivery position seq. */
int store_outbox_drop_through(struct store *s, long long seq);

#endif
