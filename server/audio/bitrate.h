/* Calibrated VBR: finding the libvorbis quality that gives a stated average bitrate on a
 * given piece of audio, and the excerpts to measure it on. libvorbis maps each quality to
 * a nominal bitrate; real material lands anywhere from a quarter to 1.4 times that, and the
 * ratio itself drifts with the quality, in steps where libvorbis changes its setup. So the
 * model goes through the measurements made: between two of them the rate is interpolated
 * (log-linearly in the quality), beyond the last one it follows libvorbis's nominal curve
 * at the ratio measured there. Pure computation, no shared state. */
#ifndef SEGUE_AUDIO_RATE_H
#define SEGUE_AUDIO_RATE_H

#define RATE_QMIN (-0.1f) /* the quality range libvorbis accepts */
#define RATE_QMAX 1.0f
#define RATE_MAX_POINTS 8

struct rate_fit {
	int channels;
	long rate;
	double target;                /* kbps */
	int n;                        /* measurements, in the order made */
	float q[RATE_MAX_POINTS];
	double kbps[RATE_MAX_POINTS];
	double scale;                 /* applied to them all: see rate_fit_rescale */
};

/* libvorbis's nominal bitrate (kbps) for quality q, or -1 if it has no such setup. */
double rate_nominal(int channels, long rate, float q);

/* Starts a fit with no measurement: the model is libvorbis's own mapping. */
void rate_fit_init(struct rate_fit *f, int channels, long rate, double target);

/* Records that quality q gave kbps (replacing an earlier measurement at q). */
void rate_fit_add(struct rate_fit *f, float q, double kbps);

/* The bitrate the model predicts at q. */
double rate_fit_predict(const struct rate_fit *f, float q);

/* The whole track gave kbps at q, where the model (made on a sample) predicted otherwise.
 * If the sample was measured in q's step, the difference is the sample's error: the model
 * is scaled by the ratio, keeping its shape. If not, it is the model's: kbps is recorded as
 * a measurement. */
void rate_fit_rescale(struct rate_fit *f, float q, double kbps);

/* Whether q lies between two measurements in its step, one under the target and one over:
 * the model is then an interpolation, good to about a percent. */
int rate_fit_between(const struct rate_fit *f, float q);

/* Whether a measurement was made in q's step: the model then follows the track's own curve
 * there, not libvorbis's across a jump. */
int rate_fit_in_step(const struct rate_fit *f, float q);

/* Whether q lies in the step just under a measurement made at the lower edge of its own
 * step: there the model crosses one jump, from where the track's rate was measured. */
int rate_fit_below_edge(const struct rate_fit *f, float q);

/* The quality the model predicts for the target, within RATE_QMIN..RATE_QMAX. */
float rate_fit_quality(const struct rate_fit *f);

/* Evenly spread excerpts of a track to calibrate on, in source frames. n == 0 when the
 * track is too short for a sample to save anything: then the whole track is the sample. */
#define RATE_MAX_EXCERPTS 32
struct rate_plan {
	int n;
	long long start[RATE_MAX_EXCERPTS], len[RATE_MAX_EXCERPTS];
};

void rate_plan_make(struct rate_plan *p, long long frames, long rate);

#endif
