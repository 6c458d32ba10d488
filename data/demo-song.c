#include "config.h"
#include "demo-song.h"

#include "demo-dsp.h"
#include "demo-genre.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const int scales[5][7] = {
	[MODE_IONIAN] = { 0, 2, 4, 5, 7, 9, 11 },
	[MODE_DORIAN] = { 0, 2, 3, 5, 7, 9, 10 },
	[MODE_AEOLIAN] = { 0, 2, 3, 5, 7, 8, 10 },
	[MODE_MIXOLYDIAN] = { 0, 2, 4, 5, 7, 9, 10 },
	[MODE_LYDIAN] = { 0, 2, 4, 6, 7, 9, 11 },
};

/* Chord tones in order of importance: when a voicing has room for fewer notes than the chord
 * has, the last ones (the fifth, then the root) are left out. */
static const struct {
	int n;
	int iv[5];
} quals[Q_COUNT] = {
	[Q_MAJ] = { 3, { 0, 4, 7 } },
	[Q_MIN] = { 3, { 0, 3, 7 } },
	[Q_SUS2] = { 3, { 0, 2, 7 } },
	[Q_SUS4] = { 3, { 0, 5, 7 } },
	[Q_MAJ7] = { 4, { 0, 4, 11, 7 } },
	[Q_MIN7] = { 4, { 0, 3, 10, 7 } },
	[Q_DOM7] = { 4, { 0, 4, 10, 7 } },
	[Q_M7B5] = { 4, { 0, 3, 10, 6 } },
	[Q_ADD9] = { 4, { 0, 4, 2, 7 } },
	[Q_MAJ9] = { 5, { 0, 4, 11, 2, 7 } },
	[Q_MIN9] = { 5, { 0, 3, 10, 2, 7 } },
	[Q_DOM9] = { 5, { 0, 4, 10, 2, 7 } },
	[Q_69] = { 5, { 0, 4, 9, 2, 7 } },
};

const char *song_genre_name(enum genre g)
{
	return g < G_COUNT ? genre_styles[g].name : "Unknown";
}

void song_lufs_range(enum genre g, double *lo, double *hi)
{
	*lo = genre_styles[g].lufs_lo;
	*hi = genre_styles[g].lufs_hi;
}

static int mod12(int x)
{
	return ((x % 12) + 12) % 12;
}

static const struct section *section_of(const struct song *s, int bar);

/* ---- harmony ---- */

int chord_root(const struct song *s, const struct chord *c, int lo)
{
	return lo + mod12(s->key + c->root - lo);
}

int chord_has(const struct song *s, const struct chord *c, int m)
{
	int rel = mod12(m - s->key - c->root), i;

	for (i = 0; i < quals[c->q].n; i++)
		if (quals[c->q].iv[i] == rel)
			return 1;
	return 0;
}

int chord_nearest(const struct song *s, const struct chord *c, int m)
{
	int d;

	for (d = 0; d < 7; d++) {
		if (chord_has(s, c, m - d))
			return m - d;
		if (chord_has(s, c, m + d))
			return m + d;
	}
	return m;
}

int chord_voice(const struct song *s, const struct chord *c, int lo, int maxn, int rootless,
		float *out)
{
	int n = 0, i, j;

	for (i = 0; i < quals[c->q].n && n < maxn; i++) {
		int iv = quals[c->q].iv[i], note;

		if (rootless && iv == 0 && quals[c->q].n >= 4)
			continue;
		note = lo + mod12(s->key + c->root + iv - lo);
		for (j = n; j > 0 && out[j - 1] > (float)note; j--)
			out[j] = out[j - 1];
		out[j] = (float)note;
		n++;
	}
	/* Semitone rubs inside a close voicing sound like a mistake; lifting the upper note of
	 * such a pair an octave turns them into open major sevenths and ninths. */
	for (i = 1; i < n; i++) {
		if (out[i] - out[i - 1] == 1.0f && out[i] < (float)(lo + 12)) {
			float up = out[i] + 12.0f;

			for (j = i; j + 1 < n && out[j + 1] < up; j++)
				out[j] = out[j + 1];
			out[j] = up;
			i = 0;
		}
	}
	return n;
}

int song_segs(const struct song *s, int bar, const struct section *sec, struct seg *out)
{
	const struct prog *p = s->prog[sec->kind == SEC_CHORUS];
	int cyc = 0, off = (bar - sec->start) * 16, end = sec->nbars * 16, n = 0, i, cs;

	for (i = 0; i < p->n; i++)
		cyc += 4 * p->c[i].beats;
	cs = off - off % cyc;
	i = 0;
	while (n < PROG_MAX && cs < off + 16 && cs < end) {
		int ce = cs + 4 * p->c[i].beats, a = cs > off ? cs : off;
		int b = ce < off + 16 ? ce : off + 16;

		if (b > end)
			b = end;
		if (b > a) {
			out[n].step = a - off;
			out[n].len = b - a;
			out[n].total = (ce < end ? ce : end) - a;
			out[n].cont = cs < off;
			out[n].c = &p->c[i];
			n++;
		}
		cs = ce;
		if (++i == p->n)
			i = 0;
	}
	return n;
}

const struct chord *song_chord(const struct song *s, int bar, int step)
{
	const struct section *sec;
	struct seg sg[PROG_MAX];
	int n, i;

	if (bar >= s->nbars)
		return &s->prog[0]->c[0];
	sec = section_of(s, bar);
	n = song_segs(s, bar, sec, sg);
	for (i = n - 1; i > 0; i--)
		if (sg[i].step <= step)
			break;
	return sg[i].c;
}

/* ---- time ---- */

/* Maps straight steps to swung ones: inside each swung pair (an eighth of two sixteenths, or
 * a beat of two eighths) the first half is stretched to `swing` of the pair. */
static double warp(const struct song *s, double step)
{
	double unit = s->st->swing8 ? 4.0 : 2.0, base = floor(step / unit) * unit;
	double u = (step - base) / unit, sw = s->swing;

	u = u < 0.5 ? u * 2.0 * sw : sw + (u - 0.5) * 2.0 * (1.0 - sw);
	return base + u * unit;
}

double song_time(struct song *s, int bar, double step)
{
	double t = warp(s, bar * 16.0 + step) * s->step_s;

	t += (rng_unit(&s->hr) - 0.5) * 2.0 * s->st->humanize;
	return t < 0.0 ? 0.0 : t;
}

void song_hit(struct song *s, enum role role, int bar, double step, float vel)
{
	struct note n;

	memset(&n, 0, sizeof(n));
	n.t = song_time(s, bar, step);
	n.dur = (float)s->step_s;
	n.vel = vel * (0.92f + 0.08f * (float)rng_unit(&s->hr));
	n.n = 1;
	instr_play(s->mix, &s->ch[role], &n);
}

void song_play(struct song *s, enum role role, int bar, double step, double len, float vel,
	       const float *pitch, int n, int flags)
{
	struct note nt;
	double a = bar * 16.0 + step;
	int i;

	memset(&nt, 0, sizeof(nt));
	nt.t = song_time(s, bar, step);
	nt.dur = (float)((warp(s, a + len) - warp(s, a)) * s->step_s);
	nt.vel = vel * (0.94f + 0.06f * (float)rng_unit(&s->hr));
	nt.flags = flags;
	nt.n = n < NOTE_MAX ? n : NOTE_MAX;
	for (i = 0; i < nt.n; i++)
		nt.pitch[i] = pitch[i];
	instr_play(s->mix, &s->ch[role], &nt);
}

/* ---- structure ---- */

static void add_section(struct song *s, enum sec_kind kind, int start, int nbars)
{
	if (s->nsec < SEC_MAX && nbars > 0) {
		s->sec[s->nsec].kind = kind;
		s->sec[s->nsec].start = start;
		s->sec[s->nsec].nbars = nbars;
		s->nsec++;
	}
}

/* Lays out nbars bars as intro, then verse/chorus pairs with an occasional break, shrinking
 * the sections for short tracks. A track that ends on a final chord gets an outro; one that
 * fades out just keeps going (usually on a chorus) until the fade is over. */
static void build_sections(struct song *s)
{
	static const struct {
		enum sec_kind kind;
		int bars;
	} tmpl[] = {
		{ SEC_INTRO, 4 }, { SEC_VERSE, 8 }, { SEC_CHORUS, 8 }, { SEC_VERSE, 8 },
		{ SEC_CHORUS, 8 }, { SEC_BREAK, 4 }, { SEC_CHORUS, 8 }, { SEC_VERSE, 8 },
		{ SEC_CHORUS, 8 }, { SEC_BREAK, 4 }, { SEC_CHORUS, 8 },
	};
	int n = s->nbars, pos = 0, i = 0, div = n >= 44 ? 1 : n >= 22 ? 2 : 4;
	int intro = s->sp->genre == G_AMBIENT ? 2 : 1;

	while (pos < n) {
		int len = tmpl[i].bars * (tmpl[i].kind == SEC_INTRO ? intro : 1) / div;
		enum sec_kind kind = tmpl[i].kind;
		int rem = n - pos;

		if (len < 1)
			len = 1;
		if (s->ending && rem <= 8 / div + 1 && pos > 0) {
			kind = SEC_OUTRO;
			len = rem;
		} else if (len > rem) {
			len = rem;
		}
		add_section(s, kind, pos, len);
		pos += len;
		i = i + 1 < (int)(sizeof(tmpl) / sizeof(tmpl[0])) ? i + 1 : 3;
	}
}

static const struct section *section_of(const struct song *s, int bar)
{
	int i;

	for (i = s->nsec - 1; i > 0; i--)
		if (s->sec[i].start <= bar)
			break;
	return &s->sec[i];
}

/* ---- melody ---- */

static const float strength[16] = { 1.0f, 0.15f, 0.45f, 0.15f, 0.8f, 0.15f, 0.45f, 0.15f,
				    0.9f,  0.15f, 0.45f, 0.15f, 0.8f, 0.15f, 0.45f, 0.15f };

static int walk(struct rng *r, int deg, int lo, int hi)
{
	static const int steps[] = { -4, -3, -2, -2, -1, -1, -1, -1, 0, 0, 1, 1, 1, 1, 2,
				     2, 2, 3, 4 };

	deg += rng_pick(r, steps);
	if (deg < lo)
		deg = 2 * lo - deg;
	if (deg > hi)
		deg = 2 * hi - deg;
	return deg;
}

/* A two-bar motif on the grid: onsets favour strong beats, the phrase breathes at the end,
 * pitches are a bounded random walk over scale degrees. */
static void motif_gen(struct rng *r, struct motif *m, int grid, float density, int center)
{
	int st, i, deg = center + rng_int(r, -1, 2);

	m->n = 0;
	for (st = 0; st < 32 && m->n < MOTIF_MAX; st += grid) {
		float p = density * (0.35f + 0.9f * strength[st % 16]);

		if (st >= 28)
			p *= 0.25f;
		if (m->n == 0 && st >= 6)
			p = 1.0f;
		if (!rng_chance(r, p))
			continue;
		m->v[m->n].step = (signed char)st;
		m->v[m->n].deg = (signed char)deg;
		m->v[m->n].acc = strength[st % 16] >= 0.8f ? 1 : 0;
		m->n++;
		deg = walk(r, deg, center - 4, center + 6);
	}
	for (i = 0; i < m->n; i++) {
		int next = i + 1 < m->n ? m->v[i + 1].step : 32, len = next - m->v[i].step;

		m->v[i].len = (signed char)(len > 8 ? 8 : len);
	}
}

/* The answer keeps the rhythm and redraws the second bar's pitches; the cadence also lands
 * its last note on the tonic and holds it. */
static void motif_vary(struct rng *r, const struct motif *a, struct motif *b, int center,
		       int cadence)
{
	int i, deg = center;

	*b = *a;
	for (i = 0; i < b->n; i++) {
		if (b->v[i].step < 16) {
			deg = b->v[i].deg;
			continue;
		}
		deg = walk(r, deg, center - 4, center + 6);
		b->v[i].deg = (signed char)deg;
	}
	if (cadence && b->n > 0) {
		struct mnote *l = &b->v[b->n - 1];

		l->deg = (signed char)(l->deg >= 4 ? 7 : 0);
		l->len = (signed char)(32 - l->step > 12 ? 12 : 32 - l->step);
	}
}

static int degree_midi(const struct song *s, int deg)
{
	int oct = deg >= 0 ? deg / 7 : -((6 - deg) / 7);

	return s->lead_tonic + s->scale[deg - 7 * oct] + 12 * oct;
}

static void melody_bar(struct song *s, int bar, const struct section *sec)
{
	int b = bar - sec->start, pair = b / 2, half = b % 2, which, i;
	const struct motif *m;

	which = pair % 4 == 1 ? 1 : pair % 4 == 3 ? 2 : 0;
	if (sec->nbars - b <= 2 && sec->nbars >= 4)
		which = 2;
	m = &s->mot[sec->kind == SEC_CHORUS][which];
	for (i = 0; i < m->n; i++) {
		const struct mnote *v = &m->v[i];
		int st = v->step - 16 * half, midi, flags = 0;
		const struct chord *c;
		float pitch;

		if (st < 0 || st >= 16)
			continue;
		c = song_chord(s, bar, st);
		midi = degree_midi(s, v->deg);
		if (st % 4 == 0 || v->len >= 4)
			midi = chord_nearest(s, c, midi);
		else if (!chord_has(s, c, midi) && chord_has(s, c, midi - 1))
			midi--;
		if (v->len >= 4 && rng_chance(&s->r, 0.35))
			flags |= NOTE_BEND;
		pitch = (float)midi;
		song_play(s, CH_LEAD, bar, st, v->len * 0.9, v->acc ? 0.9f : 0.7f, &pitch, 1,
			  flags);
	}
}

/* ---- pads and arpeggios ---- */

static void pad_bar(struct song *s, int bar, const struct section *sec)
{
	struct seg sg[PROG_MAX];
	int n = song_segs(s, bar, sec, sg), i, k;
	float v[NOTE_MAX];

	for (i = 0; i < n; i++) {
		if (sg[i].cont && bar != sec->start)
			continue;
		k = chord_voice(s, sg[i].c, 53, 4, 0, v);
		song_play(s, CH_PAD, bar, sg[i].step, sg[i].total, 0.8f, v, k, 0);
	}
}

static void arp_bar(struct song *s, int bar, const struct section *sec)
{
	struct seg sg[PROG_MAX];
	int n = song_segs(s, bar, sec, sg), i, st, k;
	float v[2 * NOTE_MAX];

	for (i = 0; i < n; i++) {
		k = chord_voice(s, sg[i].c, s->lead_tonic, 4, 0, v);
		memcpy(v + k, v, (size_t)k * sizeof(float));
		for (st = 0; st < k; st++)
			v[k + st] += 12.0f;
		for (st = sg[i].step; st < sg[i].step + sg[i].len; st++) {
			int period = 4 * k - 2, pos = (bar * 16 + st) / s->arp_grid % period;

			if (st % s->arp_grid || rng_chance(&s->r, 0.2))
				continue;
			song_play(s, CH_ARP, bar, st, s->arp_grid * 1.5, st % 4 ? 0.55f : 0.8f,
				  &v[pos < 2 * k ? pos : period - pos], 1, 0);
		}
	}
}

/* A final chord on the downbeat after the last bar, left to ring. */
static void final_hit(struct song *s, int bar)
{
	struct chord c = { 0, 0, 4 };
	float v[NOTE_MAX], root;
	int k;

	if (s->minor)
		c.q = s->sp->genre == G_ROCK ? Q_MIN : Q_MIN9;
	else
		c.q = s->sp->genre == G_JAZZ || s->sp->genre == G_BOSSA ? Q_69 :
		      s->sp->genre == G_ROCK ? Q_MAJ : Q_ADD9;
	if (s->ch[CH_CRASH].gain > 0.0f && s->st->parts[SEC_OUTRO].drums) {
		song_hit(s, CH_CRASH, bar, 0, 0.9f);
		song_hit(s, CH_KICK, bar, 0, 0.9f);
	}
	root = (float)chord_root(s, &c, 33);
	song_play(s, CH_BASS, bar, 0, 10, 0.9f, &root, 1, 0);
	if (s->ch[CH_COMP].in == I_POWER) {
		v[0] = (float)chord_root(s, &c, 40);
		v[1] = v[0] + 7.0f;
		v[2] = v[0] + 12.0f;
		k = 3;
	} else {
		k = chord_voice(s, &c, 53, 5, 0, v);
	}
	song_play(s, CH_COMP, bar, 0, 12, 0.8f, v, k, 0);
	if (s->ch[CH_PAD].gain > 0.0f)
		song_play(s, CH_PAD, bar, 0, 8, 0.7f, v, k, 0);
}

/* ---- the whole track ---- */

static void compose(struct song *s)
{
	const struct genre_style *st = s->st;
	const struct prog *p;
	int i, tries, center;

	s->bpm = floor(rng_range(&s->r, st->bpm_lo, st->bpm_hi + 1.0f));
	s->beat_s = 60.0 / s->bpm;
	s->step_s = s->beat_s / 4.0;
	s->bar_s = s->beat_s * 4.0;
	s->swing = rng_range(&s->r, st->swing_lo, st->swing_hi);
	s->key = rng_int(&s->r, 0, 11);
	p = &st->progs[rng_below(&s->r, (uint32_t)st->nprogs)];
	s->prog[0] = p;
	s->prog[1] = p;
	for (tries = 0; tries < 8; tries++) {
		const struct prog *q = &st->progs[rng_below(&s->r, (uint32_t)st->nprogs)];

		if (q->mode == p->mode) {
			s->prog[1] = q;
			break;
		}
	}
	s->scale = scales[p->mode];
	s->minor = p->mode == MODE_DORIAN || p->mode == MODE_AEOLIAN;
	s->lead_tonic = 60 + s->key > 68 ? 48 + s->key : 60 + s->key;
	s->arp_grid = 2;
	s->ending = rng_chance(&s->r, 0.35);
	if (s->ending)
		s->nbars = (int)floor((s->sp->seconds - 3.0) / s->bar_s);
	else
		s->nbars = (int)ceil(s->sp->seconds / s->bar_s);
	if (s->nbars < 2)
		s->nbars = 2;
	build_sections(s);

	s->rv_size = rng_range(&s->r, 0.8f, 1.3f);
	s->rv_t60 = rng_range(&s->r, 1.2f, 2.0f);
	s->rv_damp = rng_range(&s->r, 0.3f, 0.6f);
	s->dl_beats = rng_chance(&s->r, 0.6) ? 0.75f : 0.5f;
	s->dl_fb = rng_range(&s->r, 0.25f, 0.45f);
	st->setup(s);

	for (i = 0; i < 2; i++) {
		center = i ? rng_int(&s->r, 2, 5) : rng_int(&s->r, 0, 3);
		motif_gen(&s->r, &s->mot[i][0], st->lead_grid, st->lead_density[i], center);
		motif_vary(&s->r, &s->mot[i][0], &s->mot[i][1], center, 0);
		motif_vary(&s->r, &s->mot[i][0], &s->mot[i][2], center, 1);
	}
}

static void perform(struct song *s)
{
	const struct genre_style *st = s->st;
	int bar;

	for (bar = 0; bar < s->nbars; bar++) {
		const struct section *sec = section_of(s, bar);
		const struct parts *pt = &st->parts[sec->kind];

		if (pt->drums)
			st->drums(s, bar, sec, pt->drums);
		if (pt->bass)
			st->bass(s, bar, sec);
		if (pt->comp && st->comp)
			st->comp(s, bar, sec);
		if (pt->pad && s->ch[CH_PAD].gain > 0.0f)
			pad_bar(s, bar, sec);
		if (pt->lead)
			melody_bar(s, bar, sec);
		if (pt->arp && s->ch[CH_ARP].gain > 0.0f)
			arp_bar(s, bar, sec);
	}
	if (s->ending)
		final_hit(s, s->nbars);
}

static void fade(struct song *s)
{
	size_t n = s->mix->n, len, i;
	double f = s->ending ? 0.5 : fmin(8.0, 0.2 * s->sp->seconds);

	len = (size_t)(f * SR);
	if (len > n)
		len = n;
	for (i = 0; i < len; i++) {
		float x = (float)(len - i) / (float)len;

		s->mix->l[n - len + i] *= x * x;
		s->mix->r[n - len + i] *= x * x;
	}
}

/* Brings the mix to the loudness target. Below the clipper's knee the gain follows from one
 * measurement; when the clipper has real work to do it takes some loudness away, so the
 * clipped result is measured once more and the gain corrected (the send buffers are free by
 * now and hold it). */
static double master(struct song *s, int16_t *out)
{
	struct mix *m = s->mix;
	double target = s->sp->lufs, pre = dsp_loudness(m->l, m->r, m->n), lufs;
	float gain = pre > -69.0 ? (float)pow(10.0, (target - pre) / 20.0) / DSP_CEIL : 1.0f;

	lufs = pre + 20.0 * log10(gain * DSP_CEIL);
	if (dsp_knee_count(m->l, m->r, m->n, gain) > m->n / 500) {
		dsp_clip(m->l, m->r, m->n, gain, m->rev, m->dly);
		lufs = dsp_loudness(m->rev, m->dly, m->n);
		if (lufs > -69.0) {
			gain *= (float)pow(10.0, fmin(6.0, target - lufs) / 20.0);
			/* the second step loses about as much again as the first did */
			gain *= (float)pow(10.0, fmin(3.0, 0.5 * (target - lufs)) / 20.0);
		}
	}
	dsp_master(m->l, m->r, m->n, gain, out, (uint32_t)s->sp->seed);
	return lufs;
}

struct song_ws {
	struct mix mix;
	int16_t *pcm;
	size_t pcm_cap;
};

struct song_ws *song_ws_new(void)
{
	return calloc(1, sizeof(struct song_ws));
}

void song_ws_free(struct song_ws *ws)
{
	if (!ws)
		return;
	mix_free(&ws->mix);
	free(ws->pcm);
	free(ws);
}

int song_render(struct song_ws *ws, const struct song_spec *sp, const int16_t **out,
		size_t *frames, struct song_info *info)
{
	struct song *s;
	size_t n = (size_t)(sp->seconds * SR);
	double lufs;

	if (ws->pcm_cap < n) {
		free(ws->pcm);
		ws->pcm = malloc(n * 2 * sizeof(int16_t));
		ws->pcm_cap = ws->pcm ? n : 0;
	}
	s = calloc(1, sizeof(*s));
	if (!s || !ws->pcm || mix_init(&ws->mix, n) < 0) {
		free(s);
		return -1;
	}
	s->mix = &ws->mix;
	s->sp = sp;
	s->st = &genre_styles[sp->genre];
	s->r = rng_derive(sp->seed, 1, 0);
	s->hr = rng_derive(sp->seed, 2, 0);
	s->mix->noise = (uint32_t)rng_mix(sp->seed) | 1u;
	compose(s);
	perform(s);
	if (dsp_delay(s->mix->dly, s->mix->l, s->mix->r, n, (float)(s->dl_beats * s->beat_s),
		      s->dl_fb, 3500.0f) < 0 ||
	    dsp_reverb(s->mix->rev, s->mix->l, s->mix->r, n, s->rv_size, s->rv_t60,
		       s->rv_damp) < 0) {
		free(s);
		return -1;
	}
	dsp_dcblock(s->mix->l, s->mix->r, n);
	fade(s);
	lufs = master(s, ws->pcm);
	if (info) {
		info->bpm = s->bpm;
		info->key = s->key;
		info->minor = s->minor;
		info->lufs = lufs;
	}
	free(s);
	*out = ws->pcm;
	*frames = n;
	return 0;
}
