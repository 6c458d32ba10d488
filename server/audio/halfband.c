#include "config.h"
#include "audio/halfband.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* 63 taps, Kaiser beta 8: flat to 0.2 fs, more than 75 dB down from 0.3 fs (fs = the input
 * rate). The output's top 20% (e.g. 17.6..22 kHz at 88.2 -> 44.1 kHz, 8.8..11 kHz at
 * 44.1 -> 22.05 kHz) may carry a little aliasing: it is above what the encoder keeps at the
 * qualities that decimate. A half-band filter has every other tap zero, so only the centre
 * and the ODD taps on either side are multiplied: 16 pairs per output sample. */
#define HALF 31        /* taps on each side of the centre */
#define PAIRS ((HALF + 1) / 2)
#define BETA 8.0

struct halfband {
	int channels;
	float coef[PAIRS]; /* coef[i] multiplies x[p - (2i+1)] + x[p + (2i+1)] */
	float *buf[2];     /* per channel: held-back history, then the new input */
	long have;         /* samples in buf */
	long next;         /* index in buf of the next output's centre */
};

/* Modified Bessel function of the first kind, order 0, by its power series. */
static double bessel_i0(double x)
{
	double sum = 1, term = 1;

	for (int k = 1; k < 50; k++) {
		term *= (x / (2 * k)) * (x / (2 * k));
		sum += term;
		if (term < sum * 1e-12)
			break;
	}
	return sum;
}

struct halfband *halfband_new(int channels)
{
	struct halfband *h = calloc(1, sizeof *h);
	double sum = 0;

	if (h == NULL)
		return NULL;
	h->channels = channels;
	for (int c = 0; c < channels; c++) {
		h->buf[c] = calloc(2 * HALF + HALFBAND_MAX_IN + 2, sizeof(float));
		if (h->buf[c] == NULL) {
			halfband_free(h);
			return NULL;
		}
	}
	for (int i = 0; i < PAIRS; i++) {
		int j = 2 * i + 1;
		double r = (double)j / HALF;
		double sinc = ((i & 1) ? -1.0 : 1.0) / (M_PI * j); /* sin(pi j / 2) / (pi j) */
		double w = bessel_i0(BETA * sqrt(1 - r * r)) / bessel_i0(BETA);

		h->coef[i] = (float)(sinc * w);
		sum += sinc * w;
	}
	/* Unity gain at DC: centre 0.5 plus both sides. */
	for (int i = 0; i < PAIRS; i++)
		h->coef[i] = (float)(h->coef[i] * 0.25 / sum);
	/* The first output is centred on the first input sample: HALF zeros before it. */
	h->have = HALF;
	h->next = HALF;
	return h;
}

/* Computes every output whose look-ahead is in buf, then keeps only the history that the
 * next outputs still need. */
static long produce(struct halfband *h, float *const *out)
{
	long n = 0, shift;

	for (int c = 0; c < h->channels; c++) {
		const float *x = h->buf[c];
		float *y = out[c];

		n = 0;
		for (long p = h->next; p + HALF < h->have; p += 2) {
			float acc = 0.5f * x[p];

			for (int i = 0; i < PAIRS; i++)
				acc += h->coef[i] * (x[p - 2 * i - 1] + x[p + 2 * i + 1]);
			y[n++] = acc;
		}
	}
	if (h->channels == 0)
		return 0;
	h->next += 2 * n;
	shift = h->next - HALF;
	for (int c = 0; c < h->channels; c++)
		memmove(h->buf[c], h->buf[c] + shift, sizeof(float) * (size_t)(h->have - shift));
	h->have -= shift;
	h->next = HALF;
	return n;
}

long halfband_run(struct halfband *h, const float *const *in, long n, float *const *out)
{
	for (int c = 0; c < h->channels; c++)
		memcpy(h->buf[c] + h->have, in[c], sizeof(float) * (size_t)n);
	h->have += n;
	return produce(h, out);
}

long halfband_flush(struct halfband *h, float *const *out)
{
	for (int c = 0; c < h->channels; c++)
		memset(h->buf[c] + h->have, 0, sizeof(float) * HALF);
	h->have += HALF;
	return produce(h, out);
}

void halfband_free(struct halfband *h)
{
	if (h == NULL)
		return;
	free(h->buf[0]);
	free(h->buf[1]);
	free(h);
}
