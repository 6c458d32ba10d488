/* Cover art for a terminal (art.h): the mode a terminal gets, and a picture file drawn by
 * libchafa into cells or into a sequence to print. */
#include "config.h"
#include "art.h"

#include <chafa.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "artcache.h"
#include "fileio.h"
#include "picture.h"

extern char **environ;

/* chafa's terminal database is one shared object, and its documentation promises nothing
 * about threads: lookups in it take turns. */
static pthread_mutex_t db_lock = PTHREAD_MUTEX_INITIALIZER;

/* A cover is at most 640 px; this leaves room for a picture the cache did not make and keeps
 * a hostile one from costing more than some tens of MiB while it decodes. */
#define ART_MAX_SIDE 2048
#define DEFAULT_CELL_W 10
#define DEFAULT_CELL_H 20

static const char *const names[] = {
	[ART_OFF] = "off", [ART_SYMBOLS] = "symbols", [ART_KITTY] = "kitty",
	[ART_SIXELS] = "sixels", [ART_ITERM2] = "iterm2",
};

const char *art_mode_name(enum art_mode m)
{
	return names[m];
}

static int mode_of(const char *s)
{
	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		if (!strcmp(s, names[i]))
			return (int)i;
	return -1;
}

bool art_setting_valid(const char *s)
{
	return s && (!strcmp(s, "auto") || mode_of(s) >= 0);
}

static bool env_set(const char *name)
{
	const char *v = getenv(name);

	return v && *v;
}

/* What the terminal itself can show, by chafa's database and what it does not read. */
static enum art_mode detect_terminal(void)
{
	const char *term = getenv("TERM"), *program = getenv("TERM_PROGRAM");
	ChafaTermInfo *ti;
	enum art_mode m = ART_SYMBOLS;

	if (!term || !*term || !strcmp(term, "dumb"))
		return ART_OFF;
	if (env_set("KITTY_WINDOW_ID") || strstr(term, "kitty"))
		return ART_KITTY;
	if (program && (!strcmp(program, "iTerm.app") || !strcmp(program, "WezTerm")))
		return ART_ITERM2;
	pthread_mutex_lock(&db_lock);
	ti = chafa_term_db_detect(chafa_term_db_get_default(), environ);
	pthread_mutex_unlock(&db_lock);
	if (!ti)
		return ART_SYMBOLS;
	if (chafa_term_info_have_seq(ti, CHAFA_TERM_SEQ_BEGIN_KITTY_IMMEDIATE_IMAGE_V1))
		m = ART_KITTY;
	else if (chafa_term_info_have_seq(ti, CHAFA_TERM_SEQ_BEGIN_ITERM2_IMAGE))
		m = ART_ITERM2;
	else if (chafa_term_info_have_seq(ti, CHAFA_TERM_SEQ_BEGIN_SIXELS))
		m = ART_SIXELS;
	chafa_term_info_unref(ti);
	return m;
}

enum art_mode art_detect(const char *setting)
{
	int m;

	if (env_set("NO_COLOR"))
		return ART_OFF;
	if (setting && (m = mode_of(setting)) >= 0)
		return (enum art_mode)m;
	/* tmux draws its panes itself: a picture sent through it lands in the wrong place or
	 * not at all, while coloured symbols are just text. */
	if (env_set("TMUX"))
		return ART_SYMBOLS;
	return detect_terminal();
}

void art_cell_pixels(int fd, int *cell_w, int *cell_h)
{
	struct winsize ws;

	*cell_w = *cell_h = 0;
	if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col && ws.ws_row && ws.ws_xpixel && ws.ws_ypixel) {
		*cell_w = ws.ws_xpixel / ws.ws_col;
		*cell_h = ws.ws_ypixel / ws.ws_row;
	}
}

/* The whole file, refused over the cache's limit: the cache never keeps a larger one. */
static enum seg_err read_picture(const char *path, unsigned char **out, size_t *len)
{
	switch (file_read_all(path, ARTCACHE_MAX_BYTES, out, len)) {
	case FILE_READ_OK:
		return SEG_OK;
	case FILE_READ_NOT_REGULAR:
		return seg_fail(SEG_EIO, "cannot read %s: not a file", path);
	case FILE_READ_TOO_BIG:
		return seg_fail(SEG_EPROTO, "%s: over %ld MiB", path, ARTCACHE_MAX_BYTES >> 20);
	default:
		return seg_fail(errno == ENOMEM ? SEG_ENOMEM : SEG_EIO, "cannot read %s: %s", path, strerror(errno));
	}
}

static ChafaCanvasMode canvas_mode(enum art_colors colors)
{
	switch (colors) {
	case ART_COLORS_8: return CHAFA_CANVAS_MODE_INDEXED_8;
	case ART_COLORS_16: return CHAFA_CANVAS_MODE_INDEXED_16;
	/* Not the first 16: themes redefine those. */
	case ART_COLORS_240: return CHAFA_CANVAS_MODE_INDEXED_240;
	default: return CHAFA_CANVAS_MODE_TRUECOLOR;
	}
}

static ChafaPixelMode pixel_mode(enum art_mode m)
{
	switch (m) {
	case ART_KITTY: return CHAFA_PIXEL_MODE_KITTY;
	case ART_SIXELS: return CHAFA_PIXEL_MODE_SIXELS;
	case ART_ITERM2: return CHAFA_PIXEL_MODE_ITERM2;
	default: return CHAFA_PIXEL_MODE_SYMBOLS;
	}
}

/* The canvas's cells taken out, for a curses screen. */
static enum seg_err take_cells(ChafaCanvas *c, struct art_block *out)
{
	if (!(out->cells = calloc((size_t)out->cols * (size_t)out->rows, sizeof *out->cells)))
		return seg_fail(SEG_ENOMEM, "out of memory");
	for (int y = 0; y < out->rows; y++)
		for (int x = 0; x < out->cols; x++) {
			struct art_cell *cell = &out->cells[y * out->cols + x];

			cell->ch = chafa_canvas_get_char_at(c, x, y);
			chafa_canvas_get_raw_colors_at(c, x, y, &cell->fg, &cell->bg);
		}
	return SEG_OK;
}

/* The sequence for this terminal: its own database's, with chafa's fallbacks for a protocol
 * the setting forced on a terminal the database does not know. */
static enum seg_err take_text(ChafaCanvas *c, struct art_block *out)
{
	ChafaTermDb *db;
	ChafaTermInfo *ti, *fb;
	GString *s;

	pthread_mutex_lock(&db_lock);
	db = chafa_term_db_get_default();
	ti = chafa_term_db_detect(db, environ);
	fb = chafa_term_db_get_fallback_info(db);
	pthread_mutex_unlock(&db_lock);

	if (!ti || !fb) {
		if (ti)
			chafa_term_info_unref(ti);
		if (fb)
			chafa_term_info_unref(fb);
		return seg_fail(SEG_ENOMEM, "out of memory");
	}
	chafa_term_info_supplement(ti, fb);
	s = chafa_canvas_print(c, ti);
	chafa_term_info_unref(ti);
	chafa_term_info_unref(fb);
	if (!s)
		return seg_fail(SEG_ENOMEM, "out of memory");
	out->text_len = s->len;
	out->text = g_string_free(s, FALSE);
	return SEG_OK;
}

enum seg_err art_render(const char *path, enum art_mode mode, enum art_output output,
                        enum art_colors colors, int max_cols, int max_rows, int cell_w, int cell_h,
                        struct art_block *out)
{
	unsigned char *bytes = NULL;
	size_t len = 0;
	struct picture_rgba px = { 0 };
	ChafaCanvasConfig *cfg = NULL;
	ChafaSymbolMap *sym = NULL;
	ChafaCanvas *canvas = NULL;
	char why[256];
	enum seg_err e;
	int cols = max_cols, rows = max_rows;

	memset(out, 0, sizeof *out);
	if (mode == ART_OFF || max_cols < 1 || max_rows < 1 || (output == ART_CELLS && mode != ART_SYMBOLS))
		return seg_fail(SEG_EUSAGE, "no art to draw in %dx%d cells as %s", max_cols, max_rows,
		                art_mode_name(mode));
	if (cell_w <= 0 || cell_h <= 0) {
		cell_w = DEFAULT_CELL_W;
		cell_h = DEFAULT_CELL_H;
	}
	if ((e = read_picture(path, &bytes, &len)) != SEG_OK)
		return e;
	/* No more pixels than the box can show. */
	int fit = max_cols * cell_w > max_rows * cell_h ? max_cols * cell_w : max_rows * cell_h;
	if (picture_load_rgba(bytes, len, ART_MAX_SIDE, fit > ART_MAX_SIDE ? ART_MAX_SIDE : fit, &px,
	                      why, sizeof why) < 0) {
		e = seg_fail(SEG_EPROTO, "%s: %s", path, why);
		goto out;
	}
	chafa_calc_canvas_geometry(px.w, px.h, &cols, &rows, (gfloat)cell_w / (gfloat)cell_h, TRUE, FALSE);
	if (cols < 1 || rows < 1 || cols > max_cols || rows > max_rows) {
		cols = cols < 1 ? 1 : cols > max_cols ? max_cols : cols;
		rows = rows < 1 ? 1 : rows > max_rows ? max_rows : rows;
	}
	if (!(cfg = chafa_canvas_config_new()) || !(sym = chafa_symbol_map_new())) {
		e = seg_fail(SEG_ENOMEM, "out of memory");
		goto out;
	}
	chafa_canvas_config_set_geometry(cfg, cols, rows);
	chafa_canvas_config_set_cell_geometry(cfg, cell_w, cell_h);
	chafa_canvas_config_set_canvas_mode(cfg, canvas_mode(mode == ART_SYMBOLS ? colors : ART_COLORS_TRUE));
	chafa_canvas_config_set_pixel_mode(cfg, pixel_mode(mode));
	/* Block elements only: every terminal font has them, and they tile without gaps. */
	chafa_symbol_map_add_by_tags(sym, CHAFA_SYMBOL_TAG_BLOCK);
	chafa_canvas_config_set_symbol_map(cfg, sym);
	if (!(canvas = chafa_canvas_new(cfg))) {
		e = seg_fail(SEG_ENOMEM, "out of memory");
		goto out;
	}
	chafa_canvas_draw_all_pixels(canvas, CHAFA_PIXEL_RGBA8_UNASSOCIATED, px.px, px.w, px.h, px.w * 4);
	out->mode = mode;
	out->cols = cols;
	out->rows = rows;
	e = output == ART_CELLS ? take_cells(canvas, out) : take_text(canvas, out);
	if (e != SEG_OK)
		art_block_free(out);
out:
	if (canvas)
		chafa_canvas_unref(canvas);
	if (sym)
		chafa_symbol_map_unref(sym);
	if (cfg)
		chafa_canvas_config_unref(cfg);
	picture_rgba_free(&px);
	free(bytes);
	return e;
}

void art_block_free(struct art_block *b)
{
	free(b->cells);
	if (b->text)
		g_free(b->text);
	memset(b, 0, sizeof *b);
}
