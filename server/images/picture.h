/* The images module's inside: what a picture is (sniffed from its first bytes), decoding it
 * with libavcodec, and making one square JPEG of it. Private to server/images/ (and the unit
 * test of the fit arithmetic). */
#ifndef SEGUE_IMAGES_PICTURE_H
#define SEGUE_IMAGES_PICTURE_H

#include <stddef.h>

struct AVFrame;

enum picture_type { PICTURE_UNKNOWN, PICTURE_JPEG, PICTURE_PNG, PICTURE_WEBP, PICTURE_GIF, PICTURE_BMP };

/* The type the magic bytes say; PICTURE_UNKNOWN for anything else. */
enum picture_type picture_sniff(const unsigned char *b, size_t len);
const char *picture_type_name(enum picture_type t);
/* The width and height a picture's header declares, without decoding it. Returns 0, or -1
 * when the header cannot be read (the decoder then has the last word). */
int picture_header_size(enum picture_type t, const unsigned char *b, size_t len, int *w, int *h);

/* Decodes the picture (GIF: its first frame). The caller frees the frame with av_frame_free.
 * NULL with err when it is refused: unknown, over IMAGES_MAX_SIDE a side, corrupt. */
struct AVFrame *picture_decode(const unsigned char *b, size_t len, char *err, size_t errlen);

/* Where a w x h picture goes in a box x box square: scaled to fit with its aspect kept (a
 * square fills it; no side below one pixel), centred. */
struct picture_fit {
	int w, h; /* the scaled picture */
	int x, y; /* its top left corner in the square */
};
void picture_fit(int w, int h, int box, struct picture_fit *f);

/* The neutral background of a letterboxed picture (and of a mosaic's gaps), RGB. */
#define PICTURE_BACKGROUND_R 0x28
#define PICTURE_BACKGROUND_G 0x28
#define PICTURE_BACKGROUND_B 0x28

/* src fitted into a box x box square and encoded as a full-range JPEG into *out (av_malloc'd,
 * the caller frees it with av_free). Returns 0, or -1 with err. */
int picture_square_jpeg(const struct AVFrame *src, int box, unsigned char **out, size_t *len,
                        char *err, size_t errlen);
/* src (any format) scaled to w x h into dst, RGBA. Returns 0, or -1 with err. */
int picture_scale_rgba(const struct AVFrame *src, int w, int h, struct AVFrame *dst,
                       char *err, size_t errlen);

#endif
