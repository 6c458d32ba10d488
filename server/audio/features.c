#include "config.h"
#include "audio/features.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The peak picker and the beat tracker are in aubio's "unstable" part: declared only with
 * AUBIO_UNSTABLE, unchanged from 0.4.0 to 0.4.9, the last release. */
#define AUBIO_UNSTABLE 1
#include <aubio/aubio.h>

#include "audio/audio.h"

/* Every descriptor works on the mono downmix, in Hann-windowed frames of WIN samples every
 * HOP samples at 44.1/48 kHz (both scaled by the power of two nearest rate / 44100, so a
 * hop always spans ~12 ms), and is a mean or ratio over the whole track: the result depends
 * on nothing but the samples.
 *
 * tempo        aubio's beat tracker on the spectral flux of the same frames (the sum of the
 *              rises in magnitude, bin by bin, from one frame to the next: what aubio's
 *              tempo object runs it on by default), peak-picked by aubio's adaptive
 *              threshold. The frames' spectrum is the one computed here for brightness and
 *              acousticness: aubio's tempo object would compute its own, with the phases
 *              its onset function never reads (a quarter of the analysis's own work).
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

/* As aubio's tempo object has them: the beat tracker sees about 6 s of the onset function
 * at a time, a quarter of it new each time; the peak picker's threshold; the level in dB
 * under which a hop's beat is dropped. */
#define BEAT_SPAN 5.8
#define PEAK_THRESHOLD 0.3f
#define BEAT_SILENCE (-90.0f)

struct features {
	int rate, channels, win, hop, top_bin;
	aubio_fft_t *fft;
	aubio_peakpicker_t *peaks;
	aubio_beattracking_t *bt;
	fvec_t *hop_in, *frame, *spec, *flux, *onset, *odf, *tactus;
	float *window, *hist; /* Hann window; the last WIN samples */
	float *mag;           /* the last frame's magnitudes, bins 0..WIN/2, for the flux */
	int fill;
	int odf_len, odf_step, odf_pos; /* the beat tracker's window on the onset function */
	long long hops;

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
	f->odf_len = 4;
	while (f->odf_len < BEAT_SPAN * rate / f->hop)
		f->odf_len *= 2;
	f->odf_step = f->odf_len / 4;
	f->fft = new_aubio_fft((uint_t)f->win);
	f->peaks = new_aubio_peakpicker();
	f->bt = new_aubio_beattracking((uint_t)f->odf_len, (uint_t)f->hop, (uint_t)rate);
	f->hop_in = new_fvec((uint_t)f->hop);
	f->frame = new_fvec((uint_t)f->win);
	f->spec = new_fvec((uint_t)f->win);
	f->flux = new_fvec(1);
	f->onset = new_fvec(1);
	f->odf = new_fvec((uint_t)f->odf_len);
	f->tactus = new_fvec((uint_t)f->odf_step);
	f->window = malloc(sizeof(float) * (size_t)f->win);
	f->hist = calloc((size_t)f->win, sizeof(float));
	f->mag = calloc((size_t)f->win / 2 + 1, sizeof(float));
	if (f->fft == NULL || f->peaks == NULL || f->bt == NULL || f->hop_in == NULL ||
	    f->frame == NULL || f->spec == NULL || f->flux == NULL || f->onset == NULL ||
	    f->odf == NULL || f->tactus == NULL || f->window == NULL || f->hist == NULL ||
	    f->mag == NULL || aubio_peakpicker_set_threshold(f->peaks, PEAK_THRESHOLD) != 0) {
		features_free(f);
		return NULL;
	}
	for (int i = 0; i < f->win; i++)
		f->window[i] = (float)(0.5 - 0.5 * cos(2 * M_PI * i / f->win));
	return f;
}

static void add_beat(struct features *f, long long at)
{
	if (f->last_beat >= 0 && at > f->last_beat) {
		double ibi = (double)(at - f->last_beat) / f->rate;

		f->ibi_sum += ibi;
		f->ibi_sq += ibi * ibi;
		f->conf_sum += aubio_beattracking_get_confidence(f->bt);
		f->beats++;
	}
	f->last_beat = at;
}

/* One hop of the onset function (the flux in f->flux) through the peak picker into the beat
 * tracker's window, which the tracker reads each time a quarter of it is new; its answer is
 * where the beats of the next quarter fall, in hops and fractions of a hop. A beat in a hop
 * under BEAT_SILENCE is dropped, and so is one that falls exactly on a hop's start: aubio's
 * tempo object reports both as no beat, and the values stay what they were with it. */
static void track_beats(struct features *f)
{
	float *odf = f->odf->data;
	int len = f->odf_len, step = f->odf_step;
	float frac = 0;

	if (f->odf_pos == step - 1) {
		aubio_beattracking_do(f->bt, f->odf, f->tactus);
		memmove(odf, odf + step, sizeof(float) * (size_t)(len - step));
		memset(odf + len - step, 0, sizeof(float) * (size_t)step);
		f->odf_pos = -1;
	}
	f->odf_pos++;
	aubio_peakpicker_do(f->peaks, f->flux, f->onset);
	odf[len - step + f->odf_pos] = aubio_peakpicker_get_thresholded_input(f->peaks)->data[0];
	/* The last of the beats that fall in this hop, if any, as aubio's tempo object has it. */
	for (int i = 1; i < f->tactus->data[0]; i++)
		if (f->odf_pos == (int)floorf(f->tactus->data[i]))
			frac = f->tactus->data[i] - floorf(f->tactus->data[i]);
	if (frac > 0 && !aubio_silence_detection(f->hop_in, BEAT_SILENCE))
		add_beat(f, f->hops * f->hop + lroundf(frac * (float)f->hop));
	f->hops++;
}

/* The spectrum of the last WIN samples: the flux from the previous frame into f->flux and,
 * when the frame is not silent, its centroid and flatness. The FFT's packed output holds the
 * real part of bin k at k and its imaginary part at WIN - k. The geometric mean is taken as
 * the log of products of 16 powers at a time (doubles cannot over- or underflow there)
 * rather than a log per bin. */
static void spectral_frame(struct features *f, int voiced)
{
	const float *x = f->spec->data;
	int n = f->top_bin, w = f->win, half = w / 2;
	double wsum = 0, sum = 0, logsum = 0, pow_sum = 0, prod = 1;
	float flux = 0, m0 = fabsf(x[0]), mh = fabsf(x[half]);

	for (int i = 0; i < w; i++)
		f->frame->data[i] = f->hist[i] * f->window[i];
	aubio_fft_do_complex(f->fft, f->frame, f->spec);
	if (m0 > f->mag[0])
		flux += m0 - f->mag[0];
	f->mag[0] = m0;
	for (int k = 1; k < half; k++) {
		double p = (double)x[k] * x[k] + (double)x[w - k] * x[w - k] + 1e-12, m = sqrt(p);

		if ((float)m > f->mag[k])
			flux += (float)m - f->mag[k];
		f->mag[k] = (float)m;
		if (!voiced || k > n)
			continue;
		wsum += k * m;
		sum += m;
		pow_sum += p;
		prod *= p;
		if ((k & 15) == 0) {
			logsum += log(prod);
			prod = 1;
		}
	}
	if (mh > f->mag[half])
		flux += mh - f->mag[half];
	f->mag[half] = mh;
	f->flux->data[0] = flux;
	if (!voiced)
		return;
	if (n == half) { /* the Nyquist bin, real */
		double p = (double)x[half] * x[half] + 1e-12, m = sqrt(p);

		wsum += half * m;
		sum += m;
		pow_sum += p;
		prod *= p;
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

	memmove(f->hist, f->hist + f->hop, sizeof(float) * (size_t)(f->win - f->hop));
	memcpy(f->hist + f->win - f->hop, f->hop_in->data, sizeof(float) * (size_t)f->hop);
	for (int i = 0; i < f->win; i++)
		ms += (double)f->hist[i] * f->hist[i];
	spectral_frame(f, ms / f->win >= SILENT_MS);
	track_beats(f);
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
	bpm = f->beats > 0 ? aubio_beattracking_get_bpm(f->bt) : 0;
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
	if (f->fft != NULL)
		del_aubio_fft(f->fft);
	if (f->peaks != NULL)
		del_aubio_peakpicker(f->peaks);
	if (f->bt != NULL)
		del_aubio_beattracking(f->bt);
	fvec_t *vecs[] = { f->hop_in, f->frame, f->spec, f->flux, f->onset, f->odf, f->tactus };
	for (size_t i = 0; i < sizeof vecs / sizeof vecs[0]; i++)
		if (vecs[i] != NULL)
			del_fvec(vecs[i]);
	free(f->window);
	free(f->hist);
	free(f->mag);
	free(f);
}
