/* One square JPEG of a picture: it is scaled to fit the square (RGBA, so that a transparent
 * picture is laid over the background instead of showing whatever colour its transparent
 * pixels hold; lib/picture.c), centred on the background, turned into full-range YCbCr and
 * encoded by libavcodec's mjpeg encoder. */
#include "config.h"
#include "images/square.h"

#include <stdio.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavutil/frame.h>
#include <libavutil/mem.h>

/* libavcodec's qscale for the mjpeg encoder: 3 is close to libjpeg's quality 85, where
 * covers look clean and a 640 px one weighs some tens of KiB. */
#define JPEG_QSCALE 3
#define QUIET_LOGS 64 /* as in lib/picture.c: the caller reports failures */

void picture_fit(int w, int h, int box, struct picture_fit *f)
{
	if (w < 1)
		w = 1;
	if (h < 1)
		h = 1;
	if (w >= h) {
		f->w = box;
		f->h = (int)(((long long)h * box + w / 2) / w);
	} else {
		f->h = box;
		f->w = (int)(((long long)w * box + h / 2) / h);
	}
	if (f->w < 1)
		f->w = 1;
	if (f->h < 1)
		f->h = 1;
	f->x = (box - f->w) / 2;
	f->y = (box - f->h) / 2;
}

static AVFrame *new_frame(enum AVPixelFormat fmt, int w, int h)
{
	AVFrame *f = av_frame_alloc();

	if (!f)
		return NULL;
	f->format = fmt;
	f->width = w;
	f->height = h;
	if (av_frame_get_buffer(f, 0) < 0)
		av_frame_free(&f);
	return f;
}

/* The square: background, with the RGBA picture laid over it at f. */
static void compose(AVFrame *square, const AVFrame *pic, const struct picture_fit *f)
{
	static const int bg[3] = { PICTURE_BACKGROUND_R, PICTURE_BACKGROUND_G, PICTURE_BACKGROUND_B };

	for (int y = 0; y < square->height; y++) {
		uint8_t *o = square->data[0] + (size_t)y * (size_t)square->linesize[0];

		for (int x = 0; x < square->width; x++)
			memcpy(o + 3 * x, (uint8_t[3]){ bg[0], bg[1], bg[2] }, 3);
	}
	for (int y = 0; y < f->h; y++) {
		const uint8_t *p = pic->data[0] + (size_t)y * (size_t)pic->linesize[0];
		uint8_t *o = square->data[0] + (size_t)(f->y + y) * (size_t)square->linesize[0] + 3 * f->x;

		for (int x = 0; x < f->w; x++, p += 4, o += 3) {
			int a = p[3];

			for (int k = 0; k < 3; k++)
				o[k] = (uint8_t)((p[k] * a + bg[k] * (255 - a) + 127) / 255);
		}
	}
}

static int encode(AVFrame *yuv, unsigned char **out, size_t *len, char *err, size_t errlen)
{
	const AVCodec *codec = avcodec_find_encoder(AV_CODEC_ID_MJPEG);
	AVCodecContext *c = NULL;
	AVPacket *pkt = NULL;
	int rc = -1, e;

	if (!codec) {
		snprintf(err, errlen, "this libavcodec has no JPEG encoder");
		return -1;
	}
	if (!(c = avcodec_alloc_context3(codec)) || !(pkt = av_packet_alloc())) {
		snprintf(err, errlen, "out of memory encoding a picture");
		goto out;
	}
	c->width = yuv->width;
	c->height = yuv->height;
	c->pix_fmt = AV_PIX_FMT_YUVJ420P;
	c->color_range = AVCOL_RANGE_JPEG;
	c->time_base = (AVRational){ 1, 1 };
	c->flags |= AV_CODEC_FLAG_QSCALE;
	c->global_quality = FF_QP2LAMBDA * JPEG_QSCALE;
	c->thread_count = 1;
	c->log_level_offset = QUIET_LOGS;
	yuv->quality = c->global_quality;
	yuv->pts = 0;
	if ((e = avcodec_open2(c, codec, NULL)) < 0 || (e = avcodec_send_frame(c, yuv)) < 0)
		goto fail;
	e = avcodec_receive_packet(c, pkt);
	if (e == AVERROR(EAGAIN)) {
		avcodec_send_frame(c, NULL);
		e = avcodec_receive_packet(c, pkt);
	}
	if (e < 0)
		goto fail;
	if (!(*out = av_malloc((size_t)pkt->size))) {
		snprintf(err, errlen, "out of memory encoding a picture");
		goto out;
	}
	memcpy(*out, pkt->data, (size_t)pkt->size);
	*len = (size_t)pkt->size;
	rc = 0;
	goto out;
fail:
	{
		char msg[AV_ERROR_MAX_STRING_SIZE];

		av_strerror(e, msg, sizeof msg);
		snprintf(err, errlen, "the JPEG could not be encoded: %s", msg);
	}
out:
	av_packet_free(&pkt);
	avcodec_free_context(&c);
	return rc;
}

int picture_square_jpeg(const AVFrame *src, int box, unsigned char **out, size_t *len,
                        char *err, size_t errlen)
{
	struct picture_fit f;
	AVFrame *pic = av_frame_alloc(), *square = new_frame(AV_PIX_FMT_RGB24, box, box);
	AVFrame *yuv = new_frame(AV_PIX_FMT_YUV420P, box, box);
	int rc = -1;

	*out = NULL;
	if (!pic || !square || !yuv) {
		snprintf(err, errlen, "out of memory making a %d px picture", box);
		goto out;
	}
	picture_fit(src->width, src->height, box, &f);
	if (picture_scale_rgba(src, f.w, f.h, pic, err, errlen) < 0)
		goto out;
	compose(square, pic, &f);
	if (picture_convert(square, yuv, err, errlen) < 0)
		goto out;
	/* The same planes, named as the encoder wants full-range 4:2:0. */
	yuv->format = AV_PIX_FMT_YUVJ420P;
	yuv->color_range = AVCOL_RANGE_JPEG;
	rc = encode(yuv, out, len, err, errlen);
out:
	av_frame_free(&pic);
	av_frame_free(&square);
	av_frame_free(&yuv);
	return rc;
}
