#include "config.h"
#include "demo-instr.h"

#include "demo-dsp.h"

#include <stdlib.h>
#include <string.h>

/* Everything a renderer needs: it writes frames [0, len) of r->s (and of r->s2 when it sets
 * r->stereo) and returns len, never more than r->max. */
struct rctx {
	struct mix *m;
	const struct chan *c;
	const struct note *nt;
	float *s, *s2;
	size_t max;
	int stereo;
};

typedef size_t (*render_fn)(struct rctx *r);

#define HZ2INC ((float)(4294967296.0 / SR))

static size_t frames(struct rctx *r, float seconds)
{
	size_t n = seconds > 0.0f ? (size_t)(seconds * SR) : 0;

	return n < r->max ? n : r->max;
}

static float clampf(float x, float lo, float hi)
{
	return x < lo ? lo : x > hi ? hi : x;
}

/* ---- drums ---- */

static size_t r_kick(struct rctx *r)
{
	const struct chan *c = r->c;
	float fhi = 110.0f + 100.0f * c->tone, flo = 43.0f + 8.0f * c->tone + r->nt->pitch[0];
	float t60 = 0.25f + 0.75f * c->decay, a = r->nt->vel, ac = dsp_decay(t60);
	float pd = 1.0f, pc = dsp_decay(0.10f + 0.10f * c->decay);
	size_t len = frames(r, t60), click = (size_t)(0.004f * SR), i;
	struct onepole lp = { 0 };
	uint32_t ph = 0;

	onepole_set(&lp, 2500.0f);
	for (i = 0; i < len; i++) {
		float x;

		ph += (uint32_t)((flo + (fhi - flo) * pd) * HZ2INC);
		pd *= pc;
		x = dsp_sin(ph) * a;
		a *= ac;
		if (i < click)
			x += 0.5f * c->tone * r->nt->vel * onepole_lp(&lp, dsp_noise(&r->m->noise)) *
			     (float)(click - i) / (float)click;
		r->s[i] = 0.8f * dsp_sat(1.6f * x);
	}
	return len;
}

static size_t r_tom(struct rctx *r)
{
	float f = dsp_midi_hz(r->nt->pitch[0]), a = r->nt->vel, ac = dsp_decay(0.5f);
	float pd = 1.0f, pc = dsp_decay(0.15f);
	size_t len = frames(r, 0.5f), i;
	uint32_t ph = 0;

	for (i = 0; i < len; i++) {
		ph += (uint32_t)(f * (1.0f + 0.6f * pd) * HZ2INC);
		pd *= pc;
		r->s[i] = a * (0.9f * dsp_sin(ph) + 0.1f * dsp_noise(&r->m->noise) * pd);
		a *= ac;
	}
	return len;
}

static size_t r_snare(struct rctx *r)
{
	const struct chan *c = r->c;
	float f = 180.0f + 20.0f * r->nt->pitch[0];
	float at = r->nt->vel, ac = dsp_decay(0.12f);
	float an = r->nt->vel, anc = dsp_decay(0.15f + 0.25f * c->decay);
	size_t len = frames(r, 0.15f + 0.25f * c->decay), i;
	struct onepole hp = { 0 }, lp = { 0 };
	uint32_t p1 = 0, p2 = 0, i1 = dsp_inc(f), i2 = dsp_inc(f * 1.72f);

	onepole_set(&hp, 1200.0f);
	onepole_set(&lp, 3000.0f + 7000.0f * c->tone);
	for (i = 0; i < len; i++) {
		float n = dsp_noise(&r->m->noise);

		n = onepole_lp(&lp, n - onepole_lp(&hp, n));
		p1 += i1;
		p2 += i2;
		r->s[i] = 0.5f * at * (dsp_sin(p1) + 0.5f * dsp_sin(p2)) + 0.9f * an * n;
		at *= ac;
		an *= anc;
	}
	return len;
}

static size_t r_clap(struct rctx *r)
{
	float tail = 0.18f + 0.2f * r->c->decay, a, burst = dsp_decay(0.03f);
	size_t len = frames(r, tail + 0.03f), gap = (size_t)(0.011f * SR), i;
	struct svf bp = { 0 };

	svf_set(&bp, 1100.0f + 600.0f * r->c->tone, 1.4f);
	a = 1.0f;
	for (i = 0; i < len; i++) {
		if (i == gap || i == 2 * gap)
			a = 1.0f;
		else if (i == 3 * gap)
			burst = dsp_decay(tail);
		r->s[i] = 2.0f * r->nt->vel * a * svf_bp(&bp, dsp_noise(&r->m->noise));
		a *= burst;
	}
	return len;
}

/* Six detuned square waves, the classic analogue cymbal source. */
static const float metal_hz[6] = { 205.3f, 304.4f, 369.6f, 522.7f, 540.0f, 800.0f };

static size_t metal(struct rctx *r, float scale, float noise_mix, float hp_hz, float t60,
		    float gate, float bp_hz)
{
	uint32_t ph[6], inc[6];
	float a = r->nt->vel, ac = dsp_decay(t60), rc = dsp_decay(0.06f);
	size_t len = frames(r, gate > 0.0f && gate < t60 ? gate + 0.06f : t60), i, k;
	size_t g = gate > 0.0f ? (size_t)(gate * SR) : len;
	struct svf hp = { 0 }, bp = { 0 };

	for (k = 0; k < 6; k++) {
		ph[k] = (uint32_t)(k * 0x2545f491u);
		inc[k] = dsp_inc(metal_hz[k] * scale);
	}
	svf_set(&hp, hp_hz, 0.8f);
	svf_set(&bp, bp_hz, 0.7f);
	for (i = 0; i < len; i++) {
		int sum = 0;
		float x;

		for (k = 0; k < 6; k++) {
			ph[k] += inc[k];
			sum += (int)(ph[k] >> 31);
		}
		x = (1.0f - noise_mix) * ((float)sum - 3.0f) * (1.0f / 3.0f) +
		    noise_mix * dsp_noise(&r->m->noise);
		x = svf_hp(&hp, x);
		if (bp_hz > 0.0f)
			x = 0.6f * x + 1.2f * svf_bp(&bp, x);
		r->s[i] = a * x;
		a *= i < g ? ac : rc;
	}
	return len;
}

static size_t r_hat(struct rctx *r)
{
	return metal(r, 2.0f, 0.45f, 6500.0f + 2500.0f * r->c->tone, 0.04f + 0.05f * r->c->decay,
		     0.0f, 0.0f);
}

static size_t r_ohat(struct rctx *r)
{
	return metal(r, 2.0f, 0.45f, 6000.0f + 2500.0f * r->c->tone, 0.3f + 0.3f * r->c->decay,
		     r->nt->dur, 0.0f);
}

static size_t r_ride(struct rctx *r)
{
	size_t len = metal(r, 3.1f, 0.25f, 3000.0f, 0.9f + 0.8f * r->c->decay, 0.0f,
			   4200.0f + 1500.0f * r->c->tone);
	uint32_t p1 = 0, p2 = 0, i1 = dsp_inc(2950.0), i2 = dsp_inc(4410.0);
	float a = 0.25f * r->nt->vel, ac = dsp_decay(0.5f);
	size_t i;

	for (i = 0; i < len; i++) {
		p1 += i1;
		p2 += i2;
		r->s[i] += a * (dsp_sin(p1) + 0.6f * dsp_sin(p2));
		a *= ac;
	}
	return len;
}

static size_t r_crash(struct rctx *r)
{
	return metal(r, 2.6f, 0.6f, 4000.0f, 1.4f + 1.0f * r->c->decay, 0.0f, 0.0f);
}

static size_t r_rim(struct rctx *r)
{
	uint32_t p1 = 0, p2 = 0, i1 = dsp_inc(1720.0), i2 = dsp_inc(830.0);
	float a = r->nt->vel, ac = dsp_decay(0.05f);
	size_t len = frames(r, 0.06f), i;
	struct onepole hp = { 0 };

	onepole_set(&hp, 2000.0f);
	for (i = 0; i < len; i++) {
		float n = dsp_noise(&r->m->noise);

		p1 += i1;
		p2 += i2;
		r->s[i] = a * (0.6f * dsp_sin(p1) + 0.4f * dsp_sin(p2) +
			       (i < 150 ? 0.5f * (n - onepole_lp(&hp, n)) : 0.0f));
		a *= ac;
	}
	return len;
}

/* Shaker and brush: band-limited noise with a soft attack. */
static size_t swish(struct rctx *r, float attack, float t60, float hp_hz, float bp_hz)
{
	size_t len = frames(r, attack + t60), na = (size_t)(attack * SR), i;
	float a = 0.0f, ac = dsp_decay(t60);
	struct svf hp = { 0 }, bp = { 0 };

	svf_set(&hp, hp_hz, 0.7f);
	svf_set(&bp, bp_hz, 0.6f);
	for (i = 0; i < len; i++) {
		float x = svf_hp(&hp, dsp_noise(&r->m->noise));

		if (bp_hz > 0.0f)
			x = svf_bp(&bp, x);
		a = i < na ? (float)i / (float)na : a * ac;
		r->s[i] = r->nt->vel * a * x;
	}
	return len;
}

static size_t r_shaker(struct rctx *r)
{
	return swish(r, 0.012f, 0.06f + 0.06f * r->c->decay, 4500.0f + 2000.0f * r->c->tone, 0.0f);
}

static size_t r_brush(struct rctx *r)
{
	return swish(r, 0.01f, 0.12f + 0.25f * r->c->decay, 600.0f, 2500.0f + 1500.0f * r->c->tone);
}

/* ---- plucked strings (Karplus-Strong) ---- */

#define KS_LEN 4096
#define KS_MASK (KS_LEN - 1)

struct ks {
	float buf[KS_LEN];
	size_t w, n;
	float frac, g, s, prev;
};

/* Tunes a string to hz, fills it with noise low-passed at exc_hz and shaped by a pluck
 * position comb, and sets the loop gain for a t60 decay; soft (0..0.5) darkens the loop. */
static void ks_start(struct ks *k, float hz, float t60, float soft, float exc_hz,
		     uint32_t *noise)
{
	float period = (float)SR / hz - 0.5f - soft;
	size_t i, fill, pick;
	struct onepole lp = { 0 };

	if (period < 2.0f)
		period = 2.0f;
	if (period > KS_LEN - 4)
		period = KS_LEN - 4;
	k->n = (size_t)period;
	k->frac = period - (float)k->n;
	k->g = powf(10.0f, -3.0f * period / (t60 * SR));
	k->s = soft;
	k->prev = 0.0f;
	fill = k->n + 2;
	pick = fill / 7 + 1;
	onepole_set(&lp, exc_hz);
	memset(k->buf, 0, sizeof(k->buf));
	for (i = 0; i < fill; i++)
		k->buf[i] = onepole_lp(&lp, dsp_noise(noise));
	for (i = fill; i-- > pick;)
		k->buf[i] -= 0.7f * k->buf[i - pick];
	k->w = fill;
}

static inline float ks_tick(struct ks *k)
{
	float a = k->buf[(k->w - k->n) & KS_MASK], b = k->buf[(k->w - k->n - 1) & KS_MASK];
	float y = a + k->frac * (b - a);
	float v = (1.0f - k->s) * y + k->s * k->prev;

	k->prev = y;
	k->buf[k->w & KS_MASK] = k->g * v;
	k->w++;
	return y;
}

/* ---- bass ---- */

static size_t r_bass_sub(struct rctx *r)
{
	const struct note *nt = r->nt;
	float f = dsp_midi_hz(nt->pitch[0]), gl = 0.06f * r->c->tone, glc = dsp_decay(0.05f);
	struct env e;
	size_t len, i;
	uint32_t ph = 0, ph2 = 0;

	env_start(&e, 0.004f, 0.5f + r->c->decay, 0.7f, 0.06f, nt->dur);
	len = frames(r, nt->dur + 0.3f);
	for (i = 0; i < len; i++) {
		uint32_t inc = (uint32_t)(f * (1.0f + gl) * HZ2INC);
		float x;

		gl *= glc;
		ph += inc;
		ph2 += 2 * inc;
		x = nt->vel * env_tick(&e) * (dsp_sin(ph) + 0.15f * dsp_sin(ph2));
		r->s[i] = 0.9f * dsp_sat(1.3f * x);
	}
	return len;
}

static size_t r_bass_synth(struct rctx *r)
{
	const struct note *nt = r->nt;
	const struct chan *c = r->c;
	float f = dsp_midi_hz(nt->pitch[0]), dt = f / SR, ph = 0.0f;
	float base = 150.0f + 250.0f * c->tone, amt = 500.0f + 2500.0f * c->tone;
	float fe = 1.0f, fec = dsp_decay(0.15f + 0.3f * c->decay);
	struct env e;
	struct svf lp = { 0 };
	size_t len, i;
	uint32_t sub = 0, sinc = dsp_inc(f * 0.5f);

	env_start(&e, 0.003f, 0.4f, 0.8f, 0.04f, nt->dur);
	len = frames(r, nt->dur + 0.25f);
	for (i = 0; i < len; i++) {
		float x;

		if ((i & 15) == 0)
			svf_set(&lp, base + amt * fe, 1.2f);
		fe *= fec;
		ph = dsp_wrap(ph + dt);
		sub += sinc;
		x = svf_lp(&lp, dsp_saw(ph, dt)) + 0.5f * dsp_sin(sub);
		r->s[i] = nt->vel * env_tick(&e) * x;
	}
	return len;
}

static size_t r_bass_upright(struct rctx *r)
{
	const struct note *nt = r->nt;
	float f = dsp_midi_hz(nt->pitch[0]), a = 1.0f, ac = dsp_decay(1.2f + r->c->decay);
	float rel = 1.0f, rc = dsp_decay(0.1f);
	size_t len = frames(r, nt->dur + 0.15f), gate = (size_t)(nt->dur * SR), i;
	struct ks *k = malloc(sizeof(*k));
	uint32_t ph = 0, inc = dsp_inc(f);

	if (!k)
		return 0;
	ks_start(k, f, 1.5f, 0.45f, 700.0f + 600.0f * r->c->tone, &r->m->noise);
	for (i = 0; i < len; i++) {
		float body = i < 100 ? (float)i / 100.0f : a;

		ph += inc;
		if (i >= gate)
			rel *= rc;
		r->s[i] = nt->vel * rel * (1.4f * ks_tick(k) + 0.7f * body * dsp_sin(ph));
		a *= ac;
	}
	free(k);
	return len;
}

/* ---- chords ---- */

/* A detuned-saw pad, left and right oscillators detuned in opposite directions, each side
 * through its own slowly swept low-pass. */
static size_t r_pad(struct rctx *r)
{
	const struct note *nt = r->nt;
	const struct chan *c = r->c;
	float phl[NOTE_MAX], phr[NOTE_MAX], dtl[NOTE_MAX], dtr[NOTE_MAX];
	float cut = 500.0f + 3000.0f * c->tone, scale = nt->vel * 0.6f / sqrtf((float)nt->n);
	float det = 0.006f + 0.004f * c->decay;
	struct svf fl = { 0 }, fr = { 0 };
	struct env e;
	size_t len, i;
	uint32_t lfo = (uint32_t)(nt->t * 1000.0) * 2654435761u, linc = dsp_inc(0.13);
	int k;

	for (k = 0; k < nt->n; k++) {
		float f = dsp_midi_hz(nt->pitch[k]);

		dtl[k] = f * (1.0f - det) / SR;
		dtr[k] = f * (1.0f + det) / SR;
		phl[k] = 0.5f * (dsp_noise(&r->m->noise) + 1.0f);
		phr[k] = 0.5f * (dsp_noise(&r->m->noise) + 1.0f);
	}
	env_start(&e, 0.25f + 1.0f * c->decay, 1.0f, 1.0f, 0.6f + 1.2f * c->decay, nt->dur);
	len = frames(r, nt->dur + 0.6f + 1.2f * c->decay);
	r->stereo = 1;
	for (i = 0; i < len; i++) {
		float xl = 0.0f, xr = 0.0f, g;

		if ((i & 31) == 0) {
			float m = 1.0f + 0.3f * dsp_sin(lfo);

			svf_set(&fl, cut * m, 0.8f);
			svf_set(&fr, cut * (2.0f - m), 0.8f);
		}
		lfo += linc;
		for (k = 0; k < nt->n; k++) {
			phl[k] = dsp_wrap(phl[k] + dtl[k]);
			phr[k] = dsp_wrap(phr[k] + dtr[k]);
			xl += dsp_saw(phl[k], dtl[k]);
			xr += dsp_saw(phr[k], dtr[k]);
		}
		g = scale * env_tick(&e);
		r->s[i] = g * svf_lp(&fl, xl);
		r->s2[i] = g * svf_lp(&fr, xr);
	}
	return len;
}

static size_t r_stab(struct rctx *r)
{
	const struct note *nt = r->nt;
	const struct chan *c = r->c;
	float ph[2 * NOTE_MAX], dt[2 * NOTE_MAX], fe = 1.0f, fec = dsp_decay(0.2f + 0.4f * c->decay);
	float scale = nt->vel * 0.5f / sqrtf((float)nt->n);
	struct svf lp = { 0 };
	struct env e;
	size_t len, i;
	int k, nosc = 2 * nt->n;

	for (k = 0; k < nosc; k++) {
		dt[k] = dsp_midi_hz(nt->pitch[k / 2]) * ((k & 1) ? 1.004f : 0.996f) / SR;
		ph[k] = 0.5f * (dsp_noise(&r->m->noise) + 1.0f);
	}
	env_start(&e, 0.002f, 0.3f + 0.6f * c->decay, 0.3f, 0.06f, nt->dur);
	len = frames(r, nt->dur + 0.1f);
	for (i = 0; i < len; i++) {
		float x = 0.0f;

		if ((i & 15) == 0)
			svf_set(&lp, 300.0f + (700.0f + 4000.0f * c->tone) * fe, 1.3f);
		fe *= fec;
		for (k = 0; k < nosc; k++) {
			ph[k] = dsp_wrap(ph[k] + dt[k]);
			x += dsp_saw(ph[k], dt[k]);
		}
		r->s[i] = scale * env_tick(&e) * svf_lp(&lp, x);
	}
	return len;
}

/* Electric piano: a 1:1 phase-modulation pair whose index falls after the strike, plus a
 * short high "tine" partial. Each note decays on its own; the damper acts at the gate. */
static size_t r_ep(struct rctx *r)
{
	const struct note *nt = r->nt;
	const struct chan *c = r->c;
	size_t len = frames(r, nt->dur + 0.3f), gate = (size_t)(nt->dur * SR), i;
	int k;

	memset(r->s, 0, len * sizeof(float));
	for (k = 0; k < nt->n; k++) {
		float f = dsp_midi_hz(nt->pitch[k]);
		float a = nt->vel / sqrtf((float)nt->n), ac = dsp_decay(clampf(
			2.5f + 2.0f * c->decay - 0.04f * (nt->pitch[k] - 60.0f), 0.8f, 6.0f));
		float ie = 1.0f, iec = dsp_decay(0.7f), rc = dsp_decay(0.25f);
		float idx0 = 0.2f + 1.8f * nt->vel * c->tone, tine = 0.25f * nt->vel;
		float tc = dsp_decay(0.15f);
		uint32_t pc = 0, pm = 0, pt = 0, inc = dsp_inc(f), tinc = dsp_inc(f * 7.0f);

		if (f * 7.0f > 16000.0f)
			tine = 0.0f;
		for (i = 0; i < len; i++) {
			float idx = idx0 * ie + 0.15f;

			pc += inc;
			pm += inc;
			pt += tinc;
			ie *= iec;
			r->s[i] += a * (dsp_sin(pc + dsp_pm(idx * dsp_sin(pm))) + tine * dsp_sin(pt));
			tine *= tc;
			a *= i < gate ? ac : rc;
		}
	}
	return len;
}

/* Piano: six slightly stretched partials, the upper ones dying faster, plus a hammer thump. */
static size_t r_piano(struct rctx *r)
{
	const struct note *nt = r->nt;
	const struct chan *c = r->c;
	size_t len = frames(r, nt->dur + 0.35f), gate = (size_t)(nt->dur * SR), i;
	float bright = clampf(0.35f + 0.45f * nt->vel * (0.5f + c->tone), 0.2f, 0.9f);
	struct onepole lp = { 0 };
	int k, p;

	onepole_set(&lp, 2500.0f);
	for (i = 0; i < len; i++)
		r->s[i] = i < 220 ? 0.12f * nt->vel * onepole_lp(&lp, dsp_noise(&r->m->noise)) : 0.0f;
	for (k = 0; k < nt->n; k++) {
		float f = dsp_midi_hz(nt->pitch[k]), rc = dsp_decay(0.25f);
		float t1 = clampf(4.0f - 0.06f * (nt->pitch[k] - 48.0f), 1.0f, 6.0f) *
			   (0.6f + 0.8f * c->decay);
		float amp[6], dc[6];
		uint32_t ph[6], inc[6];
		int np = 0;

		for (p = 1; p <= 6; p++) {
			float fp = (float)p * f * sqrtf(1.0f + 0.0004f * (float)(p * p));

			if (fp > 15000.0f)
				break;
			amp[np] = nt->vel / sqrtf((float)nt->n) * powf(bright, (float)(p - 1)) /
				  (float)p;
			dc[np] = dsp_decay(t1 / (1.0f + 0.6f * (float)(p - 1)));
			inc[np] = dsp_inc(fp);
			ph[np] = 0;
			np++;
		}
		for (i = 0; i < len; i++) {
			float x = 0.0f, att = i < 90 ? (float)i / 90.0f : 1.0f;

			for (p = 0; p < np; p++) {
				ph[p] += inc[p];
				x += amp[p] * dsp_sin(ph[p]);
				amp[p] *= i < gate ? dc[p] : rc;
			}
			r->s[i] += att * x;
		}
	}
	return len;
}

/* Distorted power chord: detuned saws, an amplitude envelope in front of the clipper (so a
 * dying note gets cleaner, as a real amp does) and a speaker-cabinet low-pass after it. */
static size_t r_power(struct rctx *r)
{
	const struct note *nt = r->nt;
	const struct chan *c = r->c;
	int mute = nt->flags & NOTE_MUTE, k, nosc = 2 * nt->n;
	float ph[2 * NOTE_MAX], dt[2 * NOTE_MAX], drive = 4.0f + 10.0f * c->tone;
	struct svf cab = { 0 };
	struct onepole hp = { 0 };
	struct env e;
	size_t len, i;

	for (k = 0; k < nosc; k++) {
		dt[k] = dsp_midi_hz(nt->pitch[k / 2]) * ((k & 1) ? 1.003f : 0.997f) / SR;
		ph[k] = 0.5f * (dsp_noise(&r->m->noise) + 1.0f);
	}
	env_start(&e, 0.002f, mute ? 0.15f : 3.0f, mute ? 0.0f : 0.6f, 0.05f, nt->dur);
	svf_set(&cab, mute ? 1300.0f : 2600.0f + 1200.0f * c->tone, 0.9f);
	onepole_set(&hp, 110.0f);
	len = frames(r, nt->dur + 0.1f);
	for (i = 0; i < len; i++) {
		float x = 0.0f;

		for (k = 0; k < nosc; k++) {
			ph[k] = dsp_wrap(ph[k] + dt[k]);
			x += dsp_saw(ph[k], dt[k]);
		}
		x = dsp_sat(drive * nt->vel * env_tick(&e) * x / (float)nosc);
		x = svf_lp(&cab, x);
		r->s[i] = 0.8f * (x - onepole_lp(&hp, x));
	}
	return len;
}

/* Strummed strings: one Karplus-Strong string per pitch, each starting a few milliseconds
 * after the last, all damped together at the gate. Nylon is darker and softer. */
static size_t strum(struct rctx *r, float t60, float soft, float exc_hz, float spread)
{
	const struct note *nt = r->nt;
	size_t len = frames(r, nt->dur + 0.12f), gate = (size_t)(nt->dur * SR), i;
	size_t step = (size_t)(spread * SR);
	float rc = dsp_decay(0.1f);
	struct ks *k = malloc(sizeof(*k));
	int j;

	memset(r->s, 0, len * sizeof(float));
	if (!k)
		return len;
	for (j = 0; j < nt->n; j++) {
		int sj = (nt->flags & NOTE_UP) ? nt->n - 1 - j : j;
		size_t off = (size_t)j * step;
		float a = nt->vel * (0.8f + 0.2f * (float)j / (float)nt->n) / sqrtf((float)nt->n);

		ks_start(k, dsp_midi_hz(nt->pitch[sj]), t60, soft, exc_hz, &r->m->noise);
		for (i = off; i < len; i++) {
			r->s[i] += a * ks_tick(k);
			if (i >= gate)
				a *= rc;
		}
	}
	free(k);
	return len;
}

static size_t r_clean_gtr(struct rctx *r)
{
	return strum(r, 2.0f + 2.0f * r->c->decay, 0.25f, 2500.0f + 3000.0f * r->c->tone,
		     0.008f);
}

static size_t r_nylon(struct rctx *r)
{
	return strum(r, 1.5f + 1.5f * r->c->decay, 0.4f, 1200.0f + 1500.0f * r->c->tone, 0.012f);
}

/* Drawbar organ: four sine partials per note with a slow rotary-speaker wobble. */
static size_t r_organ(struct rctx *r)
{
	static const float ratio[4] = { 1.0f, 2.0f, 3.0f, 4.0f };
	const struct note *nt = r->nt;
	float lvl[4] = { 1.0f, 0.6f, 0.3f + 0.4f * r->c->tone, 0.2f + 0.3f * r->c->tone };
	struct env e;
	size_t len, i;
	uint32_t lfo = 0, linc = dsp_inc(5.8);
	int k, p;

	env_start(&e, 0.008f, 1.0f, 1.0f, 0.06f, nt->dur);
	len = frames(r, nt->dur + 0.1f);
	memset(r->s, 0, len * sizeof(float));
	for (k = 0; k < nt->n; k++) {
		uint32_t ph[4] = { 0 }, inc[4];

		for (p = 0; p < 4; p++)
			inc[p] = dsp_inc(dsp_midi_hz(nt->pitch[k]) * ratio[p]);
		for (i = 0; i < len; i++) {
			float x = 0.0f;

			for (p = 0; p < 4; p++) {
				ph[p] += inc[p];
				x += lvl[p] * dsp_sin(ph[p]);
			}
			r->s[i] += x;
		}
	}
	for (i = 0; i < len; i++) {
		lfo += linc;
		r->s[i] *= 0.35f * nt->vel * env_tick(&e) * (1.0f + 0.12f * dsp_sin(lfo)) /
			   sqrtf((float)nt->n);
	}
	return len;
}

/* ---- melody ---- */

/* Vibrato that fades in after `delay` seconds: returns the frequency factor for frame i. */
struct vib {
	uint32_t ph, inc;
	float depth, ramp;
	size_t delay;
};

static void vib_start(struct vib *v, float hz, float semis, float delay)
{
	v->ph = 0;
	v->inc = dsp_inc(hz);
	v->depth = semis * 0.0578f;
	v->delay = (size_t)(delay * SR);
	v->ramp = 1.0f / (0.3f * SR);
}

static inline float vib_tick(struct vib *v, size_t i)
{
	float d;

	if (i < v->delay)
		return 1.0f;
	v->ph += v->inc;
	d = (float)(i - v->delay) * v->ramp;
	return 1.0f + (d < 1.0f ? d : 1.0f) * v->depth * dsp_sin(v->ph);
}

static size_t r_bell(struct rctx *r)
{
	const struct note *nt = r->nt;
	float f = dsp_midi_hz(nt->pitch[0]), t60 = 2.0f + 3.0f * r->c->decay;
	float a = nt->vel, ac = dsp_decay(t60), ie = 1.0f, iec = dsp_decay(1.2f);
	float idx0 = 1.0f + 2.0f * r->c->tone;
	size_t len = frames(r, t60), i;
	uint32_t pc = 0, pm = 0, ic = dsp_inc(f), im = dsp_inc(f * 3.5f);

	for (i = 0; i < len; i++) {
		float att = i < 60 ? (float)i / 60.0f : 1.0f;

		pc += ic;
		pm += im;
		r->s[i] = att * a * dsp_sin(pc + dsp_pm((idx0 * ie + 0.2f) * dsp_sin(pm)));
		a *= ac;
		ie *= iec;
	}
	return len;
}

static size_t r_lead_saw(struct rctx *r)
{
	const struct note *nt = r->nt;
	const struct chan *c = r->c;
	float f = dsp_midi_hz(nt->pitch[0]), p1 = 0.0f, p2 = 0.37f;
	float fe = 1.0f, fec = dsp_decay(0.6f), cut = 600.0f + 4500.0f * c->tone;
	struct svf lp = { 0 };
	struct env e;
	struct vib v;
	size_t len, i;

	env_start(&e, 0.01f, 0.3f, 0.75f, 0.12f + 0.2f * c->decay, nt->dur);
	vib_start(&v, 5.5f, 0.15f, 0.25f);
	len = frames(r, nt->dur + 0.2f + 0.2f * c->decay);
	for (i = 0; i < len; i++) {
		float m = vib_tick(&v, i), d1 = f * m * (1.0f / SR), d2 = d1 * 1.0046f;

		if ((i & 15) == 0)
			svf_set(&lp, cut * (0.4f + 0.6f * fe), 1.0f);
		fe *= fec;
		p1 = dsp_wrap(p1 + d1);
		p2 = dsp_wrap(p2 + d2);
		r->s[i] = 0.5f * nt->vel * env_tick(&e) *
			  svf_lp(&lp, dsp_saw(p1, d1) + dsp_saw(p2, d2));
	}
	return len;
}

static size_t r_lead_square(struct rctx *r)
{
	const struct note *nt = r->nt;
	float f = dsp_midi_hz(nt->pitch[0]), ph = 0.0f;
	struct svf lp = { 0 };
	struct env e;
	struct vib v;
	size_t len, i;

	env_start(&e, 0.012f, 0.4f, 0.8f, 0.1f, nt->dur);
	vib_start(&v, 5.0f, 0.12f, 0.2f);
	svf_set(&lp, 1200.0f + 3000.0f * r->c->tone, 0.9f);
	len = frames(r, nt->dur + 0.15f);
	for (i = 0; i < len; i++) {
		float dt = f * vib_tick(&v, i) / SR;

		ph = dsp_wrap(ph + dt);
		r->s[i] = 0.5f * nt->vel * env_tick(&e) *
			  svf_lp(&lp, dsp_saw(ph, dt) - dsp_saw(dsp_wrap(ph + 0.35f), dt));
	}
	return len;
}

static size_t r_pluck(struct rctx *r)
{
	const struct note *nt = r->nt;
	const struct chan *c = r->c;
	float f = dsp_midi_hz(nt->pitch[0]), dt = f / SR, ph = 0.0f, ph2 = 0.0f;
	float fe = 1.0f, fec = dsp_decay(0.25f + 0.3f * c->decay);
	struct svf lp = { 0 };
	struct env e;
	size_t len, i;

	env_start(&e, 0.002f, 0.4f + 0.6f * c->decay, 0.0f, 0.1f, nt->dur);
	len = frames(r, nt->dur + 0.15f);
	for (i = 0; i < len; i++) {
		if ((i & 15) == 0)
			svf_set(&lp, 250.0f + (1500.0f + 5000.0f * c->tone) * fe, 2.0f);
		fe *= fec;
		ph = dsp_wrap(ph + dt);
		ph2 = dsp_wrap(ph2 + 2.0f * dt);
		r->s[i] = 0.6f * nt->vel * env_tick(&e) *
			  svf_lp(&lp, dsp_saw(ph, dt) + 0.3f * dsp_saw(ph2, 2.0f * dt));
	}
	return len;
}

static size_t r_flute(struct rctx *r)
{
	const struct note *nt = r->nt;
	float f = dsp_midi_hz(nt->pitch[0]), breath = 0.05f + 0.1f * r->c->tone;
	struct svf bp = { 0 };
	struct env e;
	struct vib v;
	size_t len, chiff = (size_t)(0.04f * SR), i;
	uint32_t ph = 0;

	env_start(&e, 0.05f, 0.4f, 0.85f, 0.1f, nt->dur);
	vib_start(&v, 5.0f, 0.2f, 0.18f);
	svf_set(&bp, 2.0f * f, 1.5f);
	len = frames(r, nt->dur + 0.15f);
	for (i = 0; i < len; i++) {
		float g = env_tick(&e), n = svf_bp(&bp, dsp_noise(&r->m->noise)), x;

		ph += (uint32_t)(f * vib_tick(&v, i) * HZ2INC);
		x = dsp_sin(ph) + 0.18f * dsp_sin(2 * ph) + 0.05f * dsp_sin(3 * ph);
		x += (breath + (i < chiff ? 0.4f * (float)(chiff - i) / (float)chiff : 0.0f)) * n;
		r->s[i] = 0.6f * nt->vel * g * x;
	}
	return len;
}

static size_t r_vibes(struct rctx *r)
{
	const struct note *nt = r->nt;
	float f = dsp_midi_hz(nt->pitch[0]), a1 = nt->vel, a4 = 0.35f * nt->vel;
	float a10 = f * 10.0f < 16000.0f ? 0.08f * nt->vel : 0.0f;
	float c1 = dsp_decay(2.0f + 2.0f * r->c->decay), c4 = dsp_decay(0.6f), c10 = dsp_decay(0.2f);
	float rc = dsp_decay(0.35f);
	size_t len = frames(r, nt->dur + 0.6f), gate = (size_t)((nt->dur + 0.25f) * SR), i;
	uint32_t p1 = 0, p4 = 0, p10 = 0, inc = dsp_inc(f), trem = 0, tinc = dsp_inc(5.2);

	for (i = 0; i < len; i++) {
		float tr = 1.0f - 0.3f * (0.5f + 0.5f * dsp_sin(trem));
		float att = i < 40 ? (float)i / 40.0f : 1.0f;

		p1 += inc;
		p4 += 4 * inc;
		p10 += 10 * inc;
		trem += tinc;
		r->s[i] = att * (tr * a1 * dsp_sin(p1) + a4 * dsp_sin(p4) + a10 * dsp_sin(p10));
		if (i >= gate) {
			a1 *= rc;
			a4 *= rc;
			a10 *= rc;
		} else {
			a1 *= c1;
			a4 *= c4;
			a10 *= c10;
		}
	}
	return len;
}

/* A reed-ish lead: saw through a low-pass whose cutoff follows the loudness, a small scoop
 * into each note and a delayed vibrato. */
static size_t r_sax(struct rctx *r)
{
	const struct note *nt = r->nt;
	float f = dsp_midi_hz(nt->pitch[0]), ph = 0.0f, scoop = 0.97f, sc = dsp_decay(0.06f);
	float bright = 1500.0f + 3000.0f * r->c->tone;
	struct svf lp = { 0 }, bp = { 0 };
	struct env e;
	struct vib v;
	size_t len, i;

	env_start(&e, 0.035f, 0.5f, 0.8f, 0.08f, nt->dur);
	vib_start(&v, 5.0f, 0.2f, 0.22f);
	svf_set(&bp, 1500.0f, 1.0f);
	len = frames(r, nt->dur + 0.12f);
	for (i = 0; i < len; i++) {
		float g = env_tick(&e), dt = f * (2.0f - scoop) * vib_tick(&v, i) / SR, x;

		scoop = 1.0f - (1.0f - scoop) * sc;
		if ((i & 15) == 0)
			svf_set(&lp, 350.0f + g * bright, 1.3f);
		ph = dsp_wrap(ph + dt);
		x = svf_lp(&lp, dsp_saw(ph, dt)) + 0.05f * svf_bp(&bp, dsp_noise(&r->m->noise));
		r->s[i] = 0.8f * nt->vel * g * x;
	}
	return len;
}

static size_t r_lead_gtr(struct rctx *r)
{
	const struct note *nt = r->nt;
	float f = dsp_midi_hz(nt->pitch[0]), p1 = 0.0f, p2 = 0.31f, p3 = 0.6f;
	float bend = (nt->flags & NOTE_BEND) ? 0.8909f : 1.0f, bc = dsp_decay(0.25f);
	float drive = 6.0f + 8.0f * r->c->tone;
	struct svf cab = { 0 };
	struct onepole hp = { 0 };
	struct env e;
	struct vib v;
	size_t len, i;

	env_start(&e, 0.004f, 1.0f, 0.6f, 0.1f, nt->dur);
	vib_start(&v, 6.0f, 0.3f, 0.3f);
	svf_set(&cab, 2400.0f + 1000.0f * r->c->tone, 1.0f);
	onepole_set(&hp, 150.0f);
	len = frames(r, nt->dur + 0.15f);
	for (i = 0; i < len; i++) {
		float d1 = f * bend * vib_tick(&v, i) / SR, x;

		bend = 1.0f - (1.0f - bend) * bc;
		p1 = dsp_wrap(p1 + d1);
		p2 = dsp_wrap(p2 + d1 * 1.0035f);
		p3 = dsp_wrap(p3 + d1 * 0.5f);
		x = dsp_saw(p1, d1) + dsp_saw(p2, d1 * 1.0035f) + 0.4f * dsp_saw(p3, 0.5f * d1);
		x = svf_lp(&cab, dsp_sat(drive * nt->vel * env_tick(&e) * x * 0.4f));
		r->s[i] = 0.7f * (x - onepole_lp(&hp, x));
	}
	return len;
}

static const render_fn renderers[I_COUNT] = {
	[I_KICK] = r_kick, [I_SNARE] = r_snare, [I_CLAP] = r_clap, [I_HAT] = r_hat,
	[I_OHAT] = r_ohat, [I_RIDE] = r_ride, [I_CRASH] = r_crash, [I_RIM] = r_rim,
	[I_SHAKER] = r_shaker, [I_BRUSH] = r_brush, [I_TOM] = r_tom,
	[I_BASS_SUB] = r_bass_sub, [I_BASS_SYNTH] = r_bass_synth,
	[I_BASS_UPRIGHT] = r_bass_upright,
	[I_PAD] = r_pad, [I_STAB] = r_stab, [I_EP] = r_ep, [I_PIANO] = r_piano,
	[I_POWER] = r_power, [I_CLEAN_GTR] = r_clean_gtr, [I_NYLON] = r_nylon,
	[I_ORGAN] = r_organ,
	[I_BELL] = r_bell, [I_LEAD_SAW] = r_lead_saw, [I_LEAD_SQUARE] = r_lead_square,
	[I_PLUCK] = r_pluck, [I_FLUTE] = r_flute, [I_VIBES] = r_vibes, [I_SAX] = r_sax,
	[I_LEAD_GTR] = r_lead_gtr,
};

#define SCRATCH_SECONDS 24

int mix_init(struct mix *m, size_t n)
{
	memset(m, 0, sizeof(*m));
	m->n = n;
	m->scap = (size_t)SCRATCH_SECONDS * SR;
	m->l = calloc(4 * n + 2 * m->scap, sizeof(float));
	if (!m->l)
		return -1;
	m->r = m->l + n;
	m->rev = m->r + n;
	m->dly = m->rev + n;
	m->sl = m->dly + n;
	m->sr = m->sl + m->scap;
	m->noise = 0x12345678u;
	return 0;
}

void mix_free(struct mix *m)
{
	free(m->l);
	memset(m, 0, sizeof(*m));
}

void instr_play(struct mix *m, const struct chan *ch, const struct note *nt)
{
	struct rctx r;
	size_t start, len, i;
	float p, th, gl, gr, rev, dly;

	if (nt->t < 0.0 || nt->vel <= 0.0f || nt->n < 1 || ch->gain <= 0.0f)
		return;
	start = (size_t)(nt->t * SR + 0.5);
	if (start >= m->n)
		return;
	r.m = m;
	r.c = ch;
	r.nt = nt;
	r.s = m->sl;
	r.s2 = m->sr;
	r.max = m->n - start < m->scap ? m->n - start : m->scap;
	r.stereo = 0;
	len = renderers[ch->in](&r);

	p = clampf(ch->pan + nt->pan, -1.0f, 1.0f);
	rev = ch->rev * ch->gain;
	dly = ch->dly * ch->gain;
	if (r.stereo) {
		gl = ch->gain * (p > 0.0f ? 1.0f - p : 1.0f);
		gr = ch->gain * (p < 0.0f ? 1.0f + p : 1.0f);
		for (i = 0; i < len; i++) {
			float a = r.s[i], b = r.s2[i], mono = 0.5f * (a + b);

			m->l[start + i] += gl * a;
			m->r[start + i] += gr * b;
			m->rev[start + i] += rev * mono;
			m->dly[start + i] += dly * mono;
		}
		return;
	}
	th = (p + 1.0f) * 0.78539816f;
	gl = ch->gain * cosf(th) * 1.41421356f;
	gr = ch->gain * sinf(th) * 1.41421356f;
	for (i = 0; i < len; i++) {
		float a = r.s[i];

		m->l[start + i] += gl * a;
		m->r[start + i] += gr * a;
		m->rev[start + i] += rev * a;
		m->dly[start + i] += dly * a;
	}
}
