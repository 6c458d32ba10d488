#include "config.h"
#include "audio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vorbis/vorbisenc.h>

#include "audio_src.h"
#include "halfband.h"

/* Output formats, found by trying vorbis_encode_init on libvorbis 1.3.7:
 *  - Bitrate-managed (ABR) setups exist only up to 48 kHz: hi-res masters are decimated by
 *    two (88.2/96 kHz) or four (176.4/192 kHz) to 44.1/48 kHz for every quality.
 *  - 24 kbps is refused for stereo at 22.05 kHz and above, and for mono above 24 kHz, but
 *    accepted for mono at 8..24 kHz: "low" is a mono downmix, decimated by two while above
 *    24 kHz (44.1 -> 22.05, 48 -> 24, 32 -> 16 kHz). Its low-pass sits near 6-7 kHz either
 *    way, so halving the rate costs nothing audible and frees bits.
 *  - 320 kbps works for stereo at 32..48 kHz, not for mono (at most ~240 kbps at 44.1 kHz)
 *    nor at low rates (96 kbps is too much for stereo 8 kHz). There, and wherever the target
 *    is refused, the highest bitrate below it that libvorbis accepts is used (steps of
 *    4 kbps); if none is, the lowest one above it; if none either, quality-based VBR.
 * Odd rates above 48 kHz cannot be halved exactly and are refused. */

#define MAX_STAGES 2 /* decimation stages before the full-rate encoders (192 -> 48 kHz) */

struct enc {
	int channels;
	long rate;
	int kbps; /* what libvorbis accepted; 0 for quality-based VBR */
	vorbis_info vi;
	vorbis_comment vc;
	vorbis_dsp_state vd;
	vorbis_block vb;
	ogg_stream_state os;
	int inited; /* vi, vc, vd, vb and os are set up */
	FILE *fp;
	long long bytes;
	char tmp[4096], final[4096];
	int have_tmp, renamed;
};

/* Halving stages and their output buffers: each stage's output is the next one's input. */
struct chain {
	int stages, channels;
	struct halfband *hb[MAX_STAGES + 1];
	float *buf[MAX_STAGES + 1][2];
};

struct job {
	struct audio_src src;
	struct enc enc[Q_COUNT];
	struct chain full, low;
	float *planar[2], *mono;
	char *err;
	size_t errlen;
};

static int setup_vorbis(struct enc *e, int kbps)
{
	int ok = 0;

	/* Below the target first (steps of 4 kbps), then above it. */
	for (int br = kbps; br >= 8 && !ok; br -= 4) {
		vorbis_info_init(&e->vi);
		ok = vorbis_encode_setup_managed(&e->vi, e->channels, e->rate, -1, br * 1000L, -1) == 0 &&
		     vorbis_encode_setup_init(&e->vi) == 0;
		if (ok)
			e->kbps = br;
		else
			vorbis_info_clear(&e->vi);
	}
	for (int br = kbps + 4; br <= 2 * kbps && !ok; br += 4) {
		vorbis_info_init(&e->vi);
		ok = vorbis_encode_setup_managed(&e->vi, e->channels, e->rate, -1, br * 1000L, -1) == 0 &&
		     vorbis_encode_setup_init(&e->vi) == 0;
		if (ok)
			e->kbps = br;
		else
			vorbis_info_clear(&e->vi);
	}
	if (!ok) {
		vorbis_info_init(&e->vi);
		ok = vorbis_encode_init_vbr(&e->vi, e->channels, e->rate, kbps >= 160 ? 0.9f : 0.3f) == 0;
		if (!ok)
			vorbis_info_clear(&e->vi);
		e->kbps = 0;
	}
	return ok ? 0 : -1;
}

static int write_page(struct enc *e, const ogg_page *og)
{
	if (fwrite(og->header, 1, (size_t)og->header_len, e->fp) != (size_t)og->header_len ||
	    fwrite(og->body, 1, (size_t)og->body_len, e->fp) != (size_t)og->body_len)
		return -1;
	e->bytes += og->header_len + og->body_len;
	return 0;
}

/* Sets up one output: encoder, comments, Ogg stream, temporary file, header pages. */
static int enc_open(struct job *j, int q, const char *dir, const struct analysis *a,
		    const struct vcomment *comments, size_t ncomments)
{
	struct enc *e = &j->enc[q];
	ogg_packet hdr[3];
	ogg_page og;
	char buf[64];
	unsigned serial = 0;
	int fd;

	if (setup_vorbis(e, quality_info[q].kbps) != 0) {
		snprintf(j->err, j->errlen, "libvorbis refuses %d channel(s) at %ld Hz", e->channels,
			 e->rate);
		return -1;
	}
	vorbis_comment_init(&e->vc);
	for (size_t i = 0; i < ncomments; i++)
		vorbis_comment_add_tag(&e->vc, comments[i].key, comments[i].value);
	snprintf(buf, sizeof buf, "%+.2f dB", a->gain_db);
	vorbis_comment_add_tag(&e->vc, "REPLAYGAIN_TRACK_GAIN", buf);
	snprintf(buf, sizeof buf, "%.6f", a->true_peak);
	vorbis_comment_add_tag(&e->vc, "REPLAYGAIN_TRACK_PEAK", buf);
	vorbis_comment_add_tag(&e->vc, "ENCODER", "segue");
	vorbis_analysis_init(&e->vd, &e->vi);
	vorbis_block_init(&e->vd, &e->vb);
	/* A serial number from the content: the same master gives the same bytes. */
	for (int i = 0; i < 4; i++)
		serial = serial << 8 | a->content_hash[i];
	ogg_stream_init(&e->os, (int)(serial + (unsigned)q));
	e->inited = 1;

	snprintf(e->final, sizeof e->final, "%s/%s.ogg", dir, quality_info[q].name);
	if ((size_t)snprintf(e->tmp, sizeof e->tmp, "%s/.%s.ogg.tmp.XXXXXX", dir,
			     quality_info[q].name) >= sizeof e->tmp) {
		snprintf(j->err, j->errlen, "output path too long");
		return -1;
	}
	fd = mkstemp(e->tmp);
	if (fd < 0) {
		snprintf(j->err, j->errlen, "cannot create %s: %s", e->tmp, strerror(errno));
		return -1;
	}
	e->have_tmp = 1;
	/* mkstemp makes 0600; streams are world-readable like any media file. */
	if (fchmod(fd, 0644) != 0 || (e->fp = fdopen(fd, "wb")) == NULL) {
		snprintf(j->err, j->errlen, "cannot open %s: %s", e->tmp, strerror(errno));
		close(fd);
		return -1;
	}

	/* The identification header alone on the first page, the other two on their own pages
	 * before any audio: ogg_stream_flush does exactly that here. */
	vorbis_analysis_headerout(&e->vd, &e->vc, &hdr[0], &hdr[1], &hdr[2]);
	for (int i = 0; i < 3; i++)
		ogg_stream_packetin(&e->os, &hdr[i]);
	while (ogg_stream_flush(&e->os, &og) != 0)
		if (write_page(e, &og) != 0)
			goto write_error;
	return 0;
write_error:
	snprintf(j->err, j->errlen, "cannot write %s: %s", e->tmp, strerror(errno));
	return -1;
}

/* Moves every finished block through the encoder into pages on disk. */
static int enc_drain(struct job *j, struct enc *e)
{
	ogg_packet op;
	ogg_page og;

	while (vorbis_analysis_blockout(&e->vd, &e->vb) == 1) {
		vorbis_analysis(&e->vb, NULL);
		vorbis_bitrate_addblock(&e->vb);
		while (vorbis_bitrate_flushpacket(&e->vd, &op) == 1) {
			ogg_stream_packetin(&e->os, &op);
			while (ogg_stream_pageout(&e->os, &og) != 0)
				if (write_page(e, &og) != 0)
					goto write_error;
		}
	}
	return 0;
write_error:
	snprintf(j->err, j->errlen, "cannot write %s: %s", e->tmp, strerror(errno));
	return -1;
}

static int enc_write(struct job *j, struct enc *e, float *const *in, long n)
{
	float **buf = vorbis_analysis_buffer(&e->vd, (int)n);

	for (int c = 0; c < e->channels; c++)
		memcpy(buf[c], in[c], sizeof(float) * (size_t)n);
	vorbis_analysis_wrote(&e->vd, (int)n);
	return enc_drain(j, e);
}

/* Ends the stream (the last packet's granule position is the exact frame count), writes
 * the last pages and makes the file durable. */
static int enc_finish(struct job *j, struct enc *e)
{
	ogg_page og;

	vorbis_analysis_wrote(&e->vd, 0);
	if (enc_drain(j, e) != 0)
		return -1;
	while (ogg_stream_flush(&e->os, &og) != 0)
		if (write_page(e, &og) != 0)
			goto write_error;
	if (fflush(e->fp) != 0 || fsync(fileno(e->fp)) != 0)
		goto write_error;
	return 0;
write_error:
	snprintf(j->err, j->errlen, "cannot write %s: %s", e->tmp, strerror(errno));
	return -1;
}

static void enc_free(struct enc *e, int keep_output)
{
	if (e->inited) {
		ogg_stream_clear(&e->os);
		vorbis_block_clear(&e->vb);
		vorbis_dsp_clear(&e->vd);
		vorbis_comment_clear(&e->vc);
		vorbis_info_clear(&e->vi);
		e->inited = 0;
	}
	if (e->fp != NULL)
		fclose(e->fp);
	e->fp = NULL;
	if (e->have_tmp)
		unlink(e->tmp);
	if (e->renamed && !keep_output)
		unlink(e->final);
}

static int chain_init(struct chain *c, int channels, int stages)
{
	c->channels = channels;
	c->stages = stages;
	for (int s = 0; s < stages; s++) {
		c->hb[s] = halfband_new(channels);
		if (c->hb[s] == NULL)
			return -1;
		for (int ch = 0; ch < channels; ch++) {
			c->buf[s][ch] = malloc(sizeof(float) * HALFBAND_MAX_OUT);
			if (c->buf[s][ch] == NULL)
				return -1;
		}
	}
	return 0;
}

static void chain_free(struct chain *c)
{
	for (int s = 0; s < MAX_STAGES + 1; s++) {
		halfband_free(c->hb[s]);
		free(c->buf[s][0]);
		free(c->buf[s][1]);
	}
}

static int low_sink(struct job *j, float *const *in, long n);
static int full_sink(struct job *j, float *const *in, long n);

/* Runs n frames through the stages of c from stage `from` on, then hands them to sink. */
static int chain_feed(struct job *j, struct chain *c, int from, float *const *in, long n,
		      int (*sink)(struct job *, float *const *, long))
{
	for (int s = from; s < c->stages && n > 0; s++) {
		n = halfband_run(c->hb[s], (const float *const *)in, n, c->buf[s]);
		in = c->buf[s];
	}
	return n > 0 ? sink(j, in, n) : 0;
}

/* Flushes each stage in turn; what a stage lets out still goes through the later ones. */
static int chain_end(struct job *j, struct chain *c,
		     int (*sink)(struct job *, float *const *, long))
{
	for (int s = 0; s < c->stages; s++) {
		long n = halfband_flush(c->hb[s], c->buf[s]);

		if (chain_feed(j, c, s + 1, c->buf[s], n, sink) != 0)
			return -1;
	}
	return 0;
}

static int low_sink(struct job *j, float *const *in, long n)
{
	return enc_write(j, &j->enc[Q_LOW], in, n);
}

/* At the full-quality rate: the three stereo (or mono) encoders, and the mono mix that feeds
 * the low quality. */
static int full_sink(struct job *j, float *const *in, long n)
{
	float *mono[1] = { j->mono };

	for (int q = Q_NORMAL; q < Q_COUNT; q++)
		if (enc_write(j, &j->enc[q], in, n) != 0)
			return -1;
	if (j->full.channels == 1) {
		mono[0] = in[0];
	} else {
		for (long i = 0; i < n; i++)
			j->mono[i] = 0.5f * (in[0][i] + in[1][i]);
	}
	return chain_feed(j, &j->low, 0, mono, n, low_sink);
}

/* Number of halvings that bring rate to at most limit, or -1 when an odd rate is in the way. */
static int halvings(long rate, long limit)
{
	int n = 0;

	for (; rate > limit; rate /= 2, n++)
		if (rate % 2 != 0)
			return -1;
	return n;
}

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY);
	int rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

static int encode_all(struct job *j)
{
	float *in[2];

	for (;;) {
		const float *out;
		long n = audio_src_read(&j->src, NULL, &out, j->err, j->errlen);

		if (n < 0)
			return -1;
		if (n == 0)
			break;
		if (j->src.out_channels == 1) {
			in[0] = (float *)out; /* the encoders only read it */
		} else {
			for (long i = 0; i < n; i++) {
				j->planar[0][i] = out[2 * i];
				j->planar[1][i] = out[2 * i + 1];
			}
			in[0] = j->planar[0];
			in[1] = j->planar[1];
		}
		if (chain_feed(j, &j->full, 0, in, n, full_sink) != 0)
			return -1;
	}
	if (chain_end(j, &j->full, full_sink) != 0 || chain_end(j, &j->low, low_sink) != 0)
		return -1;
	return 0;
}

int audio_transcode(const char *path, const char *dir, const struct analysis *a,
		    const struct vcomment *comments, size_t ncomments,
		    long long out_bytes[Q_COUNT], char *err, size_t errlen)
{
	struct job *j = calloc(1, sizeof *j);
	int full_stages, low_stages, rc = -1;
	long full_rate;

	if (j == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	j->err = err;
	j->errlen = errlen;
	if (audio_src_open(&j->src, path, err, errlen) != 0)
		goto out;
	if (a->frames > 0 && j->src.claimed >= 0 && j->src.claimed != a->frames) {
		snprintf(err, errlen, "the master changed since its analysis");
		goto out;
	}
	full_stages = halvings(j->src.rate, 48000);
	full_rate = j->src.rate >> (full_stages > 0 ? full_stages : 0);
	low_stages = halvings(full_rate, 24000);
	if (full_stages < 0 || low_stages < 0) {
		snprintf(err, errlen, "unsupported sample rate %d Hz", j->src.rate);
		goto out;
	}
	j->planar[0] = malloc(sizeof(float) * AUDIO_SRC_BLOCK);
	j->planar[1] = malloc(sizeof(float) * AUDIO_SRC_BLOCK);
	j->mono = malloc(sizeof(float) * AUDIO_SRC_BLOCK);
	if (j->planar[0] == NULL || j->planar[1] == NULL || j->mono == NULL ||
	    chain_init(&j->full, j->src.out_channels, full_stages) != 0 ||
	    chain_init(&j->low, 1, low_stages) != 0) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (int q = 0; q < Q_COUNT; q++) {
		j->enc[q].channels = q == Q_LOW ? 1 : j->src.out_channels;
		j->enc[q].rate = q == Q_LOW ? full_rate >> low_stages : full_rate;
		if (enc_open(j, q, dir, a, comments, ncomments) != 0)
			goto out;
	}
	if (encode_all(j) != 0)
		goto out;
	if (a->frames > 0 && j->src.pos != a->frames) {
		snprintf(err, errlen, "the master changed since its analysis");
		goto out;
	}
	for (int q = 0; q < Q_COUNT; q++)
		if (enc_finish(j, &j->enc[q]) != 0)
			goto out;
	for (int q = 0; q < Q_COUNT; q++) {
		struct enc *e = &j->enc[q];

		if (fclose(e->fp) != 0) {
			e->fp = NULL;
			snprintf(err, errlen, "cannot write %s: %s", e->tmp, strerror(errno));
			goto out;
		}
		e->fp = NULL;
		if (rename(e->tmp, e->final) != 0) {
			snprintf(err, errlen, "cannot rename %s: %s", e->tmp, strerror(errno));
			goto out;
		}
		e->have_tmp = 0;
		e->renamed = 1;
	}
	if (fsync_dir(dir) != 0) {
		snprintf(err, errlen, "cannot sync %s: %s", dir, strerror(errno));
		goto out;
	}
	for (int q = 0; q < Q_COUNT; q++)
		if (out_bytes != NULL)
			out_bytes[q] = j->enc[q].bytes;
	rc = 0;
out:
	for (int q = 0; q < Q_COUNT; q++)
		enc_free(&j->enc[q], rc == 0);
	chain_free(&j->full);
	chain_free(&j->low);
	free(j->planar[0]);
	free(j->planar[1]);
	free(j->mono);
	audio_src_close(&j->src);
	free(j);
	return rc;
}
