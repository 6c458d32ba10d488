#include "config.h"
#include "demo-voice.h"

#include <stdlib.h>
#include <string.h>

/* Plucked strings, bass and melody instruments. */

void ks_start(struct ks *k, float hz, float t60, float soft, float exc_hz, uint32_t *noise)
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


/* ---- bass ---- */

size_t voice_bass_sub(struct rctx *r)
{
	const struct note *nt = r->nt;
	float f = dsp_midi_hz(nt->pitch[0]), gl = 0.06f * r->c->tone, glc = dsp_decay(0.05f);
	struct env e;
	size_t len, i;
	uint32_t ph = 0, ph2 = 0;

	env_start(&e, 0.004f, 0.5f + r->c->decay, 0.7f, 0.06f, nt->dur);
	len = voice_frames(r, nt->dur + 0.3f);
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

size_t voice_bass_synth(struct rctx *r)
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
	len = voice_frames(r, nt->dur + 0.25f);
	for (i = 0; i < len; i++) {
		float x;

		if ((i & 31) == 0)
			svf_set(&lp, base + amt * fe, 1.2f);
		fe *= fec;
		ph = dsp_wrap(ph + dt);
		sub += sinc;
		x = svf_lp(&lp, dsp_saw(ph, dt)) + 0.5f * dsp_sin(sub);
		r->s[i] = nt->vel * env_tick(&e) * x;
	}
	return len;
}

size_t voice_bass_upright(struct rctx *r)
{
	const struct note *nt = r->nt;
	float f = dsp_midi_hz(nt->pitch[0]), a = 1.0f, ac = dsp_decay(1.2f + r->c->decay);
	float rel = 1.0f, rc = dsp_decay(0.1f);
	size_t len = voice_frames(r, nt->dur + 0.15f), gate = (size_t)(nt->dur * SR), i;
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

size_t voice_bell(struct rctx *r)
{
	const struct note *nt = r->nt;
	float f = dsp_midi_hz(nt->pitch[0]), t60 = 2.0f + 3.0f * r->c->decay;
	float a = nt->vel, ac = dsp_decay(t60), ie = 1.0f, iec = dsp_decay(1.2f);
	float idx0 = 1.0f + 2.0f * r->c->tone;
	size_t len = voice_frames(r, t60), i;
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

size_t voice_lead_saw(struct rctx *r)
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
	len = voice_frames(r, nt->dur + 0.2f + 0.2f * c->decay);
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

size_t voice_lead_square(struct rctx *r)
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
	len = voice_frames(r, nt->dur + 0.15f);
	for (i = 0; i < len; i++) {
		float dt = f * vib_tick(&v, i) / SR;

		ph = dsp_wrap(ph + dt);
		r->s[i] = 0.5f * nt->vel * env_tick(&e) *
			  svf_lp(&lp, dsp_saw(ph, dt) - dsp_saw(dsp_wrap(ph + 0.35f), dt));
	}
	return len;
}

size_t voice_pluck(struct rctx *r)
{
	const struct note *nt = r->nt;
	const struct chan *c = r->c;
	float f = dsp_midi_hz(nt->pitch[0]), dt = f / SR, ph = 0.0f, ph2 = 0.0f;
	float fe = 1.0f, fec = dsp_decay(0.25f + 0.3f * c->decay);
	struct svf lp = { 0 };
	struct env e;
	size_t len, i;

	env_start(&e, 0.002f, 0.4f + 0.6f * c->decay, 0.0f, 0.1f, nt->dur);
	len = voice_frames(r, nt->dur + 0.15f);
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

size_t voice_flute(struct rctx *r)
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
	len = voice_frames(r, nt->dur + 0.15f);
	for (i = 0; i < len; i++) {
		float g = env_tick(&e), n = svf_bp(&bp, dsp_noise(&r->m->noise)), x;

		ph += (uint32_t)(f * vib_tick(&v, i) * HZ2INC);
		x = dsp_sin(ph) + 0.18f * dsp_sin(2 * ph) + 0.05f * dsp_sin(3 * ph);
		x += (breath + (i < chiff ? 0.4f * (float)(chiff - i) / (float)chiff : 0.0f)) * n;
		r->s[i] = 0.6f * nt->vel * g * x;
	}
	return len;
}

size_t voice_vibes(struct rctx *r)
{
	const struct note *nt = r->nt;
	float f = dsp_midi_hz(nt->pitch[0]), a1 = nt->vel, a4 = 0.35f * nt->vel;
	float a10 = f * 10.0f < 16000.0f ? 0.08f * nt->vel : 0.0f;
	float c1 = dsp_decay(2.0f + 2.0f * r->c->decay), c4 = dsp_decay(0.6f), c10 = dsp_decay(0.2f);
	float rc = dsp_decay(0.35f);
	size_t len = voice_frames(r, nt->dur + 0.6f), gate = (size_t)((nt->dur + 0.25f) * SR), i;
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
size_t voice_sax(struct rctx *r)
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
	len = voice_frames(r, nt->dur + 0.12f);
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

size_t voice_lead_gtr(struct rctx *r)
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
	len = voice_frames(r, nt->dur + 0.15f);
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
