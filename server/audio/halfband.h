/* A streaming decimator by two: a linear-phase half-band FIR low-pass (Kaiser-windowed
 * sinc) followed by dropping every other sample, on planar float channels. The filter is
 * centred (its delay is compensated), so N input frames become exactly ceil(N / 2) output
 * frames, aligned with the input, once halfband_flush has been called. */
#ifndef SEGUE_HALFBAND_H
#define SEGUE_HALFBAND_H

#define HALFBAND_MAX_IN 4096 /* frames per halfband_run call */
#define HALFBAND_MAX_OUT (HALFBAND_MAX_IN / 2 + 1)

struct halfband;

/* Returns NULL when out of memory. channels: 1 or 2. */
struct halfband *halfband_new(int channels);

/* Filters n <= HALFBAND_MAX_IN frames of in[c] and writes the decimated frames to out[c]
 * (room for HALFBAND_MAX_OUT each). Returns the number of frames written. */
long halfband_run(struct halfband *h, const float *const *in, long n, float *const *out);

/* Ends the stream: writes the last frames (held back for the filter's look-ahead) to out.
 * Returns their number. */
long halfband_flush(struct halfband *h, float *const *out);

void halfband_free(struct halfband *h);

#endif
