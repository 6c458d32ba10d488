/* The adaptive quality controller: picks the stream quality from what the player measures,
 * the way adaptive streaming clients do. It is fed samples (download throughput, seconds of
 * audio buffered ahead, whether playback stalled) and answers with the quality to use; it
 * never exceeds the cap (the user's preference limited by the account tier).
 *
 * Down quickly, up slowly: a stall, or a buffer under QC_LOW_S while the measured throughput
 * does not cover the current bitrate with margin, steps down one level at once. Stepping up
 * needs the buffer above QC_HIGH_S and throughput of at least twice the next level's bitrate
 * held for QC_UP_HOLD_S, and no step up within QC_UP_HOLD_S of a step down (no flapping).
 * Throughput is smoothed with an exponentially weighted moving average. Pure arithmetic, no
 * clock of its own: callers pass the time, so tests feed synthetic traces. */
#ifndef SEGUE_QUALITY_H
#define SEGUE_QUALITY_H

#include <stdbool.h>

enum quality { QUALITY_LOW, QUALITY_NORMAL, QUALITY_HIGH, QUALITY_VERY_HIGH, QUALITY_COUNT };

#define QC_LOW_S 4.0      /* buffer under this is in danger */
#define QC_HIGH_S 20.0    /* buffer over this is healthy */
#define QC_UP_HOLD_S 10.0 /* healthy this long before stepping up */

struct qctl {
	enum quality cap;   /* never above this */
	enum quality cur;
	double tput;        /* smoothed throughput, bytes/s; < 0 before the first sample */
	double healthy_since; /* time the conditions to step up began to hold; < 0 when not */
	double last_down;   /* time of the last step down; < 0 when none */
	int downs, ups;     /* switch counts, for status and tests */
};

/* name: "low" "normal" "high" "very_high"; kbps: 24 96 160 320. */
const char *quality_name(enum quality q);
int quality_from_name(const char *name); /* -1 when unknown */
int quality_kbps(enum quality q);

void qctl_init(struct qctl *c, enum quality cap, enum quality start);
/* Lowers or raises the cap (e.g. the preference changed); cur is clamped to it. */
void qctl_set_cap(struct qctl *c, enum quality cap);
/* One measurement at time now (seconds, any monotonic origin): throughput in bytes/s (< 0 when
 * nothing was downloaded since the last sample, e.g. the track is fully buffered: it does not
 * move the average), buffer_s seconds buffered ahead of the play position, stalled when
 * playback paused for want of data since the last sample. Returns the quality to use now. */
enum quality qctl_sample(struct qctl *c, double now, double throughput, double buffer_s, bool stalled);

#endif
