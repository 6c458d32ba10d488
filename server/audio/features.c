#include "config.h"
#include "audio/features.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <aubio/aubio.h>

#include "audio/audio.h"

/* Every descriptor works on the mono downmix, in Hann-windowed frames of WIN samples every
 * HOP samples at 44.1/48 kHz (both scaled by the power of two nearest rate / 44100, so a
 * hop always spans ~12 ms), and is a mean or ratio over the whole track: the result depends
 * on nothing but the samples.
 *
 * tempo        aubio's tempo tracker ("default" onset function) on the same hops.
 * energy       mean square of the delivered samples in dBFS, -40..-6 mapped onto 0..1.
 * brightness   mean spectral centroid of the non-silent frames, relative to the Nyquist
 *              frequency; above 44.1 kHz the spectrum counts only up to 22.05 kHz, so a
 *              hi-res master and its CD version compare equal.
 * acousticness mean spectral flatness (geometric / arithmetic mean of the power spectrum)
 *              of the non-silent frames, in dB: -30 dB (tonal, harmonic: acoustic
 *              instruments, voice) maps to 1, -8 dB (noise-like: distortion, dense
 *              electronic textures) to 0.
 * danceability beat strength times regularity: strength is aubio's tempo confidence (the
 *              height of the onset signal's autocorrelation peak) averaged over the beats,
 *              0.2..1.0 mapped onto 0..1 (a steady tone or noise scores ~0.1, a clear beat
 *              1 to 2); regularity is 1 - 3 * the coefficient of variation of the beat
 *              intervals, and counts for half. Tempi outside 90..150 bpm are weighted down
 *              linearly to 0.3 at 50 and 220 bpm; fewer than 8 beats give 0. */

#define WIN 1024
#define HOP 512
#define SILENT_MS 1e-6 /* frame mean square below -60 dBFS */

struct features {
	int rate, channels, win, hop, top_bin;
	aubio_tempo_t *tempo;
	aubio_fft_t *fft;
	fvec_t *hop_in, *beat, *frame, *spec;
	float *window, *hist; /* Hann window; the last WIN samples */
	int fill;

	double sum_sq;       /* over all delivered samples */
	long long samples;
	long voiced;         /* non-silent frames */
	double centroid_sum; /* relative to top_bin */
	double flat_db_sum;
	long long last_beat;
	double ibi_sum, ibi_sq, conf_sum;
	long beats;
};

struct features *features_new(int rate, int channels)
{
	struct features *f = calloc(1, sizeof *f);
	double scale = pow(2.0, round(log2(rate / 44100.0)));

	if (f == NULL)
		return NULL;
	f->rate = rate;
	f->channels = channels;
	f->win = (int)(WIN * scale);
	f->hop = (int)(HOP * scale);
	f->top_bin = f->win / 2;
	if (rate > 44100)
		f->top_bin = (int)(f->win / 2 * 44100.0 / rate);
	f->last_beat = -1;
	f->tempo = new_aubio_tempo("default", (uint_t)f->win, (uint_t)f->hop, (uint_t)rate);
	f->fft = new_aubio_fft((uint_t)f->win);
	f->hop_in = new_fvec((uint_t)f->hop);
	f->beat = new_fvec(2);
	f->frame = new_fvec((uint_t)f->win);
	f->spec = new_fvec((uint_t)f->win);
	f->window = malloc(sizeof(float) * (size_t)f->win);
	f->hist = calloc((size_t)f->win, sizeof(float));
	if (f->tempo == NULL || f->fft == NULL || f->hop_in == NULL || f->beat == NULL ||
	    f->frame == NULL || f->spec == NULL || f->window == NULL || f->hist == NULL) {
		features_free(f);
		return NULL;
	}
	for (int i = 0; i < f->win; i++)
		f->window[i] = (float)(0.5 - 0.5 * cos(2 * M_PI * i / f->win));
	return f;
}

static void track_beats(struct features *f)
{
	long long at;

	aubio_tempo_do(f->tempo, f->hop_in, f->beat);
	if (f->beat->data[0] == 0)
		return;
	at = (long long)aubio_tempo_get_last(f->tempo);
	if (f->last_beat >= 0 && at > f->last_beat) {
		double ibi = (double)(at - f->last_beat) / f->rate;

		f->ibi_sum += ibi;
		f->ibi_sq += ibi * ibi;
		f->conf_sum += aubio_tempo_get_confidence(f->tempo);
		f->beats++;
	}
	f->last_beat = at;
}

/* Centroid and flatness of the last WIN samples. The FFT's packed output holds the real part
 * of bin k at k and its imaginary part at WIN - k. The geometric mean is taken as the log of
 * products of 16 powers at a time (doubles cannot over- or underflow there) rather than a
 * log per bin. */
static void spectral_frame(struct features *f)
{
	const float *x = f->spec->data;
	int n = f->top_bin, w = f->win;
	double wsum = 0, sum = 0, logsum = 0, pow_sum = 0, prod = 1;

	for (int i = 0; i < w; i++)
		f->frame->data[i] = f->hist[i] * f->window[i];
	aubio_fft_do_complex(f->fft, f->frame, f->spec);
	for (int k = 1; k <= n; k++) {
		double im = k < w / 2 ? x[w - k] : 0;
		double p = (double)x[k] * x[k] + im * im + 1e-12, m = sqrt(p);

		wsum += k * m;
		sum += m;
		pow_sum += p;
		prod *= p;
		if ((k & 15) == 0) {
			logsum += log(prod);
			prod = 1;
		}
	}
	logsum += log(prod);
	f->voiced++;
	f->centroid_sum += wsum / sum / n;
	f->flat_db_sum += 10.0 / log(10.0) * (logsum / n - log(pow_sum / n));
}

/* A full hop is in hop_in. */
static void process_hop(struct features *f)
{
	double ms = 0;

	track_beats(f);
	memmove(f->hist, f->hist + f->hop, sizeof(float) * (size_t)(f->win - f->hop));
	memcpy(f->hist + f->win - f->hop, f->hop_in->data, sizeof(float) * (size_t)f->hop);
	for (int i = 0; i < f->win; i++)
		ms += (double)f->hist[i] * f->hist[i];
	if (ms / f->win >= SILENT_MS)
		spectral_frame(f);
}

void features_add(struct features *f, const float *s, long n)
{
	int ch = f->channels;
	double sq = 0;

	for (long i = 0; i < n; i++, s += ch) {
		float mono = s[0];

		sq += (double)s[0] * s[0];
		if (ch == 2) {
			sq += (double)s[1] * s[1];
			mono = 0.5f * (s[0] + s[1]);
		}
		f->hop_in->data[f->fill++] = mono;
		if (f->fill == f->hop) {
			process_hop(f);
			f->fill = 0;
		}
	}
	f->sum_sq += sq;
	f->samples += n * ch;
}

static double clamp01(double v)
{
	return v < 0 ? 0 : v > 1 ? 1 : v;
}

void features_finish(struct features *f, struct analysis *a)
{
	double ms = f->samples > 0 ? f->sum_sq / (double)f->samples : 0;
	double bpm, weight = 1, mean, var, regularity, strength;

	/* The tail shorter than a hop is padded with silence so that short tracks count. */
	if (f->fill > 0) {
		memset(f->hop_in->data + f->fill, 0, sizeof(float) * (size_t)(f->hop - f->fill));
		process_hop(f);
		f->fill = 0;
	}
	bpm = f->beats > 0 ? aubio_tempo_get_bpm(f->tempo) : 0;
	a->tempo_bpm = isfinite(bpm) && bpm > 0 ? bpm : 0;
	a->energy = ms > 0 ? clamp01((10 * log10(ms) + 40) / 34) : 0;
	a->brightness = f->voiced > 0 ? clamp01(f->centroid_sum / f->voiced) : 0;
	a->acousticness = f->voiced > 0 ? clamp01((-8 - f->flat_db_sum / f->voiced) / 22) : 0;

	a->danceability = 0;
	if (f->beats < 8 || a->tempo_bpm <= 0)
		return;
	mean = f->ibi_sum / f->beats;
	var = f->ibi_sq / f->beats - mean * mean;
	regularity = clamp01(1 - 3 * (var > 0 ? sqrt(var) / mean : 0));
	strength = clamp01((f->conf_sum / f->beats - 0.2) / 0.8);
	if (a->tempo_bpm < 90)
		weight = 0.3 + 0.7 * clamp01((a->tempo_bpm - 50) / 40);
	else if (a->tempo_bpm > 150)
		weight = 0.3 + 0.7 * clamp01((220 - a->tempo_bpm) / 70);
	a->danceability = clamp01(weight * strength * (0.5 + 0.5 * regularity));
}

void features_free(struct features *f)
{
	if (f == NULL)
		return;
	if (f->tempo != NULL)
		del_aubio_tempo(f->tempo);
	if (f->fft != NULL)
		del_aubio_fft(f->fft);
	if (f->hop_in != NULL)
		del_fvec(f->hop_in);
	if (f->beat != NULL)
		del_fvec(f->beat);
	if (f->frame != NULL)
		del_fvec(f->frame);
	if (f->spec != NULL)
		del_fvec(f->spec);
	free(f->window);
	free(f->hist);
	free(f);
}
