/* A radio station playing in the player: its context is "segue:radio:SEED" and it never runs
 * dry. What the listener does is noted (a track heard out, a track skipped) and sent with
 * each request for the next batch (POST /v1/segue/radio), together with every track the
 * station already queued, so the server steers away from what was skipped and never repeats
 * itself. The server keeps no session: a station handed to another device continues there
 * from its queue alone. */
#ifndef SEGUE_RADIO_H
#define SEGUE_RADIO_H

#include <jansson.h>
#include <stdbool.h>

#include "api.h"
#include "err.h"
#include "queue.h"

#define RADIO_PREFIX "segue:radio:"
#define RADIO_BATCH 30
#define RADIO_LOW_WATER 5   /* tracks left in the station when the next batch is fetched */

struct radio {
	json_t *played, *skipped;   /* ids, newest last, bounded */
};

void radio_init(struct radio *r);
void radio_free(struct radio *r);
/* A new station: forget the feedback of the last one. */
void radio_reset(struct radio *r);
/* The seed of a station context, or NULL when the context is not a station. */
const char *radio_seed(const char *context);
/* Notes how a play of id ended (the outbox's reasons). */
void radio_note(struct radio *r, const char *id, long long played_ms, const char *reason);
/* The next batch for seed, given the feedback so far and the queue's context (excluded).
 * *tracks: an array of track objects. */
enum seg_err radio_fetch(struct api *a, const char *seed, const struct radio *r, const struct queue *q,
                         json_t **tracks);

#endif
