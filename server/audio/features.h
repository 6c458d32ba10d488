/* Descriptors of a track for recommendations, computed while the analysis streams the
 * delivered signal: tempo (aubio), energy, brightness, danceability and acousticness.
 * Definitions are in server/audio/features.c. One instance per track; no shared state. */
#ifndef SEGUE_AUDIO_FEATURES_H
#define SEGUE_AUDIO_FEATURES_H

struct analysis;
struct features;

/* Returns NULL when out of memory or when aubio refuses the parameters. */
struct features *features_new(int rate, int channels);

/* Feeds n frames of channels-interleaved samples. */
void features_add(struct features *f, const float *samples, long n);

/* Fills tempo_bpm, energy, brightness, danceability and acousticness of a. */
void features_finish(struct features *f, struct analysis *a);

void features_free(struct features *f);

#endif
