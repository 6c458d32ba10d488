#include "config.h"
#include "audio/probe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/avstring.h>
#include <ogg/ogg.h>

/* How much of the file the format detection may read: FFmpeg's cap. It reads no more than
 * it needs to be sure (a few kB for most files). Behind an ID3v2 tag larger than this (a big
 * cover) the content cannot be seen and the extension decides, which is right unless the
 * file is misnamed too. */
#define PROBE_BYTES (1 << 20)
/* What reading the streams' parameters may cost. */
#define INFO_BYTES (5 << 20)
#define INFO_SECONDS 10
#define MAX_STREAMS 64

/* The demuxers a master may come through: audio containers and raw audio streams. Anything
 * else (images, playlists, subtitles, video-only formats) is not audio; containers that also
 * carry video (mov, matroska, asf, iff) are checked stream by stream. */
static const char *const audio_formats[] = {
	"mp3", "mov", "aac", "loas", "flac", "ogg", "wav", "w64", "aiff", "wv", "ape", "asf",
	"mpc", "mpc8", "tta", "dsf", "iff", "wsd", "caf", "au", "matroska", "ac3", "eac3", "dts",
	"dtshd", "truehd", "mlp", "tak", "shn", "amr", "voc", "sox", "ircam", "nistsphere",
	"xwma", "oma", "vqf", "epaf",
};

static int is_audio_format(const AVInputFormat *f)
{
	for (size_t i = 0; i < sizeof audio_formats / sizeof audio_formats[0]; i++)
		if (av_match_name(audio_formats[i], f->name))
			return 1;
	return 0;
}

static int is_image_format(const AVInputFormat *f)
{
	size_t n = strlen(f->name);

	return strcmp(f->name, "image2") == 0 || strcmp(f->name, "gif") == 0 ||
	       (n > 5 && strcmp(f->name + n - 5, "_pipe") == 0);
}

/* Codecs of still pictures: a "video" stream of these is a cover or chapter images (M4B
 * audiobooks keep theirs in a track of their own), not a film. */
static int is_still_codec(enum AVCodecID id)
{
	switch (id) {
	case AV_CODEC_ID_MJPEG: case AV_CODEC_ID_PNG: case AV_CODEC_ID_BMP: case AV_CODEC_ID_GIF:
	case AV_CODEC_ID_WEBP: case AV_CODEC_ID_TIFF: case AV_CODEC_ID_JPEG2000:
	case AV_CODEC_ID_JPEGLS:
		return 1;
	default:
		return 0;
	}
}

static int has_video(const AVFormatContext *fmt)
{
	for (unsigned i = 0; i < fmt->nb_streams; i++) {
		const AVStream *st = fmt->streams[i];

		if (st->codecpar->codec_type == AVMEDIA_TYPE_VIDEO &&
		    !(st->disposition & AV_DISPOSITION_ATTACHED_PIC) &&
		    !is_still_codec(st->codecpar->codec_id))
			return 1;
	}
	return 0;
}

/* The length the header announces, in frames, and how exactly decoding must meet it. A
 * length estimated from the bitrate (an MP3 without a Xing header) announces nothing. */
static void announced_length(struct probe *p)
{
	const AVStream *st = p->fmt->streams[p->stream];
	const AVCodecDescriptor *desc = avcodec_descriptor_get(st->codecpar->codec_id);
	int rate = st->codecpar->sample_rate;
	int lossless = desc != NULL && (desc->props & AV_CODEC_PROP_LOSSLESS) &&
		       !(desc->props & AV_CODEC_PROP_LOSSY);

	p->claimed = -1;
	if (rate <= 0 || p->fmt->duration_estimation_method == AVFMT_DURATION_FROM_BITRATE)
		return;
	if (st->duration != AV_NOPTS_VALUE && st->duration > 0)
		p->claimed = av_rescale_q(st->duration, st->time_base, (AVRational){ 1, rate });
	else if (p->fmt->duration != AV_NOPTS_VALUE && p->fmt->duration > 0)
		p->claimed = av_rescale(p->fmt->duration, rate, AV_TIME_BASE);
	/* Lossless audio has no priming or padding: only a container's rounding of its length
	 * (Matroska's milliseconds). Lossy codecs drop up to a few thousand frames at either
	 * end (AAC's priming is 2112, doubled with SBR). */
	p->slack = lossless ? rate / 50 : (rate / 5 > 8192 ? rate / 5 : 8192);
}

/* Picks the audio stream; refuses video, files without audio, codecs FFmpeg lacks. */
static int choose_stream(struct probe *p, char *err, size_t errlen)
{
	int i = av_find_best_stream(p->fmt, AVMEDIA_TYPE_AUDIO, -1, -1, &p->decoder, 0);

	if (has_video(p->fmt)) {
		snprintf(err, errlen, "not audio: video file");
		return -1;
	}
	if (i == AVERROR_STREAM_NOT_FOUND) {
		snprintf(err, errlen, "not audio: no audio stream");
		return -1;
	}
	if (i < 0) {
		int any = av_find_best_stream(p->fmt, AVMEDIA_TYPE_AUDIO, -1, -1, NULL, 0);

		snprintf(err, errlen, "unsupported audio codec %s",
			 any >= 0 ? avcodec_get_name(p->fmt->streams[any]->codecpar->codec_id)
				  : "(unknown)");
		return -1;
	}
	p->stream = i;
	for (unsigned s = 0; s < p->fmt->nb_streams; s++)
		if ((int)s != i)
			p->fmt->streams[s]->discard = AVDISCARD_ALL;
	return 0;
}

int probe_open(struct probe *p, const char *path, char *err, size_t errlen)
{
	const AVInputFormat *ifmt = NULL;
	char *url = NULL;
	int ret;

	memset(p, 0, sizeof *p);
	p->stream = -1;
	/* "file:" always: a name such as "AC:DC.mp3" would otherwise name a protocol. */
	if (asprintf(&url, "file:%s", path) < 0) {
		url = NULL;
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if ((ret = avio_open2(&p->pb, url, AVIO_FLAG_READ, NULL, NULL)) < 0) {
		snprintf(err, errlen, "cannot open: %s", av_err2str(ret));
		goto fail;
	}
	if (avio_size(p->pb) == 0) {
		snprintf(err, errlen, "not audio: empty file");
		goto fail;
	}
	if (av_probe_input_buffer2(p->pb, &ifmt, url, NULL, 0, PROBE_BYTES) < 0 || ifmt == NULL) {
		snprintf(err, errlen, "not audio: unrecognised format");
		goto fail;
	}
	if (!is_audio_format(ifmt)) {
		if (is_image_format(ifmt))
			snprintf(err, errlen, "not audio: image file");
		else
			snprintf(err, errlen, "not audio: %s", ifmt->long_name ? ifmt->long_name : ifmt->name);
		goto fail;
	}
	p->ogg = strcmp(ifmt->name, "ogg") == 0;
	if ((p->fmt = avformat_alloc_context()) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	p->fmt->pb = p->pb;
	p->fmt->flags |= AVFMT_FLAG_CUSTOM_IO;
	p->fmt->probesize = INFO_BYTES;
	p->fmt->max_analyze_duration = (int64_t)INFO_SECONDS * AV_TIME_BASE;
	p->fmt->max_streams = MAX_STREAMS;
	/* On failure avformat_open_input frees the context (not our pb). */
	if ((ret = avformat_open_input(&p->fmt, url, ifmt, NULL)) < 0 ||
	    (ret = avformat_find_stream_info(p->fmt, NULL)) < 0) {
		snprintf(err, errlen, "corrupt or not audio (read as %s): %s",
			 ifmt->long_name ? ifmt->long_name : ifmt->name, av_err2str(ret));
		goto fail;
	}
	if (choose_stream(p, err, errlen) != 0)
		goto fail;
	announced_length(p);
	free(url);
	return 0;
fail:
	free(url);
	probe_close(p);
	return -1;
}

int probe_cut_short(const struct probe *p, const char *path)
{
	/* Two of the largest pages: the last one is whole in it wherever it starts. */
	enum { TAIL = 2 * (27 + 255 + 255 * 255) };
	ogg_sync_state oy;
	ogg_page og;
	char *buf;
	long n, used = 0, last_end = 0, r;
	long long size;
	FILE *f;
	int cut = 0;

	if (!p->ogg || (f = fopen(path, "rb")) == NULL)
		return 0;
	if (fseeko(f, 0, SEEK_END) != 0 || (size = ftello(f)) < 0 ||
	    fseeko(f, size > TAIL ? size - TAIL : 0, SEEK_SET) != 0) {
		fclose(f);
		return 0;
	}
	ogg_sync_init(&oy);
	buf = ogg_sync_buffer(&oy, TAIL);
	n = buf != NULL ? (long)fread(buf, 1, TAIL, f) : 0;
	fclose(f);
	if (n > 0 && ogg_sync_wrote(&oy, n) == 0) {
		/* Whole pages (CRC checked) are taken, bytes out of sync skipped; what is left
		 * at the end is the start of a page that never finishes. */
		while ((r = ogg_sync_pageseek(&oy, &og)) != 0) {
			used += r > 0 ? r : -r;
			if (r > 0)
				last_end = used;
		}
		/* Bytes after the last whole page that hold no page start are junk someone
		 * appended (an ID3v1 tag), not a cut. */
		cut = used < n || (last_end < n && memmem(buf + last_end, (size_t)(n - last_end),
							   "OggS", 4) != NULL);
	}
	ogg_sync_clear(&oy);
	return cut;
}

void probe_close(struct probe *p)
{
	if (p->fmt != NULL)
		avformat_close_input(&p->fmt);
	if (p->pb != NULL)
		avio_closep(&p->pb);
	memset(p, 0, sizeof *p);
	p->stream = -1;
}
