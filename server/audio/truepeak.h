/* True peak (ITU-R BS.1770-4, Annex 2): the largest magnitude of the signal oversampled to
 * at least 176.4 kHz (four times below 88.2 kHz, twice below 176.4 kHz, as it is above) by
 * a linear-phase FIR interpolator, never below the largest sample. It measures what a
 * reconstruction filter (a DAC, a resampler, a lossy decoder) can make of the samples, so
 * that a gain leaves headroom for it. Streaming, on interleaved float frames. */
#ifndef SEGUE_TRUEPEAK_H
#define SEGUE_TRUEPEAK_H

#define TRUEPEAK_MAX_IN 4096 /* frames per truepeak_add call */

struct truepeak;

/* Returns NULL when out of memory. channels: 1 or 2. */
struct truepeak *truepeak_new(int channels, long rate);

/* Adds n <= TRUEPEAK_MAX_IN interleaved frames. */
void truepeak_add(struct truepeak *t, const float *s, long n);

/* The true peak of all channels so far, linear (1.0 = full scale). */
double truepeak_value(const struct truepeak *t);

void truepeak_free(struct truepeak *t);

#endif
