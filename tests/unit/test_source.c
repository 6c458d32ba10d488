/* audio_src over FFmpeg: exact samples from PCM (16-bit scaled by 1/32768, as the content
 * hash has always had them), the stereo downmix, refusals with their reasons, data cut
 * short, and seeks forward and back that give the very samples of a read from the start --
 * in WAV here, and in MP3, AAC, Opus and Vorbis when the ffmpeg command is there to make
 * them. */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audio/source.h"
#include "tap.h"

static char dir[] = "/tmp/segue-test-source-XXXXXX";

static void put16(FILE *f, unsigned v)
{
	fputc((int)(v & 0xff), f);
	fputc((int)((v >> 8) & 0xff), f);
}

static void put32(FILE *f, uint32_t v)
{
	put16(f, v & 0xffff);
	put16(f, v >> 16);
}

/* Sample i of channel c: a sine per channel plus a little deterministic noise, so a frame
 * off by one shows. */
static int16_t sample(long i, int c)
{
	static uint32_t seed;
	double v;

	if (i == 0 && c == 0)
		seed = 12345;
	seed = seed * 1664525u + 1013904223u;
	v = 0.5 * sin(2 * M_PI * (220.0 + 110 * c) * (double)i / 44100) +
	    0.05 * ((double)(seed >> 16) / 65536.0 - 0.5);
	return (int16_t)lrint(v * 32767);
}

/* A 16-bit WAV of frames frames whose data chunk announces `announce` frames. */
static void write_wav(const char *path, int channels, long frames, long announce,
		      int16_t *keep)
{
	FILE *f = fopen(path, "wb");
	uint32_t data = (uint32_t)(announce * channels * 2);

	fwrite("RIFF", 1, 4, f);
	put32(f, 36 + data);
	fwrite("WAVEfmt ", 1, 8, f);
	put32(f, 16);
	put16(f, 1);
	put16(f, (unsigned)channels);
	put32(f, 44100);
	put32(f, (uint32_t)(44100 * channels * 2));
	put16(f, (unsigned)(channels * 2));
	put16(f, 16);
	fwrite("data", 1, 4, f);
	put32(f, data);
	for (long i = 0; i < frames; i++)
		for (int c = 0; c < channels; c++) {
			int16_t v = sample(i, c);

			if (keep != NULL)
				keep[i * channels + c] = v;
			put16(f, (uint16_t)v);
		}
	fclose(f);
}

/* Reads the whole file; returns the frames (delivered samples in *out, malloc'd) or -1. */
static long read_all(const char *path, float **out, char *err, size_t errlen)
{
	struct audio_src s;
	long total = 0, n, cap = 0;
	const float *o;

	*out = NULL;
	if (audio_src_open(&s, path, err, errlen) != 0)
		return -1;
	while ((n = audio_src_read(&s, NULL, &o, err, errlen)) > 0) {
		if (n > AUDIO_SRC_BLOCK)
			break;
		if (total + n > cap) {
			cap = (total + n) * 2;
			*out = realloc(*out, sizeof(float) * (size_t)cap * (size_t)s.out_channels);
		}
		memcpy(*out + total * s.out_channels, o,
		       sizeof(float) * (size_t)n * (size_t)s.out_channels);
		total += n;
	}
	audio_src_close(&s);
	return n < 0 ? -1 : total;
}

/* Seeks to each target in turn (forward and back) and checks that a block read there is the
 * one a read from the start gave. */
static void check_seeks(const char *name, const char *path)
{
	static const long targets[] = { 0, 12345, 50000, 3000, 3001, 100000, 777, 131071 };
	char err[256];
	float *all;
	long total = read_all(path, &all, err, sizeof err);
	struct audio_src s;
	int bad = 0, tried = 0;

	if (!ok(total > 100000, "%s: read whole (%ld frames) %s", name, total,
		total < 0 ? err : ""))
		goto out;
	if (!ok(audio_src_open(&s, path, err, sizeof err) == 0, "%s: opens", name))
		goto out;
	for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) {
		const float *o;
		long n, want;

		if (targets[i] >= total)
			continue;
		tried++;
		if (audio_src_seek(&s, targets[i]) != 0) {
			bad++;
			continue;
		}
		n = audio_src_read(&s, NULL, &o, err, sizeof err);
		want = total - targets[i] < AUDIO_SRC_BLOCK ? total - targets[i] : AUDIO_SRC_BLOCK;
		if (n != want || s.pos != targets[i] + n ||
		    memcmp(o, all + targets[i] * s.out_channels,
			   sizeof(float) * (size_t)n * (size_t)s.out_channels) != 0) {
			printf("#   %s: at %ld got %ld frames, want %ld\n", name, targets[i], n, want);
			bad++;
		}
	}
	ok(bad == 0 && tried > 4, "%s: %d seeks forward and back give the samples of a linear read",
	   name, tried);
	audio_src_close(&s);
out:
	free(all);
}

static void check_wav(void)
{
	char path[256], err[256];
	long frames = 10000, total = 0, n, blocks = 0;
	int16_t *pcm = malloc(sizeof(int16_t) * 2 * (size_t)frames);
	struct audio_src s;
	const float *raw, *out;
	int exact = 1;

	snprintf(path, sizeof path, "%s/a.wav", dir);
	write_wav(path, 2, frames, frames, pcm);
	if (!ok(audio_src_open(&s, path, err, sizeof err) == 0, "a 16-bit WAV opens (%s)", err))
		goto out;
	is_int(s.channels, 2, "two channels");
	is_int(s.out_channels, 2, "delivered as two");
	is_int(s.rate, 44100, "44.1 kHz");
	is_int(s.claimed, frames, "the header's length is claimed exactly");
	while ((n = audio_src_read(&s, &raw, &out, err, sizeof err)) > 0) {
		blocks++;
		if (n > AUDIO_SRC_BLOCK || raw != out)
			exact = 0;
		for (long i = 0; exact && i < 2 * n; i++)
			if (raw[i] != (float)pcm[2 * total + i] / 32768.0f)
				exact = 0;
		total += n;
	}
	is_int(n, 0, "ends cleanly");
	is_int(total, frames, "every frame");
	ok(exact && blocks == 3, "samples are the 16-bit values over 32768, in blocks of at most %d",
	   AUDIO_SRC_BLOCK);
	is_int(audio_src_read(&s, &raw, &out, err, sizeof err), 0, "a read past the end is 0 again");
	ok(audio_src_seek(&s, 9000) == 0, "seeks back from the end");
	n = audio_src_read(&s, &raw, NULL, err, sizeof err);
	ok(n == 1000 && raw[0] == (float)pcm[18000] / 32768.0f, "and reads the last 1000 frames");
	audio_src_close(&s);
	audio_src_close(&s);
	ok(1, "closing twice is harmless");
out:
	free(pcm);
}

static void check_downmix(void)
{
	char path[256], err[256];
	long frames = 5000, n;
	int16_t *pcm = malloc(sizeof(int16_t) * 6 * (size_t)frames);
	struct audio_src s;
	const float *raw, *out;
	const float c = 0.70710678f, side = 1 + c + c;
	int right = 1;

	snprintf(path, sizeof path, "%s/six.wav", dir);
	write_wav(path, 6, frames, frames, pcm);
	if (!ok(audio_src_open(&s, path, err, sizeof err) == 0, "a 6-channel WAV opens (%s)", err))
		goto out;
	ok(s.channels == 6 && s.out_channels == 2, "six channels, delivered as two");
	n = audio_src_read(&s, &raw, &out, err, sizeof err);
	for (long i = 0; i < n; i++) {
		const float *r = raw + 6 * i;
		float l = (r[0] + c * r[2] + c * r[4]) / side, rr = (r[1] + c * r[2] + c * r[5]) / side;

		if (fabsf(out[2 * i] - l) > 1e-6f || fabsf(out[2 * i + 1] - rr) > 1e-6f)
			right = 0;
	}
	ok(n > 0 && raw != out && right, "L R C LFE Ls Rs: centre and surrounds at -3 dB, no LFE");
	audio_src_close(&s);
out:
	free(pcm);
}

static void check_refusals(void)
{
	char path[256], err[256] = "";
	struct audio_src s;
	const float *out;
	long n;
	FILE *f;

	snprintf(path, sizeof path, "%s/cut.wav", dir);
	write_wav(path, 2, 8000, 20000, NULL);
	ok(audio_src_open(&s, path, err, sizeof err) == 0, "a WAV cut short opens");
	while ((n = audio_src_read(&s, NULL, &out, err, sizeof err)) > 0)
		;
	ok(n < 0 && strstr(err, "truncated") != NULL, "and reading it fails: %s", err);
	audio_src_close(&s);

	snprintf(path, sizeof path, "%s/notes.mp3", dir);
	f = fopen(path, "w");
	for (int i = 0; i < 200; i++)
		fprintf(f, "these are not the sounds you are looking for %d\n", i);
	fclose(f);
	ok(audio_src_open(&s, path, err, sizeof err) < 0 &&
	   (strncmp(err, "not audio", 9) == 0 || strncmp(err, "corrupt or not audio", 20) == 0),
	   "text called .mp3 is refused: %s", err);

	snprintf(path, sizeof path, "%s/empty.flac", dir);
	fclose(fopen(path, "w"));
	ok(audio_src_open(&s, path, err, sizeof err) < 0 && strcmp(err, "not audio: empty file") == 0,
	   "an empty file is refused: %s", err);

	snprintf(path, sizeof path, "%s/none.wav", dir);
	ok(audio_src_open(&s, path, err, sizeof err) < 0 && strstr(err, "No such file") != NULL,
	   "a missing file is refused: %s", err);
	ok(s.dec == NULL, "and nothing is left open");
}

/* One byte changed in the middle of a FLAC file: the frame's checksum no longer holds, and a
 * lossless master that is not what was archived is refused. */
static void check_flipped(const char *d)
{
	char path[256], err[256] = "";
	float *all = NULL;
	FILE *f;
	long size;
	int c;

	snprintf(path, sizeof path, "%s/x.flac", d);
	if ((f = fopen(path, "r+b")) == NULL) {
		ok(0, "x.flac is there to damage");
		return;
	}
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fseek(f, size * 2 / 3, SEEK_SET);
	c = fgetc(f);
	fseek(f, size * 2 / 3, SEEK_SET);
	fputc(c ^ 0x55, f);
	fclose(f);
	ok(read_all(path, &all, err, sizeof err) < 0 && strstr(err, "corrupt") != NULL,
	   "a FLAC with one byte changed is refused: %s", err);
	free(all);
}

/* Lossy formats from a longer WAV through the ffmpeg command, when there is one. */
static void check_lossy(void)
{
	static const struct {
		const char *name, *args;
	} fmts[] = {
		{ "x.mp3", "-c:a libmp3lame -q:a 4" },
		{ "x.m4a", "-c:a aac -b:a 128k" },
		{ "x.opus", "-c:a libopus -b:a 96k" },
		{ "x.ogg", "-c:a libvorbis -q:a 4" },
		{ "x.flac", "-c:a flac" },
	};
	char wav[256], path[256], cmd[1024];

	snprintf(wav, sizeof wav, "%s/long.wav", dir);
	write_wav(wav, 2, 150000, 150000, NULL);
	if (system("ffmpeg -version >/dev/null 2>&1") != 0) {
		ok(1, "# SKIP no ffmpeg command to make MP3, AAC, Opus and Vorbis");
		return;
	}
	for (size_t i = 0; i < sizeof fmts / sizeof fmts[0]; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, fmts[i].name);
		snprintf(cmd, sizeof cmd, "ffmpeg -v error -y -i %s %s %s", wav, fmts[i].args, path);
		if (!ok(system(cmd) == 0, "ffmpeg makes %s", fmts[i].name))
			continue;
		check_seeks(fmts[i].name, path);
	}
	check_seeks("long.wav", wav);
	check_flipped(dir);
}

int main(void)
{
	char cmd[300];

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	check_wav();
	check_downmix();
	check_refusals();
	check_lossy();
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	return done();
}
