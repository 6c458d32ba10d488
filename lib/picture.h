/* A picture's bytes turned into pixels, for both programs: the server's images module makes
 * its squares from them, the client draws cover art in the terminal. The type comes from the
 * magic bytes, never a name; the declared size is checked before a decoder is opened, and
 * again, with guards, while it decodes, so a hostile file costs at most the limits below.
 *
 * Thread-safe: each call has its own codec and scaler contexts, and no FFmpeg state is
 * global. Errors are one line into err. */
#ifndef SEGUE_PICTURE_H
#define SEGUE_PICTURE_H

#include <stddef.h>

struct AVFrame;

#define PICTURE_MAX_BYTES (16L << 20) /* largest source picture accepted */
#define PICTURE_MAX_SIDE 8000         /* widest or highest source picture accepted, pixels */

enum picture_type { PICTURE_UNKNOWN, PICTURE_JPEG, PICTURE_PNG, PICTURE_WEBP, PICTURE_GIF, PICTURE_BMP };

/* The type the magic bytes say; PICTURE_UNKNOWN for anything else. */
enum picture_type picture_sniff(const unsigned char *b, size_t len);
const char *picture_type_name(enum picture_type t);
/* The width and height a picture's header declares, without decoding it. Returns 0, or -1
 * when the header cannot be read (the decoder then has the last word). */
int picture_header_size(enum picture_type t, const unsigned char *b, size_t len, int *w, int *h);

/* Decodes the picture (GIF: its first frame). The caller frees the frame with av_frame_free.
 * NULL with err when it is refused: unknown, over max_side pixels a side (at most
 * PICTURE_MAX_SIDE), over PICTURE_MAX_BYTES, corrupt. */
struct AVFrame *picture_decode_max(const unsigned char *b, size_t len, int max_side, char *err,
                                   size_t errlen);
/* The same with PICTURE_MAX_SIDE. */
struct AVFrame *picture_decode(const unsigned char *b, size_t len, char *err, size_t errlen);

/* src (any format) scaled to w x h into dst (a new frame of the caller's), RGBA. Returns 0,
 * or -1 with err. */
int picture_scale_rgba(const struct AVFrame *src, int w, int h, struct AVFrame *dst, char *err,
                       size_t errlen);
/* Converts src into dst (both allocated, any size and format the scaler knows); dst is full
 * range when it is YCbCr. Returns 0, or -1 with err. */
int picture_convert(const struct AVFrame *src, struct AVFrame *dst, char *err, size_t errlen);

/* Pixels as plain memory: RGBA, rows of w * 4 bytes, top to bottom. */
struct picture_rgba {
	int w, h;
	unsigned char *px; /* malloc'd: picture_rgba_free */
};

/* Decodes a picture of at most max_side pixels a side and scales it to fit within fit x fit
 * pixels (aspect kept; a smaller one is left as it is; fit <= 0: as it is). Returns 0 with
 * out filled, or -1 with err. */
int picture_load_rgba(const unsigned char *b, size_t len, int max_side, int fit,
                      struct picture_rgba *out, char *err, size_t errlen);
void picture_rgba_free(struct picture_rgba *p);

#endif
