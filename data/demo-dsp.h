/* Signal-processing building blocks for the demo generator: oscillators, filters, envelopes,
 * the shared effects (reverb, delay) and the mastering stage.
 *
 * Everything per-sample is a phase accumulator, a table lookup or a few multiplies; anything
 * that needs exp/tan/pow is computed once per note or once per control block, which is what
 * keeps a two-hour catalog well under a minute to render. All state is explicit, so a render
 * is a pure function of its inputs. */
#ifndef SEGUE_DEMO_DSP_H
#define SEGUE_DEMO_DSP_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#define SR 44100
#define SINE_BITS 12
#define SINE_FRAC (32 - SINE_BITS)

extern float dsp_sine_table[(1 << SINE_BITS) + 1];

/* Fills the tables; call once before anything else. */
void dsp_init(void);

/* Phase increment of a 32-bit phase accumulator running at hz. */
static inline uint32_t dsp_inc(double hz)
{
	return (uint32_t)(int64_t)(hz * (4294967296.0 / SR));
}

static inline float dsp_sin(uint32_t ph)
{
	uint32_t i = ph >> SINE_FRAC;
	float f = (float)(ph & ((1u << SINE_FRAC) - 1)) * (1.0f / (float)(1u << SINE_FRAC));

	return dsp_sine_table[i] + f * (dsp_sine_table[i + 1] - dsp_sine_table[i]);
}

/* Phase offset (in accumulator units) for a phase-modulation amount given in radians. */
static inline uint32_t dsp_pm(float rad)
{
	return (uint32_t)(int64_t)(rad * 683565275.6f);
}

static inline float dsp_midi_hz(float note)
{
	return 440.0f * exp2f((note - 69.0f) / 12.0f);
}

/* Per-sample multiplier that decays to -60 dB in t60 seconds. */
static inline float dsp_decay(float t60)
{
	return t60 <= 0.0f ? 0.0f : expf(-6.9077553f / (t60 * SR));
}

/* White noise in [-1, 1) from a xorshift32 state (never zero). */
static inline float dsp_noise(uint32_t *s)
{
	uint32_t x = *s;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*s = x;
	return (float)(int32_t)x * (1.0f / 2147483648.0f);
}

/* Band-limited sawtooth (polyBLEP) at phase ph in [0,1) with increment dt per sample. */
static inline float dsp_saw(float ph, float dt)
{
	float v = 2.0f * ph - 1.0f, x;

	if (ph < dt) {
		x = ph / dt;
		v -= x + x - x * x - 1.0f;
	} else if (ph > 1.0f - dt) {
		x = (ph - 1.0f) / dt;
		v -= x * x + x + x + 1.0f;
	}
	return v;
}

static inline float dsp_wrap(float ph)
{
	return ph >= 1.0f ? ph - 1.0f : ph;
}

/* Smooth saturation with unit slope at zero: x / (1 + |x|). */
static inline float dsp_sat(float x)
{
	return x / (1.0f + fabsf(x));
}

/* State-variable filter (trapezoidal, stable under fast modulation). */
struct svf {
	float ic1, ic2, a1, a2, a3, k;
};

void svf_set(struct svf *f, float hz, float q);

static inline void svf_run(struct svf *f, float v0, float *lp, float *bp)
{
	float v3 = v0 - f->ic2;
	float v1 = f->a1 * f->ic1 + f->a2 * v3;
	float v2 = f->ic2 + f->a2 * f->ic1 + f->a3 * v3;

	f->ic1 = 2.0f * v1 - f->ic1;
	f->ic2 = 2.0f * v2 - f->ic2;
	*lp = v2;
	*bp = v1;
}

static inline float svf_lp(struct svf *f, float x)
{
	float lp, bp;

	svf_run(f, x, &lp, &bp);
	return lp;
}

static inline float svf_bp(struct svf *f, float x)
{
	float lp, bp;

	svf_run(f, x, &lp, &bp);
	return bp;
}

static inline float svf_hp(struct svf *f, float x)
{
	float lp, bp;

	svf_run(f, x, &lp, &bp);
	return x - f->k * bp - lp;
}

/* One-pole low-pass; the high-pass is the input minus it. */
struct onepole {
	float a, z;
};

static inline void onepole_set(struct onepole *p, float hz)
{
	p->a = 1.0f - expf(-6.2831853f * hz / SR);
}

static inline float onepole_lp(struct onepole *p, float x)
{
	p->z += p->a * (x - p->z);
	return p->z;
}

/* ADSR with a linear attack and exponential decay and release. The gate closes after
 * `gate` samples; env_len() says how long until the release is inaudible. */
struct env {
	float v, att, dec, sus, rel;
	uint32_t gate, t;
};

void env_start(struct env *e, float attack, float decay, float sustain, float release,
	       float gate_s);
size_t env_len(const struct env *e, float release);

static inline float env_tick(struct env *e)
{
	if (e->t < e->gate) {
		if (e->att > 0.0f) {
			e->v += e->att;
			if (e->v >= 1.0f) {
				e->v = 1.0f;
				e->att = 0.0f;
			}
		} else {
			e->v = e->sus + (e->v - e->sus) * e->dec;
		}
	} else {
		e->v *= e->rel;
	}
	e->t++;
	return e->v;
}

/* Adds a stereo reverb of the mono send `in` to l and r. size scales the room (0.5..1.5),
 * t60 is the decay time, damp (0..1) darkens the tail. */
int dsp_reverb(const float *in, float *l, float *r, size_t n, float size, float t60, float damp);

/* Adds a ping-pong feedback delay of the mono send `in` to l and r. */
int dsp_delay(const float *in, float *l, float *r, size_t n, float seconds, float feedback,
	      float tone_hz);

/* High-passes both channels in place at about 20 Hz, removing DC and subsonic rumble. */
void dsp_dcblock(float *l, float *r, size_t n);

/* Integrated loudness of a stereo signal in LUFS (ITU-R BS.1770 K-weighting and gating);
 * -70 for silence. */
double dsp_loudness(const float *l, const float *r, size_t n);

#define DSP_CEIL 0.966f

/* The mastering clipper: linear (times DSP_CEIL) up to half scale, then a smooth knee that
 * approaches but never reaches DSP_CEIL (-0.3 dBFS). */

/* How many samples of gain * (l, r) would go into the knee. */
size_t dsp_knee_count(const float *l, const float *r, size_t n, float gain);

/* Writes the clipped gain * (l, r) into (ol, or_). */
void dsp_clip(const float *l, const float *r, size_t n, float gain, float *ol, float *or_);

/* Clips gain * (l, r) and writes 16-bit interleaved frames with triangular dither from a
 * generator seeded with seed. */
void dsp_master(const float *l, const float *r, size_t n, float gain, int16_t *out,
		uint32_t seed);

#endif
