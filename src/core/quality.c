/* The adaptive quality controller: see quality.h for the rules it follows. */
#include "config.h"
#include "quality.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

/* Weight of the newest sample in the average: high enough that a lasting change in the link
 * shows within a few samples, low enough that one odd second does not swing it. */
#define QC_ALPHA 0.3
/* To keep a level the link must carry its bitrate with room to spare: at exactly 1x the buffer
 * only holds steady, and any dip drains it while it is already low. */
#define QC_DOWN_MARGIN 1.5
/* Wider than the margin to stay, so that after a step up the link still covers the new level
 * with room to spare and the two rules cannot push the level back and forth. */
#define QC_UP_MARGIN 2.0

static const struct {
	const char *name;
	int kbps;
} levels[] = {
	[QUALITY_LOW] = { "low", 24 },
	[QUALITY_NORMAL] = { "normal", 96 },
	[QUALITY_HIGH] = { "high", 160 },
	[QUALITY_VERY_HIGH] = { "very_high", 320 },
};

static bool valid(enum quality q)
{
	return (int)q >= QUALITY_LOW && (int)q < QUALITY_COUNT;
}

/* Callers may hand us anything that fits in the enum; the controller only ever holds levels
 * it can name. */
static enum quality clamp(enum quality q)
{
	if ((int)q < QUALITY_LOW)
		return QUALITY_LOW;
	if ((int)q >= QUALITY_COUNT)
		return QUALITY_VERY_HIGH;
	return q;
}

const char *quality_name(enum quality q)
{
	/* A string rather than NULL so a status line can print it as it is. */
	return valid(q) ? levels[q].name : "unknown";
}

int quality_from_name(const char *name)
{
	for (int i = 0; name && i < QUALITY_COUNT; i++)
		if (!strcmp(levels[i].name, name))
			return i;
	return -1;
}

int quality_kbps(enum quality q)
{
	return valid(q) ? levels[q].kbps : 0;
}

/* Throughput is measured in bytes/s and bitrates are in kbit/s (1000 bits). */
static double bytes_per_s(enum quality q)
{
	return quality_kbps(q) * 1000.0 / 8.0;
}

void qctl_init(struct qctl *c, enum quality cap, enum quality start)
{
	memset(c, 0, sizeof *c);
	c->cap = clamp(cap);
	c->cur = clamp(start);
	if (c->cur > c->cap)
		c->cur = c->cap;
	c->tput = -1;
	c->healthy_since = -1;
	c->last_down = -1;
}

void qctl_set_cap(struct qctl *c, enum quality cap)
{
	c->cap = clamp(cap);
	if (c->cur > c->cap) {
		c->cur = c->cap;
		/* The hold was for the old next level; the new one has to earn its own. The user
		 * chose this, so it is neither counted as a step down nor blocks stepping up. */
		c->healthy_since = -1;
	}
}

static bool up_conditions(const struct qctl *c, double buffer_s)
{
	return c->cur < c->cap && c->tput >= 0 && buffer_s > QC_HIGH_S
		&& c->tput >= QC_UP_MARGIN * bytes_per_s(c->cur + 1);
}

enum quality qctl_sample(struct qctl *c, double now, double throughput, double buffer_s,
			  bool stalled)
{
	/* NaN or infinity would stick in the average for good, so they count as no data too. */
	bool have = isfinite(throughput) && throughput >= 0;

	if (have && c->tput < 0)
		c->tput = throughput;
	else if (have)
		c->tput = QC_ALPHA * throughput + (1 - QC_ALPHA) * c->tput;

	/* Going down the average is too slow to trust: by the time it falls the buffer may be
	 * gone. The worse of it and this interval's figure decides. */
	double est = c->tput;
	if (have && throughput < est)
		est = throughput;
	bool danger = buffer_s < QC_LOW_S && est >= 0 && est < QC_DOWN_MARGIN * bytes_per_s(c->cur);

	if (stalled || danger) {
		c->healthy_since = -1;
		if (c->cur > QUALITY_LOW) {
			c->cur--;
			c->downs++;
			c->last_down = now;
		}
		return c->cur;
	}

	if (!up_conditions(c, buffer_s)) {
		c->healthy_since = -1;
		return c->cur;
	}
	if (c->healthy_since < 0)
		c->healthy_since = now;
	if (now - c->healthy_since >= QC_UP_HOLD_S
	    && (c->last_down < 0 || now - c->last_down >= QC_UP_HOLD_S)) {
		c->cur++;
		c->ups++;
		/* The hold just served was judged against the level now reached; the next level up
		 * starts its own, from now if the link already covers it. */
		c->healthy_since = up_conditions(c, buffer_s) ? now : -1;
	}
	return c->cur;
}
