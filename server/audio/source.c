#include "config.h"
#include "audio/source.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/opt.h>
#include <libswresample/swresample.h>

#include "audio/downmix.h"
#include "audio/probe.h"
#include "log.h"

/* A decoded frame larger than this is refused: no codec we take makes one (PCM packets are a
 * few thousand frames), and it bounds the conversion buffer at 8 MiB. */
#define MAX_FRAME (1 << 18)
/* Packets in a row that give no audio before the file counts as broken: a few are normal
 * (priming, a decoder's delay), a stream of them is a demuxer going round in circles. */
#define MAX_IDLE_PACKETS 10000

struct audio_dec {
	char *path;
	struct probe p;             /* the demuxer and the chosen stream */
	AVCodecContext *codec;
	SwrContext *swr;
	int swr_format;             /* the sample format swr converts from; -1 before any */
	AVPacket *pkt;
	AVFrame *frame;
	int draining;               /* the decoder has been told the input ended */
	int ended;                  /* and has given its last frame */
	long long at;               /* the frame of the stream pend[pend_off] is */
	float *pend;                /* a converted frame, channels interleaved */
	long pend_n, pend_off, pend_cap;
	float *raw, *mix;           /* the block handed out */
	float left[AUDIO_MAX_CHANNELS], right[AUDIO_MAX_CHANNELS];
};

static void ff_log(void *avcl, int level, const char *fmt, va_list vl)
{
	char line[512];
	int prefix = 1;
	size_t n;

	if (level > AV_LOG_WARNING || log_get_level() < LOG_DEBUG)
		return;
	av_log_format_line2(avcl, level, fmt, vl, line, sizeof line, &prefix);
	n = strlen(line);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	if (n > 0)
		log_debug("ffmpeg: %s", line);
}

/* FFmpeg's own messages would interleave with ingest's one line per failed file; they go to
 * our log at debug level instead. */
static void quiet_ffmpeg(void)
{
	av_log_set_callback(ff_log);
}

static double seconds(const struct audio_src *s, long long frames)
{
	return s->rate > 0 ? (double)frames / s->rate : 0;
}

/* Opens the decoder for the chosen stream; on failure the caller closes. */
static int open_codec(struct audio_dec *d, char *err, size_t errlen)
{
	AVStream *st = d->p.fmt->streams[d->p.stream];
	const AVCodecDescriptor *desc;
	int ret;

	d->codec = avcodec_alloc_context3(d->p.decoder);
	d->pkt = av_packet_alloc();
	d->frame = av_frame_alloc();
	if (d->codec == NULL || d->pkt == NULL || d->frame == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if ((ret = avcodec_parameters_to_context(d->codec, st->codecpar)) < 0)
		goto fail;
	d->codec->pkt_timebase = st->time_base;
	d->codec->thread_count = 1; /* ingest runs one file per core already */
	/* A lossless master with a bad checksum (FLAC, WavPack, TTA, APE keep them) is not
	 * what was archived: refuse it rather than pass a click on. Lossy decoders keep their
	 * tolerance, as players do. */
	desc = avcodec_descriptor_get(st->codecpar->codec_id);
	if (desc != NULL && (desc->props & AV_CODEC_PROP_LOSSLESS))
		d->codec->err_recognition |= AV_EF_CRCCHECK | AV_EF_EXPLODE;
	if ((ret = avcodec_open2(d->codec, d->p.decoder, NULL)) < 0)
		goto fail;
	return 0;
fail:
	snprintf(err, errlen, "cannot decode %s: %s", d->p.decoder->name, av_err2str(ret));
	return -1;
}

static void close_ff(struct audio_dec *d)
{
	swr_free(&d->swr);
	avcodec_free_context(&d->codec);
	av_packet_free(&d->pkt);
	av_frame_free(&d->frame);
	probe_close(&d->p);
	d->swr_format = -1;
	d->draining = d->ended = 0;
	d->at = 0;
	d->pend_n = d->pend_off = 0;
}

/* Opens the file (again) and its decoder; the format found must be the one s describes,
 * unless s describes none yet. */
static int open_ff(struct audio_src *s, char *err, size_t errlen)
{
	struct audio_dec *d = s->dec;

	if (probe_open(&d->p, d->path, err, errlen) != 0 || open_codec(d, err, errlen) != 0)
		goto fail;
	if (s->rate != 0 && (d->codec->sample_rate != s->rate ||
			     d->codec->ch_layout.nb_channels != s->channels)) {
		snprintf(err, errlen, "the file changed while it was read");
		goto fail;
	}
	return 0;
fail:
	close_ff(d);
	return -1;
}

void audio_quiet_ffmpeg(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, quiet_ffmpeg);
}

int audio_src_open(struct audio_src *s, const char *path, char *err, size_t errlen)
{
	struct audio_dec *d;

	memset(s, 0, sizeof *s);
	audio_quiet_ffmpeg();
	if ((d = s->dec = calloc(1, sizeof *d)) == NULL || (d->path = strdup(path)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	d->swr_format = -1;
	if (open_ff(s, err, errlen) != 0)
		goto fail;
	s->rate = d->codec->sample_rate;
	s->channels = d->codec->ch_layout.nb_channels;
	s->claimed = d->p.claimed;
	if (s->rate < AUDIO_MIN_RATE || s->rate > AUDIO_MAX_RATE) {
		snprintf(err, errlen, "unsupported sample rate %d Hz (%d..%d)", s->rate,
			 AUDIO_MIN_RATE, AUDIO_MAX_RATE);
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
	s->out_channels = s->channels > 2 ? 2 : s->channels;
	if (s->channels > 2)
		downmix_weights(&d->codec->ch_layout, s->channels, d->left, d->right);
	d->raw = malloc(sizeof(float) * AUDIO_SRC_BLOCK * (size_t)s->channels);
	if (s->channels > 2)
		d->mix = malloc(sizeof(float) * AUDIO_SRC_BLOCK * 2);
	if (d->raw == NULL || (s->channels > 2 && d->mix == NULL)) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	return 0;
fail:
	audio_src_close(s);
	return -1;
}

/* Sets up the converter for the frame's sample format: interleaved floats out, the same
 * channels and rate, so it only converts (16-bit samples are scaled by 1/32768). */
static int setup_swr(struct audio_src *s, const AVFrame *f)
{
	struct audio_dec *d = s->dec;
	AVChannelLayout layout = { 0 }; /* av_channel_layout_copy frees what dst held */
	int ret;

	/* The layout only labels the channels here: nothing is remixed. */
	if (f->ch_layout.order == AV_CHANNEL_ORDER_UNSPEC)
		av_channel_layout_default(&layout, s->channels);
	else if (av_channel_layout_copy(&layout, &f->ch_layout) < 0)
		return -1;
	swr_free(&d->swr);
	ret = swr_alloc_set_opts2(&d->swr, &layout, AV_SAMPLE_FMT_FLT, s->rate, &layout,
				  (enum AVSampleFormat)f->format, s->rate, 0, NULL);
	av_channel_layout_uninit(&layout);
	if (ret < 0 || swr_init(d->swr) < 0) {
		swr_free(&d->swr);
		return -1;
	}
	d->swr_format = f->format;
	return 0;
}

/* Converts the decoder's frame into pend. Returns 0, or -1 with a reason. */
static int take_frame(struct audio_src *s, char *err, size_t errlen)
{
	struct audio_dec *d = s->dec;
	const AVFrame *f = d->frame;
	long n = f->nb_samples;
	int got;

	d->pend_n = d->pend_off = 0;
	if (n <= 0)
		return 0;
	if (f->sample_rate != s->rate || f->ch_layout.nb_channels != s->channels) {
		snprintf(err, errlen, "the audio's format changes at %.1f s (%d Hz, %d channels)",
			 seconds(s, d->at), f->sample_rate, f->ch_layout.nb_channels);
		return -1;
	}
	if (n > MAX_FRAME) {
		snprintf(err, errlen, "corrupt audio at %.1f s: a frame of %ld samples",
			 seconds(s, d->at), n);
		return -1;
	}
	if (d->at + n > (long long)AUDIO_MAX_SECONDS * s->rate) {
		snprintf(err, errlen, "too long: over %d s", AUDIO_MAX_SECONDS);
		return -1;
	}
	if (f->format != d->swr_format && setup_swr(s, f) != 0) {
		snprintf(err, errlen, "cannot convert %s samples",
			 av_get_sample_fmt_name((enum AVSampleFormat)f->format));
		return -1;
	}
	if (n > d->pend_cap) {
		float *p = realloc(d->pend, sizeof(float) * (size_t)n * (size_t)s->channels);

		if (p == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		d->pend = p;
		d->pend_cap = n;
	}
	got = swr_convert(d->swr, (uint8_t **)&d->pend, (int)n,
			  (const uint8_t **)f->extended_data, (int)n);
	if (got < 0) {
		snprintf(err, errlen, "cannot convert the samples at %.1f s: %s", seconds(s, d->at),
			 av_err2str(got));
		return -1;
	}
	d->pend_n = got;
	return 0;
}

/* Decodes until pend holds frames. Returns 1, 0 when the stream has ended, or -1 with a
 * reason in err. Every turn of the loop either takes a frame or reads a packet, and the
 * demuxer's packets end with the file: the loop ends. */
static int decode_more(struct audio_src *s, char *err, size_t errlen)
{
	struct audio_dec *d = s->dec;
	int ret, idle = 0;

	if (d->p.fmt == NULL) {
		snprintf(err, errlen, "the file could not be opened again");
		return -1;
	}
	while (!d->ended) {
		ret = avcodec_receive_frame(d->codec, d->frame);
		if (ret == 0) {
			ret = take_frame(s, err, errlen);
			av_frame_unref(d->frame);
			if (ret != 0)
				return -1;
			if (d->pend_n > 0)
				return 1;
			continue;
		}
		if (ret == AVERROR_EOF) {
			d->ended = 1;
			break;
		}
		if (ret != AVERROR(EAGAIN))
			goto corrupt;
		if (++idle > MAX_IDLE_PACKETS) {
			snprintf(err, errlen, "corrupt audio at %.1f s: no audio in %d packets",
				 seconds(s, d->at), MAX_IDLE_PACKETS);
			return -1;
		}
		ret = av_read_frame(d->p.fmt, d->pkt);
		if (ret == AVERROR_EOF && d->p.fmt->pb != NULL && d->p.fmt->pb->error < 0)
			ret = d->p.fmt->pb->error;
		if (ret == AVERROR_EOF) {
			d->draining = 1;
			avcodec_send_packet(d->codec, NULL);
			continue;
		}
		if (ret < 0)
			goto corrupt;
		if (d->pkt->stream_index != d->p.stream) {
			av_packet_unref(d->pkt);
			continue;
		}
		if (d->pkt->flags & AV_PKT_FLAG_CORRUPT) {
			av_packet_unref(d->pkt);
			ret = AVERROR_INVALIDDATA;
			goto corrupt;
		}
		ret = avcodec_send_packet(d->codec, d->pkt);
		av_packet_unref(d->pkt);
		if (ret < 0 && ret != AVERROR(EAGAIN))
			goto corrupt;
	}
	return 0;
corrupt:
	/* Some decoders fail with a bare -1, which would read "Operation not permitted". */
	snprintf(err, errlen, "truncated or corrupt audio at %.1f s: %s", seconds(s, d->at),
		 ret == -1 ? "undecodable data" : av_err2str(ret));
	return -1;
}

/* At the end of the stream: did the file hold all the audio its header announced? */
static int check_end(struct audio_src *s, char *err, size_t errlen)
{
	struct audio_dec *d = s->dec;

	if (d->at == 0) {
		snprintf(err, errlen, "no audio");
		return -1;
	}
	if ((s->claimed > 0 && d->at < s->claimed - d->p.slack) ||
	    probe_cut_short(&d->p, d->path)) {
		snprintf(err, errlen, "truncated or corrupt audio at %.1f s", seconds(s, d->at));
		return -1;
	}
	return 0;
}

long audio_src_read(struct audio_src *s, const float **raw, const float **out, char *err,
		    size_t errlen)
{
	struct audio_dec *d = s->dec;
	int ch = s->channels;
	long n = 0;
	const float *o;

	while (n < AUDIO_SRC_BLOCK) {
		long avail = d->pend_n - d->pend_off, take;
		int r;

		if (avail == 0) {
			if ((r = d->ended ? 0 : decode_more(s, err, errlen)) < 0)
				return -1;
			if (r == 0)
				break;
			continue;
		}
		if (d->at < s->pos) { /* a seek forward: drop what lies before it */
			take = s->pos - d->at < avail ? (long)(s->pos - d->at) : avail;
		} else {
			take = AUDIO_SRC_BLOCK - n < avail ? AUDIO_SRC_BLOCK - n : avail;
			memcpy(d->raw + (size_t)n * ch, d->pend + (size_t)d->pend_off * ch,
			       sizeof(float) * (size_t)take * ch);
			n += take;
		}
		d->pend_off += take;
		d->at += take;
	}
	if (n == 0)
		return check_end(s, err, errlen) == 0 ? 0 : -1;
	s->pos += n;
	o = d->raw;
	if (ch > 2) {
		const float *in = d->raw, *left = d->left, *right = d->right;

		for (long i = 0; i < n; i++, in += ch) {
			float l = 0, r = 0;

			for (int c = 0; c < ch; c++) {
				l += left[c] * in[c];
				r += right[c] * in[c];
			}
			d->mix[2 * i] = l;
			d->mix[2 * i + 1] = r;
		}
		o = d->mix;
	}
	if (raw != NULL)
		*raw = d->raw;
	if (out != NULL)
		*out = o;
	return n;
}

int audio_src_seek(struct audio_src *s, long long frame)
{
	struct audio_dec *d = s->dec;
	char err[256];

	if (frame < 0 || d == NULL)
		return -1;
	if (frame < d->at) {
		close_ff(d);
		if (open_ff(s, err, sizeof err) != 0) {
			log_debug("audio: %s: cannot seek back: %s", d->path, err);
			return -1;
		}
	}
	s->pos = frame;
	return 0;
}

void audio_src_close(struct audio_src *s)
{
	struct audio_dec *d = s->dec;

	if (d != NULL) {
		close_ff(d);
		free(d->path);
		free(d->pend);
		free(d->raw);
		free(d->mix);
		free(d);
	}
	memset(s, 0, sizeof *s);
}
