/* The true-peak meter: a tone between the samples reads its real peak, not the samples'; the
 * result does not depend on how the audio is cut into blocks; no reading is below the largest
 * sample; the oversampling follows the rate; on music-like signals it agrees with
 * libebur128's meter (which the analysis used before) to within 2%; and the spans it passes
 * over, once a peak is known, never hide a higher one. */
#include "config.h"

#include <math.h>
#include <stdlib.h>

#include <ebur128.h>

#include "audio/truepeak.h"
#include "tap.h"

#define RATE 44100
#define FRAMES (2 * RATE)

/* Interleaved stereo of FRAMES frames. */
static float *stereo(double (*f)(long i, int c))
{
	float *s = malloc(sizeof(float) * 2 * FRAMES);

	for (long i = 0; s != NULL && i < FRAMES; i++)
		for (int c = 0; c < 2; c++)
			s[2 * i + c] = (float)f(i, c);
	return s;
}

/* A quarter of the sample rate, 45 degrees off the samples: they read 0.354, the wave 0.5. */
static double quarter(long i, int c)
{
	(void)c;
	return 0.5 * sin(M_PI / 2 * (double)i + M_PI / 4);
}

/* Something like music: a few partials with a beat, and noise, louder on the right. */
static double music(long i, int c)
{
	double t = (double)i / RATE, env = 0.6 + 0.4 * sin(2 * M_PI * 2 * t);
	double v = 0.2 * sin(2 * M_PI * 220 * t) + 0.15 * sin(2 * M_PI * 3520 * t + c) +
		   0.3 * sin(2 * M_PI * 10990 * t) + 0.1 * sin(2 * M_PI * 15000 * t);

	return (c ? 1.2 : 1.0) * env * v + 0.05 * ((double)rand() / RAND_MAX - 0.5);
}

static double sample_peak(const float *s, long n)
{
	double top = 0;

	for (long i = 0; i < n; i++)
		top = fabs(s[i]) > top ? fabs(s[i]) : top;
	return top;
}

static double meter(const float *s, long frames, int channels, long rate, long block)
{
	struct truepeak *t = truepeak_new(channels, rate);
	double v;

	if (t == NULL)
		return -1;
	for (long i = 0; i < frames; i += block)
		truepeak_add(t, s + i * channels, frames - i < block ? frames - i : block);
	v = truepeak_value(t);
	truepeak_free(t);
	return v;
}

static double ebur128_meter(const float *s, long frames)
{
	ebur128_state *e = ebur128_init(2, RATE, EBUR128_MODE_TRUE_PEAK);
	double l = 0, r = 0;

	ebur128_add_frames_float(e, s, (size_t)frames);
	ebur128_true_peak(e, 0, &l);
	ebur128_true_peak(e, 1, &r);
	ebur128_destroy(&e);
	return l > r ? l : r;
}

int main(void)
{
	float *q = stereo(quarter), *m;
	double whole, v;
	float impulse[2 * 64] = { 0 };

	ok(q != NULL, "test signal");
	v = meter(q, FRAMES, 2, RATE, 4096);
	ok(v > 0.49 && v < 0.51, "a tone at a quarter of the rate between the samples: %.4f (0.5)", v);
	v = meter(q, FRAMES, 2, 192000, 4096);
	ok(fabs(v - 0.5 * sin(M_PI / 4)) < 1e-6, "at 192 kHz no oversampling: the samples' %.4f", v);

	srand(1);
	m = stereo(music);
	whole = meter(m, FRAMES, 2, RATE, 4096);
	ok(whole > 0, "music: %.4f", whole);
	ok(meter(m, FRAMES, 2, RATE, 1) == whole && meter(m, FRAMES, 2, RATE, 7) == whole &&
	   meter(m, FRAMES, 2, RATE, 1000) == whole,
	   "blocks of 1, 7, 1000 and 4096 frames give the same reading");
	v = ebur128_meter(m, FRAMES);
	ok(fabs(whole / v - 1) < 0.02, "within 2%% of libebur128's %.4f: %.4f", v, whole);
	ok(whole > sample_peak(m, FRAMES * 2), "above the largest sample, %.4f",
	   sample_peak(m, FRAMES * 2));
	v = meter(m, FRAMES / 2, 2, 96000, 4096);
	ok(v > 0 && fabs(v / whole - 1) < 0.1, "96 kHz (two times over) reads about the same: %.4f", v);
	/* The right channel alone, as mono: the louder one is the stereo reading. */
	for (long i = 0; i < FRAMES; i++)
		m[i] = m[2 * i + 1];
	v = meter(m, FRAMES, 1, RATE, 4096);
	ok(v > 0.8 * whole && v <= whole, "the louder channel sets the stereo reading (%.4f)", v);

	/* Loud music sets a peak; then the same music, quieter, and a tone whose samples stay
	 * under that peak but whose wave goes over it: the meter passes over the quiet music
	 * and reads the tone's peak, as it does on the quiet part alone. */
	{
		float *late = malloc(sizeof(float) * 4 * FRAMES);
		double loud, tone, g;

		srand(1);
		free(m);
		m = stereo(music);
		ok(late != NULL && m != NULL, "test signal");
		loud = meter(m, FRAMES, 2, RATE, 4096);
		g = 0.8 * sample_peak(m, 2 * FRAMES) / sample_peak(q, 2 * FRAMES);
		for (long i = 0; i < 2 * FRAMES; i++) {
			late[i] = m[i];
			late[2 * FRAMES + i] = i < FRAMES ? 0.3f * m[i] : (float)g * q[i];
		}
		tone = meter(late + 2 * FRAMES, FRAMES, 2, RATE, 4096);
		v = meter(late, 2 * FRAMES, 2, RATE, 4096);
		ok(sample_peak(late + 2 * FRAMES, 2 * FRAMES) < loud && tone > loud && v == tone,
		   "a later peak between samples under the earlier peak is read: %.4f (music %.4f, "
		   "the quiet part alone %.4f)", v, loud, tone);
		free(late);
	}

	impulse[2 * 20] = 1.0f;
	impulse[2 * 40 + 1] = -1.0f;
	v = meter(impulse, 64, 2, RATE, 64);
	ok(v >= 1.0, "never below the largest sample: %.4f", v);
	v = meter(impulse, 0, 2, RATE, 64);
	ok(v == 0, "no audio reads 0");
	free(q);
	free(m);
	return done();
}
