#include "config.h"
#include "audio/audio.h"

#include <math.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ebur128.h>
#include <sodium.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "audio/features.h"
#include "audio/source.h"
#include "audio/truepeak.h"

_Static_assert(AUDIO_SRC_BLOCK <= TRUEPEAK_MAX_IN, "a source block fits the true-peak meter");

const struct quality_info quality_info[Q_COUNT] = {
	[Q_LOW] = { "low", 24 },
	[Q_NORMAL] = { "normal", 96 },
	[Q_HIGH] = { "high", 160 },
	[Q_VERY_HIGH] = { "very_high", 320 },
};

int quality_from_name(const char *s)
{
	for (int q = 0; q < Q_COUNT; q++)
		if (strcmp(s, quality_info[q].name) == 0)
			return q;
	return -1;
}

/* The content hash covers "segue-pcm16", the channel count and the rate (little-endian
 * 32-bit each), then every sample rounded to 16 bits, little-endian, interleaved. Any
 * lossless container of the same audio hashes the same; 16-bit sources round-trip exactly
 * (source.c scales them by 1/32768, as libsndfile did before it, so ids did not change). */
static void hash_start(crypto_generichash_state *h, int channels, int rate)
{
	unsigned char head[11 + 8] = "segue-pcm16";

	for (int i = 0; i < 4; i++) {
		head[11 + i] = (unsigned char)((uint32_t)channels >> (8 * i));
		head[15 + i] = (unsigned char)((uint32_t)rate >> (8 * i));
	}
	crypto_generichash_init(h, NULL, 0, 32);
	crypto_generichash_update(h, head, sizeof head);
}

static void hash_block(crypto_generichash_state *h, const float *s, size_t n,
		       unsigned char *pcm)
{
	size_t i = 0;

#ifdef __SSE2__
	/* Eight samples at a time, to the same bytes as the loop below: clamped, rounded to
	 * nearest even as lrintf does in the default rounding mode, NaN to 0 (lrintf's
	 * 0x80..00 keeps no bits in the low 16), stored little-endian. */
	const __m128 scale = _mm_set1_ps(32768.0f), lo = _mm_set1_ps(-32768.0f),
		     hi = _mm_set1_ps(32767.0f);

	for (; i + 8 <= n; i += 8) {
		__m128 a = _mm_mul_ps(_mm_loadu_ps(s + i), scale);
		__m128 b = _mm_mul_ps(_mm_loadu_ps(s + i + 4), scale);

		a = _mm_and_ps(_mm_min_ps(_mm_max_ps(a, lo), hi), _mm_cmpord_ps(a, a));
		b = _mm_and_ps(_mm_min_ps(_mm_max_ps(b, lo), hi), _mm_cmpord_ps(b, b));
		_mm_storeu_si128((__m128i *)(pcm + 2 * i),
				 _mm_packs_epi32(_mm_cvtps_epi32(a), _mm_cvtps_epi32(b)));
	}
#endif
	for (; i < n; i++) {
		float v = s[i] * 32768.0f;
		long q = v >= 32767.0f ? 32767 : v <= -32768.0f ? -32768 : lrintf(v);

		pcm[2 * i] = (unsigned char)(q & 0xff);
		pcm[2 * i + 1] = (unsigned char)((q >> 8) & 0xff);
	}
	crypto_generichash_update(h, pcm, 2 * n);
}

/* Gain to the target loudness, lowered when the true peak would go over full scale. */
/* Whether every sample is a number: a float file can hold infinities and NaNs, which the
 * meters would read as an infinite peak (written out as REPLAYGAIN_TRACK_PEAK=inf) or pass
 * over in silence, and the encoders turn into noise. Their exponent bits are all ones. */
static bool samples_finite(const float *x, size_t n)
{
	uint32_t bad = 0;

	for (size_t i = 0; i < n; i++) {
		uint32_t b;

		memcpy(&b, &x[i], sizeof b);
		bad |= (b & 0x7f800000u) == 0x7f800000u;
	}
	return !bad;
}

static double gain_for(double lufs, double peak)
{
	double gain = AUDIO_TARGET_LUFS - lufs;

	if (peak > 0 && peak * pow(10.0, gain / 20.0) > 1.0)
		gain = -20.0 * log10(peak);
	return gain;
}

/* Samples allocated for kept tracks by all threads together, held to AUDIO_PCM_BUDGET. */
static atomic_llong pcm_reserved;

void audio_pcm_free(struct audio_pcm *pcm)
{
	if (pcm != NULL) {
		atomic_fetch_sub(&pcm_reserved, pcm->cap);
		free(pcm->s);
	}
	free(pcm);
}

/* Appends n frames to the kept track, growing it by half each time; over either cap or out
 * of memory, lets go of it (the transcode then decodes the master itself). */
static void keep_block(struct audio_pcm **kept, const float *out, long n)
{
	struct audio_pcm *p = *kept;
	long long have = p->frames * p->channels, add = (long long)n * p->channels;
	long long cap = p->cap;

	if (have + add > AUDIO_PCM_MAX_SAMPLES)
		goto drop;
	if (have + add > cap) {
		float *s;

		cap = cap + cap / 2 > have + add ? cap + cap / 2 : have + add + (1 << 20);
		if (cap > AUDIO_PCM_MAX_SAMPLES)
			cap = AUDIO_PCM_MAX_SAMPLES;
		if (atomic_fetch_add(&pcm_reserved, cap - p->cap) + (cap - p->cap) >
		    AUDIO_PCM_BUDGET) {
			atomic_fetch_sub(&pcm_reserved, cap - p->cap);
			goto drop;
		}
		s = realloc(p->s, sizeof(float) * (size_t)cap);
		if (s == NULL) {
			atomic_fetch_sub(&pcm_reserved, cap - p->cap);
			goto drop;
		}
		p->s = s;
		p->cap = cap;
	}
	memcpy(p->s + have, out, sizeof(float) * (size_t)add);
	p->frames += n;
	return;
drop:
	audio_pcm_free(p);
	*kept = NULL;
}

int audio_analyse(const char *path, struct analysis *a, struct audio_pcm **out_pcm, char *err,
		  size_t errlen)
{
	struct audio_pcm *kept = NULL;
	struct audio_src src;
	crypto_generichash_state h;
	unsigned char *pcm = NULL;
	ebur128_state *ebu = NULL;
	struct truepeak *tp = NULL;
	struct features *feat = NULL;
	int rc = -1;
	long n;

	memset(a, 0, sizeof *a);
	if (sodium_init() < 0) {
		snprintf(err, errlen, "libsodium failed to initialise");
		return -1;
	}
	if (out_pcm != NULL)
		*out_pcm = NULL;
	if (audio_src_open(&src, path, err, errlen) != 0)
		return -1;
	if (out_pcm != NULL && (kept = calloc(1, sizeof *kept)) != NULL) {
		kept->channels = src.out_channels;
		kept->rate = src.rate;
	}
	pcm = malloc(2 * AUDIO_SRC_BLOCK * (size_t)src.channels);
	/* The true peak is ours (truepeak.c): libebur128's took a third of the analysis. The
	 * loudness range is not asked for: nothing used it, and its 3 s short-term blocks were
	 * a fifth of the analysis. */
	ebu = ebur128_init((unsigned)src.out_channels, (unsigned long)src.rate, EBUR128_MODE_I);
	tp = truepeak_new(src.out_channels, src.rate);
	feat = features_new(src.rate, src.out_channels);
	if (ebu == NULL || tp == NULL || feat == NULL || pcm == NULL) {
		snprintf(err, errlen, "cannot set up the analysis for %d Hz", src.rate);
		goto out;
	}
	hash_start(&h, src.channels, src.rate);

	for (;;) {
		const float *raw, *out;

		n = audio_src_read(&src, &raw, &out, err, errlen);
		if (n < 0)
			goto out;
		if (n == 0)
			break;
		if (!samples_finite(out, (size_t)n * (size_t)src.out_channels)) {
			snprintf(err, errlen, "samples that are not numbers (infinity or NaN) near %.1f s",
				 (double)src.pos / src.rate);
			goto out;
		}
		hash_block(&h, raw, (size_t)n * (size_t)src.channels, pcm);
		if (ebur128_add_frames_float(ebu, out, (size_t)n) != EBUR128_SUCCESS) {
			snprintf(err, errlen, "loudness analysis failed");
			goto out;
		}
		truepeak_add(tp, out, n);
		features_add(feat, out, n);
		if (kept != NULL)
			keep_block(&kept, out, n);
	}

	crypto_generichash_final(&h, a->content_hash, sizeof a->content_hash);
	a->frames = src.pos;
	a->channels = src.channels;
	a->rate = src.rate;
	a->duration_ms = (long)(src.pos * 1000 / src.rate);

	/* Silence and tracks shorter than one 400 ms block have no integrated loudness
	 * (-inf): they get no gain rather than an infinite one. */
	if (ebur128_loudness_global(ebu, &a->loudness_lufs) != EBUR128_SUCCESS ||
	    !isfinite(a->loudness_lufs))
		a->loudness_lufs = -70.0;
	a->true_peak = truepeak_value(tp);
	a->gain_db = a->loudness_lufs <= -70.0 ? 0 : gain_for(a->loudness_lufs, a->true_peak);
	features_finish(feat, a);
	if (kept != NULL && kept->frames == 0) {
		audio_pcm_free(kept);
		kept = NULL;
	}
	if (out_pcm != NULL) {
		*out_pcm = kept;
		kept = NULL;
	}
	rc = 0;
out:
	audio_pcm_free(kept);
	if (ebu != NULL)
		ebur128_destroy(&ebu);
	truepeak_free(tp);
	features_free(feat);
	free(pcm);
	audio_src_close(&src);
	return rc;
}
