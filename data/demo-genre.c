#include "config.h"
#include "demo-genre.h"

#include <string.h>

/* Each genre is data (tempo, swing, progressions, which parts play where) plus a setup that
 * chooses the band and its sound for one track, and three per-bar pattern functions. The
 * random choices a setup makes (s->var) are what make two tracks of a genre differ beyond
 * key, tempo and melody. */

static void chan_set(struct song *s, enum role role, enum instr in, float gain, float pan,
		     float rev, float dly, float tone, float decay)
{
	struct chan *c = &s->ch[role];
	float t = tone + rng_range(&s->r, -0.12f, 0.12f);

	c->in = in;
	c->gain = gain * rng_range(&s->r, 0.9f, 1.1f);
	c->pan = pan;
	c->rev = rev;
	c->dly = dly;
	c->tone = t < 0.0f ? 0.0f : t > 1.0f ? 1.0f : t;
	c->decay = decay;
}

static int has(const signed char *list, int st)
{
	for (; *list >= 0; list++)
		if (*list == st)
			return 1;
	return 0;
}

/* Plays the bass pattern `pat` (16 entries: -1 rest, else semitones above the root) over the
 * bar's chords, each note lasting until the next one. */
static void bass_pattern(struct song *s, int bar, const signed char *pat, int lo, float len_max)
{
	int st, next;

	for (st = 0; st < 16; st++) {
		float pitch;

		if (pat[st] < 0)
			continue;
		for (next = st + 1; next < 16 && pat[next] < 0; next++)
			;
		pitch = (float)(chord_root(s, song_chord(s, bar, st), lo) + pat[st]);
		song_play(s, CH_BASS, bar, st, (next - st) < len_max ? (next - st) * 0.9 : len_max,
			  st % 4 == 0 ? 0.95f : 0.8f, &pitch, 1, 0);
	}
}

/* Chords on the given steps, each held for len steps. */
static void comp_hits(struct song *s, enum role role, int bar, const signed char *steps,
		      double len, int lo, int rootless, float vel, int flags)
{
	float v[NOTE_MAX];

	for (; *steps >= 0; steps++) {
		int k = chord_voice(s, song_chord(s, bar, *steps), lo, 4, rootless, v);

		song_play(s, role, bar, *steps, len, *steps % 4 ? vel * 0.85f : vel, v, k,
			  flags);
	}
}

static int last_bar(int bar, const struct section *sec)
{
	return bar == sec->start + sec->nbars - 1 && sec->nbars >= 4;
}

static void crash_on_entry(struct song *s, int bar, const struct section *sec)
{
	if (bar == sec->start && sec->kind != SEC_INTRO && bar > 0)
		song_hit(s, CH_CRASH, bar, 0, 0.8f);
}

/* ---- house ---- */

static const struct prog house_progs[] = {
	{ MODE_AEOLIAN, 4, { { 0, Q_MIN7, 4 }, { 8, Q_MAJ7, 4 }, { 3, Q_MAJ, 4 }, { 10, Q_MAJ, 4 } } },
	{ MODE_AEOLIAN, 4, { { 0, Q_MIN9, 4 }, { 10, Q_MAJ, 4 }, { 8, Q_MAJ7, 4 }, { 10, Q_SUS4, 4 } } },
	{ MODE_DORIAN, 2, { { 0, Q_MIN9, 8 }, { 5, Q_DOM9, 8 } } },
	{ MODE_DORIAN, 4, { { 0, Q_MIN7, 4 }, { 0, Q_MIN9, 4 }, { 3, Q_MAJ7, 4 }, { 5, Q_DOM7, 4 } } },
	{ MODE_IONIAN, 4, { { 0, Q_MAJ7, 4 }, { 7, Q_MAJ, 4 }, { 9, Q_MIN7, 4 }, { 5, Q_MAJ9, 4 } } },
	{ MODE_IONIAN, 4, { { 5, Q_MAJ7, 4 }, { 4, Q_MIN7, 4 }, { 2, Q_MIN7, 4 }, { 0, Q_MAJ9, 4 } } },
};

static void house_setup(struct song *s)
{
	int st = s->sp->style;

	s->var[0] = rng_int(&s->r, 0, 2);   /* bass pattern */
	s->var[1] = rng_int(&s->r, 0, 2);   /* chord rhythm */
	s->var[2] = rng_int(&s->r, 0, 1);   /* sixteenth hats or shaker */
	s->rv_t60 = rng_range(&s->r, 1.0f, 1.6f);
	chan_set(s, CH_KICK, I_KICK, 0.95f, 0.0f, 0.0f, 0.0f, 0.6f, 0.3f);
	chan_set(s, CH_CLAP, I_CLAP, 0.30f, 0.0f, 0.25f, 0.0f, 0.5f, 0.5f);
	chan_set(s, CH_HAT, I_HAT, 0.12f, 0.25f, 0.05f, 0.0f, 0.6f, 0.4f);
	chan_set(s, CH_OHAT, I_OHAT, 0.12f, -0.15f, 0.1f, 0.0f, 0.5f, 0.3f);
	chan_set(s, CH_CRASH, I_CRASH, 0.12f, -0.3f, 0.2f, 0.0f, 0.5f, 0.5f);
	chan_set(s, CH_SHAKER, I_SHAKER, 0.10f, 0.45f, 0.1f, 0.0f, 0.5f, 0.4f);
	chan_set(s, CH_RIM, I_RIM, 0.12f, 0.3f, 0.3f, 0.2f, 0.5f, 0.5f);
	chan_set(s, CH_BASS, I_BASS_SYNTH, 0.45f, 0.0f, 0.0f, 0.0f, 0.45f, 0.4f);
	if (st == 0)
		chan_set(s, CH_COMP, I_STAB, 0.28f, 0.1f, 0.25f, 0.25f, 0.5f, 0.4f);
	else
		chan_set(s, CH_COMP, I_PIANO, 0.40f, 0.1f, 0.2f, 0.1f, 0.8f, 0.3f);
	chan_set(s, CH_PAD, I_PAD, 0.16f, 0.0f, 0.4f, 0.0f, 0.35f, 0.5f);
	if (st == 0)
		chan_set(s, CH_LEAD, I_PLUCK, 0.28f, -0.1f, 0.25f, 0.35f, 0.5f, 0.4f);
	else
		chan_set(s, CH_LEAD, I_LEAD_SAW, 0.20f, -0.1f, 0.25f, 0.3f, 0.4f, 0.3f);
}

static void house_drums(struct song *s, int bar, const struct section *sec, int lvl)
{
	static const signed char rim[] = { 3, 11, 14, -1 };
	int st, fill = lvl >= 2 && last_bar(bar, sec);

	crash_on_entry(s, bar, sec);
	for (st = 0; st < 16; st++) {
		if (fill && st >= 12) {
			song_hit(s, CH_CLAP, bar, st, 0.4f + 0.15f * (float)(st - 12));
			continue;
		}
		if (st % 4 == 0)
			song_hit(s, CH_KICK, bar, st, 0.95f);
		if (lvl >= 2 && (st == 4 || st == 12))
			song_hit(s, CH_CLAP, bar, st, 0.85f);
		if (st % 4 == 2)
			song_hit(s, CH_OHAT, bar, st, 0.6f);
		else if (lvl >= 2 && s->var[2] == 0)
			song_hit(s, CH_HAT, bar, st, st % 4 == 0 ? 0.5f : 0.3f);
		if (lvl >= 2 && s->var[2] == 1)
			song_hit(s, CH_SHAKER, bar, st, st % 2 ? 0.35f : 0.55f);
		if (lvl >= 2 && sec->kind == SEC_VERSE && has(rim, st))
			song_hit(s, CH_RIM, bar, st, 0.6f);
	}
}

static void house_bass(struct song *s, int bar, const struct section *sec)
{
	static const signed char pats[3][16] = {
		{ -1, -1, 0, -1, -1, -1, 0, -1, -1, -1, 0, -1, -1, -1, 12, -1 },
		{ -1, -1, -1, 0, -1, -1, 0, -1, -1, -1, 12, -1, -1, -1, 0, -1 },
		{ -1, -1, 0, 0, -1, -1, 12, 0, -1, -1, 0, 12, -1, -1, 0, 7 },
	};

	(void)sec;
	bass_pattern(s, bar, pats[s->var[0]], 33, 2.0f);
}

static void house_comp(struct song *s, int bar, const struct section *sec)
{
	static const signed char pats[3][6] = {
		{ 2, 6, 10, 14, -1 }, { 0, 3, 6, 10, 13, -1 }, { 3, 6, 11, 14, -1 },
	};

	(void)sec;
	comp_hits(s, CH_COMP, bar, pats[s->var[1]], s->sp->style ? 1.8 : 1.2, 55, 0, 0.8f, 0);
}

/* ---- hip-hop ---- */

static const struct prog hiphop_progs[] = {
	{ MODE_AEOLIAN, 2, { { 0, Q_MIN9, 8 }, { 8, Q_MAJ7, 8 } } },
	{ MODE_DORIAN, 4, { { 0, Q_MIN9, 4 }, { 5, Q_DOM9, 4 }, { 10, Q_MAJ7, 4 }, { 3, Q_MAJ7, 4 } } },
	{ MODE_IONIAN, 4, { { 2, Q_MIN9, 4 }, { 7, Q_DOM9, 4 }, { 0, Q_MAJ9, 4 }, { 9, Q_MIN7, 4 } } },
	{ MODE_AEOLIAN, 4, { { 0, Q_MIN7, 4 }, { 8, Q_MAJ7, 4 }, { 5, Q_MIN7, 4 }, { 7, Q_MIN7, 4 } } },
	{ MODE_IONIAN, 5,
	  { { 5, Q_MAJ9, 4 }, { 4, Q_MIN7, 4 }, { 9, Q_MIN9, 4 }, { 2, Q_MIN7, 2 }, { 7, Q_DOM7, 2 } } },
};

static const signed char hiphop_kicks[4][6] = {
	{ 0, 7, 10, -1 }, { 0, 3, 10, -1 }, { 0, 10, 11, -1 }, { 0, 6, 9, 14, -1 },
};

static void hiphop_setup(struct song *s)
{
	int st = s->sp->style;

	s->var[0] = rng_int(&s->r, 0, 3);   /* kick pattern */
	s->var[1] = rng_int(&s->r, 0, 1);   /* chord rhythm */
	s->var[2] = rng_int(&s->r, 0, 1);   /* ghost snares */
	chan_set(s, CH_KICK, I_KICK, 0.95f, 0.0f, 0.0f, 0.0f, 0.3f, 0.7f);
	chan_set(s, CH_SNARE, I_SNARE, 0.42f, 0.05f, 0.18f, 0.0f, 0.35f, 0.45f);
	chan_set(s, CH_HAT, I_HAT, 0.14f, 0.25f, 0.05f, 0.0f, 0.35f, 0.3f);
	chan_set(s, CH_OHAT, I_OHAT, 0.08f, 0.25f, 0.1f, 0.0f, 0.35f, 0.3f);
	chan_set(s, CH_RIM, I_RIM, 0.14f, -0.2f, 0.25f, 0.0f, 0.5f, 0.5f);
	chan_set(s, CH_CRASH, I_CRASH, 0.08f, -0.3f, 0.2f, 0.0f, 0.3f, 0.4f);
	chan_set(s, CH_BASS, I_BASS_SUB, 0.60f, 0.0f, 0.0f, 0.0f, 0.5f, 0.5f);
	if (st == 0)
		chan_set(s, CH_COMP, I_EP, 0.38f, -0.15f, 0.3f, 0.1f, 0.4f, 0.5f);
	else
		chan_set(s, CH_COMP, I_PIANO, 0.40f, -0.15f, 0.3f, 0.0f, 0.25f, 0.6f);
	chan_set(s, CH_PAD, I_PAD, st ? 0.10f : 0.0f, 0.0f, 0.4f, 0.0f, 0.2f, 0.5f);
	if (st == 0)
		chan_set(s, CH_LEAD, I_FLUTE, 0.26f, 0.15f, 0.3f, 0.2f, 0.4f, 0.5f);
	else
		chan_set(s, CH_LEAD, I_LEAD_SQUARE, 0.18f, 0.15f, 0.25f, 0.3f, 0.3f, 0.5f);
}

static void hiphop_drums(struct song *s, int bar, const struct section *sec, int lvl)
{
	const signed char *kick = hiphop_kicks[s->var[0]];
	int st;

	crash_on_entry(s, bar, sec);
	for (st = 0; st < 16; st++) {
		if (has(kick, st))
			song_hit(s, CH_KICK, bar, st, st == 0 ? 1.0f : 0.85f);
		if (lvl >= 2 && (st == 4 || st == 12))
			song_hit(s, CH_SNARE, bar, st + 0.15, 0.95f);
		else if (lvl < 2 && st == 12)
			song_hit(s, CH_RIM, bar, st, 0.8f);
		if (lvl >= 2 && s->var[2] && (st == 7 || st == 15) && rng_chance(&s->r, 0.5))
			song_hit(s, CH_SNARE, bar, st, 0.25f);
		if (st % 2 == 0)
			song_hit(s, st == 14 && bar % 2 ? CH_OHAT : CH_HAT, bar, st,
				 st % 4 ? 0.4f : 0.6f);
		else if (lvl >= 2 && st == 13 && rng_chance(&s->r, 0.4))
			song_hit(s, CH_HAT, bar, st, 0.3f);
	}
}

static void hiphop_bass(struct song *s, int bar, const struct section *sec)
{
	signed char pat[16];
	const signed char *k = hiphop_kicks[s->var[0]];

	(void)sec;
	memset(pat, -1, sizeof(pat));
	for (; *k >= 0; k++)
		pat[(int)*k] = 0;
	if (bar % 2 && pat[14] < 0)
		pat[14] = 7;
	bass_pattern(s, bar, pat, 33, 6.0f);
}

static void hiphop_comp(struct song *s, int bar, const struct section *sec)
{
	static const signed char chop[] = { 0, 6, 10, -1 };
	struct seg sg[PROG_MAX];
	int n = song_segs(s, bar, sec, sg), i;
	float v[NOTE_MAX];

	if (s->var[1]) {
		comp_hits(s, CH_COMP, bar, chop, 3.5, 55, 1, 0.75f, 0);
		return;
	}
	for (i = 0; i < n; i++) {
		int k = chord_voice(s, sg[i].c, 55, 4, 1, v);

		song_play(s, CH_COMP, bar, sg[i].step, sg[i].len - 0.5, 0.75f, v, k, 0);
	}
	if (n == 1 && bar % 2)
		comp_hits(s, CH_COMP, bar, (const signed char[]){ 10, -1 }, 5.5, 55, 1, 0.55f, 0);
}

/* ---- jazz ---- */

static const struct prog jazz_progs[] = {
	{ MODE_IONIAN, 4, { { 2, Q_MIN7, 4 }, { 7, Q_DOM9, 4 }, { 0, Q_MAJ7, 4 }, { 9, Q_DOM7, 4 } } },
	{ MODE_IONIAN, 4, { { 0, Q_MAJ7, 2 }, { 9, Q_MIN7, 2 }, { 2, Q_MIN7, 2 }, { 7, Q_DOM7, 2 } } },
	{ MODE_IONIAN, 8,
	  { { 0, Q_MAJ7, 4 }, { 5, Q_MAJ7, 4 }, { 4, Q_MIN7, 4 }, { 9, Q_DOM7, 4 }, { 2, Q_MIN7, 4 },
	    { 7, Q_DOM7, 4 }, { 0, Q_69, 4 }, { 7, Q_DOM7, 4 } } },
	{ MODE_AEOLIAN, 4, { { 2, Q_M7B5, 4 }, { 7, Q_DOM7, 4 }, { 0, Q_MIN7, 4 }, { 0, Q_MIN9, 4 } } },
	{ MODE_DORIAN, 4, { { 0, Q_MIN7, 4 }, { 5, Q_DOM7, 4 }, { 0, Q_MIN9, 4 }, { 7, Q_DOM7, 4 } } },
};

static void jazz_setup(struct song *s)
{
	int st = s->sp->style;

	s->var[0] = s->bpm < 130.0 && rng_chance(&s->r, 0.7);  /* brushes */
	s->var[3] = 0;                                         /* last walking-bass note */
	s->rv_t60 = rng_range(&s->r, 1.4f, 2.2f);
	chan_set(s, CH_KICK, I_KICK, 0.35f, 0.0f, 0.05f, 0.0f, 0.2f, 0.3f);
	chan_set(s, CH_SNARE, s->var[0] ? I_BRUSH : I_SNARE, s->var[0] ? 0.3f : 0.22f, 0.1f,
		 0.2f, 0.0f, 0.5f, 0.5f);
	chan_set(s, CH_HAT, I_HAT, 0.10f, 0.3f, 0.1f, 0.0f, 0.2f, 0.2f);
	chan_set(s, CH_RIDE, I_RIDE, 0.16f, -0.35f, 0.2f, 0.0f, 0.5f, 0.6f);
	chan_set(s, CH_CRASH, I_CRASH, 0.08f, -0.4f, 0.25f, 0.0f, 0.4f, 0.6f);
	chan_set(s, CH_BASS, I_BASS_UPRIGHT, 0.55f, 0.05f, 0.1f, 0.0f, 0.4f, 0.5f);
	if (st == 0)
		chan_set(s, CH_COMP, I_PIANO, 0.38f, 0.3f, 0.25f, 0.0f, 0.4f, 0.5f);
	else
		chan_set(s, CH_COMP, I_ORGAN, 0.24f, 0.25f, 0.2f, 0.0f, 0.4f, 0.5f);
	if (st == 0)
		chan_set(s, CH_LEAD, I_VIBES, 0.32f, -0.15f, 0.3f, 0.0f, 0.5f, 0.5f);
	else
		chan_set(s, CH_LEAD, I_SAX, 0.36f, -0.1f, 0.3f, 0.0f, 0.5f, 0.5f);
}

static void jazz_drums(struct song *s, int bar, const struct section *sec, int lvl)
{
	static const signed char ride[] = { 0, 4, 6, 8, 12, 14, -1 };
	int st, fill = lvl >= 2 && last_bar(bar, sec);

	if (bar == sec->start && sec->kind == SEC_CHORUS)
		song_hit(s, CH_CRASH, bar, 0, 0.6f);
	for (st = 0; st < 16; st++) {
		if (has(ride, st))
			song_hit(s, CH_RIDE, bar, st, st == 6 || st == 14 ? 0.5f : 0.75f);
		if (st == 4 || st == 12)
			song_hit(s, CH_HAT, bar, st, 0.6f);
		if (s->var[0] && st % 4 == 0)
			song_hit(s, CH_SNARE, bar, st, st % 8 ? 0.6f : 0.4f);
		if (lvl < 2)
			continue;
		if (st % 4 == 0)
			song_hit(s, CH_KICK, bar, st, 0.3f);
		if (!s->var[0] && st % 2 == 0 &&
		    rng_chance(&s->r, fill && st >= 8 ? 0.8 : 0.12))
			song_hit(s, CH_SNARE, bar, st, rng_range(&s->r, 0.25f, fill ? 0.8f : 0.5f));
		if (st % 2 == 0 && rng_chance(&s->r, 0.04))
			song_hit(s, CH_KICK, bar, st, 0.7f);
	}
}

/* Walking bass: the root on each chord change, chord tones in between, and a chromatic or
 * fifth-above approach into the next chord; each note in the octave closest to the last. */
static int near_note(int pc_note, int prev, int lo, int hi)
{
	int m = lo + ((pc_note - lo) % 12 + 12) % 12;

	while (m + 12 <= hi && (prev - m) > 6)
		m += 12;
	return m;
}

static void jazz_bass(struct song *s, int bar, const struct section *sec)
{
	int q, prev = s->var[3] ? s->var[3] : 40;

	(void)sec;
	for (q = 0; q < 4; q++) {
		const struct chord *c = song_chord(s, bar, 4 * q);
		const struct chord *nx = q < 3 ? song_chord(s, bar, 4 * q + 4) :
					 song_chord(s, bar + 1, 0);
		const struct chord *pv = q > 0 ? song_chord(s, bar, 4 * q - 4) : NULL;
		int root = chord_root(s, c, 0), target = chord_root(s, nx, 0), m;
		float pitch;

		if (q == 0 || c != pv)
			m = near_note(root, prev, 31, 50);
		else if (nx != c || q == 3)
			m = near_note(target + (rng_chance(&s->r, 0.6) ? 1 : -1) *
						       (rng_chance(&s->r, 0.75) ? 1 : 7),
				      prev, 31, 50);
		else
			m = chord_nearest(s, c, prev + (rng_chance(&s->r, 0.5) ? 1 : -1) *
							   rng_int(&s->r, 2, 5));
		if (m < 31)
			m += 12;
		if (m > 52)
			m -= 12;
		pitch = (float)m;
		song_play(s, CH_BASS, bar, 4 * q, 3.6, q % 2 ? 0.75f : 0.9f, &pitch, 1, 0);
		prev = m;
	}
	s->var[3] = prev;
}

static void jazz_comp(struct song *s, int bar, const struct section *sec)
{
	static const signed char offs[] = { 0, 2, 4, 6, 8, 10, 12, 14, -1 };
	struct seg sg[PROG_MAX];
	int n = song_segs(s, bar, sec, sg), i, st;
	float v[NOTE_MAX];

	if (s->sp->style) {
		for (i = 0; i < n; i++) {
			int k = chord_voice(s, sg[i].c, 52, 4, 1, v);

			if (!sg[i].cont)
				song_play(s, CH_COMP, bar, sg[i].step, sg[i].len * 0.95, 0.6f, v, k,
					  0);
		}
		if (rng_chance(&s->r, 0.4))
			comp_hits(s, CH_COMP, bar, (const signed char[]){ 14, -1 }, 1.5, 52, 1,
				  0.5f, 0);
		return;
	}
	for (i = 0; i < n; i++) {
		int hit = 0;

		for (st = sg[i].step; st < sg[i].step + sg[i].len; st++) {
			double p = has(offs, st) ? (st % 4 ? 0.3 : 0.15) : 0.0;

			if (!hit && st == sg[i].step + sg[i].len - 2)
				p = 1.0;
			if (!rng_chance(&s->r, p))
				continue;
			comp_hits(s, CH_COMP, bar, (const signed char[]){ (signed char)st, -1 },
				  rng_chance(&s->r, 0.5) ? 1.5 : 3.0, 52, 1,
				  rng_range(&s->r, 0.5f, 0.75f), 0);
			hit = 1;
			st++;
		}
	}
}

/* ---- ambient ---- */

static const struct prog ambient_progs[] = {
	{ MODE_LYDIAN, 2, { { 0, Q_MAJ7, 8 }, { 2, Q_MAJ, 8 } } },
	{ MODE_IONIAN, 4, { { 0, Q_ADD9, 8 }, { 5, Q_MAJ7, 8 }, { 9, Q_MIN7, 8 }, { 5, Q_MAJ9, 8 } } },
	{ MODE_AEOLIAN, 4, { { 0, Q_MIN9, 8 }, { 8, Q_MAJ7, 8 }, { 3, Q_MAJ7, 8 }, { 10, Q_SUS2, 8 } } },
	{ MODE_IONIAN, 4, { { 0, Q_SUS2, 4 }, { 4, Q_MIN7, 4 }, { 5, Q_MAJ9, 4 }, { 0, Q_ADD9, 4 } } },
	{ MODE_LYDIAN, 4, { { 0, Q_ADD9, 8 }, { 7, Q_SUS2, 8 }, { 2, Q_MAJ, 8 }, { 0, Q_MAJ7, 8 } } },
};

static void ambient_setup(struct song *s)
{
	int st = s->sp->style;

	s->var[0] = rng_chance(&s->r, 0.5);   /* a soft downtempo beat */
	s->rv_size = rng_range(&s->r, 1.3f, 1.6f);
	s->rv_t60 = rng_range(&s->r, 3.5f, 6.0f);
	s->dl_beats = rng_chance(&s->r, 0.5) ? 0.75f : 1.0f;
	s->dl_fb = rng_range(&s->r, 0.4f, 0.55f);
	if (s->var[0]) {
		chan_set(s, CH_KICK, I_KICK, 0.5f, 0.0f, 0.1f, 0.0f, 0.2f, 0.6f);
		chan_set(s, CH_RIM, I_RIM, 0.12f, 0.2f, 0.5f, 0.2f, 0.5f, 0.5f);
		chan_set(s, CH_SHAKER, I_SHAKER, 0.08f, -0.3f, 0.3f, 0.0f, 0.3f, 0.6f);
	}
	chan_set(s, CH_BASS, I_BASS_SUB, 0.35f, 0.0f, 0.1f, 0.0f, 0.0f, 0.8f);
	chan_set(s, CH_PAD, I_PAD, 0.34f, 0.0f, 0.6f, 0.0f, 0.3f, 0.9f);
	if (st == 0)
		chan_set(s, CH_ARP, I_BELL, 0.12f, 0.3f, 0.6f, 0.45f, 0.3f, 0.5f);
	else
		chan_set(s, CH_ARP, I_PIANO, 0.22f, 0.3f, 0.6f, 0.35f, 0.3f, 0.8f);
	if (st == 0)
		chan_set(s, CH_LEAD, I_LEAD_SQUARE, 0.14f, -0.2f, 0.7f, 0.4f, 0.05f, 0.5f);
	else
		chan_set(s, CH_LEAD, I_BELL, 0.18f, -0.2f, 0.7f, 0.4f, 0.2f, 0.7f);
	s->arp_grid = rng_chance(&s->r, 0.5) ? 2 : 4;
}

static void ambient_drums(struct song *s, int bar, const struct section *sec, int lvl)
{
	int st;

	(void)sec;
	if (!s->var[0])
		return;
	for (st = 0; st < 16; st += 2) {
		song_hit(s, CH_SHAKER, bar, st, st % 4 ? 0.4f : 0.6f);
		if (lvl >= 2 && (st == 0 || st == 10))
			song_hit(s, CH_KICK, bar, st, 0.8f);
		if (lvl >= 2 && st == 12)
			song_hit(s, CH_RIM, bar, st, 0.6f);
	}
}

static void ambient_bass(struct song *s, int bar, const struct section *sec)
{
	struct seg sg[PROG_MAX];
	int n = song_segs(s, bar, sec, sg), i;

	for (i = 0; i < n; i++) {
		float pitch;

		if (sg[i].cont && bar != sec->start)
			continue;
		pitch = (float)chord_root(s, sg[i].c, 36);
		song_play(s, CH_BASS, bar, sg[i].step, sg[i].total * 0.97, 0.7f, &pitch, 1, 0);
	}
}

/* ---- rock ---- */

static const struct prog rock_progs[] = {
	{ MODE_IONIAN, 4, { { 0, Q_MAJ, 4 }, { 7, Q_MAJ, 4 }, { 9, Q_MIN, 4 }, { 5, Q_MAJ, 4 } } },
	{ MODE_IONIAN, 4, { { 0, Q_MAJ, 4 }, { 5, Q_MAJ, 4 }, { 7, Q_MAJ, 4 }, { 5, Q_MAJ, 4 } } },
	{ MODE_IONIAN, 4, { { 9, Q_MIN, 4 }, { 5, Q_MAJ, 4 }, { 0, Q_MAJ, 4 }, { 7, Q_MAJ, 4 } } },
	{ MODE_MIXOLYDIAN, 4, { { 0, Q_MAJ, 4 }, { 10, Q_MAJ, 4 }, { 5, Q_MAJ, 4 }, { 0, Q_MAJ, 4 } } },
	{ MODE_AEOLIAN, 4, { { 0, Q_MIN, 4 }, { 8, Q_MAJ, 4 }, { 3, Q_MAJ, 4 }, { 10, Q_MAJ, 4 } } },
	{ MODE_AEOLIAN, 4, { { 0, Q_MIN, 4 }, { 10, Q_MAJ, 4 }, { 8, Q_MAJ, 4 }, { 7, Q_MAJ, 4 } } },
};

static const signed char rock_kicks[4][6] = {
	{ 0, 8, -1 }, { 0, 8, 10, -1 }, { 0, 3, 8, 11, -1 }, { 0, 6, 8, -1 },
};

static void rock_setup(struct song *s)
{
	int st = s->sp->style;

	s->var[0] = rng_int(&s->r, 0, 3);   /* kick pattern */
	s->var[1] = rng_int(&s->r, 0, 1);   /* chorus guitars: held or driving */
	s->var[2] = rng_int(&s->r, 0, 1);   /* chorus cymbal: ride or open hat */
	chan_set(s, CH_KICK, I_KICK, 0.9f, 0.0f, 0.05f, 0.0f, 0.85f, 0.25f);
	chan_set(s, CH_SNARE, I_SNARE, 0.5f, 0.05f, 0.25f, 0.0f, 0.7f, 0.5f);
	chan_set(s, CH_HAT, I_HAT, 0.14f, 0.25f, 0.05f, 0.0f, 0.6f, 0.5f);
	chan_set(s, CH_OHAT, I_OHAT, 0.10f, 0.25f, 0.1f, 0.0f, 0.5f, 0.3f);
	chan_set(s, CH_RIDE, I_RIDE, 0.12f, -0.3f, 0.1f, 0.0f, 0.6f, 0.5f);
	chan_set(s, CH_CRASH, I_CRASH, 0.15f, -0.35f, 0.2f, 0.0f, 0.5f, 0.7f);
	chan_set(s, CH_TOM, I_TOM, 0.45f, 0.2f, 0.2f, 0.0f, 0.5f, 0.5f);
	chan_set(s, CH_BASS, I_BASS_SYNTH, 0.45f, 0.0f, 0.0f, 0.0f, 0.2f, 0.3f);
	chan_set(s, CH_COMP, I_POWER, 0.26f, -0.6f, 0.15f, 0.0f, 0.5f, 0.5f);
	chan_set(s, CH_ARP, I_POWER, 0.26f, 0.6f, 0.15f, 0.0f, 0.6f, 0.5f);
	chan_set(s, CH_PAD, I_ORGAN, st ? 0.16f : 0.0f, 0.0f, 0.3f, 0.0f, 0.3f, 0.5f);
	if (st == 0)
		chan_set(s, CH_LEAD, I_LEAD_GTR, 0.24f, 0.1f, 0.25f, 0.2f, 0.5f, 0.5f);
	else
		chan_set(s, CH_LEAD, I_LEAD_SAW, 0.22f, 0.1f, 0.25f, 0.25f, 0.5f, 0.5f);
}

static void rock_drums(struct song *s, int bar, const struct section *sec, int lvl)
{
	const signed char *kick = rock_kicks[s->var[0]];
	int st, fill = lvl >= 2 && last_bar(bar, sec), chorus = sec->kind == SEC_CHORUS;

	crash_on_entry(s, bar, sec);
	for (st = 0; st < 16; st++) {
		if (fill && st >= 8) {
			float pitch = (float)(st < 12 ? 0 : 55 - 3 * (st - 12));

			if (st < 12)
				song_hit(s, CH_SNARE, bar, st, 0.5f + 0.1f * (float)(st - 8));
			else
				song_play(s, CH_TOM, bar, st, 1, 0.9f, &pitch, 1, 0);
			continue;
		}
		if (has(kick, st) && (lvl >= 2 || st % 8 == 0))
			song_hit(s, CH_KICK, bar, st, 0.95f);
		if ((lvl >= 2 && (st == 4 || st == 12)) || (lvl < 2 && st == 12))
			song_hit(s, CH_SNARE, bar, st, 0.95f);
		if (st % 2)
			continue;
		if (chorus)
			song_hit(s, s->var[2] ? CH_OHAT : CH_RIDE, bar, st, st % 4 ? 0.55f : 0.75f);
		else
			song_hit(s, CH_HAT, bar, st, st % 4 ? 0.45f : 0.65f);
	}
}

static void rock_bass(struct song *s, int bar, const struct section *sec)
{
	static const signed char eighths[16] = { 0, -1, 0, -1, 0, -1, 0, -1,
						 0, -1, 0, -1, 0, -1, 0, -1 };
	struct seg sg[PROG_MAX];
	int n, i;

	if (sec->kind != SEC_INTRO) {
		bass_pattern(s, bar, eighths, 28, 2.0f);
		return;
	}
	n = song_segs(s, bar, sec, sg);
	for (i = 0; i < n; i++) {
		float pitch = (float)chord_root(s, sg[i].c, 28);

		if (!sg[i].cont || bar == sec->start)
			song_play(s, CH_BASS, bar, sg[i].step, sg[i].total * 0.95, 0.8f, &pitch, 1,
				  0);
	}
}

static void rock_comp(struct song *s, int bar, const struct section *sec)
{
	struct seg sg[PROG_MAX];
	int n = song_segs(s, bar, sec, sg), i, st, side;
	int held = sec->kind == SEC_INTRO || (sec->kind == SEC_CHORUS && s->var[1] == 0);
	int mute = sec->kind == SEC_VERSE || sec->kind == SEC_BREAK;

	for (i = 0; i < n; i++) {
		float v[3];

		v[0] = (float)chord_root(s, sg[i].c, 40);
		v[1] = v[0] + 7.0f;
		v[2] = v[0] + 12.0f;
		for (side = 0; side < 2; side++) {
			enum role role = side ? CH_ARP : CH_COMP;

			if (side && (sec->kind == SEC_BREAK || (s->sp->style && mute)))
				continue;
			if (held) {
				if (!sg[i].cont || bar == sec->start)
					song_play(s, role, bar, sg[i].step, sg[i].total - 0.5, 0.9f,
						  v, 3, 0);
				continue;
			}
			for (st = sg[i].step; st < sg[i].step + sg[i].len; st += 2)
				song_play(s, role, bar, st, mute ? 1.2 : 1.8, st % 4 ? 0.8f : 0.95f,
					  v, 3, mute ? NOTE_MUTE : 0);
		}
	}
}

/* ---- bossa nova ---- */

static const struct prog bossa_progs[] = {
	{ MODE_IONIAN, 5,
	  { { 0, Q_MAJ7, 8 }, { 2, Q_DOM9, 8 }, { 2, Q_MIN7, 4 }, { 1, Q_DOM7, 4 }, { 0, Q_MAJ7, 8 } } },
	{ MODE_IONIAN, 4, { { 0, Q_MAJ7, 4 }, { 9, Q_MIN7, 4 }, { 2, Q_MIN7, 4 }, { 7, Q_DOM9, 4 } } },
	{ MODE_AEOLIAN, 5,
	  { { 0, Q_MIN7, 8 }, { 5, Q_MIN7, 8 }, { 2, Q_M7B5, 4 }, { 7, Q_DOM7, 4 }, { 0, Q_MIN9, 8 } } },
	{ MODE_IONIAN, 8,
	  { { 0, Q_69, 4 }, { 4, Q_MIN7, 4 }, { 9, Q_DOM7, 4 }, { 2, Q_MIN9, 4 }, { 7, Q_DOM7, 4 },
	    { 0, Q_MAJ7, 4 }, { 2, Q_MIN7, 4 }, { 7, Q_DOM7, 4 } } },
};

static void bossa_setup(struct song *s)
{
	int st = s->sp->style;

	s->var[1] = rng_int(&s->r, 0, 1);   /* guitar pattern */
	chan_set(s, CH_KICK, I_KICK, 0.45f, 0.0f, 0.05f, 0.0f, 0.2f, 0.3f);
	chan_set(s, CH_RIM, I_RIM, 0.2f, 0.2f, 0.2f, 0.0f, 0.5f, 0.5f);
	chan_set(s, CH_SHAKER, I_SHAKER, 0.10f, 0.4f, 0.15f, 0.0f, 0.4f, 0.4f);
	chan_set(s, CH_HAT, I_HAT, 0.08f, -0.25f, 0.1f, 0.0f, 0.3f, 0.3f);
	chan_set(s, CH_CRASH, I_CRASH, 0.05f, -0.3f, 0.2f, 0.0f, 0.3f, 0.5f);
	chan_set(s, CH_BASS, I_BASS_UPRIGHT, 0.55f, 0.0f, 0.1f, 0.0f, 0.3f, 0.5f);
	chan_set(s, CH_COMP, I_NYLON, 0.5f, -0.25f, 0.25f, 0.0f, 0.4f, 0.5f);
	chan_set(s, CH_PAD, I_PAD, st ? 0.0f : 0.09f, 0.0f, 0.5f, 0.0f, 0.15f, 0.7f);
	if (st == 0)
		chan_set(s, CH_LEAD, I_FLUTE, 0.30f, 0.15f, 0.35f, 0.0f, 0.4f, 0.5f);
	else
		chan_set(s, CH_LEAD, I_SAX, 0.34f, 0.15f, 0.3f, 0.0f, 0.4f, 0.5f);
}

static void bossa_drums(struct song *s, int bar, const struct section *sec, int lvl)
{
	static const signed char clave[2][4] = { { 0, 6, 12, -1 }, { 4, 10, -1 } };
	static const signed char kick[] = { 0, 6, 8, 14, -1 };
	int st;

	(void)sec;
	for (st = 0; st < 16; st++) {
		if (has(clave[bar % 2], st))
			song_hit(s, CH_RIM, bar, st, 0.8f);
		song_hit(s, CH_SHAKER, bar, st, st % 4 == 2 ? 0.6f : st % 2 ? 0.25f : 0.4f);
		if (lvl < 2)
			continue;
		if (has(kick, st))
			song_hit(s, CH_KICK, bar, st, st % 8 ? 0.55f : 0.8f);
		if (st % 4 == 2)
			song_hit(s, CH_HAT, bar, st, 0.4f);
	}
}

static void bossa_bass(struct song *s, int bar, const struct section *sec)
{
	static const signed char pat[16] = { 0, -1, -1, -1, -1, -1, -5, -1,
					     0, -1, -1, -1, -1, -1, -5, -1 };
	int st;

	(void)sec;
	for (st = 0; st < 16; st++) {
		float pitch;

		if (st % 2 || (pat[st] != 0 && pat[st] != -5))
			continue;
		pitch = (float)(chord_root(s, song_chord(s, bar, st), 33) + pat[st]);
		if (pitch < 28.0f)
			pitch += 12.0f;
		song_play(s, CH_BASS, bar, st, pat[st] ? 1.8 : 5.5, pat[st] ? 0.7f : 0.9f, &pitch,
			  1, 0);
	}
}

static void bossa_comp(struct song *s, int bar, const struct section *sec)
{
	static const signed char pats[2][2][6] = {
		{ { 0, 6, 10, -1 }, { 2, 6, 12, -1 } },
		{ { 0, 3, 6, 10, 13, -1 }, { 2, 6, 8, 12, -1 } },
	};
	const signed char *p = pats[s->var[1]][bar % 2];

	(void)sec;
	for (; *p >= 0; p++) {
		float v[NOTE_MAX];
		int k = chord_voice(s, song_chord(s, bar, *p), 52, 4, 1, v);

		song_play(s, CH_COMP, bar, *p, 2.2, *p % 4 ? 0.65f : 0.8f, v, k,
			  *p % 4 ? NOTE_UP : 0);
	}
}

#define NPROGS(a) (int)(sizeof(a) / sizeof((a)[0]))

const struct genre_style genre_styles[G_COUNT] = {
	[G_HOUSE] = {
		"House", 118, 128, 0.5f, 0.55f, 0, 0.002f, house_progs, NPROGS(house_progs),
		{ [SEC_INTRO] = { 1, 0, 0, 1, 0, 0 }, [SEC_VERSE] = { 2, 1, 1, 0, 0, 0 },
		  [SEC_CHORUS] = { 2, 1, 1, 1, 1, 0 }, [SEC_BREAK] = { 0, 0, 0, 1, 1, 0 },
		  [SEC_OUTRO] = { 2, 1, 0, 1, 0, 0 } },
		2, { 0.45f, 0.6f }, -12.0f, -8.5f,
		house_setup, house_drums, house_bass, house_comp,
	},
	[G_HIPHOP] = {
		"Hip-Hop", 78, 96, 0.54f, 0.62f, 0, 0.006f, hiphop_progs, NPROGS(hiphop_progs),
		{ [SEC_INTRO] = { 0, 0, 1, 1, 0, 0 }, [SEC_VERSE] = { 2, 1, 1, 0, 0, 0 },
		  [SEC_CHORUS] = { 2, 1, 1, 1, 1, 0 }, [SEC_BREAK] = { 1, 0, 1, 0, 1, 0 },
		  [SEC_OUTRO] = { 2, 1, 1, 0, 0, 0 } },
		2, { 0.35f, 0.45f }, -13.0f, -9.0f,
		hiphop_setup, hiphop_drums, hiphop_bass, hiphop_comp,
	},
	[G_JAZZ] = {
		"Jazz", 96, 176, 0.6f, 0.68f, 1, 0.008f, jazz_progs, NPROGS(jazz_progs),
		{ [SEC_INTRO] = { 1, 1, 1, 0, 0, 0 }, [SEC_VERSE] = { 2, 1, 1, 0, 1, 0 },
		  [SEC_CHORUS] = { 2, 1, 1, 0, 1, 0 }, [SEC_BREAK] = { 1, 1, 1, 0, 0, 0 },
		  [SEC_OUTRO] = { 1, 1, 1, 0, 1, 0 } },
		2, { 0.5f, 0.75f }, -20.0f, -15.0f,
		jazz_setup, jazz_drums, jazz_bass, jazz_comp,
	},
	[G_AMBIENT] = {
		"Ambient", 60, 84, 0.5f, 0.5f, 0, 0.01f, ambient_progs, NPROGS(ambient_progs),
		{ [SEC_INTRO] = { 0, 0, 0, 1, 0, 0 }, [SEC_VERSE] = { 1, 1, 0, 1, 0, 1 },
		  [SEC_CHORUS] = { 2, 1, 0, 1, 1, 1 }, [SEC_BREAK] = { 0, 0, 0, 1, 0, 1 },
		  [SEC_OUTRO] = { 0, 1, 0, 1, 0, 0 } },
		4, { 0.3f, 0.45f }, -20.0f, -16.0f,
		ambient_setup, ambient_drums, ambient_bass, NULL,
	},
	[G_ROCK] = {
		"Rock", 96, 150, 0.5f, 0.5f, 0, 0.005f, rock_progs, NPROGS(rock_progs),
		{ [SEC_INTRO] = { 1, 1, 1, 0, 0, 0 }, [SEC_VERSE] = { 2, 1, 1, 0, 0, 0 },
		  [SEC_CHORUS] = { 2, 1, 1, 1, 1, 0 }, [SEC_BREAK] = { 1, 1, 1, 0, 1, 0 },
		  [SEC_OUTRO] = { 2, 1, 1, 0, 0, 0 } },
		2, { 0.45f, 0.6f }, -12.0f, -8.5f,
		rock_setup, rock_drums, rock_bass, rock_comp,
	},
	[G_BOSSA] = {
		"Bossa Nova", 118, 145, 0.5f, 0.53f, 0, 0.006f, bossa_progs, NPROGS(bossa_progs),
		{ [SEC_INTRO] = { 1, 0, 1, 0, 0, 0 }, [SEC_VERSE] = { 2, 1, 1, 0, 1, 0 },
		  [SEC_CHORUS] = { 2, 1, 1, 1, 1, 0 }, [SEC_BREAK] = { 1, 1, 1, 0, 0, 0 },
		  [SEC_OUTRO] = { 1, 1, 1, 0, 0, 0 } },
		2, { 0.45f, 0.55f }, -18.0f, -13.0f,
		bossa_setup, bossa_drums, bossa_bass, bossa_comp,
	},
};
