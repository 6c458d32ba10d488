/* What a picture is and its pixels (picture.h). The type comes from the magic bytes, never
 * from a file name; the size from the header, checked before a decoder is even opened; then
 * libavcodec decodes the whole file as one packet, with two more guards against a header
 * that lied: max_pixels, and a buffer callback that refuses an oversized frame before its
 * pixels are decoded. libswscale converts and scales; it is never handed the deprecated yuvj
 * formats (it would log a warning each time): their range is given to it instead. */
#include "picture.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavutil/frame.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>

/* Added to the level of everything a codec context logs: above AV_LOG_TRACE, so nothing is
 * printed. A refusal is reported once, by the caller, in its own words. */
#define QUIET_LOGS 64
#define SCALE_FLAGS (SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT | SWS_FULL_CHR_H_INP)

static const struct {
	enum picture_type type;
	const char *name;
	enum AVCodecID codec;
} types[] = {
	{ PICTURE_UNKNOWN, "picture", AV_CODEC_ID_NONE },
	{ PICTURE_JPEG, "JPEG", AV_CODEC_ID_MJPEG },
	{ PICTURE_PNG, "PNG", AV_CODEC_ID_PNG },
	{ PICTURE_WEBP, "WebP", AV_CODEC_ID_WEBP },
	{ PICTURE_GIF, "GIF", AV_CODEC_ID_GIF },
	{ PICTURE_BMP, "BMP", AV_CODEC_ID_BMP },
};

enum picture_type picture_sniff(const unsigned char *b, size_t len)
{
	if (len >= 3 && b[0] == 0xff && b[1] == 0xd8 && b[2] == 0xff)
		return PICTURE_JPEG;
	if (len >= 8 && !memcmp(b, "\x89PNG\r\n\x1a\n", 8))
		return PICTURE_PNG;
	if (len >= 12 && !memcmp(b, "RIFF", 4) && !memcmp(b + 8, "WEBP", 4))
		return PICTURE_WEBP;
	if (len >= 6 && (!memcmp(b, "GIF87a", 6) || !memcmp(b, "GIF89a", 6)))
		return PICTURE_GIF;
	if (len >= 26 && b[0] == 'B' && b[1] == 'M')
		return PICTURE_BMP;
	return PICTURE_UNKNOWN;
}

const char *picture_type_name(enum picture_type t)
{
	return types[t].name;
}

static unsigned be16(const unsigned char *p) { return (unsigned)p[0] << 8 | p[1]; }
static unsigned le16(const unsigned char *p) { return (unsigned)p[1] << 8 | p[0]; }
static uint32_t be32(const unsigned char *p) { return (uint32_t)be16(p) << 16 | be16(p + 2); }
static uint32_t le32(const unsigned char *p) { return (uint32_t)le16(p + 2) << 16 | le16(p); }

/* The first start-of-frame marker's size; markers before it are skipped by their lengths. */
static int jpeg_size(const unsigned char *b, size_t len, int *w, int *h)
{
	size_t i = 2;

	while (i + 4 <= len) {
		unsigned m;

		if (b[i] != 0xff)
			return -1;
		while (i < len && b[i] == 0xff)
			i++;
		if (i >= len)
			return -1;
		m = b[i++];
		if (m == 0x01 || (m >= 0xd0 && m <= 0xd7))
			continue; /* no length */
		if (m == 0xd9 || m == 0xda || i + 2 > len)
			return -1; /* the image ended or its data began without a frame header */
		if (m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc) {
			if (i + 7 > len)
				return -1;
			*h = (int)be16(b + i + 3);
			*w = (int)be16(b + i + 5);
			return 0;
		}
		i += be16(b + i);
	}
	return -1;
}

static int webp_size(const unsigned char *b, size_t len, int *w, int *h)
{
	if (len >= 30 && !memcmp(b + 12, "VP8 ", 4) && !memcmp(b + 23, "\x9d\x01\x2a", 3)) {
		*w = (int)(le16(b + 26) & 0x3fff);
		*h = (int)(le16(b + 28) & 0x3fff);
		return 0;
	}
	if (len >= 25 && !memcmp(b + 12, "VP8L", 4) && b[20] == 0x2f) {
		uint32_t bits = le32(b + 21);

		*w = (int)(bits & 0x3fff) + 1;
		*h = (int)((bits >> 14) & 0x3fff) + 1;
		return 0;
	}
	if (len >= 30 && !memcmp(b + 12, "VP8X", 4)) {
		*w = (int)(b[24] | b[25] << 8 | b[26] << 16) + 1;
		*h = (int)(b[27] | b[28] << 8 | b[29] << 16) + 1;
		return 0;
	}
	return -1;
}

int picture_header_size(enum picture_type t, const unsigned char *b, size_t len, int *w, int *h)
{
	switch (t) {
	case PICTURE_JPEG:
		return jpeg_size(b, len, w, h);
	case PICTURE_PNG:
		if (len < 24 || memcmp(b + 12, "IHDR", 4) || be32(b + 16) > INT32_MAX || be32(b + 20) > INT32_MAX)
			return -1;
		*w = (int)be32(b + 16);
		*h = (int)be32(b + 20);
		return 0;
	case PICTURE_WEBP:
		return webp_size(b, len, w, h);
	case PICTURE_GIF:
		if (len < 10)
			return -1;
		*w = (int)le16(b + 6);
		*h = (int)le16(b + 8);
		return 0;
	case PICTURE_BMP: {
		/* Height is signed: negative for a top-down bitmap. */
		int32_t bh = (int32_t)le32(b + 22);

		if (le32(b + 18) > INT32_MAX || bh == INT32_MIN)
			return -1;
		*w = (int)le32(b + 18);
		*h = bh < 0 ? -bh : bh;
		return 0;
	}
	default:
		return -1;
	}
}

struct guard {
	int max_side;
	char why[128];
};

/* Called with the frame's size known and before its pixels are decoded. */
static int checked_buffer(AVCodecContext *c, AVFrame *f, int flags)
{
	struct guard *g = c->opaque;

	if (c->width > g->max_side || c->height > g->max_side) {
		snprintf(g->why, sizeof g->why, "over %d pixels wide or high (%dx%d)", g->max_side,
		         c->width, c->height);
		return AVERROR(ERANGE);
	}
	return avcodec_default_get_buffer2(c, f, flags);
}

AVFrame *picture_decode_max(const unsigned char *b, size_t len, int max_side, char *err,
                            size_t errlen)
{
	enum picture_type t = picture_sniff(b, len);
	const AVCodec *codec;
	AVCodecContext *c = NULL;
	AVPacket *pkt = NULL;
	AVFrame *f = NULL;
	struct guard g = { max_side, "" };
	int w, h, rc;

	if (max_side < 1 || max_side > PICTURE_MAX_SIDE)
		g.max_side = max_side = PICTURE_MAX_SIDE;

	if (t == PICTURE_UNKNOWN) {
		snprintf(err, errlen, "not a JPEG, PNG, WebP, GIF or BMP picture");
		return NULL;
	}
	if (len > (size_t)PICTURE_MAX_BYTES) {
		snprintf(err, errlen, "over %ld MiB (%zu bytes)", PICTURE_MAX_BYTES >> 20, len);
		return NULL;
	}
	if (picture_header_size(t, b, len, &w, &h) == 0) {
		if (w > max_side || h > max_side) {
			snprintf(err, errlen, "over %d pixels wide or high (%dx%d)", max_side, w, h);
			return NULL;
		}
		if (w < 1 || h < 1) {
			snprintf(err, errlen, "the %s declares no pixels (%dx%d)", types[t].name, w, h);
			return NULL;
		}
	}
	if (!(codec = avcodec_find_decoder(types[t].codec))) {
		snprintf(err, errlen, "this libavcodec cannot decode %s", types[t].name);
		return NULL;
	}
	if (!(c = avcodec_alloc_context3(codec)) || !(pkt = av_packet_alloc()) || !(f = av_frame_alloc()))
		goto oom;
	c->max_pixels = (int64_t)max_side * max_side;
	c->thread_count = 1; /* one picture, one thread: the caller's */
	c->log_level_offset = QUIET_LOGS;
	c->opaque = &g;
	c->get_buffer2 = checked_buffer;
	if ((rc = avcodec_open2(c, codec, NULL)) < 0)
		goto fail;
	if (av_new_packet(pkt, (int)len) < 0)
		goto oom;
	memcpy(pkt->data, b, len);
	if ((rc = avcodec_send_packet(c, pkt)) < 0)
		goto fail;
	rc = avcodec_receive_frame(c, f);
	if (rc == AVERROR(EAGAIN)) {
		/* A decoder that holds the frame back gives it up when drained. */
		avcodec_send_packet(c, NULL);
		rc = avcodec_receive_frame(c, f);
	}
	if (rc < 0)
		goto fail;
	if (f->width > max_side || f->height > max_side || f->width < 1 || f->height < 1) {
		snprintf(err, errlen, "over %d pixels wide or high (%dx%d)", max_side, f->width, f->height);
		goto out_free;
	}
	av_packet_free(&pkt);
	avcodec_free_context(&c);
	return f;
oom:
	snprintf(err, errlen, "out of memory decoding the %s", types[t].name);
	goto out_free;
fail:
	if (g.why[0]) {
		snprintf(err, errlen, "%s", g.why);
	} else {
		char msg[AV_ERROR_MAX_STRING_SIZE];

		av_strerror(rc, msg, sizeof msg);
		snprintf(err, errlen, "the %s cannot be decoded: %s", types[t].name, msg);
	}
out_free:
	av_frame_free(&f);
	av_packet_free(&pkt);
	avcodec_free_context(&c);
	return NULL;
}

AVFrame *picture_decode(const unsigned char *b, size_t len, char *err, size_t errlen)
{
	return picture_decode_max(b, len, PICTURE_MAX_SIDE, err, errlen);
}

/* The format to hand the scaler, and whether the source is full range. */
static enum AVPixelFormat plain_format(const AVFrame *src, int *full)
{
	*full = src->color_range == AVCOL_RANGE_JPEG;
	switch (src->format) {
	case AV_PIX_FMT_YUVJ420P: *full = 1; return AV_PIX_FMT_YUV420P;
	case AV_PIX_FMT_YUVJ422P: *full = 1; return AV_PIX_FMT_YUV422P;
	case AV_PIX_FMT_YUVJ444P: *full = 1; return AV_PIX_FMT_YUV444P;
	case AV_PIX_FMT_YUVJ440P: *full = 1; return AV_PIX_FMT_YUV440P;
	case AV_PIX_FMT_YUVJ411P: *full = 1; return AV_PIX_FMT_YUV411P;
	default: return (enum AVPixelFormat)src->format;
	}
}

int picture_convert(const AVFrame *src, AVFrame *dst, char *err, size_t errlen)
{
	int full;
	enum AVPixelFormat in = plain_format(src, &full);
	const int *coefs = sws_getCoefficients(SWS_CS_DEFAULT); /* BT.601, as JFIF has it */
	struct SwsContext *sws = sws_getContext(src->width, src->height, in, dst->width, dst->height,
	                                        (enum AVPixelFormat)dst->format, SCALE_FLAGS, NULL, NULL, NULL);

	if (!sws) {
		snprintf(err, errlen, "pixels of format %s cannot be converted",
		         av_get_pix_fmt_name(in) ? av_get_pix_fmt_name(in) : "(none)");
		return -1;
	}
	sws_setColorspaceDetails(sws, coefs, full, coefs, 1, 0, 1 << 16, 1 << 16);
	sws_scale(sws, (const uint8_t *const *)src->data, src->linesize, 0, src->height, dst->data, dst->linesize);
	sws_freeContext(sws);
	return 0;
}

int picture_scale_rgba(const AVFrame *src, int w, int h, AVFrame *dst, char *err, size_t errlen)
{
	dst->format = AV_PIX_FMT_RGBA;
	dst->width = w;
	dst->height = h;
	if (av_frame_get_buffer(dst, 0) < 0) {
		snprintf(err, errlen, "out of memory scaling a picture");
		return -1;
	}
	return picture_convert(src, dst, err, errlen);
}

int picture_load_rgba(const unsigned char *b, size_t len, int max_side, int fit,
                      struct picture_rgba *out, char *err, size_t errlen)
{
	AVFrame *src = picture_decode_max(b, len, max_side, err, errlen), *rgba = NULL;
	int w, h, rc = -1;

	out->w = out->h = 0;
	out->px = NULL;
	if (!src)
		return -1;
	w = src->width;
	h = src->height;
	if (fit > 0 && (w > fit || h > fit)) {
		if (w >= h) {
			h = (int)(((long long)h * fit + w / 2) / w);
			w = fit;
		} else {
			w = (int)(((long long)w * fit + h / 2) / h);
			h = fit;
		}
		if (w < 1)
			w = 1;
		if (h < 1)
			h = 1;
	}
	if (!(rgba = av_frame_alloc())) {
		snprintf(err, errlen, "out of memory scaling a picture");
		goto out;
	}
	if (picture_scale_rgba(src, w, h, rgba, err, errlen) < 0)
		goto out;
	if (!(out->px = malloc((size_t)w * (size_t)h * 4))) {
		snprintf(err, errlen, "out of memory scaling a picture");
		goto out;
	}
	for (int y = 0; y < h; y++)
		memcpy(out->px + (size_t)y * (size_t)w * 4,
		       rgba->data[0] + (size_t)y * (size_t)rgba->linesize[0], (size_t)w * 4);
	out->w = w;
	out->h = h;
	rc = 0;
out:
	av_frame_free(&rgba);
	av_frame_free(&src);
	return rc;
}

void picture_rgba_free(struct picture_rgba *p)
{
	free(p->px);
	p->px = NULL;
	p->w = p->h = 0;
}
