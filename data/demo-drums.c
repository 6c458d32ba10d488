#include "config.h"
#include "demo-voice.h"

#include <stdlib.h>
#include <string.h>

/* Drum voices: pitch-swept sines, filtered noise and clusters of square waves. Each is a
 * single decaying sound; demo-instr.c renders them once per track and replays them. */

size_t drum_kick(struct rctx *r)
{
	const struct chan *c = r->c;
	float fhi = 110.0f + 100.0f * c->tone, flo = 43.0f + 8.0f * c->tone + r->nt->pitch[0];
	float t60 = 0.25f + 0.75f * c->decay, a = r->nt->vel, ac = dsp_decay(t60);
	float pd = 1.0f, pc = dsp_decay(0.10f + 0.10f * c->decay);
	size_t len = voice_frames(r, t60), click = (size_t)(0.004f * SR), i;
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

size_t drum_tom(struct rctx *r)
{
	float f = dsp_midi_hz(r->nt->pitch[0]), a = r->nt->vel, ac = dsp_decay(0.5f);
	float pd = 1.0f, pc = dsp_decay(0.15f);
	size_t len = voice_frames(r, 0.5f), i;
	uint32_t ph = 0;

	for (i = 0; i < len; i++) {
		ph += (uint32_t)(f * (1.0f + 0.6f * pd) * HZ2INC);
		pd *= pc;
		r->s[i] = a * (0.9f * dsp_sin(ph) + 0.1f * dsp_noise(&r->m->noise) * pd);
		a *= ac;
	}
	return len;
}

size_t drum_snare(struct rctx *r)
{
	const struct chan *c = r->c;
	float f = 180.0f + 20.0f * r->nt->pitch[0];
	float at = r->nt->vel, ac = dsp_decay(0.12f);
	float an = r->nt->vel, anc = dsp_decay(0.15f + 0.25f * c->decay);
	size_t len = voice_frames(r, 0.15f + 0.25f * c->decay), i;
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

size_t drum_clap(struct rctx *r)
{
	float tail = 0.18f + 0.2f * r->c->decay, a, burst = dsp_decay(0.03f);
	size_t len = voice_frames(r, tail + 0.03f), gap = (size_t)(0.011f * SR), i;
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
	size_t len = voice_frames(r, gate > 0.0f && gate < t60 ? gate + 0.06f : t60), i, k;
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

size_t drum_hat(struct rctx *r)
{
	return metal(r, 2.0f, 0.45f, 6500.0f + 2500.0f * r->c->tone, 0.04f + 0.05f * r->c->decay,
		     0.0f, 0.0f);
}

size_t drum_ohat(struct rctx *r)
{
	return metal(r, 2.0f, 0.45f, 6000.0f + 2500.0f * r->c->tone, 0.3f + 0.3f * r->c->decay,
		     r->nt->dur, 0.0f);
}

size_t drum_ride(struct rctx *r)
{
	size_t len = metal(r, 3.1f, 0.25f, 3000.0f, 0.6f + 0.6f * r->c->decay, 0.0f,
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

size_t drum_crash(struct rctx *r)
{
	return metal(r, 2.6f, 0.6f, 4000.0f, 1.4f + 1.0f * r->c->decay, 0.0f, 0.0f);
}

size_t drum_rim(struct rctx *r)
{
	uint32_t p1 = 0, p2 = 0, i1 = dsp_inc(1720.0), i2 = dsp_inc(830.0);
	float a = r->nt->vel, ac = dsp_decay(0.05f);
	size_t len = voice_frames(r, 0.06f), i;
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
	size_t len = voice_frames(r, attack + t60), na = (size_t)(attack * SR), i;
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

size_t drum_shaker(struct rctx *r)
{
	return swish(r, 0.012f, 0.06f + 0.06f * r->c->decay, 4500.0f + 2000.0f * r->c->tone, 0.0f);
}

size_t drum_brush(struct rctx *r)
{
	return swish(r, 0.01f, 0.12f + 0.25f * r->c->decay, 600.0f, 2500.0f + 1500.0f * r->c->tone);
}
