/* Drawing cover art: the header of an album or artist page (the cover at the left, the
 * details beside it), the now-playing view, and the pictures of the pixel protocols, which
 * curses knows nothing of: their cells are blanks on its screen, and the picture is written
 * over them after the screen is refreshed, again whenever it moves, changes or the screen
 * is drawn from scratch. */
#include "config.h"
#include "tui_internal.h"

#include <stdio.h>
#include <string.h>

#include "artcache.h"
#include "render.h"
#include "text.h"
#include "theme.h"
#include "tui_art.h"

#define HEADER_ROWS_MIN 4
#define HEADER_ROWS_MAX 16
#define NOW_ROWS_MAX 40
#define CELL_PX_GUESS 10 /* a cell's width when the terminal does not say */

static void put(int y, int x, int width, const char *s)
{
	wchar_t buf[512];

	if (width <= 0 || y < 0 || x < 0)
		return;
	text_fit(s, width, true, buf, sizeof buf / sizeof buf[0]);
	mvaddwstr(y, x, buf);
}

static json_t *page_images(const struct page *p)
{
	if (!p || !p->loaded || !p->data)
		return NULL;
	if (p->kind == P_ALBUM)
		return json_object_get(p->data, "images");
	if (p->kind == P_ARTIST)
		return json_object_get(json_object_get(p->data, "artist"), "images");
	return NULL;
}

/* The colour pair of a symbol cell; curses finds or makes it (and recycles the least
 * recently used when they run out). */
static int pair_for(int fg, int bg)
{
	int pair = alloc_pair(fg, bg);

	return pair < 0 ? 0 : pair;
}

static void draw_cells(const struct art_block *b, int y, int x)
{
	for (int r = 0; r < b->rows; r++)
		for (int c = 0; c < b->cols; c++) {
			const struct art_cell *cell = &b->cells[r * b->cols + c];
			wchar_t wc[2] = { (wchar_t)cell->ch, L'\0' };
			int pair = pair_for(cell->fg, cell->bg);
			cchar_t cc;

			if (setcchar(&cc, wc, A_NORMAL, 0, &pair) == OK)
				mvadd_wch(y + r, x + c, &cc);
		}
}

/* The picture at url in the box: drawn when the worker has it, blank until then (the page
 * around it is usable all the while). */
static void draw_block(struct tui *t, const char *url, int y, int x, int cols, int rows)
{
	bool failed;
	const struct art_block *b = tui_art_get(t->art, url, cols, rows, &failed);

	if (!b)
		return;
	/* Centred in the box: a picture that is not square leaves room on one side. */
	y += (rows - b->rows) / 2;
	x += (cols - b->cols) / 2;
	if (b->cells) {
		draw_cells(b, y, x);
		return;
	}
	t->pixel = b;
	t->pixel_y = y;
	t->pixel_x = x;
	snprintf(t->pixel_key, sizeof t->pixel_key, "%d %d %d %d %s", y, x, b->cols, b->rows, url);
}

/* How many cells wide a box of rows rows is for a square picture: cells are about twice as
 * high as they are wide. */
static int square_cols(int rows)
{
	return rows * 2;
}

int tui_cover_header_rows(struct tui *t, int list_h)
{
	int rows = list_h * 2 / 5;

	if (tui_art_mode(t->art) == ART_OFF || !json_array_size(page_images(t->page)))
		return 0;
	if (rows < HEADER_ROWS_MIN)
		return list_h - HEADER_ROWS_MIN - 1 >= 3 ? HEADER_ROWS_MIN : 0;
	return rows > HEADER_ROWS_MAX ? HEADER_ROWS_MAX : rows;
}

void tui_cover_header(struct tui *t, int y, int x, int w, int rows)
{
	struct page *p = t->page;
	json_t *o = p->kind == P_ARTIST ? json_object_get(p->data, "artist") : p->data;
	int cols = square_cols(rows), dx = x + cols + 2, dw = w - cols - 2;
	char line[512], artists[256];

	if (cols > w / 2) {
		cols = w / 2;
		dx = x + cols + 2;
		dw = w - cols - 2;
	}
	draw_block(t, artcache_pick(page_images(p), cols * (t->cell_w > 0 ? t->cell_w : CELL_PX_GUESS)),
	           y, x, cols, rows);
	attrset(theme_attr(TH_TITLE) | A_BOLD);
	put(y + 1, dx, dw, json_string_value(json_object_get(o, "name")) ?: "");
	attrset(theme_attr(TH_NORMAL));
	if (p->kind == P_ALBUM) {
		render_artists(artists, sizeof artists, json_object_get(o, "artists"));
		put(y + 2, dx, dw, artists);
		snprintf(line, sizeof line, "%s \xc2\xb7 %.4s \xc2\xb7 %lld tracks",
		         json_string_value(json_object_get(o, "album_type")) ?: "album",
		         json_string_value(json_object_get(o, "release_date")) ?: "",
		         json_integer_value(json_object_get(o, "total_tracks")));
	} else {
		json_t *g;
		size_t i;

		line[0] = '\0';
		json_array_foreach(json_object_get(o, "genres"), i, g)
			snprintf(line + strlen(line), sizeof line - strlen(line), "%s%s", i ? ", " : "",
			         json_string_value(g) ?: "");
	}
	attrset(theme_attr(TH_DIM));
	put(y + 3, dx, dw, line);
	attrset(theme_attr(TH_NORMAL));
}

void tui_cover_now(struct tui *t, int y, int x, int w, int h)
{
	json_t *st = tui_shown_state(t), *item = json_object_get(st, "item");
	json_t *images = json_object_get(json_object_get(item, "album"), "images");
	int rows = h - 1 < NOW_ROWS_MAX ? h - 1 : NOW_ROWS_MAX, cols, dx = x, dw = w;
	char artists[256], line[128], pos[16], dur[16];

	if (!json_is_object(item)) {
		attrset(theme_attr(TH_DIM));
		put(y + 1, x, w, t->player_gone ? "the player is not running: C-r starts it again" : "nothing is playing");
		attrset(theme_attr(TH_NORMAL));
		return;
	}
	cols = square_cols(rows);
	if (cols > w * 3 / 5) {
		cols = w * 3 / 5;
		rows = cols / 2;
	}
	if (tui_art_mode(t->art) != ART_OFF && json_array_size(images) && rows >= HEADER_ROWS_MIN) {
		draw_block(t, artcache_pick(images, TUI_NOW_ART_PX), y, x, cols, rows);
		dx = x + cols + 2;
		dw = w - cols - 2;
	}
	render_artists(artists, sizeof artists, json_object_get(item, "artists"));
	render_duration(pos, sizeof pos, tui_progress_now(t));
	render_duration(dur, sizeof dur, json_integer_value(json_object_get(item, "duration_ms")));
	snprintf(line, sizeof line, "%s %s / %s", json_is_true(json_object_get(st, "is_playing")) ?
	         "\xe2\x96\xb6" : "\xe2\x8f\xb8", pos, dur);
	attrset(theme_attr(TH_TITLE) | A_BOLD);
	put(y + 1, dx, dw, json_string_value(json_object_get(item, "name")) ?: "");
	attrset(theme_attr(TH_NORMAL));
	put(y + 2, dx, dw, artists);
	attrset(theme_attr(TH_DIM));
	put(y + 3, dx, dw, json_string_value(json_object_get(json_object_get(item, "album"), "name")) ?: "");
	attrset(theme_attr(TH_NORMAL));
	put(y + 5, dx, dw, line);
}

void tui_cover_flush(struct tui *t)
{
	const char *key = t->pixel ? t->pixel_key : "";

	if (!strcmp(key, t->pixel_sent) && !t->pixel_resend)
		return;
	if (t->pixel_sent[0] || t->pixel_resend) {
		/* The last picture goes: kitty keeps its placements until told, the others are
		 * overwritten when curses draws every cell again. */
		if (tui_art_mode(t->art) == ART_KITTY)
			fputs("\033_Ga=d\033\\", stdout);
		fflush(stdout);
		redrawwin(stdscr);
		refresh();
	}
	if (t->pixel) {
		/* Saved and restored around it, so curses still knows where its cursor is. */
		printf("\0337\033[%d;%dH", t->pixel_y + 1, t->pixel_x + 1);
		fwrite(t->pixel->text, 1, t->pixel->text_len, stdout);
		fputs("\0338", stdout);
		fflush(stdout);
	}
	snprintf(t->pixel_sent, sizeof t->pixel_sent, "%s", key);
	t->pixel_resend = false;
}
