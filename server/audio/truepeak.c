#include "config.h"
#include "audio/truepeak.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The interpolator: a Hann-windowed sinc of TAPS taps per output phase (48 at four times, as
 * BS.1770's example filter), cut off at the input's Nyquist frequency, each phase scaled to a
 * gain of exactly 1 at 0 Hz. It is computed a phase at a time over a whole block, taps in the
 * outer loop, so that the compiler can use vector instructions: a tenth of the time of
 * libebur128's sample-by-sample interpolator, which the analysis used before. */
#define TAPS 12
#define MAX_FACTOR 4
/* Blocks are worked on in groups of LANES samples with loops of that fixed length, which the
 * compiler turns into vector instructions even at -O2. */
#define LANES 8
/* Outputs are computed SPAN samples at a time, and only where they could exceed the peak
 * found so far: no output of the interpolator exceeds the largest input under its taps
 * times the sum of its coefficients' magnitudes (a phase's gain: 1.36 or 1.82 at four
 * times), so a phase of a span whose inputs stay under peak / gain is passed over. The
 * peak is a maximum, so it comes out the same; on music, once the loudest passages have set
 * it, most spans are passed over. A multiple of LANES. */
#define SPAN 64

struct truepeak {
	int channels, factor;
	float coef[MAX_FACTOR][TAPS]; /* coef[p][k] multiplies the sample k frames back */
	float *buf[2];                /* per channel: the last TAPS - 1 samples, then a block */
	float *y;                     /* one phase's outputs for a block */
	float gain[MAX_FACTOR];       /* the sum of |coef[p][k]| over k, with a margin */
	float peak;
};

struct truepeak *truepeak_new(int channels, long rate)
{
	struct truepeak *t = calloc(1, sizeof *t);
	int len;

	if (t == NULL)
		return NULL;
	t->channels = channels;
	t->factor = rate < 88200 ? 4 : rate < 176400 ? 2 : 1;
	len = t->factor * TAPS;
	for (int p = 0; p < t->factor; p++) {
		double sum = 0;

		for (int k = 0; k < TAPS; k++) {
			int j = k * t->factor + p;
			double x = (j - (len - 1) / 2.0) / t->factor;
			double sinc = fabs(x) < 1e-9 ? 1.0 : sin(M_PI * x) / (M_PI * x);
			double w = 0.5 - 0.5 * cos(2 * M_PI * (j + 1) / (len + 1));

			t->coef[p][k] = (float)(sinc * w);
			sum += sinc * w;
		}
		for (int k = 0; k < TAPS; k++)
			t->coef[p][k] = (float)(t->coef[p][k] / sum);
	}
	for (int p = 0; p < t->factor; p++) {
		double g = 0;

		for (int k = 0; k < TAPS; k++)
			g += fabs(t->coef[p][k]);
		/* The margin covers the rounding of TAPS float products and sums. */
		t->gain[p] = (float)(g * (1 + 1e-4));
	}
	t->y = malloc(sizeof(float) * (TRUEPEAK_MAX_IN + LANES));
	for (int c = 0; c < channels; c++)
		t->buf[c] = calloc(TAPS - 1 + TRUEPEAK_MAX_IN + LANES, sizeof(float));
	if (t->y == NULL || t->buf[0] == NULL || (channels == 2 && t->buf[1] == NULL)) {
		truepeak_free(t);
		return NULL;
	}
	return t;
}

/* The largest magnitude of x[0..n). */
static float max_abs(const float *x, long n)
{
	float hi[LANES] = { 0 }, lo[LANES] = { 0 }, top = 0;
	long i = 0;

	for (; i + LANES <= n; i += LANES)
		for (int l = 0; l < LANES; l++) {
			hi[l] = x[i + l] > hi[l] ? x[i + l] : hi[l];
			lo[l] = x[i + l] < lo[l] ? x[i + l] : lo[l];
		}
	for (int l = 0; l < LANES; l++) {
		top = hi[l] > top ? hi[l] : top;
		top = -lo[l] > top ? -lo[l] : top;
	}
	for (; i < n; i++)
		top = fabsf(x[i]) > top ? fabsf(x[i]) : top;
	return top;
}

/* y[0..n) = phase p of the interpolation of x, whose TAPS - 1 samples before x[0] are the
 * history; n is a multiple of LANES. */
static void interpolate(const float *coef, const float *x, long n, float *y)
{
	for (long i = 0; i < n; i += LANES) {
		float acc[LANES];

		for (int l = 0; l < LANES; l++)
			acc[l] = coef[0] * x[i + l];
		for (int k = 1; k < TAPS; k++)
			for (int l = 0; l < LANES; l++)
				acc[l] += coef[k] * x[i + l - k];
		for (int l = 0; l < LANES; l++)
			y[i + l] = acc[l];
	}
}

void truepeak_add(struct truepeak *t, const float *s, long n)
{
	long padded = (n + LANES - 1) / LANES * LANES;

	for (int c = 0; c < t->channels; c++) {
		float *b = t->buf[c], *x = b + TAPS - 1, m;

		for (long i = 0; i < n; i++)
			x[i] = s[i * t->channels + c];
		memset(x + n, 0, sizeof(float) * (size_t)(padded - n));
		m = max_abs(x, n);
		if (m > t->peak)
			t->peak = m;
		/* Outputs past n come from the padding: they are computed and left out. */
		for (long i = 0; t->factor > 1 && i < n; i += SPAN) {
			long len = padded - i < SPAN ? padded - i : SPAN;
			long out = n - i < len ? n - i : len;
			float in = max_abs(x + i - (TAPS - 1), len + TAPS - 1);

			for (int p = 0; p < t->factor; p++) {
				if (in * t->gain[p] <= t->peak)
					continue;
				interpolate(t->coef[p], x + i, len, t->y);
				m = max_abs(t->y, out);
				if (m > t->peak)
					t->peak = m;
			}
		}
		/* The history for the next block: its last TAPS - 1 samples, or, after a short
		 * block, what came before it too. */
		memmove(b, b + n, sizeof(float) * (TAPS - 1));
	}
}

double truepeak_value(const struct truepeak *t)
{
	return t->peak;
}

void truepeak_free(struct truepeak *t)
{
	if (t == NULL)
		return;
	free(t->buf[0]);
	free(t->buf[1]);
	free(t->y);
	free(t);
}
