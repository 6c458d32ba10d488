/* The images module: the fit arithmetic, names and paths, sniffing and the size guard, and
 * pictures stored, stored again (nothing decoded), refused, and laid out as a mosaic. */
#include "config.h"

#include <stdlib.h>
#include <sodium.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavutil/frame.h>
#include <libavutil/mem.h>

#include "images/images.h"
#include "images/square.h"
#include "tap.h"

static void fit(int w, int h, int box, int ww, int wh, int wx, int wy)
{
	struct picture_fit f;

	picture_fit(w, h, box, &f);
	ok(f.w == ww && f.h == wh && f.x == wx && f.y == wy, "%dx%d in %d: %dx%d at %d,%d (got %dx%d at %d,%d)",
	   w, h, box, ww, wh, wx, wy, f.w, f.h, f.x, f.y);
}

/* A w x h RGBA picture, one colour a quarter (top left, top right, bottom left, bottom right). */
static AVFrame *quarters(int w, int h, unsigned char rgb[4][3])
{
	AVFrame *f = av_frame_alloc();

	f->format = AV_PIX_FMT_RGBA;
	f->width = w;
	f->height = h;
	if (av_frame_get_buffer(f, 0) < 0)
		abort();
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			unsigned char *p = f->data[0] + y * f->linesize[0] + 4 * x;
			int q = (y >= h / 2) * 2 + (x >= w / 2);

			memcpy(p, rgb[q], 3);
			p[3] = 255;
		}
	return f;
}

static const unsigned char *pixel(const AVFrame *rgba, int x, int y)
{
	return rgba->data[0] + y * rgba->linesize[0] + 4 * x;
}

static int near(const unsigned char *p, int r, int g, int b)
{
	return abs(p[0] - r) <= 10 && abs(p[1] - g) <= 10 && abs(p[2] - b) <= 10;
}

static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *b = malloc(1 << 20);

	*len = f ? fread(b, 1, 1 << 20, f) : 0;
	if (f)
		fclose(f);
	return b;
}

/* The version of hash at size, decoded to RGBA at its own size (NULL when it is not there). */
static AVFrame *load(const char *dir, const char *hash, int size)
{
	char path[1024], err[256];
	size_t len;
	unsigned char *b;
	AVFrame *f, *rgba = av_frame_alloc();

	images_path(dir, hash, size, path, sizeof path);
	b = slurp(path, &len);
	f = picture_decode(b, len, err, sizeof err);
	free(b);
	if (!f || picture_scale_rgba(f, f->width, f->height, rgba, err, sizeof err) < 0)
		av_frame_free(&rgba);
	av_frame_free(&f);
	return rgba;
}

static int put_frame(const char *dir, const AVFrame *f, char hash[33])
{
	unsigned char *jpeg;
	size_t len;
	char err[256];
	int rc;

	if (picture_square_jpeg(f, 640, &jpeg, &len, err, sizeof err) < 0)
		return -1;
	rc = images_put(dir, jpeg, len, hash, err, sizeof err);
	av_free(jpeg);
	return rc;
}

int main(void)
{
	static unsigned char red[4][3] = { { 220, 20, 20 }, { 220, 20, 20 }, { 220, 20, 20 }, { 220, 20, 20 } };
	static unsigned char four[4][3] = { { 220, 20, 20 }, { 20, 200, 20 }, { 20, 20, 220 }, { 230, 230, 230 } };
	char dir[] = "/tmp/segue-images-XXXXXX", hash[33], again[33], err[256], path[1024];
	const char *no_images = NULL;
	json_t *j;

	if (sodium_init() < 0 || !mkdtemp(dir))
		return 1;

	/* The fit: aspect kept, centred, a square fills, no side below one pixel. */
	fit(1000, 1000, 640, 640, 640, 0, 0);
	fit(3000, 2000, 640, 640, 427, 0, 106);
	fit(2000, 3000, 300, 200, 300, 50, 0);
	fit(10, 10, 640, 640, 640, 0, 0);
	fit(8000, 1, 64, 64, 1, 0, 31);
	fit(1, 8000, 64, 1, 64, 31, 0);
	fit(641, 640, 640, 640, 639, 0, 0);
	fit(500, 333, 64, 64, 43, 0, 10);

	/* Names and paths: nothing outside the folder can be named. */
	ok(images_hash_valid("0123456789abcdef0123456789abcdef"), "32 lowercase hex digits name a picture");
	ok(!images_hash_valid("0123456789ABCDEF0123456789ABCDEF"), "uppercase does not");
	ok(!images_hash_valid("0123456789abcdef0123456789abcde"), "31 digits do not");
	ok(!images_hash_valid("../../../../../etc/passwd0123456"), "a path does not");
	ok(!images_hash_valid(no_images) && !images_hash_valid(""), "nor NULL or \"\"");
	ok(images_path("/i", "0123456789abcdef0123456789abcdef", 300, path, sizeof path) == 0 &&
	   !strcmp(path, "/i/01/0123456789abcdef0123456789abcdef/300.jpg"), "a version's path (%s)", path);
	ok(images_path("/i", "0123456789abcdef0123456789abcdef", 100, path, sizeof path) < 0, "size 100 is no version");
	ok(images_path("/i", "0123456789abcdef0123456789abcdef", 640, path, 20) < 0, "a path that does not fit is refused");

	j = images_json("http://h:1", "0123456789abcdef0123456789abcdef");
	ok(json_array_size(j) == 3 && json_integer_value(json_object_get(json_array_get(j, 0), "width")) == 640 &&
	   json_integer_value(json_object_get(json_array_get(j, 2), "height")) == 64 &&
	   !strcmp(json_string_value(json_object_get(json_array_get(j, 1), "url")),
	           "http://h:1/images/0123456789abcdef0123456789abcdef/300.jpg"), "image objects, widest first");
	json_decref(j);
	j = images_json("http://h:1", "");
	ok(json_is_array(j) && json_array_size(j) == 0, "no picture: an empty array");
	json_decref(j);

	/* Sniffing and the size guard, before any decoder runs. */
	ok(picture_sniff((const unsigned char *)"GIF89a....", 10) == PICTURE_GIF, "GIF by its magic");
	ok(picture_sniff((const unsigned char *)"RIFF\0\0\0\0WEBPVP8 ", 16) == PICTURE_WEBP, "WebP by its magic");
	ok(picture_sniff((const unsigned char *)"<svg></svg>", 11) == PICTURE_UNKNOWN, "SVG is not a picture here");
	{
		unsigned char png[33] = "\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\x23\x28\0\0\0\x0a\x08\x06\0\0\0";
		int w = 0, h = 0;

		int rc = picture_header_size(PICTURE_PNG, png, sizeof png, &w, &h);

		ok(rc == 0 && w == 9000 && h == 10, "a PNG's size from its header (%dx%d)", w, h);
		ok(images_put(dir, png, sizeof png, hash, err, sizeof err) < 0 && strstr(err, "over 8000 pixels") &&
		   !hash[0], "9000x10 is refused: %s", err);
	}
	ok(images_put(dir, "\xff\xd8\xff\xe0garbage garbage garbage", 26, hash, err, sizeof err) < 0 &&
	   strstr(err, "JPEG"), "a corrupt JPEG is refused: %s", err);
	ok(images_put(dir, "hello", 5, hash, err, sizeof err) < 0 && strstr(err, "not a JPEG, PNG"),
	   "text is refused: %s", err);
	{
		size_t big = (size_t)IMAGES_MAX_BYTES + 1;
		unsigned char *b = calloc(1, big);

		memcpy(b, "\x89PNG\r\n\x1a\n", 8);
		ok(images_put(dir, b, big, hash, err, sizeof err) < 0 && strstr(err, "over 16 MiB"), "16 MiB + 1 is refused: %s", err);
		free(b);
	}

	/* A wide picture: three versions, letterboxed; stored again, nothing is rewritten. */
	{
		AVFrame *wide = quarters(600, 300, red), *v;
		struct stat st0, st1;

		ok(put_frame(dir, wide, hash) == 0 && images_hash_valid(hash), "a picture is stored as %s", hash);
		for (int i = 0; i < IMAGES_NSIZES; i++) {
			int s = images_sizes[i];

			v = load(dir, hash, s);
			ok(v && v->width == s && v->height == s, "its %d px version is %dx%d", s, v ? v->width : 0, v ? v->height : 0);
			if (v) {
				ok(near(pixel(v, s / 2, s / 2), 220, 20, 20), "%d px: the picture in the middle", s);
				ok(near(pixel(v, s / 2, 1), PICTURE_BACKGROUND_R, PICTURE_BACKGROUND_G, PICTURE_BACKGROUND_B) &&
				   near(pixel(v, s / 2, s - 2), PICTURE_BACKGROUND_R, PICTURE_BACKGROUND_G, PICTURE_BACKGROUND_B),
				   "%d px: the background above and below", s);
			}
			av_frame_free(&v);
		}
		images_path(dir, hash, 640, path, sizeof path);
		stat(path, &st0);
		usleep(20000);
		ok(put_frame(dir, wide, again) == 0 && !strcmp(hash, again), "stored again: the same name");
		stat(path, &st1);
		ok(st0.st_mtim.tv_nsec == st1.st_mtim.tv_nsec && st0.st_mtim.tv_sec == st1.st_mtim.tv_sec &&
		   st0.st_ino == st1.st_ino, "and nothing is written again");
		av_frame_free(&wide);
	}

	/* A mosaic of four, and what fewer than four give. */
	{
		char h[4][33], m[33], m2[33];
		const char *hs[6];

		for (int i = 0; i < 4; i++) {
			unsigned char solid[4][3];
			AVFrame *f;

			for (int q = 0; q < 4; q++)
				memcpy(solid[q], four[i], 3);
			f = quarters(200, 200, solid);

			put_frame(dir, f, h[i]);
			av_frame_free(&f);
		}
		hs[0] = h[0], hs[1] = h[0], hs[2] = h[1], hs[3] = h[2], hs[4] = h[3], hs[5] = h[1];
		ok(images_mosaic(dir, hs, 6, m, err, sizeof err) == 0 && images_hash_valid(m), "a mosaic of four");
		AVFrame *v = load(dir, m, 640);
		ok(v && near(pixel(v, 100, 100), 220, 20, 20) && near(pixel(v, 540, 100), 20, 200, 20) &&
		   near(pixel(v, 100, 540), 20, 20, 220) && near(pixel(v, 540, 540), 230, 230, 230),
		   "the first four distinct covers, in order, one a quarter");
		av_frame_free(&v);
		v = load(dir, m, 64);
		ok(v && v->width == 64, "with its smaller versions");
		av_frame_free(&v);
		ok(images_mosaic(dir, hs, 6, m2, err, sizeof err) == 0 && !strcmp(m, m2), "the same four: the same mosaic");
		ok(images_mosaic(dir, hs, 3, m2, err, sizeof err) == 0 && !strcmp(m2, h[0]), "two distinct: the first cover");
		ok(images_mosaic(dir, hs, 0, m2, err, sizeof err) == 0 && !m2[0], "none: no picture");
		hs[4] = "ffffffffffffffffffffffffffffffff";
		ok(images_mosaic(dir, hs, 5, m2, err, sizeof err) < 0 && !m2[0] && strstr(err, "ffff"),
		   "a missing cover fails the mosaic: %s", err);
	}
	/* Formats only the ffmpeg command makes here: an animated GIF's first frame, a BMP, and
	 * a transparent PNG laid over the background. */
	if (system("command -v ffmpeg >/dev/null 2>&1") == 0) {
		static const struct { const char *file, *source, *frames; int r, g, b; } made[] = {
			{ "p.gif", "color=c=0x3050f0:s=120x80:r=10", "3", 0x30, 0x50, 0xf0 },
			{ "p.bmp", "color=c=0x3050f0:s=120x80", "1", 0x30, 0x50, 0xf0 },
			{ "p.png", "color=c=0x3050f0@0.0:s=100x100,format=rgba", "1",
			  PICTURE_BACKGROUND_R, PICTURE_BACKGROUND_G, PICTURE_BACKGROUND_B },
		};

		for (size_t i = 0; i < sizeof made / sizeof made[0]; i++) {
			char cmd[1400];
			AVFrame *v = NULL;

			snprintf(cmd, sizeof cmd, "ffmpeg -v error -y -f lavfi -i '%s' -frames:v %s %s/%s",
			         made[i].source, made[i].frames, dir, made[i].file);
			snprintf(path, sizeof path, "%s/%s", dir, made[i].file);
			if (system(cmd) == 0 && images_put_file(dir, path, hash, err, sizeof err) == 0)
				v = load(dir, hash, 64);
			ok(v && near(pixel(v, 32, 32), made[i].r, made[i].g, made[i].b), "%s is stored and looks right%s%s",
			   made[i].file, v ? "" : ": ", v ? "" : err);
			av_frame_free(&v);
		}
	} else {
		printf("ok %d # SKIP no ffmpeg command to make GIF, BMP and PNG pictures\n", ++tap_n);
	}
	ok(images_put_file(dir, "/nonexistent/cover.jpg", hash, err, sizeof err) < 0 && strstr(err, "No such file"),
	   "a missing file: %s", err);
	{
		char cmd[1100];

		snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
		if (system(cmd) != 0)
			ok(0, "cleaning up");
	}
	return done();
}
