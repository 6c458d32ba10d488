/* The images module's inside: one square JPEG of a picture decoded by lib/picture.c.
 * Private to server/images/ (and the unit test of the fit arithmetic). */
#ifndef SEGUE_IMAGES_SQUARE_H
#define SEGUE_IMAGES_SQUARE_H

#include <stddef.h>

#include "picture.h"

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

#endif
