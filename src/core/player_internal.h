/* What the parts of the player share: its state (struct player) and the functions one part
 * calls in another. player.h is the player's interface; this header is for src/core/player*.c
 * only. The comments in those files say why the player does what it does.
 *
 * player.c          the mpv instances and the player's life, and the helpers every part uses
 * player_outbox.c   a play's accounting in the outbox
 * player_load.c     loading the current and next tracks into mpv, from where source.h says
 *                   each comes from; the tier, the quality asked for
 * player_events.c   mpv's events and the timers: what the owner's loop calls
 * player_fade.c     crossfades, and the short fade that hides a change of quality
 * player_control.c  the commands: play, pause, next, seek, volume, queue edits, options
 * player_state.c    Connect's snapshots and the state and queue objects */
#ifndef SEGUE_PLAYER_INTERNAL_H
#define SEGUE_PLAYER_INTERNAL_H

#include <jansson.h>
#include <mpv/client.h>
#include <stdbool.h>
#include <stdint.h>

#include "outbox.h"
#include "player.h"
#include "quality.h"
#include "queue.h"
#include "radio.h"
#include "seg.h"
#include "source.h"

#define RESTART_PREV_MS 3000   /* prev within this restarts the track instead */
#define RENEW_MARGIN_S 15      /* renew a signed URL this close to its expiry before a seek */
#define RETRY_MAX_MS 10000
#define QC_PERIOD_MS 2000
#define QC_SETTLE_MS 3000
#define SKIP_LIMIT 50          /* unavailable tracks skipped in a row before giving up */
#define FADE_STEP_MS 40        /* volume steps of a crossfade */
#define SWITCH_FADE_MS 300     /* the short crossfade that hides a change of quality */
#define SWITCH_LEAD_MS 60      /* how far ahead the new stream starts: mpv's time to open it */

/* What player_load() learnt of the stream it handed to mpv. */
struct loaded {
	int64_t entry;
	long long expires;         /* unix s */
	long long duration_ms;
};

struct player {
	struct seg *s;
	mpv_handle *mpv;
	int wake[2];
	struct queue q;
	struct radio radio;       /* feedback of the station playing, if one is */
	json_t *meta;             /* track id -> track object */
	struct source_ctx src;    /* where tracks come from (source.h) */
	player_listener fn;
	void *ud;

	int64_t cur_entry;        /* mpv playlist entry of the current track; 0: none loaded */
	int64_t next_entry;       /* the prefetched next one; 0: none */
	queue_id next_id;
	struct loaded next;
	long long cur_expires;    /* expiry (unix s) of the current track's signed URL */
	long long cur_duration_ms;
	bool paused;
	bool buffering;
	/* Audio (re)started -- a track, a seek, a resume, the end of buffering -- and mpv's
	 * position has not moved on yet from settle_pos: the state sent then says "playing from
	 * here" a little before the sound does, so another is sent once it moves, for those who
	 * carry the position forward from the last state (lyrics on time). */
	bool settling;
	double settle_pos;
	/* Where the last state said the track was (progress_ms at sent_mono, monotonic ms) and
	 * whether it moves: when mpv's position departs from that by more than DRIFT_MS (audio
	 * starved of time, or a seek mpv made on its own), another state is sent, at most one a
	 * DRIFT_EVERY_MS. */
	long long sent_pos, sent_mono, drift_sent;
	bool sent_moving;
	long long live_since;     /* monotonic ms a handed-over position was taken at; 0: none */

	/* Accounting of the current play for the outbox. */
	char play_id[OUTBOX_ID_LEN + 1];
	long long played_ms;
	long long run_since;      /* monotonic ms since it has been playing; 0: not running */

	/* Waiting for the server: what to load, and where, when the timer fires. */
	bool waiting;
	long long resume_ms;
	long long retry_at;       /* monotonic ms; 0: no retry planned */
	long retry_delay;

	struct qctl qc;
	enum quality cap;         /* preference limited by the tier */
	bool tier_known;
	long long qc_at;          /* next controller sample; 0: none */
	int volume;
	char message[256];        /* the last error shown to the user */

	/* Crossfades play the incoming track on a second mpv instance; when the fade ends the
	 * two swap roles, so p->mpv is always the one the user hears as "the" track. */
	mpv_handle *fader;
	bool fading;
	bool fade_tried;          /* a fade was started (or failed) for the current track */
	bool fade_same;           /* a change of stream within the track (quality), not a new track */
	long long fade_start;     /* monotonic ms the incoming side began to play; 0: not yet */
	long fade_ms;
	struct loaded fade;
};

enum load_result { LOAD_OK, LOAD_UNAVAILABLE, LOAD_RETRY, LOAD_FATAL };

/* player.c */
const char *player_replaygain_mode(struct player *p);
void player_emit(struct player *p, const char *event, json_t *data);
void player_emit_state(struct player *p);
/* Audio (re)starts: one more state once mpv's position moves on (settling). */
void player_settle(struct player *p);
void player_emit_error(struct player *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
double player_get_double(struct player *p, const char *name, double def);
bool player_get_flag(struct player *p, const char *name);
long long player_position_ms(struct player *p);
enum seg_err player_make_mpv(struct player *p, mpv_handle **out);

/* player_outbox.c */
void player_play_run(struct player *p, bool running);
void player_play_begin(struct player *p, const char *id);
void player_play_save(struct player *p);
void player_play_finish(struct player *p, const char *reason);

/* player_load.c */
json_t *player_track_meta(struct player *p, const char *id);
void player_learn_tier(struct player *p);
enum load_result player_load(struct player *p, mpv_handle *h, const char *id, long long start_ms,
                             bool append, struct loaded *out);
void player_plan_retry(struct player *p);
void player_forget_next(struct player *p);
void player_radio_top_up(struct player *p);
void player_refresh_next(struct player *p);
void player_start_current(struct player *p, long long start_ms);

/* player_fade.c */
void player_cancel_fade(struct player *p);
void player_finish_fade(struct player *p, const char *reason);
void player_fade_step(struct player *p);
void player_start_fade(struct player *p, long long pos_ms);
void player_switch_stream(struct player *p);

#endif
