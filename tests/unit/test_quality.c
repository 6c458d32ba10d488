#include "config.h"
#include "quality.h"
#include "tap.h"

#include <math.h>
#include <stdlib.h>

/* Bytes/s each level needs, so the traces read in the units the controller is fed. */
#define BPS(kbps) ((kbps) * 1000.0 / 8.0)

/* Every sample goes through here so the invariants are checked on all traces, not only where a
 * test happens to look: at most one step per sample, within [low, cap], and the returned value
 * is the one kept. */
static int broken;

static enum quality feed(struct qctl *c, double now, double tput, double buf, bool stalled)
{
	enum quality before = c->cur;
	enum quality q = qctl_sample(c, now, tput, buf, stalled);

	if (abs((int)q - (int)before) > 1 || q > c->cap || (int)q < QUALITY_LOW || q != c->cur) {
		printf("# invariant broken at t=%.1f: %d -> %d (cap %d)\n", now, before, q, c->cap);
		broken++;
	}
	return q;
}

static void test_names(void)
{
	static const char *const names[] = { "low", "normal", "high", "very_high" };
	static const int kbps[] = { 24, 96, 160, 320 };

	for (int q = 0; q < QUALITY_COUNT; q++) {
		is_str(quality_name(q), names[q], "name of %d", q);
		is_int(quality_from_name(names[q]), q, "%s round-trips", names[q]);
		is_int(quality_kbps(q), kbps[q], "%s is %d kbit/s", names[q], kbps[q]);
	}
	is_int(quality_from_name("ultra"), -1, "unknown name");
	is_int(quality_from_name(""), -1, "empty name");
	is_int(quality_from_name("High"), -1, "names are exact");
	is_int(quality_from_name("very"), -1, "a prefix is not a name");
	is_int(quality_from_name(NULL), -1, "no name");
	is_str(quality_name(QUALITY_COUNT), "unknown", "out of range level has a printable name");
	is_int(quality_kbps(QUALITY_COUNT), 0, "out of range level has no bitrate");
}

static void test_init_and_cap(void)
{
	struct qctl c;

	qctl_init(&c, QUALITY_HIGH, QUALITY_VERY_HIGH);
	is_int(c.cur, QUALITY_HIGH, "init clamps the start to the cap");
	ok(c.tput < 0 && c.healthy_since < 0 && c.last_down < 0, "init: no measurement yet");
	is_int(c.downs + c.ups, 0, "init: no switches");

	qctl_init(&c, QUALITY_VERY_HIGH, QUALITY_VERY_HIGH);
	qctl_set_cap(&c, QUALITY_NORMAL);
	is_int(c.cur, QUALITY_NORMAL, "lowering the cap clamps cur");
	is_int(c.downs, 0, "a cap change is not counted as an adaptation");
	feed(&c, 0, BPS(5000), 60, false);
	is_int(c.cur, QUALITY_NORMAL, "a fast link does not go above the lowered cap");
	qctl_set_cap(&c, QUALITY_VERY_HIGH);
	is_int(c.cur, QUALITY_NORMAL, "raising the cap does not jump cur");
	/* At the cap there was nothing to hold for: the hold starts with the first sample after. */
	for (int t = 1; t < 11; t++)
		feed(&c, t, BPS(5000), 60, false);
	is_int(c.cur, QUALITY_NORMAL, "after a raised cap the hold still applies");
	feed(&c, 11, BPS(5000), 60, false);
	is_int(c.cur, QUALITY_HIGH, "then one level up once held");
	qctl_set_cap(&c, QUALITY_LOW);
	is_int(c.cur, QUALITY_LOW, "cap at low");
	qctl_set_cap(&c, (enum quality)(QUALITY_COUNT + 3));
	is_int(c.cap, QUALITY_VERY_HIGH, "an out of range cap is clamped");
	is_int(c.cur, QUALITY_LOW, "and leaves cur alone");
}

static void test_steady_fast(void)
{
	struct qctl c;
	int bad = 0;

	qctl_init(&c, QUALITY_VERY_HIGH, QUALITY_VERY_HIGH);
	/* Startup: the buffer is low but the link covers the bitrate many times over. */
	for (int t = 0; t < 600; t++)
		if (feed(&c, t, 500000, t < 60 ? t : 60, false) != QUALITY_VERY_HIGH)
			bad++;
	is_int(bad, 0, "a steady fast link stays at the cap for 600 samples");
	is_int(c.downs + c.ups, 0, "and never switches");
	ok(fabs(c.tput - 500000) < 1e-6, "smoothed throughput is the steady rate (%f)", c.tput);
}

static void test_ewma(void)
{
	struct qctl c;

	qctl_init(&c, QUALITY_VERY_HIGH, QUALITY_VERY_HIGH);
	feed(&c, 0, -1, 1, false);
	ok(c.tput < 0, "no data before the first sample leaves no estimate");
	is_int(c.cur, QUALITY_VERY_HIGH, "a low buffer without a measurement does not step down");
	feed(&c, 1, 50000, 30, false);
	ok(fabs(c.tput - 50000) < 1e-9, "the first sample initialises the average (%f)", c.tput);
	feed(&c, 2, -1, 30, false);
	ok(fabs(c.tput - 50000) < 1e-9, "no data does not move it (%f)", c.tput);
	feed(&c, 3, NAN, 30, false);
	ok(fabs(c.tput - 50000) < 1e-9, "neither does NaN (%f)", c.tput);
	feed(&c, 4, INFINITY, 30, false);
	ok(fabs(c.tput - 50000) < 1e-9, "nor infinity (%f)", c.tput);
	feed(&c, 5, 100000, 30, false);
	ok(c.tput > 50000 && c.tput < 100000, "a new sample moves it part way (%f)", c.tput);
	ok(fabs(c.tput - 65000) < 1e-6, "by alpha 0.3 (%f)", c.tput);
}

/* The margin to keep a level is 1.5x its bitrate; just under it with a low buffer drops. */
static void test_down_boundary(void)
{
	struct qctl c;

	qctl_init(&c, QUALITY_VERY_HIGH, QUALITY_VERY_HIGH);
	feed(&c, 0, 1.5 * BPS(320), 2, false);
	is_int(c.cur, QUALITY_VERY_HIGH, "low buffer, throughput exactly 1.5x: stays");
	qctl_init(&c, QUALITY_VERY_HIGH, QUALITY_VERY_HIGH);
	feed(&c, 0, 1.5 * BPS(320) - 1, 2, false);
	is_int(c.cur, QUALITY_HIGH, "low buffer, throughput under 1.5x: one step down");
	is_int(c.downs, 1, "counted");
	is_int((int)c.last_down, 0, "time of the step down recorded");
	qctl_init(&c, QUALITY_VERY_HIGH, QUALITY_VERY_HIGH);
	feed(&c, 0, 1000, QC_LOW_S, false);
	is_int(c.cur, QUALITY_VERY_HIGH, "a slow link with a buffer not under QC_LOW_S waits");
}

/* The link drops under the bitrate: nothing happens while the buffer lasts, then one level per
 * sample until the link covers the level with margin. The buffer is simulated: it fills at
 * throughput / bitrate seconds per second and plays at one. seq gets the level after each
 * sample from the one where the buffer first falls under QC_LOW_S. */
static int degrade(double slow, enum quality *seq, int nseq)
{
	struct qctl c;
	double buf = 30;
	int early = 0, n = 0;
	bool crossed = false;

	qctl_init(&c, QUALITY_VERY_HIGH, QUALITY_VERY_HIGH);
	for (int t = 0; t < 30; t++)
		feed(&c, t, 200000, buf, false);
	for (int t = 30; n < nseq && t < 1000; t++) {
		enum quality before = c.cur;

		buf = fmax(0, buf + slow / BPS(quality_kbps(c.cur)) - 1);
		crossed = crossed || buf < QC_LOW_S;
		feed(&c, t, slow, buf, false);
		if (!crossed && c.cur != before)
			early++;
		if (crossed)
			seq[n++] = c.cur;
	}
	if (n < nseq)
		early += 1000;
	return early;
}

static void test_degrade(void)
{
	enum quality seq[6];

	is_int(degrade(5000, seq, 6), 0, "5 kB/s: no step down while the buffer lasts");
	is_int(seq[0], QUALITY_HIGH, "5 kB/s, buffer low: very_high -> high");
	is_int(seq[1], QUALITY_NORMAL, "next sample: -> normal");
	is_int(seq[2], QUALITY_LOW, "next sample: -> low");
	is_int(seq[3], QUALITY_LOW, "low fits 5 kB/s (needs 4.5): stays");
	is_int(seq[5], QUALITY_LOW, "and stays");

	/* 35 kB/s covers high (30 needed) but not very_high (60): one step and no more. */
	is_int(degrade(35000, seq, 6), 0, "35 kB/s: no step down while the buffer lasts");
	is_int(seq[0], QUALITY_HIGH, "35 kB/s: very_high -> high");
	is_int(seq[1], QUALITY_HIGH, "35 kB/s: high fits, no further step");
	is_int(seq[5], QUALITY_HIGH, "and stays");
}

static void test_stall(void)
{
	struct qctl c;

	qctl_init(&c, QUALITY_VERY_HIGH, QUALITY_VERY_HIGH);
	feed(&c, 0, 500000, 30, false);
	feed(&c, 1, 500000, 30, true);
	is_int(c.cur, QUALITY_HIGH, "a stall steps down at once, even with good numbers");
	is_int((int)c.last_down, 1, "the stall's step down is recorded");
	feed(&c, 2, 500000, 30, true);
	is_int(c.cur, QUALITY_NORMAL, "another stall, another step");
	feed(&c, 3, 500000, 30, true);
	feed(&c, 4, 500000, 30, true);
	is_int(c.cur, QUALITY_LOW, "never below low");
	is_int(c.downs, 3, "three steps down counted, not four");
	is_int((int)c.last_down, 3, "a stall at low is not a step down");
}

/* After a step down at t=3, a link that is fine from t=4 on: up after the hold, one level at a
 * time, each level held anew, and never above the cap. */
static void test_recovery(void)
{
	struct qctl c;
	double t_up[QUALITY_COUNT] = { 0 };
	int early = 0;

	qctl_init(&c, QUALITY_HIGH, QUALITY_HIGH);
	feed(&c, 2, 1000, 2, false);
	feed(&c, 3, 1000, 2, false);
	is_int(c.cur, QUALITY_LOW, "the slow link took us to low");
	is_int((int)c.last_down, 3, "last step down at t=3");
	for (double t = 4; t < 200; t += 0.5) {
		enum quality before = c.cur;

		if (feed(&c, t, 500000, 30, false) > before)
			t_up[c.cur] = t;
	}
	ok(t_up[QUALITY_NORMAL] == 14, "low -> normal once held 10 s (t=%.1f)",
	   t_up[QUALITY_NORMAL]);
	ok(t_up[QUALITY_HIGH] == 24, "normal -> high 10 s later (t=%.1f)", t_up[QUALITY_HIGH]);
	is_int(c.cur, QUALITY_HIGH, "never above the cap");
	is_int(c.ups, 2, "two steps up");

	/* Healthy from the step down on, but the hold runs from the step down too. */
	qctl_init(&c, QUALITY_VERY_HIGH, QUALITY_VERY_HIGH);
	feed(&c, 100, 500000, 30, false);
	feed(&c, 101, 500000, 30, true);
	for (int t = 102; t < 111; t++)
		if (feed(&c, t, 500000, 30, false) != QUALITY_HIGH)
			early++;
	is_int(early, 0, "no step up within QC_UP_HOLD_S of a step down");
	feed(&c, 112, 500000, 30, false);
	is_int(c.cur, QUALITY_VERY_HIGH, "back up once the hold has passed");
}

static int ups_after(double tput, double buf)
{
	struct qctl c;

	qctl_init(&c, QUALITY_VERY_HIGH, QUALITY_HIGH);
	for (int t = 0; t < 100; t++)
		feed(&c, t, tput, buf, false);
	return c.ups;
}

static void test_up_boundary(void)
{
	is_int(ups_after(2 * BPS(320), 21), 1, "2x the next level and a healthy buffer: up");
	is_int(ups_after(2 * BPS(320) - 1, 21), 0, "just under 2x the next level: never up");
	is_int(ups_after(2 * BPS(320), QC_HIGH_S), 0, "buffer not above QC_HIGH_S: never up");

	/* Good for 9 s out of every 10: the hold never completes. */
	struct qctl c;

	qctl_init(&c, QUALITY_VERY_HIGH, QUALITY_NORMAL);
	for (int t = 0; t < 300; t++)
		feed(&c, t, 500000, t % 10 == 9 ? 10 : 30, false);
	is_int(c.ups, 0, "the hold must be continuous");
	is_int(c.downs, 0, "a dip in buffer with a fast link is no reason to go down");

	/* A fully buffered track downloads nothing: the estimate stands and the hold goes on. */
	qctl_init(&c, QUALITY_VERY_HIGH, QUALITY_NORMAL);
	feed(&c, 0, 500000, 30, false);
	for (int t = 1; t <= 10; t++)
		feed(&c, t, -1, 60, false);
	is_int(c.cur, QUALITY_HIGH, "no-data samples do not break the hold");
}

static void test_no_flapping(void)
{
	struct qctl c;
	int switches = 0;
	enum quality prev;

	/* Alternating every sample between a fast link with a healthy buffer and a slow one with a
	 * starving buffer: it settles where the slow phase fits and stays. */
	qctl_init(&c, QUALITY_VERY_HIGH, QUALITY_VERY_HIGH);
	prev = c.cur;
	for (int t = 0; t < 600; t++) {
		bool bad = t % 2;

		if (feed(&c, t, bad ? 8000 : 200000, bad ? 3 : 25, false) != prev)
			switches++;
		prev = c.cur;
	}
	is_int(switches, 3, "per-sample oscillation: only the three steps down to low");
	is_int(c.cur, QUALITY_LOW, "and it settles at low, which the slow phase fits");
	is_int(c.ups, 0, "no step up");

	/* Slower oscillation, 20 s good then 10 s bad: ups happen, but never sooner than the hold
	 * after any switch, so the number of switches is bounded by the trace length. */
	double last_down = -1e9, last_up = -1e9, min_gap = 1e9;

	qctl_init(&c, QUALITY_VERY_HIGH, QUALITY_VERY_HIGH);
	switches = 0;
	prev = c.cur;
	for (int t = 0; t < 600; t++) {
		bool bad = t % 30 >= 20;
		enum quality q = feed(&c, t, bad ? 8000 : 200000, bad ? 3 : 25, false);

		if (q > prev) {
			double gap = fmin(t - last_down, t - last_up);

			min_gap = fmin(min_gap, gap);
			last_up = t;
		} else if (q < prev) {
			last_down = t;
		}
		if (q != prev)
			switches++;
		prev = q;
	}
	ok(min_gap >= QC_UP_HOLD_S, "a step up never within the hold of another switch (%.0f)",
	   min_gap);
	ok(c.ups >= 1, "the long good phases do step up (%d)", c.ups);
	ok(c.ups <= 600 / 30, "at most one step up per good phase (%d)", c.ups);
	ok(switches <= 3 + 2 * 600 / 30, "switches bounded (%d)", switches);
}

int main(void)
{
	test_names();
	test_init_and_cap();
	test_steady_fast();
	test_ewma();
	test_down_boundary();
	test_degrade();
	test_stall();
	test_recovery();
	test_up_boundary();
	test_no_flapping();
	is_int(broken, 0, "one step per sample, within [low, cap], on every trace");
	return done();
}
