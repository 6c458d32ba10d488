/* Shared between the song engine (demo-song.c) and the genre definitions (demo-genre.c):
 * the song state, the harmony types and the helpers a genre uses to place notes.
 *
 * Time inside a song is counted in bars of sixteen steps (sixteenth notes, 4/4). A genre
 * supplies its tempo range, swing, progressions, which parts play in which section, and
 * three pattern functions (drums, bass, comping) that are called once per bar; the engine
 * does the rest: sections, chords, melody, pads, arpeggios, effects and mastering. */
#ifndef SEGUE_DEMO_GENRE_H
#define SEGUE_DEMO_GENRE_H

#include "demo-instr.h"
#include "demo-rng.h"
#include "demo-song.h"

enum mode { MODE_IONIAN, MODE_DORIAN, MODE_AEOLIAN, MODE_MIXOLYDIAN, MODE_LYDIAN };

enum qual {
	Q_MAJ, Q_MIN, Q_SUS2, Q_SUS4, Q_MAJ7, Q_MIN7, Q_DOM7, Q_M7B5, Q_ADD9, Q_MAJ9, Q_MIN9,
	Q_DOM9, Q_69, Q_COUNT
};

struct chord {
	signed char root;    /* semitones above the tonic */
	unsigned char q;     /* enum qual */
	unsigned char beats;
};

#define PROG_MAX 8

struct prog {
	unsigned char mode;  /* enum mode */
	unsigned char n;
	struct chord c[PROG_MAX];
};

enum sec_kind { SEC_INTRO, SEC_VERSE, SEC_CHORUS, SEC_BREAK, SEC_OUTRO, SEC_COUNT };

struct section {
	enum sec_kind kind;
	int start, nbars;
};

/* What plays in a section; drums: 0 none, 1 light, 2 full. */
struct parts {
	unsigned char drums, bass, comp, pad, lead, arp;
};

enum role {
	CH_KICK, CH_SNARE, CH_CLAP, CH_HAT, CH_OHAT, CH_RIDE, CH_CRASH, CH_RIM, CH_SHAKER,
	CH_TOM, CH_BASS, CH_COMP, CH_PAD, CH_LEAD, CH_ARP, CH_COUNT
};

/* The part of one chord that falls in one bar. */
struct seg {
	int step;    /* where it starts in the bar */
	int len;     /* steps inside this bar */
	int total;   /* steps from here until the chord (or the section) ends */
	int cont;    /* the chord was already sounding at the start of this bar */
	const struct chord *c;
};

struct mnote {
	signed char step, len, deg, acc;
};

#define MOTIF_MAX 40

struct motif {
	int n;
	struct mnote v[MOTIF_MAX];
};

#define SEC_MAX 24

struct genre_style;

struct song {
	const struct song_spec *sp;
	const struct genre_style *st;
	struct rng r;    /* composition choices */
	struct rng hr;   /* humanisation */
	struct mix *mix;
	double bpm, beat_s, step_s, bar_s;
	float swing;
	int key, minor;
	const int *scale;
	const struct prog *prog[2];     /* verse-like sections, chorus */
	struct section sec[SEC_MAX];
	int nsec, nbars, ending;
	struct chan ch[CH_COUNT];
	struct motif mot[2][3];         /* [verse, chorus][statement, answer, cadence] */
	int lead_tonic;                 /* MIDI note of the lead's tonic */
	int arp_grid;                   /* steps between arpeggio notes */
	float rv_size, rv_t60, rv_damp; /* reverb room */
	float dl_beats, dl_fb;          /* delay time in beats, feedback */
	int var[4];                     /* pattern choices a genre makes in setup */
};

struct genre_style {
	const char *name;
	float bpm_lo, bpm_hi;
	float swing_lo, swing_hi;  /* 0.5 = straight */
	int swing8;                /* swing eighths (jazz) rather than sixteenths */
	float humanize;            /* timing jitter in seconds */
	const struct prog *progs;
	int nprogs;
	struct parts parts[SEC_COUNT];
	int lead_grid;             /* melody grid in steps: 1, 2 or 4 */
	float lead_density[2];     /* verse, chorus */
	float lufs_lo, lufs_hi;    /* where this genre's masters usually sit */
	void (*setup)(struct song *s);
	void (*drums)(struct song *s, int bar, const struct section *sec, int lvl);
	void (*bass)(struct song *s, int bar, const struct section *sec);
	void (*comp)(struct song *s, int bar, const struct section *sec);
};

extern const struct genre_style genre_styles[G_COUNT];

/* Engine helpers for the genre code (demo-song.c). */

/* Seconds at a (possibly fractional) step of a bar, swung and humanised. */
double song_time(struct song *s, int bar, double step);

/* One drum hit of a role's instrument. */
void song_hit(struct song *s, enum role role, int bar, double step, float vel);

/* A note or chord of len steps. */
void song_play(struct song *s, enum role role, int bar, double step, double len, float vel,
	       const float *pitch, int n, int flags);

/* The chord segments of a bar (at most PROG_MAX); returns how many. */
int song_segs(const struct song *s, int bar, const struct section *sec, struct seg *out);

/* The chord sounding at a step of a bar (the tonic chord past the end). */
const struct chord *song_chord(const struct song *s, int bar, int step);

/* Close-position voicing of c in [lo, lo + 12): up to maxn notes, sorted, optionally without
 * the root (for when the bass has it). Returns the count. */
int chord_voice(const struct song *s, const struct chord *c, int lo, int maxn, int rootless,
		float *out);

/* The chord's root as a MIDI note in [lo, lo + 12). */
int chord_root(const struct song *s, const struct chord *c, int lo);

/* Whether MIDI note m is a chord tone of c. */
int chord_has(const struct song *s, const struct chord *c, int m);

/* The chord tone nearest to m (ties go down). */
int chord_nearest(const struct song *s, const struct chord *c, int m);

#endif
