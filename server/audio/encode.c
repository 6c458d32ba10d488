#include "config.h"
#include "audio/audio.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vorbis/vorbisenc.h>
#if defined(__x86_64__) || defined(__SSE2__)
#include <pmmintrin.h>
#include <xmmintrin.h>
#define HAVE_MXCSR 1
#endif

#include "audio/bitrate.h"
#include "audio/source.h"
#include "audio/halfband.h"
#include "log.h"

/* Output formats, found by trying vorbis_encode_init on libvorbis 1.3.7:
 *  - Bitrate-managed (ABR) setups exist only up to 48 kHz: hi-res masters are decimated by
 *    two (88.2/96 kHz), four (176.4/192 kHz), eight (352.8/384 kHz: DXD, and DSD64 as
 *    FFmpeg decodes it) or sixteen (705.6/768 kHz) to 44.1/48 kHz for every quality.
 *  - 24 kbps is refused for stereo at 22.05 kHz and above, and for mono above 24 kHz, but
 *    accepted for mono at 8..24 kHz: "low" is a mono downmix, decimated by two while above
 *    24 kHz (44.1 -> 22.05, 48 -> 24, 32 -> 16 kHz). libvorbis low-passes 24 kbps mono at
 *    10.5 kHz there; the decimator (server/audio/halfband.c) is flat to 8.8 kHz and -6 dB at 11 kHz
 *    (44.1 -> 22.05), so the two nearly coincide: a slight roll-off above 9 kHz at "low".
 *  - 320 kbps works for stereo at 32..48 kHz, not for mono (at most ~240 kbps at 44.1 kHz)
 *    nor at low rates (96 kbps is too much for stereo 8 kHz). There, and wherever the target
 *    is refused, the highest bitrate below it that libvorbis accepts is the target (steps of
 *    4 kbps); if none is, the lowest one above it; if none either, a fixed VBR quality.
 * Odd rates above 48 kHz cannot be halved exactly and are refused. */

/* Calibrated VBR. libvorbis's bitrate management lands within ~2% of a target on any
 * material, but it encodes every block at 15 quality levels to choose from: the four
 * qualities together run at ~6x real time for 44.1 kHz stereo. Plain VBR runs ~4x faster
 * but its rate follows the material (-40..+40% of the nominal rate on music, far less on
 * sparse or tonal sound). So each quality is encoded in VBR at a quality measured for the
 * track:
 *  1. Calibration: a sample of the track (server/audio/bitrate.c: 6%, at least 2 s, in 1 s
 *     excerpts) is encoded, counting bytes only, at libvorbis's nominal quality for the
 *     target (in its lowest step, where music runs well over that mapping, at 1.3 times
 *     its rate: bitrate.c); the model's correction is taken as it is when the sample was
 *     within RETRY_TOL and the correction stays in a step of libvorbis's setup where a
 *     measurement was made (across a step the rate jumps: bitrate.h) or goes down into the
 *     step under a measurement made at its step's lower edge, else measured again
 *     (MAX_ROUNDS at most; a round encodes only the qualities still off, and one within
 *     SAMPLE_TOL keeps its quality). A counting pass does not end its streams (see
 *     sample_kbps). Tracks under 4 s skip this: their first whole encode is their
 *     calibration.
 *     Why so little: the four whole encodes are the floor of the cost, and ingest is to be
 *     at least as fast as ffmpeg doing those four encodes with no calibration at all
 *     (bench/ingest.sh). The sample used to be 12% (5 s at least) for up to four rounds:
 *     on 10 s tracks that cost more than the whole encodes. A smaller sample follows the
 *     track less well, which step 3 catches, at the price of a second encode of that quality.
 *  2. The whole track is encoded at that quality to the output file, and its average
 *     bitrate measured as ogginfo does (audio pages over the duration).
 *  3. Outside FINAL_TOL, it is encoded again at a quality corrected by the whole-track
 *     figure; still outside (or out of VBR's reach), with bitrate management.
 * Every pass decodes the master once (or reads the analysis's copy of it, see audio.h) and
 * feeds every encoder that takes part in it. The choices depend on the audio only, so the
 * same master gives the same bytes. */
#define SAMPLE_TOL 0.03
#define FINAL_TOL 0.05
#define MAX_ROUNDS 3
/* A round this close to the target moves the quality by the model's estimate without
 * measuring it again, if the estimate stays in a measured step, or crosses one step down
 * from a measurement at that step's lower edge. Every target but the lowest sits on such an
 * edge (96 kbit/s at quality 0.2, 160 at 0.5, 320 at 0.9 for 44.1 kHz stereo), where the
 * first sample is taken; music over the target there wants the step below. Measured again,
 * the quality the model gave from the edge's sample stood (within SAMPLE_TOL) for five of
 * the seven bench tracks (bench/ingest.sh) off by 10% or less at 320 kbit/s: a second round
 * of the costliest quality for nothing. */
#define RETRY_TOL 0.10
/* Packets whose window could reach across the join of two excerpts are left out of the
 * count: a join is a click, which costs short blocks that the track does not have. */
#define GUARD 2048

#define MAX_STAGES 4 /* decimation stages before the full-rate encoders (768 -> 48 kHz) */

enum role { ROLE_OFF, ROLE_COUNT, ROLE_WRITE }; /* an encoder's part in a pass */

struct enc {
	int channels;
	long rate;
	int shift;        /* halvings from the master's rate to this encoder's */
	int kbps;         /* the managed bitrate libvorbis accepts here; 0 if none */
	double target;    /* kbps to reach; 0 for a fixed quality */
	int managed;      /* encode with bitrate management at kbps */
	float q;          /* the VBR quality otherwise */
	struct rate_fit fit;
	int settled;      /* calibration is over */
	int tries;        /* whole-track VBR encodes so far */
	int done;         /* the output file is final */
	/* What it cost, for the debug log: */
	int counts;       /* calibration passes taking part in */
	int writes;       /* whole-track encodes */
	float qs0;        /* the first sample's quality */
	double ks0;       /* and what it gave */
	double pred0;     /* the first whole encode's predicted kbps */
	double kbps0;     /* and what it gave */
	enum role role;
	vorbis_info vi;
	vorbis_comment vc;
	vorbis_dsp_state vd;
	vorbis_block vb;
	ogg_stream_state os;
	int inited;       /* vi, vd and vb are set up */
	int os_inited;    /* vc and os too */
	/* Counting, for calibration. */
	int win;          /* the excerpt the next packet may fall in */
	double counted;   /* estimated bytes of the packets inside the excerpts */
	/* Writing. */
	FILE *fp;
	long long bytes, head_bytes; /* all of the file; its header pages */
	long long granule;           /* of the last packet: frames at this rate */
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
	const char *path;
	const struct analysis *a;
	const struct audio_pcm *pcm;         /* the decoded track, or NULL: decode path */
	struct audio_src src;
	int channels;                        /* delivered by the source: 1 or 2 */
	struct enc enc[Q_COUNT];
	int full_stages, low_stages;
	struct chain full, low;
	struct rate_plan plan;
	long long offset[RATE_MAX_EXCERPTS]; /* where each excerpt starts in the sample stream */
	const struct rate_plan *pass_plan;   /* the current pass's, NULL for the whole track */
	float *planar[2], *mono;
	char *err;
	size_t errlen;
};

/* Sets up e->vi for br kbps with bitrate management, or leaves it cleared and returns -1
 * when libvorbis has no such setup at this rate and channel count. */
static int setup_managed(struct enc *e, int br)
{
	vorbis_info_init(&e->vi);
	if (vorbis_encode_setup_managed(&e->vi, e->channels, e->rate, -1, br * 1000L, -1) == 0 &&
	    vorbis_encode_setup_init(&e->vi) == 0)
		return 0;
	vorbis_info_clear(&e->vi);
	return -1;
}

/* The managed bitrate closest to kbps that libvorbis accepts here: below it first (steps of
 * 4 kbps), then above it; 0 if none. */
static int accepted_bitrate(struct enc *e, int kbps)
{
	int br;

	for (br = kbps; br >= 8; br -= 4)
		if (setup_managed(e, br) == 0)
			goto found;
	for (br = kbps + 4; br <= 2 * kbps; br += 4)
		if (setup_managed(e, br) == 0)
			goto found;
	return 0;
found:
	vorbis_info_clear(&e->vi);
	return br;
}

static int setup_vorbis(struct enc *e)
{
	if (e->managed)
		return setup_managed(e, e->kbps);
	vorbis_info_init(&e->vi);
	if (vorbis_encode_setup_vbr(&e->vi, e->channels, e->rate, e->q) == 0 &&
	    vorbis_encode_setup_init(&e->vi) == 0)
		return 0;
	vorbis_info_clear(&e->vi);
	return -1;
}

static int write_page(struct enc *e, const ogg_page *og)
{
	if (fwrite(og->header, 1, (size_t)og->header_len, e->fp) != (size_t)og->header_len ||
	    fwrite(og->body, 1, (size_t)og->body_len, e->fp) != (size_t)og->body_len)
		return -1;
	e->bytes += og->header_len + og->body_len;
	return 0;
}

/* Creates the temporary output file, world-readable like any media file. */
static int enc_create(struct job *j, int q, const char *dir)
{
	struct enc *e = &j->enc[q];
	int fd;

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
	if (fchmod(fd, 0644) != 0 || (e->fp = fdopen(fd, "wb")) == NULL) {
		snprintf(j->err, j->errlen, "cannot open %s: %s", e->tmp, strerror(errno));
		close(fd);
		return -1;
	}
	return 0;
}

/* Sets up the encoder for its role in this pass. A writer starts its file over: comments,
 * Ogg stream, header pages. */
static int enc_start(struct job *j, int q, const struct vcomment *comments, size_t ncomments)
{
	struct enc *e = &j->enc[q];
	const struct analysis *a = j->a;
	ogg_packet hdr[3];
	ogg_page og;
	char buf[64];
	unsigned serial = 0;

	if (setup_vorbis(e) != 0) {
		snprintf(j->err, j->errlen, "libvorbis refuses %d channel(s) at %ld Hz", e->channels,
			 e->rate);
		return -1;
	}
	vorbis_analysis_init(&e->vd, &e->vi);
	vorbis_block_init(&e->vd, &e->vb);
	e->inited = 1;
	e->win = 0;
	e->counted = 0;
	e->granule = 0;
	if (e->role != ROLE_WRITE)
		return 0;

	vorbis_comment_init(&e->vc);
	for (size_t i = 0; i < ncomments; i++)
		vorbis_comment_add_tag(&e->vc, comments[i].key, comments[i].value);
	snprintf(buf, sizeof buf, "%+.2f dB", a->gain_db);
	vorbis_comment_add_tag(&e->vc, "REPLAYGAIN_TRACK_GAIN", buf);
	snprintf(buf, sizeof buf, "%.6f", a->true_peak);
	vorbis_comment_add_tag(&e->vc, "REPLAYGAIN_TRACK_PEAK", buf);
	vorbis_comment_add_tag(&e->vc, "ENCODER", "segue");
	/* A serial number from the content: the same master gives the same bytes. */
	for (int i = 0; i < 4; i++)
		serial = serial << 8 | a->content_hash[i];
	ogg_stream_init(&e->os, (int)(serial + (unsigned)q));
	e->os_inited = 1;

	e->bytes = 0;
	if (fseeko(e->fp, 0, SEEK_SET) != 0 || ftruncate(fileno(e->fp), 0) != 0)
		goto write_error;
	/* The identification header alone on the first page, the other two on their own pages
	 * before any audio: ogg_stream_flush does exactly that here. */
	vorbis_analysis_headerout(&e->vd, &e->vc, &hdr[0], &hdr[1], &hdr[2]);
	for (int i = 0; i < 3; i++)
		ogg_stream_packetin(&e->os, &hdr[i]);
	while (ogg_stream_flush(&e->os, &og) != 0)
		if (write_page(e, &og) != 0)
			goto write_error;
	e->head_bytes = e->bytes;
	return 0;
write_error:
	snprintf(j->err, j->errlen, "cannot write %s: %s", e->tmp, strerror(errno));
	return -1;
}

/* Excerpt i's counted window at the encoder's rate: [*lo, *hi). */
static void window(const struct job *j, const struct enc *e, int i, long long *lo,
		   long long *hi)
{
	*lo = (j->offset[i] >> e->shift) + GUARD;
	*hi = ((j->offset[i] + j->pass_plan->len[i]) >> e->shift) - GUARD;
}

/* Adds a packet to the count if it lies inside an excerpt. What the file would hold is
 * estimated: the packet, its lacing values, and a 27-byte page header per ~4 kB. */
static void count_packet(struct job *j, struct enc *e, const ogg_packet *op)
{
	long long lo = 0, hi = 0;

	for (; e->win < j->pass_plan->n; e->win++) {
		window(j, e, e->win, &lo, &hi);
		if (op->granulepos < hi)
			break;
	}
	if (e->win < j->pass_plan->n && op->granulepos >= lo)
		e->counted += (op->bytes + op->bytes / 255 + 1) * (1 + 27.0 / 4096);
}

/* Moves every finished block through the encoder, into the count or into pages on disk. */
static int enc_drain(struct job *j, struct enc *e)
{
	ogg_packet op;
	ogg_page og;

	while (vorbis_analysis_blockout(&e->vd, &e->vb) == 1) {
		vorbis_analysis(&e->vb, NULL);
		vorbis_bitrate_addblock(&e->vb);
		while (vorbis_bitrate_flushpacket(&e->vd, &op) == 1) {
			e->granule = op.granulepos;
			if (e->role == ROLE_COUNT) {
				count_packet(j, e, &op);
				continue;
			}
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

/* Ends the stream (the last packet's granule position is the exact frame count) and writes
 * the last pages. */
static int enc_end(struct job *j, struct enc *e)
{
	ogg_page og;

	vorbis_analysis_wrote(&e->vd, 0);
	if (enc_drain(j, e) != 0)
		return -1;
	if (e->role == ROLE_WRITE)
		while (ogg_stream_flush(&e->os, &og) != 0)
			if (write_page(e, &og) != 0)
				goto write_error;
	return 0;
write_error:
	snprintf(j->err, j->errlen, "cannot write %s: %s", e->tmp, strerror(errno));
	return -1;
}

static void enc_clear(struct enc *e)
{
	if (e->os_inited) {
		ogg_stream_clear(&e->os);
		vorbis_comment_clear(&e->vc);
		e->os_inited = 0;
	}
	if (e->inited) {
		vorbis_block_clear(&e->vb);
		vorbis_dsp_clear(&e->vd);
		vorbis_info_clear(&e->vi);
		e->inited = 0;
	}
}

static void enc_free(struct enc *e, int keep_output)
{
	enc_clear(e);
	if (e->fp != NULL)
		fclose(e->fp);
	e->fp = NULL;
	if (e->have_tmp)
		unlink(e->tmp);
	if (e->renamed && !keep_output)
		unlink(e->final);
}

/* The sample's bitrate as the file would have it, from the count. A counting pass does not
 * end its stream (the end would encode three long blocks of extrapolated audio that no
 * window counts), so the last window may reach past the last packet out: the count goes up
 * to that packet. */
static double sample_kbps(const struct job *j, const struct enc *e)
{
	long long lo, hi, frames = 0;

	for (int i = 0; i < j->pass_plan->n; i++) {
		window(j, e, i, &lo, &hi);
		if (hi > e->granule)
			hi = e->granule;
		frames += hi > lo ? hi - lo : 0;
	}
	return frames > 0 ? e->counted * 8 / ((double)frames / e->rate) / 1000 : 0;
}

/* The file's average bitrate as ogginfo reports it: audio pages over the duration. */
static double file_kbps(const struct enc *e)
{
	return e->granule > 0 ? (double)(e->bytes - e->head_bytes) * 8 /
					((double)e->granule / e->rate) / 1000
			      : 0;
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
	memset(c, 0, sizeof *c);
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
 * the low quality. Encoders that sit out this pass are skipped, and so is the mix. */
static int full_sink(struct job *j, float *const *in, long n)
{
	float *mono[1] = { j->mono };

	for (int q = Q_NORMAL; q < Q_COUNT; q++)
		if (j->enc[q].role != ROLE_OFF && enc_write(j, &j->enc[q], in, n) != 0)
			return -1;
	if (j->enc[Q_LOW].role == ROLE_OFF)
		return 0;
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

/* Feeds frames [start, start + len) of the kept track to the chains, in blocks no larger
 * than the source's. */
static int feed_kept(struct job *j, long long start, long long len)
{
	const struct audio_pcm *p = j->pcm;
	long long end = start + len < p->frames ? start + len : p->frames;
	float *in[2];

	for (long long at = start; at < end; at += AUDIO_SRC_BLOCK) {
		long n = end - at < AUDIO_SRC_BLOCK ? (long)(end - at) : AUDIO_SRC_BLOCK;
		const float *out = p->s + at * p->channels;

		if (p->channels == 1) {
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
	return 0;
}

/* Feeds the master's frames [start, start + len) to the chains: seeks there when it can,
 * else reads on and drops what comes before. */
static int feed_range(struct job *j, long long start, long long len)
{
	long long end = start + len;
	float *in[2];

	if (j->pcm != NULL)
		return feed_kept(j, start, len);
	if (j->src.pos != start)
		audio_src_seek(&j->src, start); /* on failure pos stays <= start: read up to it */
	while (j->src.pos < end) {
		const float *out;
		long long at = j->src.pos;
		long n = audio_src_read(&j->src, NULL, &out, j->err, j->errlen);
		long from, to;

		if (n < 0)
			return -1;
		if (n == 0)
			break;
		from = at < start ? (long)(start - at) : 0;
		to = at + n > end ? (long)(end - at) : n;
		if (from >= to)
			continue;
		if (j->src.out_channels == 1) {
			in[0] = (float *)out + from; /* the encoders only read it */
		} else {
			for (long i = from; i < to; i++) {
				j->planar[0][i - from] = out[2 * i];
				j->planar[1][i - from] = out[2 * i + 1];
			}
			in[0] = j->planar[0];
			in[1] = j->planar[1];
		}
		if (chain_feed(j, &j->full, 0, in, to - from, full_sink) != 0)
			return -1;
	}
	return 0;
}

/* One pass over the master (the whole of it, or the plan's excerpts back to back) through
 * every encoder that has a role in it. */
static int run_pass(struct job *j, const struct rate_plan *plan, const struct vcomment *comments,
		    size_t ncomments)
{
	const struct analysis *a = j->a;
	int rc = -1;

	j->pass_plan = plan;
	if (j->pcm == NULL && audio_src_open(&j->src, j->path, j->err, j->errlen) != 0)
		return -1;
	if (chain_init(&j->full, j->channels, j->full_stages) != 0 ||
	    chain_init(&j->low, 1, j->low_stages) != 0) {
		snprintf(j->err, j->errlen, "out of memory");
		goto out;
	}
	for (int q = 0; q < Q_COUNT; q++) {
		if (j->enc[q].role == ROLE_OFF)
			continue;
		if (enc_start(j, q, comments, ncomments) != 0)
			goto out;
		j->enc[q].counts += j->enc[q].role == ROLE_COUNT;
		j->enc[q].writes += j->enc[q].role == ROLE_WRITE;
		if (j->enc[q].role == ROLE_WRITE && j->enc[q].writes == 1 && !j->enc[q].managed)
			j->enc[q].pred0 = rate_fit_predict(&j->enc[q].fit, j->enc[q].q);
	}
	if (plan != NULL) {
		long long off = 0;

		for (int i = 0; i < plan->n; i++) {
			j->offset[i] = off;
			off += plan->len[i];
		}
		for (int i = 0; i < plan->n; i++)
			if (feed_range(j, plan->start[i], plan->len[i]) != 0)
				goto out;
	} else {
		if (feed_range(j, 0, j->pcm != NULL ? j->pcm->frames
						    : (long long)AUDIO_MAX_SECONDS * j->src.rate + 1) != 0)
			goto out;
		if (j->pcm == NULL && a->frames > 0 && j->src.pos != a->frames) {
			snprintf(j->err, j->errlen, "the master changed since its analysis");
			goto out;
		}
	}
	if (chain_end(j, &j->full, full_sink) != 0 ||
	    (j->enc[Q_LOW].role != ROLE_OFF && chain_end(j, &j->low, low_sink) != 0))
		goto out;
	for (int q = 0; q < Q_COUNT; q++)
		if (j->enc[q].role == ROLE_WRITE && enc_end(j, &j->enc[q]) != 0)
			goto out;
	rc = 0;
out:
	for (int q = 0; q < Q_COUNT; q++)
		enc_clear(&j->enc[q]);
	chain_free(&j->full);
	chain_free(&j->low);
	audio_src_close(&j->src);
	return rc;
}

/* After a calibration pass: keeps the quality if the sample hit the target, else moves it
 * to the model's new estimate. When even the end of VBR's range misses by far, bitrate
 * management takes over straight away. */
static void calibrate_step(const struct job *j, struct enc *e, int last_round)
{
	double kbps = sample_kbps(j, e), miss = kbps / e->target - 1;
	float q;

	if (e->counts == 1) {
		e->qs0 = e->q;
		e->ks0 = kbps;
	}
	rate_fit_add(&e->fit, e->q, kbps);
	if (fabs(miss) <= SAMPLE_TOL) {
		e->settled = 1;
		return;
	}
	q = rate_fit_quality(&e->fit);
	if (fabsf(q - e->q) < 1e-4f) { /* the end of the range, or the edge of a jump */
		e->settled = 1;
		e->managed = fabs(miss) > 2 * FINAL_TOL;
		return;
	}
	e->q = q;
	e->settled = last_round || rate_fit_between(&e->fit, q) ||
		     (fabs(miss) <= RETRY_TOL && (rate_fit_in_step(&e->fit, q) ||
						  rate_fit_below_edge(&e->fit, q)));
}

/* After a whole-track pass: accepts the file, or sets up the next attempt. The first miss
 * of a calibrated quality is re-encoded once at a corrected quality (an uncalibrated one
 * gets two more tries, its first encode having been its calibration); after that, or when
 * VBR cannot go further, bitrate management. */
static void judge(struct enc *e, int calibrated)
{
	double kbps = file_kbps(e), miss = kbps / e->target - 1;
	float q;

	if (e->writes == 1)
		e->kbps0 = kbps;
	if (e->managed || e->target <= 0 || fabs(miss) <= FINAL_TOL) {
		e->done = 1;
		return;
	}
	e->tries++;
	if (calibrated)
		rate_fit_rescale(&e->fit, e->q, kbps); /* the sample's curve, moved onto the track */
	else
		rate_fit_add(&e->fit, e->q, kbps);
	q = rate_fit_quality(&e->fit);
	if (e->tries >= (calibrated ? 2 : 3) || fabsf(q - e->q) < 1e-4f)
		e->managed = 1;
	else
		e->q = q;
}

static int any_role(const struct job *j)
{
	for (int q = 0; q < Q_COUNT; q++)
		if (j->enc[q].role != ROLE_OFF)
			return 1;
	return 0;
}

/* libvorbis's end of stream runs an LPC predictor on past the last sample, and its output
 * decays into denormal floats, which x86 computes about a hundred times slower: it was 2-4%
 * of ingest's time. While this thread encodes, denormals are taken as zero (MXCSR's FTZ and
 * DAZ; the thread's previous mode comes back on return). They are below -758 dBFS: the
 * output differs from an encode without this only in what they would have rounded to. */
static unsigned denormals_off(void)
{
#ifdef HAVE_MXCSR
	unsigned csr = _mm_getcsr();

	_mm_setcsr(csr | _MM_FLUSH_ZERO_ON | _MM_DENORMALS_ZERO_ON);
	return csr;
#else
	return 0;
#endif
}

static void denormals_restore(unsigned csr)
{
#ifdef HAVE_MXCSR
	_mm_setcsr(csr);
#else
	(void)csr;
#endif
}

/* What calibration cost this track, and how well it predicted the whole encodes: the
 * figures to tune bitrate.c's sample and model by (--set log_level=debug). */
static void log_costs(const struct job *j)
{
	char line[768];
	size_t len = 0;
	double sample = 0;

	if (log_get_level() < LOG_DEBUG)
		return;
	for (int i = 0; i < j->plan.n; i++)
		sample += (double)j->plan.len[i];
	for (int q = 0; q < Q_COUNT && len < sizeof line; q++) {
		const struct enc *e = &j->enc[q];

		len += (size_t)snprintf(line + len, sizeof line - len,
					" %s: %d count (q %.3f: %.1f), %d write%s, q %.3f"
					" pred %.1f got %.1f final %.1f/%g%s;",
					quality_info[q].name, e->counts, e->qs0, e->ks0,
					e->writes, e->writes > 1 ? "s" : "", e->q, e->pred0,
					e->kbps0, file_kbps(e), e->target,
					e->managed ? " managed" : "");
	}
	log_debug("encode %s: sample %.1f s;%s", j->path,
		  sample / (double)(j->enc[Q_NORMAL].rate << j->enc[Q_NORMAL].shift), line);
}

int audio_transcode(const char *path, const struct audio_pcm *pcm, const char *dir,
		    const struct analysis *a, const struct vcomment *comments, size_t ncomments,
		    long long out_bytes[Q_COUNT], char *err, size_t errlen)
{
	struct job *j = calloc(1, sizeof *j);
	long full_rate;
	long long frames;
	int rate;
	int rc = -1;
	unsigned csr;

	if (j == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	csr = denormals_off();
	j->path = path;
	j->a = a;
	j->pcm = pcm;
	j->err = err;
	j->errlen = errlen;
	if (pcm != NULL) {
		frames = pcm->frames;
		rate = pcm->rate;
		j->channels = pcm->channels;
	} else {
		/* A first look for the format and length. */
		if (audio_src_open(&j->src, path, err, errlen) != 0)
			goto out;
		frames = a->frames > 0 ? a->frames : j->src.claimed;
		rate = j->src.rate;
		j->channels = j->src.out_channels;
	}
	j->full_stages = halvings(rate, 48000);
	full_rate = rate >> (j->full_stages > 0 ? j->full_stages : 0);
	j->low_stages = halvings(full_rate, 24000);
	if (j->full_stages < 0 || j->low_stages < 0 || j->full_stages > MAX_STAGES ||
	    j->low_stages > MAX_STAGES) {
		snprintf(err, errlen, "unsupported sample rate %d Hz", rate);
		goto out;
	}
	for (int q = 0; q < Q_COUNT; q++) {
		struct enc *e = &j->enc[q];

		e->channels = q == Q_LOW ? 1 : j->channels;
		e->shift = j->full_stages + (q == Q_LOW ? j->low_stages : 0);
		e->rate = rate >> e->shift;
		e->kbps = accepted_bitrate(e, quality_info[q].kbps);
		if (e->kbps > 0) {
			e->target = e->kbps;
			rate_fit_init(&e->fit, e->channels, e->rate, e->target);
			e->q = rate_fit_quality(&e->fit);
		} else {
			/* No bitrate fits this format: a fixed quality, as before. */
			e->q = quality_info[q].kbps >= 160 ? 0.9f : 0.3f;
			e->settled = 1;
		}
	}
	if (frames > 0)
		rate_plan_make(&j->plan, frames, rate);
	audio_src_close(&j->src);
	j->planar[0] = malloc(sizeof(float) * AUDIO_SRC_BLOCK);
	j->planar[1] = malloc(sizeof(float) * AUDIO_SRC_BLOCK);
	j->mono = malloc(sizeof(float) * AUDIO_SRC_BLOCK);
	if (j->planar[0] == NULL || j->planar[1] == NULL || j->mono == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (int q = 0; q < Q_COUNT; q++)
		if (enc_create(j, q, dir) != 0)
			goto out;

	for (int round = 0; j->plan.n > 0 && round < MAX_ROUNDS; round++) {
		for (int q = 0; q < Q_COUNT; q++)
			j->enc[q].role = j->enc[q].settled ? ROLE_OFF : ROLE_COUNT;
		if (!any_role(j))
			break;
		if (run_pass(j, &j->plan, comments, ncomments) != 0)
			goto out;
		for (int q = 0; q < Q_COUNT; q++)
			if (j->enc[q].role == ROLE_COUNT)
				calibrate_step(j, &j->enc[q], round == MAX_ROUNDS - 1);
	}
	for (;;) {
		for (int q = 0; q < Q_COUNT; q++)
			j->enc[q].role = j->enc[q].done ? ROLE_OFF : ROLE_WRITE;
		if (!any_role(j))
			break;
		if (run_pass(j, NULL, comments, ncomments) != 0)
			goto out;
		for (int q = 0; q < Q_COUNT; q++)
			if (j->enc[q].role == ROLE_WRITE)
				judge(&j->enc[q], j->plan.n > 0);
	}

	for (int q = 0; q < Q_COUNT; q++) {
		struct enc *e = &j->enc[q];

		int failed = fflush(e->fp) != 0 || fsync(fileno(e->fp)) != 0;

		failed = fclose(e->fp) != 0 || failed;
		e->fp = NULL;
		if (failed) {
			snprintf(err, errlen, "cannot write %s: %s", e->tmp, strerror(errno));
			goto out;
		}
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
	log_costs(j);
	rc = 0;
out:
	for (int q = 0; q < Q_COUNT; q++)
		enc_free(&j->enc[q], rc == 0);
	free(j->planar[0]);
	free(j->planar[1]);
	free(j->mono);
	audio_src_close(&j->src);
	free(j);
	denormals_restore(csr);
	return rc;
}
