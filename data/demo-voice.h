/* Internal to the instruments (demo-instr.c and the voice files it dispatches to): the
 * render context and the renderers. A renderer writes frames [0, len) of r->s (and of r->s2
 * when it sets r->stereo), returns len, never more than r->max, and draws any noise from
 * r->m->noise so the result is deterministic. */
#ifndef SEGUE_DEMO_VOICE_H
#define SEGUE_DEMO_VOICE_H

#include "demo-dsp.h"
#include "demo-instr.h"

struct rctx {
	struct mix *m;
	const struct chan *c;
	const struct note *nt;
	float *s, *s2;
	size_t max;
	int stereo;
};

#define HZ2INC ((float)(4294967296.0 / SR))

/* Frames in `seconds`, capped to what the renderer may write. */
static inline size_t voice_frames(const struct rctx *r, float seconds)
{
	size_t n = seconds > 0.0f ? (size_t)(seconds * SR) : 0;

	return n < r->max ? n : r->max;
}

static inline float clampf(float x, float lo, float hi)
{
	return x < lo ? lo : x > hi ? hi : x;
}

/* Plucked strings (Karplus-Strong). */
#define KS_LEN 4096
#define KS_MASK (KS_LEN - 1)

struct ks {
	float buf[KS_LEN];
	size_t w, n;
	float frac, g, s, prev;
};

/* Tunes a string to hz, fills it with noise low-passed at exc_hz and shaped by a pluck
 * position comb, and sets the loop gain for a t60 decay; soft (0..0.5) darkens the loop. */
void ks_start(struct ks *k, float hz, float t60, float soft, float exc_hz, uint32_t *noise);

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

/* demo-drums.c; drum renderers use pitch[0] as a tuning offset. */
size_t drum_kick(struct rctx *r);
size_t drum_tom(struct rctx *r);
size_t drum_snare(struct rctx *r);
size_t drum_clap(struct rctx *r);
size_t drum_hat(struct rctx *r);
size_t drum_ohat(struct rctx *r);
size_t drum_ride(struct rctx *r);
size_t drum_crash(struct rctx *r);
size_t drum_rim(struct rctx *r);
size_t drum_shaker(struct rctx *r);
size_t drum_brush(struct rctx *r);

/* demo-keys.c: chords */
size_t keys_pad(struct rctx *r);
size_t keys_stab(struct rctx *r);
size_t keys_ep(struct rctx *r);
size_t keys_piano(struct rctx *r);
size_t keys_power(struct rctx *r);
size_t keys_clean_gtr(struct rctx *r);
size_t keys_nylon(struct rctx *r);
size_t keys_organ(struct rctx *r);

/* demo-voices.c: bass and melody */
size_t voice_bass_sub(struct rctx *r);
size_t voice_bass_synth(struct rctx *r);
size_t voice_bass_upright(struct rctx *r);
size_t voice_bell(struct rctx *r);
size_t voice_lead_saw(struct rctx *r);
size_t voice_lead_square(struct rctx *r);
size_t voice_pluck(struct rctx *r);
size_t voice_flute(struct rctx *r);
size_t voice_vibes(struct rctx *r);
size_t voice_sax(struct rctx *r);
size_t voice_lead_gtr(struct rctx *r);

#endif
