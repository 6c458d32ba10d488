/* Decode, resample, encode, mux: libavformat reads the stored Ogg (opened as ingest opens
 * masters, audio/probe.h), libavcodec decodes it, libswresample converts to what the
 * encoder takes (Opus is made at 48 kHz only), an audio FIFO cuts the encoder's frames,
 * and libavformat's mp3 or ogg muxer writes into an AVIOContext whose write hands the bytes
 * on (to an http_feed, transcode.c). */
#include "config.h"
#include "transcode/transcode.h"

#include <stdio.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/audio_fifo.h>
#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>
#include <libswresample/swresample.h>

#include "audio/probe.h"
#include "audio/source.h"

/* Packets in a row that give no audio before the file counts as broken, and the largest
 * decoded frame taken: bounds on what a hostile file can make the loop do. */
#define MAX_IDLE_PACKETS 10000
#define MAX_FRAME (1 << 18)
#define IO_BUF 4096

struct pipe {
	struct probe p;
	AVStream *ist;
	AVCodecContext *dec, *enc;
	SwrContext *swr;
	AVAudioFifo *fifo;
	AVFormatContext *oc;
	AVStream *ost;
	AVPacket *pkt, *opkt;
	AVFrame *in, *out;
	uint8_t **conv;          /* swr's output, conv_cap samples a channel */
	int conv_cap;
	int64_t next_pts;        /* the encoder's next frame, in samples */
	int64_t skip_until;      /* decoded samples before this (input rate) are dropped */
	int64_t decoded;         /* samples decoded, against AUDIO_MAX_SECONDS */
	tc_out_fn emit;
	void *ud;
	bool stopped;            /* out said stop */
};

static int write_cb(void *opaque, uint8_t *buf, int n)
{
	struct pipe *pp = opaque;

	if (pp->stopped || pp->emit(pp->ud, buf, (size_t)n) < 0) {
		pp->stopped = true;
		return AVERROR_EXIT;
	}
	return n;
}

static void fail(char *err, size_t errlen, const char *what, int ret)
{
	snprintf(err, errlen, "%s: %s", what, av_err2str(ret));
}

static int open_decoder(struct pipe *pp, const char *path, char *err, size_t errlen)
{
	int ret;

	if (probe_open(&pp->p, path, err, errlen) < 0)
		return -1;
	pp->ist = pp->p.fmt->streams[pp->p.stream];
	if (!(pp->dec = avcodec_alloc_context3(pp->p.decoder))) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if ((ret = avcodec_parameters_to_context(pp->dec, pp->ist->codecpar)) < 0 ||
	    (ret = avcodec_open2(pp->dec, pp->p.decoder, NULL)) < 0) {
		fail(err, errlen, "cannot decode the stored file", ret);
		return -1;
	}
	if (pp->dec->sample_rate < AUDIO_MIN_RATE || pp->dec->sample_rate > AUDIO_MAX_RATE ||
	    pp->dec->ch_layout.nb_channels < 1 || pp->dec->ch_layout.nb_channels > AUDIO_MAX_CHANNELS) {
		snprintf(err, errlen, "unsupported stored audio (%d Hz, %d channels)",
		         pp->dec->sample_rate, pp->dec->ch_layout.nb_channels);
		return -1;
	}
	if (pp->dec->ch_layout.order == AV_CHANNEL_ORDER_UNSPEC) {
		int n = pp->dec->ch_layout.nb_channels;

		av_channel_layout_uninit(&pp->dec->ch_layout);
		av_channel_layout_default(&pp->dec->ch_layout, n);
	}
	return 0;
}

/* Moves to offset seconds: the demuxer seeks to the page at or before it (a bisection of
 * the file, not a decode from the start), and the few samples between that page and the
 * offset are dropped after decoding. */
static int seek(struct pipe *pp, double offset, char *err, size_t errlen)
{
	int64_t ts;
	int ret;

	if (offset <= 0)
		return 0;
	ts = av_rescale_q((int64_t)(offset * AV_TIME_BASE), AV_TIME_BASE_Q, pp->ist->time_base);
	if ((ret = avformat_seek_file(pp->p.fmt, pp->p.stream, INT64_MIN, ts, ts, 0)) < 0) {
		fail(err, errlen, "cannot seek in the stored file", ret);
		return -1;
	}
	avcodec_flush_buffers(pp->dec);
	pp->skip_until = (int64_t)(offset * pp->dec->sample_rate);
	return 0;
}

static int mp3_rate(int rate)
{
	static const int ok[] = { 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000 };

	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
		if (ok[i] == rate)
			return rate;
	return 44100;
}

static int open_encoder(struct pipe *pp, const struct tc_spec *s, char *err, size_t errlen)
{
	const char *name = s->format == TC_MP3 ? "libmp3lame" : "libopus";
	const AVCodec *c = avcodec_find_encoder_by_name(name);
	AVDictionary *opts = NULL;
	AVIOContext *pb;
	uint8_t *iobuf;
	int ret, nch = pp->dec->ch_layout.nb_channels > 1 ? 2 : 1;

	if (!c) {
		snprintf(err, errlen, "this server's libavcodec has no %s encoder", name);
		return -1;
	}
	if ((ret = avformat_alloc_output_context2(&pp->oc, NULL, s->format == TC_MP3 ? "mp3" : "ogg",
	                                          NULL)) < 0) {
		fail(err, errlen, "cannot make the output container", ret);
		return -1;
	}
	if (!(pp->enc = avcodec_alloc_context3(c))) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	av_channel_layout_default(&pp->enc->ch_layout, nch);
	pp->enc->sample_rate = s->format == TC_OPUS ? 48000 : mp3_rate(pp->dec->sample_rate);
	pp->enc->sample_fmt = c->sample_fmts ? c->sample_fmts[0] : AV_SAMPLE_FMT_S16;
	pp->enc->bit_rate = (int64_t)s->kbps * 1000;
	pp->enc->time_base = (AVRational){ 1, pp->enc->sample_rate };
	if (pp->oc->oformat->flags & AVFMT_GLOBALHEADER)
		pp->enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
	if ((ret = avcodec_open2(pp->enc, c, NULL)) < 0) {
		fail(err, errlen, "cannot open the encoder", ret);
		return -1;
	}
	if (!(pp->ost = avformat_new_stream(pp->oc, NULL)) ||
	    (ret = avcodec_parameters_from_context(pp->ost->codecpar, pp->enc)) < 0) {
		snprintf(err, errlen, "cannot make the output stream");
		return -1;
	}
	pp->ost->time_base = pp->enc->time_base;
	if (!(iobuf = av_malloc(IO_BUF)))
		return snprintf(err, errlen, "out of memory"), -1;
	if (!(pb = avio_alloc_context(iobuf, IO_BUF, 1, pp, NULL, write_cb, NULL))) {
		av_free(iobuf);
		return snprintf(err, errlen, "out of memory"), -1;
	}
	pp->oc->pb = pb;
	pp->oc->flags |= AVFMT_FLAG_CUSTOM_IO;
	if (s->format == TC_MP3) {
		/* No ID3 tag (the client has the metadata) and no Xing frame: on a stream that
		 * cannot be rewound it would stay a placeholder that misstates the length. */
		av_dict_set(&opts, "id3v2_version", "0", 0);
		av_dict_set(&opts, "write_xing", "0", 0);
	}
	ret = avformat_write_header(pp->oc, &opts);
	av_dict_free(&opts);
	if (ret < 0) {
		if (!pp->stopped)
			fail(err, errlen, "cannot write the output's header", ret);
		return -1;
	}
	/* Not flushed: the header goes out with the first encoded audio, a few milliseconds
	 * later, so that a stored file whose audio cannot be decoded is still answered with an
	 * error rather than with the start of a stream. */

	if ((ret = swr_alloc_set_opts2(&pp->swr, &pp->enc->ch_layout, pp->enc->sample_fmt,
	                               pp->enc->sample_rate, &pp->dec->ch_layout, pp->dec->sample_fmt,
	                               pp->dec->sample_rate, 0, NULL)) < 0 ||
	    (ret = swr_init(pp->swr)) < 0) {
		fail(err, errlen, "cannot convert the stored audio", ret);
		return -1;
	}
	if (!(pp->fifo = av_audio_fifo_alloc(pp->enc->sample_fmt, nch, 4 * pp->enc->frame_size + 1)))
		return snprintf(err, errlen, "out of memory"), -1;
	return 0;
}

/* Sends one frame (or NULL: the end) to the encoder and writes out what it gives. */
static int encode(struct pipe *pp, AVFrame *f, char *err, size_t errlen)
{
	int ret = avcodec_send_frame(pp->enc, f);

	if (ret < 0) {
		fail(err, errlen, "encoding failed", ret);
		return -1;
	}
	for (;;) {
		ret = avcodec_receive_packet(pp->enc, pp->opkt);
		if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
			return 0;
		if (ret < 0) {
			fail(err, errlen, "encoding failed", ret);
			return -1;
		}
		av_packet_rescale_ts(pp->opkt, pp->enc->time_base, pp->ost->time_base);
		pp->opkt->stream_index = 0;
		ret = av_write_frame(pp->oc, pp->opkt);
		av_packet_unref(pp->opkt);
		if (pp->stopped)
			return 0;
		if (ret < 0) {
			fail(err, errlen, "writing the output failed", ret);
			return -1;
		}
	}
}

/* Encodes whole frames from the FIFO; with last, what is left too. */
static int drain_fifo(struct pipe *pp, bool last, char *err, size_t errlen)
{
	int fs = pp->enc->frame_size > 0 ? pp->enc->frame_size : 1152;

	while (!pp->stopped && (av_audio_fifo_size(pp->fifo) >= fs || (last && av_audio_fifo_size(pp->fifo) > 0))) {
		int n = FFMIN(av_audio_fifo_size(pp->fifo), fs), ret;

		av_frame_unref(pp->out);
		pp->out->nb_samples = n;
		pp->out->format = pp->enc->sample_fmt;
		pp->out->sample_rate = pp->enc->sample_rate;
		if ((ret = av_channel_layout_copy(&pp->out->ch_layout, &pp->enc->ch_layout)) < 0 ||
		    (ret = av_frame_get_buffer(pp->out, 0)) < 0) {
			fail(err, errlen, "out of memory", ret);
			return -1;
		}
		if (av_audio_fifo_read(pp->fifo, (void **)pp->out->data, n) != n) {
			snprintf(err, errlen, "internal error: the sample FIFO came up short");
			return -1;
		}
		pp->out->pts = pp->next_pts;
		pp->next_pts += n;
		if (encode(pp, pp->out, err, errlen) < 0)
			return -1;
	}
	return 0;
}

/* Converts n input samples (in: per-plane pointers, or NULL to flush the resampler) into
 * the FIFO. */
static int convert(struct pipe *pp, const uint8_t **in, int n, char *err, size_t errlen)
{
	int want = swr_get_out_samples(pp->swr, n), got;

	if (want < 0) {
		fail(err, errlen, "resampling failed", want);
		return -1;
	}
	if (want > pp->conv_cap) {
		if (pp->conv)
			av_freep(&pp->conv[0]);
		av_freep(&pp->conv);
		pp->conv_cap = 0;
		if (av_samples_alloc_array_and_samples(&pp->conv, NULL, pp->enc->ch_layout.nb_channels,
		                                       want, pp->enc->sample_fmt, 0) < 0) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		pp->conv_cap = want;
	}
	got = swr_convert(pp->swr, pp->conv, pp->conv_cap, in, n);
	if (got < 0) {
		fail(err, errlen, "resampling failed", got);
		return -1;
	}
	if (got > 0 && av_audio_fifo_write(pp->fifo, (void **)pp->conv, got) != got) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return drain_fifo(pp, false, err, errlen);
}

/* Hands a decoded frame on, without the samples before the seek target. */
static int take_frame(struct pipe *pp, char *err, size_t errlen)
{
	AVFrame *f = pp->in;
	const uint8_t *in[AUDIO_MAX_CHANNELS];
	int n = f->nb_samples, drop = 0, bps = av_get_bytes_per_sample(f->format);
	int nch = f->ch_layout.nb_channels;

	if (n <= 0)
		return 0;
	if (n > MAX_FRAME || nch != pp->dec->ch_layout.nb_channels || f->sample_rate != pp->dec->sample_rate ||
	    f->format != pp->dec->sample_fmt) {
		snprintf(err, errlen, "corrupt stored audio: its format changes mid-stream");
		return -1;
	}
	pp->decoded += n;
	if (pp->decoded > (int64_t)AUDIO_MAX_SECONDS * f->sample_rate) {
		snprintf(err, errlen, "the stored audio is longer than %d s", AUDIO_MAX_SECONDS);
		return -1;
	}
	if (pp->skip_until > 0 && f->best_effort_timestamp != AV_NOPTS_VALUE) {
		int64_t at = av_rescale_q(f->best_effort_timestamp, pp->ist->time_base,
		                          (AVRational){ 1, f->sample_rate });

		if (at + n <= pp->skip_until)
			return 0;
		if (at < pp->skip_until)
			drop = (int)(pp->skip_until - at);
	}
	pp->skip_until = 0; /* past the target: the rest follows on */
	for (int c = 0; c < nch; c++)
		in[c] = av_sample_fmt_is_planar(f->format) ? f->extended_data[c] + (size_t)drop * bps
		                                           : f->data[0] + (size_t)drop * bps * nch;
	return convert(pp, in, n - drop, err, errlen);
}

/* Receives every frame the decoder has ready. Returns how many, or -1. */
static int receive(struct pipe *pp, char *err, size_t errlen)
{
	int got = 0;

	for (;;) {
		int ret = avcodec_receive_frame(pp->dec, pp->in);

		if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
			return got;
		if (ret < 0) {
			fail(err, errlen, "corrupt stored audio", ret);
			return -1;
		}
		got++;
		ret = take_frame(pp, err, errlen);
		av_frame_unref(pp->in);
		if (ret < 0)
			return -1;
		if (pp->stopped)
			return got;
	}
}

static int run(struct pipe *pp, char *err, size_t errlen)
{
	int idle = 0, ret;

	while (!pp->stopped) {
		ret = av_read_frame(pp->p.fmt, pp->pkt);
		if (ret == AVERROR_EOF)
			break;
		if (ret < 0) {
			fail(err, errlen, "cannot read the stored file", ret);
			return -1;
		}
		if (pp->pkt->stream_index != pp->p.stream) {
			av_packet_unref(pp->pkt);
			continue;
		}
		ret = avcodec_send_packet(pp->dec, pp->pkt);
		av_packet_unref(pp->pkt);
		if (ret < 0 && ret != AVERROR(EAGAIN)) {
			fail(err, errlen, "corrupt stored audio", ret);
			return -1;
		}
		if ((ret = receive(pp, err, errlen)) < 0)
			return -1;
		idle = ret ? 0 : idle + 1;
		if (idle > MAX_IDLE_PACKETS) {
			snprintf(err, errlen, "corrupt stored audio: %d packets without sound", idle);
			return -1;
		}
	}
	if (pp->stopped)
		return 0;
	/* the end: the decoder's, the resampler's and the encoder's last samples */
	if (avcodec_send_packet(pp->dec, NULL) < 0 || receive(pp, err, errlen) < 0 ||
	    convert(pp, NULL, 0, err, errlen) < 0 || drain_fifo(pp, true, err, errlen) < 0 ||
	    (!pp->stopped && encode(pp, NULL, err, errlen) < 0))
		return -1;
	if (pp->stopped)
		return 0;
	if ((ret = av_write_trailer(pp->oc)) < 0 && !pp->stopped) {
		fail(err, errlen, "writing the output failed", ret);
		return -1;
	}
	avio_flush(pp->oc->pb);
	return 0;
}

static void close_pipe(struct pipe *pp)
{
	if (pp->oc) {
		if (pp->oc->pb) {
			av_freep(&pp->oc->pb->buffer);
			avio_context_free(&pp->oc->pb);
		}
		avformat_free_context(pp->oc);
	}
	if (pp->conv)
		av_freep(&pp->conv[0]);
	av_freep(&pp->conv);
	av_audio_fifo_free(pp->fifo);
	swr_free(&pp->swr);
	avcodec_free_context(&pp->enc);
	avcodec_free_context(&pp->dec);
	av_packet_free(&pp->pkt);
	av_packet_free(&pp->opkt);
	av_frame_free(&pp->in);
	av_frame_free(&pp->out);
	probe_close(&pp->p);
}

int tc_pipeline(const struct tc_spec *s, tc_out_fn out, void *ud, char *err, size_t errlen)
{
	struct pipe pp;
	int rc = -1;

	audio_quiet_ffmpeg();
	memset(&pp, 0, sizeof pp);
	pp.emit = out;
	pp.ud = ud;
	if (!(pp.pkt = av_packet_alloc()) || !(pp.opkt = av_packet_alloc()) ||
	    !(pp.in = av_frame_alloc()) || !(pp.out = av_frame_alloc())) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (open_decoder(&pp, s->path, err, errlen) < 0 || seek(&pp, s->offset, err, errlen) < 0)
		goto out;
	if (open_encoder(&pp, s, err, errlen) < 0) {
		rc = pp.stopped ? 0 : -1;
		goto out;
	}
	rc = run(&pp, err, errlen);
out:
	close_pipe(&pp);
	return rc;
}
