/* The demo generator's instruments: each renders one note (or one chord) into a scratch
 * buffer, which instr_play() then pans into the track's dry mix and its reverb and delay
 * sends. There is no voice allocation: notes are rendered independently and summed, which is
 * exact for a mix and keeps every instrument a single straight loop. */
#ifndef SEGUE_DEMO_INSTR_H
#define SEGUE_DEMO_INSTR_H

#include <stddef.h>
#include <stdint.h>

enum instr {
	/* drums */
	I_KICK, I_SNARE, I_CLAP, I_HAT, I_OHAT, I_RIDE, I_CRASH, I_RIM, I_SHAKER, I_BRUSH, I_TOM,
	/* bass */
	I_BASS_SUB, I_BASS_SYNTH, I_BASS_UPRIGHT,
	/* chords */
	I_PAD, I_STAB, I_EP, I_PIANO, I_POWER, I_CLEAN_GTR, I_NYLON, I_ORGAN,
	/* melody */
	I_BELL, I_LEAD_SAW, I_LEAD_SQUARE, I_PLUCK, I_FLUTE, I_VIBES, I_SAX, I_LEAD_GTR,
	I_COUNT
};

#define NOTE_MAX 6

enum note_flag {
	NOTE_MUTE = 1, /* palm-muted / damped */
	NOTE_UP = 2,   /* strum upwards (high string first) */
	NOTE_BEND = 4, /* bend or scoop into the pitch */
};

struct note {
	double t;    /* onset in seconds */
	float dur;   /* gate length in seconds */
	float vel;   /* 0..1 */
	float pan;   /* added to the channel's pan */
	int flags;   /* enum note_flag */
	int n;       /* number of pitches */
	float pitch[NOTE_MAX]; /* MIDI note numbers; drums use pitch[0] as a tuning offset */
};

/* A mixer channel: how one part of the arrangement is played and placed. */
struct chan {
	enum instr in;
	float gain;  /* linear */
	float pan;   /* -1 left .. 1 right */
	float rev;   /* reverb send */
	float dly;   /* delay send */
	float tone;  /* 0..1, instrument-specific brightness */
	float decay; /* 0..1, instrument-specific length */
};

#define HIT_VARIANTS 3

/* A track's mix bus. The memory is kept from one track to the next (mix_init only grows
 * it), because touching a hundred megabytes of fresh pages per track costs more than
 * rendering some of them. */
struct mix {
	size_t n;                 /* frames */
	float *l, *r, *rev, *dly; /* dry mix and the two mono sends */
	float *sl, *sr;           /* scratch for one note */
	size_t scap;              /* scratch capacity in frames */
	uint32_t noise;           /* shared noise state, advanced in render order */
	float *mem;
	size_t cap;
	/* rendered drum hits, see instr_play() */
	float *hit[I_COUNT][HIT_VARIANTS];
	size_t hit_len[I_COUNT][HIT_VARIANTS], hit_cap[I_COUNT][HIT_VARIANTS];
	unsigned hit_next[I_COUNT];
};

/* Clears m for a track of n frames (m zeroed before first use); -1 when memory runs out. */
int mix_init(struct mix *m, size_t frames);

/* Releases everything m holds. */
void mix_free(struct mix *m);

/* Renders one note of ch->in into the mix. Notes that start beyond the end are ignored;
 * notes that run past it are cut. */
void instr_play(struct mix *m, const struct chan *ch, const struct note *nt);

#endif
