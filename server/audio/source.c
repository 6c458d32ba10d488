#include "config.h"
#include "audio/source.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Stereo downmix of 3..8 channels in the WAVE/SMPTE default order (L R C LFE Ls Rs, then
 * back or side pairs). Centre and surrounds enter at -3 dB, LFE is dropped; each row is
 * scaled so its coefficients sum to 1, so the mix cannot clip. The loudness analysis runs on
 * this mix, so the gain it computes is right for the stream. */
static void downmix_coeffs(int channels, float left[AUDIO_MAX_CHANNELS],
			   float right[AUDIO_MAX_CHANNELS])
{
	static const char *const layouts[AUDIO_MAX_CHANNELS + 1] = {
		[3] = "LRC", [4] = "LRlr", [5] = "LRClr", [6] = "LRCXlr", [7] = "LRCXBlr",
		[8] = "LRCXlrlr",
	};
	const float m3db = 0.70710678f;
	float sl = 0, sr = 0;

	for (int c = 0; c < channels; c++) {
		switch (layouts[channels][c]) {
		case 'L': left[c] = 1; right[c] = 0; break;
		case 'R': left[c] = 0; right[c] = 1; break;
		case 'C':
		case 'B': left[c] = m3db; right[c] = m3db; break;
		case 'l': left[c] = m3db; right[c] = 0; break;
		case 'r': left[c] = 0; right[c] = m3db; break;
		default: left[c] = 0; right[c] = 0; break; /* LFE */
		}
		sl += left[c];
		sr += right[c];
	}
	for (int c = 0; c < channels; c++) {
		left[c] /= sl;
		right[c] /= sr;
	}
}

/* A RIFF WAVE whose data chunk announces more bytes than the file holds has been cut short;
 * libsndfile silently shortens it to what is there, so look at the header ourselves.
 * Returns the frames actually present when the file is cut, or -1. Sizes 0 and 0xffffffff
 * (written by streaming recorders that never went back to fix the header) prove nothing. */
static long long wav_truncated_at(const char *path, int channels, int format)
{
	unsigned char h[12];
	long long result = -1, size;
	int width;
	FILE *f = fopen(path, "rb");

	switch (format & SF_FORMAT_SUBMASK) {
	case SF_FORMAT_PCM_U8: width = 1; break;
	case SF_FORMAT_PCM_16: width = 2; break;
	case SF_FORMAT_PCM_24: width = 3; break;
	case SF_FORMAT_PCM_32: case SF_FORMAT_FLOAT: width = 4; break;
	case SF_FORMAT_DOUBLE: width = 8; break;
	default: width = 0; break;
	}
	if (f == NULL || width == 0 || fseeko(f, 0, SEEK_END) != 0 || (size = ftello(f)) < 0 ||
	    fseeko(f, 0, SEEK_SET) != 0 || fread(h, 1, 12, f) != 12 ||
	    memcmp(h, "RIFF", 4) != 0 || memcmp(h + 8, "WAVE", 4) != 0)
		goto out;
	for (int i = 0; i < 64; i++) {
		uint32_t len;
		long long at;

		if (fread(h, 1, 8, f) != 8)
			goto out;
		len = (uint32_t)h[4] | (uint32_t)h[5] << 8 | (uint32_t)h[6] << 16 |
		      (uint32_t)h[7] << 24;
		at = ftello(f);
		if (memcmp(h, "data", 4) == 0) {
			if (len != 0 && len != UINT32_MAX && at + len > size)
				result = (size - at) / ((long long)width * channels);
			goto out;
		}
		if (fseeko(f, (off_t)len + (len & 1), SEEK_CUR) != 0)
			goto out;
	}
out:
	if (f != NULL)
		fclose(f);
	return result;
}

int audio_src_open(struct audio_src *s, const char *path, char *err, size_t errlen)
{
	SF_INFO info = { 0 };

	memset(s, 0, sizeof *s);
	s->sf = sf_open(path, SFM_READ, &info);
	if (s->sf == NULL) {
		snprintf(err, errlen, "not readable audio: %s", sf_strerror(NULL));
		return -1;
	}
	s->channels = info.channels;
	s->rate = info.samplerate;
	s->claimed = info.frames == SF_COUNT_MAX || info.frames < 0 ? -1 : info.frames;
	if (s->rate < 8000 || s->rate > 192000) {
		snprintf(err, errlen, "unsupported sample rate %d Hz (8000..192000)", s->rate);
		goto fail;
	}
	if (s->channels < 1 || s->channels > AUDIO_MAX_CHANNELS) {
		snprintf(err, errlen, "unsupported channel count %d (1..%d)", s->channels,
			 AUDIO_MAX_CHANNELS);
		goto fail;
	}
	if (s->claimed == 0) {
		snprintf(err, errlen, "no audio");
		goto fail;
	}
	if (s->claimed > (long long)AUDIO_MAX_SECONDS * s->rate) {
		snprintf(err, errlen, "too long: %lld s (limit %d s)", s->claimed / s->rate,
			 AUDIO_MAX_SECONDS);
		goto fail;
	}
	if ((info.format & SF_FORMAT_TYPEMASK) == SF_FORMAT_WAV) {
		long long at = wav_truncated_at(path, s->channels, info.format);

		if (at >= 0) {
			snprintf(err, errlen, "truncated or corrupt audio at %.1f s",
				 (double)at / s->rate);
			goto fail;
		}
	}
	/* Ogg is the one container whose length libsndfile reads from the last page; when it
	 * cannot, the end of the file is missing. */
	if ((info.format & SF_FORMAT_TYPEMASK) == SF_FORMAT_OGG && info.seekable && s->claimed < 0)
		s->claimed = -2;

	s->out_channels = s->channels > 2 ? 2 : s->channels;
	if (s->channels > 2)
		downmix_coeffs(s->channels, s->left, s->right);
	s->raw = malloc(sizeof(float) * AUDIO_SRC_BLOCK * (size_t)s->channels);
	if (s->channels > 2)
		s->mix = malloc(sizeof(float) * AUDIO_SRC_BLOCK * 2);
	if (s->raw == NULL || (s->channels > 2 && s->mix == NULL)) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	return 0;
fail:
	audio_src_close(s);
	return -1;
}

long audio_src_read(struct audio_src *s, const float **raw, const float **out, char *err,
		    size_t errlen)
{
	sf_count_t n = sf_readf_float(s->sf, s->raw, AUDIO_SRC_BLOCK);
	const float *o = s->raw;

	if (n < 0 || sf_error(s->sf) != SF_ERR_NO_ERROR) {
		snprintf(err, errlen, "truncated or corrupt audio at %.1f s: %s", (double)s->pos / s->rate,
			 sf_strerror(s->sf));
		return -1;
	}
	if (n == 0) {
		if (s->claimed == -2 || (s->claimed > 0 && s->pos < s->claimed)) {
			snprintf(err, errlen, "truncated or corrupt audio at %.1f s",
				 (double)s->pos / s->rate);
			return -1;
		}
		if (s->pos == 0) {
			snprintf(err, errlen, "no audio");
			return -1;
		}
		return 0;
	}
	s->pos += n;
	if (s->pos > (long long)AUDIO_MAX_SECONDS * s->rate) {
		snprintf(err, errlen, "too long: over %d s", AUDIO_MAX_SECONDS);
		return -1;
	}
	if (s->channels > 2) {
		const float *in = s->raw, *left = s->left, *right = s->right;
		int ch = s->channels;

		for (sf_count_t i = 0; i < n; i++, in += ch) {
			float l = 0, r = 0;

			for (int c = 0; c < ch; c++) {
				l += left[c] * in[c];
				r += right[c] * in[c];
			}
			s->mix[2 * i] = l;
			s->mix[2 * i + 1] = r;
		}
		o = s->mix;
	}
	if (raw != NULL)
		*raw = s->raw;
	if (out != NULL)
		*out = o;
	return (long)n;
}

int audio_src_seek(struct audio_src *s, long long frame)
{
	if (sf_seek(s->sf, (sf_count_t)frame, SEEK_SET) != (sf_count_t)frame)
		return -1;
	s->pos = frame;
	return 0;
}

void audio_src_close(struct audio_src *s)
{
	if (s->sf != NULL)
		sf_close(s->sf);
	free(s->raw);
	free(s->mix);
	memset(s, 0, sizeof *s);
}
