/* Composes and renders one demo track: picks tempo, key, progression, patterns and melody
 * for a genre from a seed, arranges them into intro / verse / chorus / break / outro
 * sections, plays them through the instruments and masters the mix to a loudness target. */
#ifndef SEGUE_DEMO_SONG_H
#define SEGUE_DEMO_SONG_H

#include <stddef.h>
#include <stdint.h>

enum genre { G_HOUSE, G_HIPHOP, G_JAZZ, G_AMBIENT, G_ROCK, G_BOSSA, G_COUNT };

struct song_spec {
	enum genre genre;
	int style;       /* 0 or 1: the artist's palette within the genre */
	uint64_t seed;   /* everything else about the track follows from this */
	double seconds;  /* exact length of the result */
	double lufs;     /* integrated loudness to master to */
};

struct song_info {
	double bpm;
	int key;         /* tonic pitch class, 0 = C */
	int minor;
	double lufs;     /* loudness as last measured while mastering (within ~0.3 LU) */
};

/* Human-readable genre name ("House", "Hip-Hop", ...). */
const char *song_genre_name(enum genre g);

/* The range of loudness targets (LUFS) usual for a genre's masters. */
void song_lufs_range(enum genre g, double *lo, double *hi);

/* Reusable buffers for rendering one track after another. */
struct song_ws;

struct song_ws *song_ws_new(void);
void song_ws_free(struct song_ws *ws);

/* Renders the track. On success returns 0 and points *out at *frames interleaved 16-bit
 * stereo frames at 44.1 kHz, owned by ws and valid until its next use; info may be NULL.
 * Returns -1 when memory runs out. The result depends only on sp. */
int song_render(struct song_ws *ws, const struct song_spec *sp, const int16_t **out,
		size_t *frames, struct song_info *info);

#endif
