/* Cover art's pixels and drawing: lib/picture.c's decoding with its limits (a corrupt, huge
 * or lying picture is an error, never a crash), src/core/art.c's drawing into cells and
 * sequences, and the mode a terminal gets from its environment. */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "art.h"
#include "picture.h"
#include "tap.h"

/* A 16x16 JPEG of one colour, #e02020 (made by ffmpeg's mjpeg encoder). */
static const unsigned char red16[] =
	"\xff\xd8\xff\xe0\x00\x10\x4a\x46\x49\x46\x00\x01\x02\x00\x00\x01\x00\x01\x00\x00\xff\xfe\x00\x10"
	"\x4c\x61\x76\x63\x35\x39\x2e\x33\x37\x2e\x31\x30\x30\x00\xff\xdb\x00\x43\x00\x08\x04\x04\x04\x04"
	"\x04\x05\x05\x05\x05\x05\x05\x06\x06\x06\x06\x06\x06\x06\x06\x06\x06\x06\x06\x06\x07\x07\x07\x08"
	"\x08\x08\x07\x07\x07\x06\x06\x07\x07\x08\x08\x08\x08\x09\x09\x09\x08\x08\x08\x08\x09\x09\x0a\x0a"
	"\x0a\x0c\x0c\x0b\x0b\x0e\x0e\x0e\x11\x11\x14\xff\xc4\x00\x4c\x00\x01\x01\x00\x00\x00\x00\x00\x00"
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x06\x01\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
	"\x00\x00\x00\x06\x07\x10\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x11"
	"\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xc0\x00\x11\x08\x00\x10"
	"\x00\x10\x03\x01\x22\x00\x02\x11\x00\x03\x11\x00\xff\xda\x00\x0c\x03\x01\x00\x02\x11\x03\x11\x00"
	"\x3f\x00\x99\x00\x7d\x60\x7f\xff\xd9"
	;
#define RED16_LEN (sizeof red16 - 1)
#define SOF_AT 185 /* where its start-of-frame marker is */

static char dir[] = "/tmp/segue-test-art-XXXXXX";

static const char *file_of(const char *name, const void *b, size_t len)
{
	static char path[256];
	int fd;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, b, len) != (ssize_t)len)
		printf("# cannot write %s\n", path);
	if (fd >= 0)
		close(fd);
	return path;
}

static void test_decode(void)
{
	struct picture_rgba px;
	char err[256] = "";
	unsigned char *b = malloc(RED16_LEN);

	is_int(picture_load_rgba(red16, RED16_LEN, 2048, 0, &px, err, sizeof err), 0, "a JPEG decodes");
	ok(px.w == 16 && px.h == 16, "to its size (%dx%d)", px.w, px.h);
	ok(px.px && abs(px.px[0] - 0xe0) < 12 && abs(px.px[1] - 0x20) < 12 && abs(px.px[2] - 0x20) < 12 &&
	   px.px[3] == 255, "in its colour, opaque");
	picture_rgba_free(&px);
	is_int(picture_load_rgba(red16, RED16_LEN, 2048, 8, &px, err, sizeof err), 0, "scaled to fit 8");
	ok(px.w == 8 && px.h == 8, "8x8 (%dx%d)", px.w, px.h);
	picture_rgba_free(&px);

	is_int(picture_load_rgba(red16, RED16_LEN, 8, 0, &px, err, sizeof err), -1,
	       "a picture over the largest side asked for is refused");
	ok(strstr(err, "over 8 pixels") != NULL, "saying so: %s", err);
	ok(!px.px, "with nothing to free");

	memcpy(b, red16, RED16_LEN);
	/* The frame header says 60000 x 60000: refused before any decoder runs. */
	b[SOF_AT + 5] = 0xea;
	b[SOF_AT + 6] = 0x60;
	b[SOF_AT + 7] = 0xea;
	b[SOF_AT + 8] = 0x60;
	err[0] = '\0';
	is_int(picture_load_rgba(b, RED16_LEN, 2048, 0, &px, err, sizeof err), -1, "a header that claims 60000 px");
	ok(strstr(err, "60000x60000") != NULL, "is refused by its header: %s", err);

	err[0] = '\0';
	is_int(picture_load_rgba(red16, 120, 2048, 0, &px, err, sizeof err), -1, "a JPEG cut short");
	ok(err[0] != '\0', "is an error: %s", err);
	err[0] = '\0';
	is_int(picture_load_rgba((const unsigned char *)"GIF89a but no more", 18, 2048, 0, &px, err, sizeof err), -1,
	       "a picture that is only a magic number");
	ok(err[0] != '\0', "is an error: %s", err);
	err[0] = '\0';
	is_int(picture_load_rgba((const unsigned char *)"<html>", 6, 2048, 0, &px, err, sizeof err), -1, "not a picture");
	ok(strstr(err, "not a JPEG") != NULL, "says what it is not: %s", err);
	free(b);
}

static void test_render(void)
{
	const char *red = file_of("red.jpg", red16, RED16_LEN);
	char path[256];
	struct art_block b;
	int blocks = 0, reds = 0;

	snprintf(path, sizeof path, "%s", red);
	is_int(art_render(path, ART_SYMBOLS, ART_CELLS, ART_COLORS_240, 8, 4, 0, 0, &b), SEG_OK,
	       "symbols for a curses screen");
	ok(b.cols == 8 && b.rows == 4 && b.cells && !b.text, "8x4 cells for a square picture in 8x4 (%dx%d)",
	   b.cols, b.rows);
	for (int i = 0; b.cells && i < b.cols * b.rows; i++) {
		blocks += b.cells[i].ch >= 0x2580 && b.cells[i].ch <= 0x259f;
		reds += b.cells[i].fg == 160 || b.cells[i].fg == 196 || b.cells[i].bg == 160 || b.cells[i].bg == 196;
	}
	is_int(blocks, 32, "every cell a block element");
	is_int(reds, 32, "every cell in the red of xterm's palette");
	art_block_free(&b);

	is_int(art_render(path, ART_SYMBOLS, ART_CELLS, ART_COLORS_240, 40, 4, 0, 0, &b), SEG_OK, "a wide box");
	ok(b.cols == 8 && b.rows == 4, "keeps the picture square (%dx%d)", b.cols, b.rows);
	art_block_free(&b);

	is_int(art_render(path, ART_SYMBOLS, ART_TEXT, ART_COLORS_TRUE, 8, 4, 0, 0, &b), SEG_OK, "symbols as text");
	ok(b.text && strstr(b.text, "\x1b[") && strstr(b.text, "\xe2\x96"), "ANSI colours and blocks");
	art_block_free(&b);
	is_int(art_render(path, ART_KITTY, ART_TEXT, ART_COLORS_TRUE, 8, 4, 0, 0, &b), SEG_OK, "kitty");
	ok(b.text && !strncmp(b.text, "\x1b_G", 3), "a kitty graphics sequence");
	art_block_free(&b);
	is_int(art_render(path, ART_SIXELS, ART_TEXT, ART_COLORS_TRUE, 8, 4, 0, 0, &b), SEG_OK, "sixels");
	ok(b.text && strstr(b.text, "\x1bP"), "a DCS sixel sequence");
	art_block_free(&b);
	is_int(art_render(path, ART_ITERM2, ART_TEXT, ART_COLORS_TRUE, 8, 4, 0, 0, &b), SEG_OK, "iTerm2");
	ok(b.text && strstr(b.text, "\x1b]1337;File="), "an OSC 1337 sequence");
	art_block_free(&b);

	is_int(art_render(path, ART_KITTY, ART_CELLS, ART_COLORS_240, 8, 4, 0, 0, &b), SEG_EUSAGE,
	       "a pixel protocol has no cells");
	snprintf(path, sizeof path, "%s/missing.jpg", dir);
	is_int(art_render(path, ART_SYMBOLS, ART_CELLS, ART_COLORS_240, 8, 4, 0, 0, &b), SEG_EIO, "a missing file");
	snprintf(path, sizeof path, "%s", file_of("cut.jpg", red16, 100));
	is_int(art_render(path, ART_SYMBOLS, ART_CELLS, ART_COLORS_240, 8, 4, 0, 0, &b), SEG_EPROTO, "a corrupt file");
	ok(strstr(seg_errmsg(), "cut.jpg") != NULL, "names the file: %s", seg_errmsg());
	char *big = calloc(1, (5 << 20));
	memcpy(big, red16, RED16_LEN);
	snprintf(path, sizeof path, "%s", file_of("big.jpg", big, 5 << 20));
	free(big);
	is_int(art_render(path, ART_SYMBOLS, ART_CELLS, ART_COLORS_240, 8, 4, 0, 0, &b), SEG_EPROTO,
	       "a file over 4 MiB is not read");
	unlink(path);
}

static void env(const char *term, const char *tmux, const char *kitty, const char *program, const char *no_color)
{
	const char *names[] = { "TERM", "TMUX", "KITTY_WINDOW_ID", "TERM_PROGRAM", "NO_COLOR" };
	const char *vals[] = { term, tmux, kitty, program, no_color };

	for (int i = 0; i < 5; i++)
		if (vals[i])
			setenv(names[i], vals[i], 1);
		else
			unsetenv(names[i]);
}

static void test_detect(void)
{
	ok(art_setting_valid("auto") && art_setting_valid("sixels") && !art_setting_valid("sixel") &&
	   !art_setting_valid(""), "the settings");
	env("xterm-256color", "/tmp/tmux-0/default,1,0", NULL, NULL, NULL);
	is_str(art_mode_name(art_detect("auto")), "symbols", "auto under tmux: symbols");
	is_str(art_mode_name(art_detect(NULL)), "symbols", "no setting is auto");
	is_str(art_mode_name(art_detect("sixels")), "sixels", "a mode set is that mode, even under tmux");
	env("xterm-kitty", NULL, "1", NULL, NULL);
	is_str(art_mode_name(art_detect("auto")), "kitty", "kitty");
	env("xterm-256color", NULL, NULL, "iTerm.app", NULL);
	is_str(art_mode_name(art_detect("auto")), "iterm2", "iTerm2, by TERM_PROGRAM");
	env("dumb", NULL, NULL, NULL, NULL);
	is_str(art_mode_name(art_detect("auto")), "off", "a dumb terminal: none");
	env("xterm-kitty", NULL, "1", NULL, "1");
	is_str(art_mode_name(art_detect("kitty")), "off", "NO_COLOR: none, whatever the setting");
	env("xterm-kitty", NULL, "1", NULL, "");
	is_str(art_mode_name(art_detect("auto")), "kitty", "an empty NO_COLOR does not count");
	is_str(art_mode_name(art_detect("off")), "off", "off");
}

int main(void)
{
	if (!mkdtemp(dir)) {
		printf("Bail out! no temporary directory\n");
		return 1;
	}
	test_decode();
	test_render();
	test_detect();
	char path[300];

	snprintf(path, sizeof path, "%s/red.jpg", dir);
	unlink(path);
	snprintf(path, sizeof path, "%s/cut.jpg", dir);
	unlink(path);
	rmdir(dir);
	return done();
}
