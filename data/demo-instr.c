#include "config.h"
#include "demo-instr.h"

#include "demo-voice.h"

#include <stdlib.h>
#include <string.h>

typedef size_t (*render_fn)(struct rctx *r);

static const render_fn renderers[I_COUNT] = {
	[I_KICK] = drum_kick, [I_SNARE] = drum_snare, [I_CLAP] = drum_clap,
	[I_HAT] = drum_hat, [I_OHAT] = drum_ohat, [I_RIDE] = drum_ride,
	[I_CRASH] = drum_crash, [I_RIM] = drum_rim, [I_SHAKER] = drum_shaker,
	[I_BRUSH] = drum_brush, [I_TOM] = drum_tom,
	[I_BASS_SUB] = voice_bass_sub, [I_BASS_SYNTH] = voice_bass_synth,
	[I_BASS_UPRIGHT] = voice_bass_upright,
	[I_PAD] = keys_pad, [I_STAB] = keys_stab, [I_EP] = keys_ep, [I_PIANO] = keys_piano,
	[I_POWER] = keys_power, [I_CLEAN_GTR] = keys_clean_gtr, [I_NYLON] = keys_nylon,
	[I_ORGAN] = keys_organ,
	[I_BELL] = voice_bell, [I_LEAD_SAW] = voice_lead_saw,
	[I_LEAD_SQUARE] = voice_lead_square, [I_PLUCK] = voice_pluck,
	[I_FLUTE] = voice_flute, [I_VIBES] = voice_vibes, [I_SAX] = voice_sax,
	[I_LEAD_GTR] = voice_lead_gtr,
};

/* Output trims that bring the instruments to comparable loudness, so a channel's gain means
 * the same for all of them (measured on rendered stems against the full mix). */
static const float trim[I_COUNT] = {
	[I_KICK] = 1.0f, [I_SNARE] = 1.6f, [I_CLAP] = 2.0f, [I_HAT] = 5.0f, [I_OHAT] = 3.0f,
	[I_RIDE] = 2.0f, [I_CRASH] = 1.0f, [I_RIM] = 2.0f, [I_SHAKER] = 1.3f, [I_BRUSH] = 1.5f,
	[I_TOM] = 0.4f,
	[I_BASS_SUB] = 0.7f, [I_BASS_SYNTH] = 0.7f, [I_BASS_UPRIGHT] = 0.75f,
	[I_PAD] = 1.0f, [I_STAB] = 1.3f, [I_EP] = 1.0f, [I_PIANO] = 1.0f, [I_POWER] = 1.0f,
	[I_CLEAN_GTR] = 2.0f, [I_NYLON] = 2.2f, [I_ORGAN] = 1.0f,
	[I_BELL] = 1.0f, [I_LEAD_SAW] = 1.0f, [I_LEAD_SQUARE] = 1.0f, [I_PLUCK] = 1.3f,
	[I_FLUTE] = 1.0f, [I_VIBES] = 0.7f, [I_SAX] = 0.75f, [I_LEAD_GTR] = 1.0f,
};

#define SCRATCH_SECONDS 24

int mix_init(struct mix *m, size_t n)
{
	size_t scap = (size_t)SCRATCH_SECONDS * SR;
	int k, v;

	if (!m->mem || m->cap < n) {
		free(m->mem);
		m->mem = malloc((4 * n + 2 * scap) * sizeof(float));
		if (!m->mem) {
			m->cap = 0;
			return -1;
		}
		m->cap = n;
	}
	m->n = n;
	m->scap = scap;
	m->l = m->mem;
	m->r = m->l + n;
	m->rev = m->r + n;
	m->dly = m->rev + n;
	m->sl = m->dly + n;
	m->sr = m->sl + scap;
	memset(m->l, 0, 4 * n * sizeof(float));
	for (k = 0; k < I_COUNT; k++) {
		for (v = 0; v < HIT_VARIANTS; v++)
			m->hit_len[k][v] = 0;
		m->hit_next[k] = 0;
	}
	m->noise = 0x12345678u;
	return 0;
}

void mix_free(struct mix *m)
{
	int k, v;

	free(m->mem);
	for (k = 0; k < I_COUNT; k++)
		for (v = 0; v < HIT_VARIANTS; v++)
			free(m->hit[k][v]);
	memset(m, 0, sizeof(*m));
}

/* Drum sounds depend only on the channel's settings, so each is rendered a few times per
 * track at full velocity and then replayed, scaled, round-robin. Toms (pitched) and open
 * hats (choked at the gate) are always rendered. */
static int cacheable(enum instr in)
{
	return in <= I_BRUSH && in != I_OHAT;
}

/* Drops the part of a decaying sound that stays 54 dB below its peak: nobody hears it under
 * a mix, and each hit's tail costs mixing time. */
static size_t trim_tail(const float *x, size_t len)
{
	float peak = 0.0f, lim;
	size_t i;

	for (i = 0; i < len; i++)
		if (fabsf(x[i]) > peak)
			peak = fabsf(x[i]);
	lim = 0.002f * peak;
	while (len > 0 && fabsf(x[len - 1]) < lim)
		len--;
	return len;
}

static const float *cached_hit(struct mix *m, const struct chan *ch, size_t *len)
{
	int v = (int)(m->hit_next[ch->in]++ % HIT_VARIANTS);
	struct note one;
	struct rctx r;

	if (!m->hit_len[ch->in][v]) {
		memset(&one, 0, sizeof(one));
		one.vel = 1.0f;
		one.n = 1;
		r.m = m;
		r.c = ch;
		r.nt = &one;
		r.s = m->sl;
		r.s2 = m->sr;
		r.max = m->scap;
		r.stereo = 0;
		*len = renderers[ch->in](&r);
		*len = trim_tail(m->sl, *len);
		if (*len > m->hit_cap[ch->in][v]) {
			float *p = realloc(m->hit[ch->in][v], *len * sizeof(float));

			if (!p)
				return NULL;
			m->hit[ch->in][v] = p;
			m->hit_cap[ch->in][v] = *len;
		}
		memcpy(m->hit[ch->in][v], m->sl, *len * sizeof(float));
		m->hit_len[ch->in][v] = *len;
	}
	*len = m->hit_len[ch->in][v];
	return m->hit[ch->in][v];
}

static void add_scaled(float *restrict dst, const float *restrict src, size_t n, float g)
{
	size_t i;

	for (i = 0; i < n; i++)
		dst[i] += g * src[i];
}

static void add_scaled2(float *restrict dst, const float *restrict a, const float *restrict b,
			size_t n, float g)
{
	size_t i;

	for (i = 0; i < n; i++)
		dst[i] += g * (a[i] + b[i]);
}

void instr_play(struct mix *m, const struct chan *ch, const struct note *nt)
{
	const float *src;
	struct rctx r;
	size_t start, len, max;
	float p, th, gain = ch->gain * trim[ch->in];

	if (nt->t < 0.0 || nt->vel <= 0.0f || nt->n < 1 || ch->gain <= 0.0f)
		return;
	start = (size_t)(nt->t * SR + 0.5);
	if (start >= m->n)
		return;
	max = m->n - start < m->scap ? m->n - start : m->scap;
	p = clampf(ch->pan + nt->pan, -1.0f, 1.0f);
	r.stereo = 0;
	if (cacheable(ch->in)) {
		src = cached_hit(m, ch, &len);
		if (!src)
			return;
		if (len > max)
			len = max;
		gain *= nt->vel;
	} else {
		r.m = m;
		r.c = ch;
		r.nt = nt;
		r.s = m->sl;
		r.s2 = m->sr;
		r.max = max;
		len = renderers[ch->in](&r);
		src = m->sl;
	}

	if (r.stereo) {
		add_scaled(m->l + start, m->sl, len, gain * (p > 0.0f ? 1.0f - p : 1.0f));
		add_scaled(m->r + start, m->sr, len, gain * (p < 0.0f ? 1.0f + p : 1.0f));
		if (ch->rev > 0.0f)
			add_scaled2(m->rev + start, m->sl, m->sr, len, 0.5f * ch->rev * gain);
		if (ch->dly > 0.0f)
			add_scaled2(m->dly + start, m->sl, m->sr, len, 0.5f * ch->dly * gain);
		return;
	}
	th = (p + 1.0f) * 0.78539816f;
	add_scaled(m->l + start, src, len, gain * cosf(th) * 1.41421356f);
	add_scaled(m->r + start, src, len, gain * sinf(th) * 1.41421356f);
	if (ch->rev > 0.0f)
		add_scaled(m->rev + start, src, len, ch->rev * gain);
	if (ch->dly > 0.0f)
		add_scaled(m->dly + start, src, len, ch->dly * gain);
}

