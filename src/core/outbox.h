/* The play-event outbox. A play is written here when it starts (so a crash cannot lose it),
 * its progress is updated when playback pauses or seeks, and it is closed with its reason
 * when it ends. Closed plays are delivered to the server in batches (POST /v1/segue/events)
 * with the id they were given here; the server counts each id once, so a batch that is
 * delivered but not acknowledged (the daemon killed in between) can safely be sent again.
 * Rows leave the outbox only when the server acknowledged them. */
#ifndef SEGUE_OUTBOX_H
#define SEGUE_OUTBOX_H

#include <stddef.h>

#include "api.h"
#include "store.h"

#define OUTBOX_ID_LEN 32   /* hex characters of a play id */
#define OUTBOX_BATCH 200   /* events per delivery (the server takes up to 500) */

/* Records a play that starts now; id receives its new random id (OUTBOX_ID_LEN + 1 bytes). */
enum seg_err outbox_begin(struct store *s, const char *track_id, const char *context_uri,
                          long long started_at_ms, char *id);
enum seg_err outbox_progress(struct store *s, const char *id, long long ms_played);
/* reason: track_done, skipped, paused, device_change, error or logout. */
enum seg_err outbox_finish(struct store *s, const char *id, long long ms_played,
                           const char *reason);
/* Closes plays left open by a process that died (reason "error", progress as last saved).
 * Returns how many, or -1. */
int outbox_recover(struct store *s);
/* Delivers closed plays, a batch at a time, until none is left or a delivery fails.
 * *sent (if not NULL) receives how many were acknowledged. A batch the server refuses as
 * malformed (400) is dropped with a log line rather than retried forever. */
enum seg_err outbox_deliver(struct store *s, struct api *a, int *sent);
/* Closed plays waiting for delivery; -1 on error. */
int outbox_pending(struct store *s);

#endif
