#include "config.h"
#include "audio/bitrate.h"

#include <math.h>
#include <string.h>

#include <vorbis/vorbisenc.h>

/* Music measured away from libvorbis's mapping moves less than the nominal bitrate does
 * when the quality changes: within one of libvorbis's steps about its 0.6th to 0.8th power
 * on the synthetic catalog and on noise, more across a step, barely at all for a pure tone.
 * The bounds keep an estimate from two close measurements sane. */
#define ELASTICITY 0.85
#define MIN_ELASTICITY 0.1
#define MAX_ELASTICITY 1.5

/* Sample sizing: 6% of the track, at least MIN_SAMPLE seconds, in excerpts of about
 * EXCERPT seconds (many short ones follow a track's changes better than a few long ones).
 * A sample of half the track or more would cost as much as it saves. With 12% and 5 s,
 * whole encodes landed within 2% more often, but on 10 s tracks calibration then cost more
 * than the four encodes themselves (see the comment at the top of encode.c). */
/* What music gives over libvorbis's nominal rate below quality 0 (24 kbps mono at 22.05
 * kHz): 1.13..1.49 times, 1.3 typically, on the demo and test-catalog masters. */
#define LOWEST_STEP_RATIO 1.3

/* A measurement this close above a step's lower edge stands for the step's start. */
#define EDGE 0.01f

#define SAMPLE_SHARE 0.06
#define MIN_SAMPLE 2.0
#define EXCERPT 1.0

double rate_nominal(int channels, long rate, float q)
{
	vorbis_info vi;
	double kbps = -1;

	/* About 12 us: cheap enough to ask libvorbis every time rather than keep a table. */
	vorbis_info_init(&vi);
	if (vorbis_encode_setup_vbr(&vi, channels, rate, q) == 0 &&
	    vorbis_encode_setup_init(&vi) == 0 && vi.bitrate_nominal > 0)
		kbps = vi.bitrate_nominal / 1000.0;
	vorbis_info_clear(&vi);
	return kbps;
}

void rate_fit_init(struct rate_fit *f, int channels, long rate, double target)
{
	f->channels = channels;
	f->rate = rate;
	f->target = target;
	f->n = 0;
	f->scale = 1;
	/* Within libvorbis's lowest step music runs well over its nominal mapping: starting
	 * from the mapping put the first sample at quality 0, on the wrong side of the step,
	 * and cost every track a second round. */
	if (rate_nominal(channels, rate, 0) >= target)
		f->scale = LOWEST_STEP_RATIO;
}

void rate_fit_add(struct rate_fit *f, float q, double kbps)
{
	int i;

	if (kbps <= 0)
		return;
	for (i = 0; i < f->n && fabsf(f->q[i] - q) > 1e-5f; i++)
		;
	if (i == RATE_MAX_POINTS) { /* full: the oldest goes */
		memmove(f->q, f->q + 1, sizeof f->q[0] * (RATE_MAX_POINTS - 1));
		memmove(f->kbps, f->kbps + 1, sizeof f->kbps[0] * (RATE_MAX_POINTS - 1));
		i--;
	}
	f->q[i] = q;
	f->kbps[i] = kbps / f->scale;
	if (i == f->n)
		f->n++;
}

/* libvorbis turns a quality into a setting whose whole part (one step per 0.1 of quality)
 * picks codebooks, block sizes and stereo modes: the bitrate is smooth between two steps
 * and may jump by up to a quarter at one. */
static int segment(float q)
{
	return (int)floorf(q * 10.0f + 1e-5f);
}

/* How the bitrate follows libvorbis's nominal one, d log kbps / d log nominal, around
 * measurement p: from p and the measurement nearest to it, or else ELASTICITY. */
static double elasticity(const struct rate_fit *f, int p)
{
	int o = -1;
	double dn;

	for (int i = 0; i < f->n; i++)
		if (i != p && (o < 0 || fabsf(f->q[i] - f->q[p]) < fabsf(f->q[o] - f->q[p])))
			o = i;
	if (o < 0)
		return ELASTICITY;
	dn = log(rate_nominal(f->channels, f->rate, f->q[p]) /
		 rate_nominal(f->channels, f->rate, f->q[o]));
	if (fabs(dn) < 0.01)
		return ELASTICITY;
	return fmax(MIN_ELASTICITY, fmin(MAX_ELASTICITY, log(f->kbps[p] / f->kbps[o]) / dn));
}

double rate_fit_predict(const struct rate_fit *f, float q)
{
	int seg = segment(q), lo = -1, hi = -1, near = -1;
	double nom;

	/* The nearest measurements on each side of q within its step, and the nearest of all,
	 * preferring one within the step. */
	for (int i = 0; i < f->n; i++) {
		int same = segment(f->q[i]) == seg;
		float d = fabsf(f->q[i] - q);

		if (same && f->q[i] <= q && (lo < 0 || f->q[i] > f->q[lo]))
			lo = i;
		if (same && f->q[i] >= q && (hi < 0 || f->q[i] < f->q[hi]))
			hi = i;
		if (near < 0 || same > (segment(f->q[near]) == seg) ||
		    (same == (segment(f->q[near]) == seg) && d < fabsf(f->q[near] - q)))
			near = i;
	}
	if (lo >= 0 && hi >= 0 && f->q[hi] - f->q[lo] > 1e-5f) {
		double t = (q - f->q[lo]) / (f->q[hi] - f->q[lo]);

		return f->scale * exp(log(f->kbps[lo]) + t * (log(f->kbps[hi]) - log(f->kbps[lo])));
	}
	/* Otherwise a power of libvorbis's curve through the nearest measurement. */
	nom = rate_nominal(f->channels, f->rate, q);
	if (nom < 0)
		return 0;
	if (near < 0)
		return f->scale * nom;
	return f->scale * f->kbps[near] *
	       pow(nom / rate_nominal(f->channels, f->rate, f->q[near]), elasticity(f, near));
}

int rate_fit_between(const struct rate_fit *f, float q)
{
	int below = 0, above = 0;

	for (int i = 0; i < f->n; i++) {
		if (segment(f->q[i]) != segment(q))
			continue;
		below |= f->q[i] < q && f->kbps[i] * f->scale < f->target;
		above |= f->q[i] > q && f->kbps[i] * f->scale > f->target;
	}
	return below && above;
}

int rate_fit_in_step(const struct rate_fit *f, float q)
{
	for (int i = 0; i < f->n; i++)
		if (segment(f->q[i]) == segment(q))
			return 1;
	return 0;
}

int rate_fit_below_edge(const struct rate_fit *f, float q)
{
	for (int i = 0; i < f->n; i++)
		if (segment(f->q[i]) == segment(q) + 1 &&
		    f->q[i] - (float)segment(f->q[i]) / 10 < EDGE)
			return 1;
	return 0;
}

void rate_fit_rescale(struct rate_fit *f, float q, double kbps)
{
	double predicted = rate_fit_predict(f, q);
	int measured = 0;

	for (int i = 0; i < f->n; i++)
		measured |= segment(f->q[i]) == segment(q);
	if (!measured)
		rate_fit_add(f, q, kbps);
	else if (predicted > 0 && kbps > 0)
		f->scale *= kbps / predicted;
}

/* How far a prediction is from the target, either way, as a ratio. */
static double miss(const struct rate_fit *f, float q)
{
	return fabs(log(fmax(rate_fit_predict(f, q), 1e-3) / f->target));
}

float rate_fit_quality(const struct rate_fit *f)
{
	float lo = RATE_QMIN, hi = RATE_QMAX, q, step;

	if (rate_fit_predict(f, lo) >= f->target)
		return lo;
	if (rate_fit_predict(f, hi) <= f->target)
		return hi;
	/* 20 halvings: steps of 1e-6 in quality, far below what changes the output. */
	for (int i = 0; i < 20; i++) {
		float mid = 0.5f * (lo + hi);

		if (rate_fit_predict(f, mid) < f->target)
			lo = mid;
		else
			hi = mid;
	}
	q = 0.5f * (lo + hi);
	/* Next to a step the target may fall in its jump, where no quality gives it: take the
	 * nearer side, and either way keep clear of the step so that the side is certain. */
	step = roundf(q * 10.0f) / 10.0f;
	if (fabsf(q - step) < 2e-3f && step > RATE_QMIN && step <= RATE_QMAX)
		q = miss(f, step - 2e-3f) < miss(f, step) ? step - 2e-3f : step;
	return q;
}

void rate_plan_make(struct rate_plan *p, long long frames, long rate)
{
	double seconds = (double)frames / rate;
	double sample = fmax(SAMPLE_SHARE * seconds, MIN_SAMPLE);
	int n = (int)lround(sample / EXCERPT);
	long long len;

	p->n = 0;
	if (sample * 2 > seconds)
		return;
	n = n < 3 ? 3 : n > RATE_MAX_EXCERPTS ? RATE_MAX_EXCERPTS : n;
	len = (long long)(sample / n * rate);
	/* Excerpt i is centred on (i + 1/2) / n of the track. */
	for (int i = 0; i < n; i++) {
		p->start[i] = (2 * i + 1) * frames / (2 * n) - len / 2;
		p->len[i] = len;
	}
	p->n = n;
}
