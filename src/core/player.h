/* The player: the queue (queue.h) played through libmpv.
 *
 * mpv's playlist never holds more than the current track and the next one: when a track
 * starts, the one after it (queue_peek) is resolved to a signed URL and appended, and mpv's
 * gapless-audio and prefetch-playlist open it before the current one ends, so an album plays
 * without a gap. Any change of the queue that changes what comes next replaces that entry.
 * Loudness normalisation uses the ReplayGain tags the server writes into every stream
 * (replaygain=track), which keeps gapless transitions intact (no filter is rebuilt).
 *
 * Everything runs on the owner's loop: mpv wakes it through player_fd(), and the owner calls
 * player_dispatch() when that descriptor is readable and player_tick() when
 * player_timeout_ms() has passed. Nothing polls while idle. Network calls (signed URLs,
 * metadata) are made from this loop with short timeouts; failures are retried on timers, so
 * a dead server never stops what is already buffered from playing.
 *
 * Every play is recorded in the outbox (outbox.h) as it starts and closed as it ends. */
#ifndef SEGUE_PLAYER_H
#define SEGUE_PLAYER_H

#include <jansson.h>
#include <stdbool.h>

#include "err.h"
#include "queue.h"
#include "seg.h"

struct player;

/* Events for subscribers: "state" (player_state()), "track" (the new item), "error"
 * ({"message": ...}). data is borrowed for the duration of the call. */
typedef void (*player_listener)(void *ud, const char *event, json_t *data);

enum seg_err player_new(struct seg *s, struct player **out);
void player_free(struct player *p);
void player_set_listener(struct player *p, player_listener fn, void *ud);

int player_fd(struct player *p);
void player_dispatch(struct player *p);
/* Milliseconds until player_tick wants to run (-1: no timer pending). */
long player_timeout_ms(struct player *p);
void player_tick(struct player *p);

/* Plays a context (or a bare list of tracks: context_uri NULL) from ids[start]. tracks (may be
 * NULL) are the track objects of ids, kept for display; borrowed. */
enum seg_err player_play(struct player *p, const char *context_uri, const char *const *ids,
                         json_t *const *tracks, size_t n, size_t start);
/* The same for a JSON array of track objects, each with its "id". */
enum seg_err player_play_tracks(struct player *p, const char *context_uri, json_t *tracks, size_t start);
/* Starts a radio station from seed (a track, artist, album or playlist URI): an endless
 * context that fetches its next batch as it runs low (radio.h). */
enum seg_err player_radio(struct player *p, const char *seed);
enum seg_err player_pause(struct player *p, bool pause);
enum seg_err player_toggle(struct player *p);
enum seg_err player_next(struct player *p);
enum seg_err player_prev(struct player *p);
/* Seeks to ms (relative: by ms, which may be negative). */
enum seg_err player_seek(struct player *p, long long ms, bool relative);
/* Sets the volume in percent (relative: by delta); returns the new one in *now. */
enum seg_err player_volume(struct player *p, int v, bool relative, int *now);
enum seg_err player_shuffle(struct player *p, bool on);
enum seg_err player_repeat(struct player *p, enum repeat r);
/* Hand queue edits (positions as queue.h). */
enum seg_err player_queue_add(struct player *p, const char *id, json_t *track);
enum seg_err player_queue_remove(struct player *p, size_t n);
enum seg_err player_queue_move(struct player *p, size_t from, size_t to);
enum seg_err player_queue_clear(struct player *p);
/* Applies a changed option (normalize, quality, crossfade, volume, adaptive) at once. */
enum seg_err player_option_changed(struct player *p, int opt);
/* Ends the current play (reason "logout" or "device_change") and stops. */
void player_stop(struct player *p, const char *reason);

/* The queue as Connect's transfer carries it (doc/connect.md, "Queue snapshot"); a new
 * reference. */
json_t *player_snapshot(struct player *p);
/* Takes over a snapshot from another device: the queue as it was there, the current track
 * started at position_ms, playing or paused. item (may be NULL) is the current track's
 * object, kept for display. SEG_EUSAGE when the snapshot does not hold together. */
enum seg_err player_restore(struct player *p, json_t *snapshot, json_t *item, long long position_ms,
                            bool play);

/* The Web API's player-state object (GET /v1/me/player) plus a "segue" extension object;
 * a new reference. */
json_t *player_state(struct player *p);
/* {"currently_playing": track|null, "queue": [tracks]} (GET /v1/me/player/queue). */
json_t *player_queue(struct player *p, size_t max);

#endif
