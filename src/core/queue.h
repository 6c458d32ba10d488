/* The play queue: a context (the album, playlist, artist, search or radio the user started
 * playing from), the order in which its tracks play (shuffled or not), the tracks the user
 * queued by hand, and the repeat mode. It holds track ids only and knows nothing of mpv or the
 * network, so every rule here is unit-tested on its own.
 *
 * "Up next" is what plays after the current track: first the hand-queued tracks (FIFO), then
 * the rest of the context in play order. Positions given to queue_remove/queue_move are
 * 1-based positions in that list, as `segue queue` prints it.
 *
 * Shuffle is a real shuffle: each pass over the context plays every track once before any
 * repeats; with repeat=context a new pass is shuffled afresh, and never starts with the track
 * that ended the previous one (unless the context has one track). Turning shuffle off resumes
 * the context's own order after the current track.
 *
 * The queue owns all its memory; ids handed in are copied; ids handed out point into the
 * queue and stay valid until the next call that changes it. */
#ifndef SEGUE_QUEUE_H
#define SEGUE_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define QUEUE_ID_MAX 22   /* a base62 track id */
#define QUEUE_URI_MAX 200 /* a context URI */
#define QUEUE_MAX 20000   /* tracks in a context, and in the hand queue */

enum repeat { REPEAT_OFF, REPEAT_CONTEXT, REPEAT_TRACK };

typedef char queue_id[QUEUE_ID_MAX + 1];

struct queue {
	char context[QUEUE_URI_MAX + 1]; /* "" when none */
	queue_id *tracks;                /* the context in its own order */
	size_t ntracks;
	size_t *order;                   /* play order of this pass: indices into tracks */
	size_t norder;
	size_t pos;                      /* index into order of the last context track played */
	queue_id *user;                  /* hand-queued, played before the context continues */
	size_t nuser;
	queue_id cur;                    /* playing now, "" when nothing */
	bool cur_is_user;                /* cur came from the hand queue */
	bool shuffle;
	enum repeat repeat;
	uint64_t rng;                    /* xorshift state; seeded by queue_init */
};

void queue_init(struct queue *q, uint64_t seed);
void queue_free(struct queue *q);

/* Replaces the context with ids[0..n) (copied) and makes ids[start] current. With shuffle on,
 * the rest of the pass is shuffled after it. The hand queue is kept. Returns 0, or -1 when n is
 * 0 or over QUEUE_MAX, start >= n, or memory runs out (the queue is then unchanged). */
int queue_set_context(struct queue *q, const char *context_uri, const char *const *ids, size_t n,
                      size_t start);
/* A queue as another device left it (Connect's transfer): the context's tracks, the play
 * order of this pass (a permutation of 0..n-1; the identity when shuffle is off), the index
 * into it of the last context track played, the hand queue and the current track (cur_is_user:
 * it came from the hand queue). Everything is checked against the invariants of queue.c;
 * -1 (and the queue unchanged) when something does not hold or memory runs out. n may be 0
 * (no context: then order is empty and pos 0). */
int queue_restore(struct queue *q, const char *context_uri, const char *const *ids, size_t n,
                  const size_t *order, size_t pos, const char *const *user, size_t nuser,
                  const char *cur, bool cur_is_user, bool shuffle, enum repeat r);
/* Appends tracks to the context (a radio's next batch): they play after the rest of this
 * pass, in the order given, shuffle or not. -1 (unchanged) when invalid, over QUEUE_MAX or
 * out of memory. */
int queue_extend(struct queue *q, const char *const *ids, size_t n);
/* Context tracks still to play in this pass after the current one. */
size_t queue_left(const struct queue *q);
/* Forgets the context, the hand queue and the current track. */
void queue_reset(struct queue *q);

/* The current track id, or NULL. */
const char *queue_current(const struct queue *q);

/* Moves to what plays next and returns it (NULL when everything has played and repeat is off;
 * the current track is then "" too). natural_end is true when the current track finished on
 * its own: only then does repeat=track play it again. */
const char *queue_next(struct queue *q, bool natural_end);
/* What queue_next(q, true) would return, without moving: the track to prefetch for gapless
 * playback. NULL when nothing follows. May shuffle the next pass ahead of time so that peek
 * and next agree. */
const char *queue_peek(struct queue *q);
/* Moves back one context track in play order (from a hand-queued track: back to the context
 * track that played before it). At the start of the order: the last one with repeat=context,
 * else the first one again. Returns the new current track, or NULL when there is none. */
const char *queue_prev(struct queue *q);

/* Appends to the hand queue. -1 when it is full or the id is not 22 base62 characters. */
int queue_add(struct queue *q, const char *id);
/* Lists up to max entries of "up next" into ids (and, if user is not NULL, whether each came
 * from the hand queue); returns how many there are in all, which may exceed max. */
size_t queue_upnext(const struct queue *q, const char **ids, bool *user, size_t max);
/* Removes entry n (1-based) of "up next". -1 when there is no such entry. */
int queue_remove(struct queue *q, size_t n);
/* Moves entry from (1-based) of "up next" to position to (1-based, in the list as it is after
 * the removal). An entry that lands among the hand-queued ones becomes hand-queued, one that
 * lands among the context's becomes part of the context's order. -1 on a bad position. */
int queue_move(struct queue *q, size_t from, size_t to);
/* Empties the hand queue; the context is untouched. */
void queue_clear(struct queue *q);

void queue_set_shuffle(struct queue *q, bool on);
void queue_set_repeat(struct queue *q, enum repeat r);
const char *repeat_name(enum repeat r);         /* "off", "context", "track" */
int repeat_from_name(const char *name);          /* -1 when unknown */

#endif
