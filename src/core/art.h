/* Cover art for a terminal, through libchafa: a cached picture (artcache.h) decoded
 * (lib/picture.c) and drawn into a box of character cells, either as coloured Unicode block
 * symbols or as a pixel protocol's escape sequence (kitty graphics, sixels, iTerm2 images).
 *
 * Which one: the `art` option, auto by default. Auto picks what the terminal says it can show
 * (chafa's terminal database over TERM, plus KITTY_WINDOW_ID and TERM_PROGRAM, which that
 * database does not read), and symbols under tmux, which passes no picture protocol through
 * reliably. NO_COLOR (set and not empty) turns art off whatever the option says.
 *
 * Threading: art_detect reads the environment (call it before starting threads that change
 * it); art_render may run on any thread at once (each call has its own chafa canvas), and it
 * reads a file and decodes it, so the TUI runs it on its art worker. */
#ifndef SEGUE_ART_H
#define SEGUE_ART_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

enum art_mode { ART_OFF, ART_SYMBOLS, ART_KITTY, ART_SIXELS, ART_ITERM2 };

/* The option's values: "auto" and the modes by name. */
#define ART_SETTINGS "auto, kitty, sixels, iterm2, symbols or off"
bool art_setting_valid(const char *s);
const char *art_mode_name(enum art_mode m);

/* The mode for a setting (NULL: auto) in this process's environment. */
enum art_mode art_detect(const char *setting);

/* The colours symbols may use: what the terminal (or curses) has. */
enum art_colors { ART_COLORS_8, ART_COLORS_16, ART_COLORS_240, ART_COLORS_TRUE };

/* One cell of symbols: a character and its colours. fg and bg are palette indices (0..255)
 * for ART_COLORS_8/16/240, 0xRRGGBB for ART_COLORS_TRUE; -1 is the terminal's default (a
 * transparent part of the picture). */
struct art_cell {
	uint32_t ch;
	int fg, bg;
};

/* A picture drawn for the terminal. */
struct art_block {
	enum art_mode mode;
	int cols, rows;         /* the cells it covers: within the box asked for, aspect kept */
	struct art_cell *cells; /* cells mode: rows * cols, row by row; else NULL */
	char *text;             /* text mode: what to write with the cursor at the top left
	                         * (symbols: rows of ANSI-coloured text separated by "\n"; pixel
	                         * modes: the protocol's sequence); else NULL */
	size_t text_len;
};

enum art_output { ART_CELLS, ART_TEXT };

/* Draws the picture file at path into at most max_cols x max_rows cells. mode is not
 * ART_OFF; ART_CELLS is for symbols only (a curses screen places them itself). cell_w and
 * cell_h are a cell's size in pixels (0: unknown, 10 x 20 assumed), which sizes the pixel
 * protocols' pictures and keeps the aspect right. On SEG_OK the caller frees out with
 * art_block_free. A picture file that is corrupt, over 2048 pixels a side or over the cache's
 * size limit is SEG_EPROTO with its reason; an unreadable one SEG_EIO. */
enum seg_err art_render(const char *path, enum art_mode mode, enum art_output output,
                        enum art_colors colors, int max_cols, int max_rows, int cell_w, int cell_h,
                        struct art_block *out);
void art_block_free(struct art_block *b);

/* The cell size in pixels that the terminal on fd reports (TIOCGWINSZ), 0 x 0 when it does
 * not say. */
void art_cell_pixels(int fd, int *cell_w, int *cell_h);

#endif
