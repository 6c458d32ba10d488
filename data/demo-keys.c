#include "config.h"
#include "demo-voice.h"

#include <stdlib.h>
#include <string.h>

/* Chord instruments: each renders a whole chord (nt->pitch[0..n)) as one sound. */

/* A detuned-saw pad, left and right oscillators detuned in opposite directions, each side
 * through its own slowly swept low-pass. */
size_t keys_pad(struct rctx *r)
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
	len = voice_frames(r, nt->dur + 0.6f + 1.2f * c->decay);
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

size_t keys_stab(struct rctx *r)
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
	len = voice_frames(r, nt->dur + 0.1f);
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
size_t keys_ep(struct rctx *r)
{
	const struct note *nt = r->nt;
	const struct chan *c = r->c;
	size_t len = voice_frames(r, nt->dur + 0.3f), gate = (size_t)(nt->dur * SR), i;
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
size_t keys_piano(struct rctx *r)
{
	const struct note *nt = r->nt;
	const struct chan *c = r->c;
	size_t len = voice_frames(r, nt->dur + 0.35f), gate = (size_t)(nt->dur * SR), i;
	size_t att = len < 90 ? len : 90, hammer = len < 220 ? len : 220;
	float bright = clampf(0.35f + 0.45f * nt->vel * (0.5f + c->tone), 0.2f, 0.9f);
	float rc = dsp_decay(0.25f);
	struct onepole lp = { 0 };
	int k, p;

	if (gate > len)
		gate = len;
	memset(r->s, 0, len * sizeof(float));
	for (k = 0; k < nt->n; k++) {
		float f = dsp_midi_hz(nt->pitch[k]);
		float t1 = clampf(4.0f - 0.06f * (nt->pitch[k] - 48.0f), 1.0f, 6.0f) *
			   (0.6f + 0.8f * c->decay);

		/* one partial at a time: a tight loop with no branches */
		for (p = 1; p <= 6; p++) {
			float fp = (float)p * f * sqrtf(1.0f + 0.0004f * (float)(p * p));
			float rel = powf(bright, (float)(p - 1)) / (float)p;
			float amp = nt->vel / sqrtf((float)nt->n) * rel;
			float dc = dsp_decay(t1 / (1.0f + 0.6f * (float)(p - 1)));
			uint32_t ph = 0, inc = dsp_inc(fp);

			if (fp > 15000.0f || rel < 0.02f)
				break;
			for (i = 0; i < gate; i++) {
				ph += inc;
				r->s[i] += amp * dsp_sin(ph);
				amp *= dc;
			}
			for (; i < len; i++) {
				ph += inc;
				r->s[i] += amp * dsp_sin(ph);
				amp *= rc;
			}
		}
	}
	for (i = 0; i < att; i++)
		r->s[i] *= (float)i / 90.0f;
	onepole_set(&lp, 2500.0f);
	for (i = 0; i < hammer; i++)
		r->s[i] += 0.12f * nt->vel * onepole_lp(&lp, dsp_noise(&r->m->noise));
	return len;
}

/* Distorted power chord: detuned saws, an amplitude envelope in front of the clipper (so a
 * dying note gets cleaner, as a real amp does) and a speaker-cabinet low-pass after it. */
size_t keys_power(struct rctx *r)
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
	len = voice_frames(r, nt->dur + 0.1f);
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
	size_t len = voice_frames(r, nt->dur + 0.12f), gate = (size_t)(nt->dur * SR), i;
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

size_t keys_clean_gtr(struct rctx *r)
{
	return strum(r, 2.0f + 2.0f * r->c->decay, 0.25f, 2500.0f + 3000.0f * r->c->tone,
		     0.008f);
}

size_t keys_nylon(struct rctx *r)
{
	return strum(r, 1.5f + 1.5f * r->c->decay, 0.4f, 1200.0f + 1500.0f * r->c->tone, 0.012f);
}

/* Drawbar organ: four sine partials per note with a slow rotary-speaker wobble. */
size_t keys_organ(struct rctx *r)
{
	static const float ratio[4] = { 1.0f, 2.0f, 3.0f, 4.0f };
	const struct note *nt = r->nt;
	float lvl[4] = { 1.0f, 0.6f, 0.3f + 0.4f * r->c->tone, 0.2f + 0.3f * r->c->tone };
	struct env e;
	size_t len, i;
	uint32_t lfo = 0, linc = dsp_inc(5.8);
	int k, p;

	env_start(&e, 0.008f, 1.0f, 1.0f, 0.06f, nt->dur);
	len = voice_frames(r, nt->dur + 0.1f);
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
