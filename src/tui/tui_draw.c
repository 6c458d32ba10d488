/* Drawing the screen: the sidebar, the page's title and rows, the bar with what plays, the
 * status line (messages, prompts, downloads) and the help overlay. */
#include "config.h"
#include "tui_internal.h"

#include <stdio.h>
#include <string.h>

#include "keys.h"
#include "render.h"
#include "text.h"
#include "theme.h"

/* Text at (y, x), cut to width cells (padded when pad). */
static void put(int y, int x, int width, const char *s, bool pad)
{
	wchar_t buf[512];

	if (width <= 0 || y < 0 || x < 0)
		return;
	text_fit(s, width, pad, buf, sizeof buf / sizeof buf[0]);
	mvaddwstr(y, x, buf);
}

static void fill(int y, int x, int width)
{
	if (width > 0)
		mvhline(y, x, ' ', width);
}

static void draw_sidebar(struct tui *t)
{
	attr_t a;

	attrset(theme_attr(TH_TITLE));
	put(0, 1, t->side_w - 1, "segue", true);
	for (int i = 0; i < P_SIDEBAR_COUNT && i + 1 < t->list_y + t->list_h; i++) {
		bool cur = i == t->side;

		a = cur ? theme_attr(t->focus == F_SIDEBAR ? TH_SELECTED : TH_ACTIVE) : theme_attr(TH_SIDEBAR);
		attrset(a);
		char label[64];

		snprintf(label, sizeof label, " %d %s", i + 1, sidebar_names[i]);
		put(i + 1, 0, t->side_w, label, true);
	}
	attrset(theme_attr(TH_NORMAL));
	attrset(theme_attr(TH_BORDER));
	for (int y = 0; y < t->list_y + t->list_h; y++)
		mvaddwstr(y, t->side_w, L"\x2502");
	attrset(theme_attr(TH_NORMAL));
}

struct col {
	int x, w;
};

static void track_cols(int x, int w, struct col c[5])
{
	/* #, title, artist, album, time; the album goes first when it is narrow. */
	int num = 4, time = 6, rest = w - num - time - 3;
	bool album = rest >= 60;
	int title = album ? rest * 45 / 100 : rest * 60 / 100;
	int artist = album ? rest * 25 / 100 : rest - title - 1;

	c[0] = (struct col){ x, num };
	c[1] = (struct col){ x + num + 1, title };
	c[2] = (struct col){ c[1].x + title + 1, artist };
	c[3] = (struct col){ album ? c[2].x + artist + 1 : 0, album ? rest - title - artist - 2 : 0 };
	c[4] = (struct col){ x + w - time, time };
}

/* The download mark of a track or collection: whole, on its way, or failed. */
static const char *mark_of(struct tui *t, const char *key)
{
	const char *m = key ? json_string_value(json_object_get(t->marks, key)) : NULL;

	if (!m)
		return " ";
	return !strcmp(m, "done") ? "\xe2\x86\x93" : !strcmp(m, "queued") ? "\xc2\xb7" : "!";
}

static void draw_row(struct tui *t, struct row *r, int y, int x, int w, bool sel)
{
	char buf[256], artists[256], dur[16];
	struct col c[5];
	const char *now_id = json_string_value(json_object_get(json_object_get(tui_shown_state(t), "item"), "id"));

	attrset(sel ? theme_attr(t->focus == F_LIST ? TH_SELECTED : TH_ACTIVE) : theme_attr(TH_NORMAL));
	fill(y, x, w);
	switch (r->kind) {
	case R_HEADER:
		attrset(theme_attr(TH_HEADER) | (sel ? A_REVERSE : 0));
		put(y, x, w, r->text, true);
		break;
	case R_TEXT:
		snprintf(buf, sizeof buf, "did you mean: %s", r->text);
		attrset(theme_attr(TH_DIM) | (sel ? A_REVERSE : 0));
		put(y, x, w, buf, true);
		break;
	case R_TRACK:
		track_cols(x, w, c);
		if (now_id && !strcmp(now_id, json_string_value(json_object_get(r->obj, "id")) ?: "") && !sel)
			attrset(theme_attr(TH_PLAYING));
		if (r->pos > 0)
			snprintf(buf, sizeof buf, "%3d%s", r->pos, mark_of(t, json_string_value(json_object_get(r->obj, "id"))));
		else
			snprintf(buf, sizeof buf, "  \xe2\x96\xb6%s", mark_of(t, json_string_value(json_object_get(r->obj, "id"))));
		put(y, c[0].x, c[0].w, buf, true);
		put(y, c[1].x, c[1].w, json_string_value(json_object_get(r->obj, "name")) ?: "", true);
		render_artists(artists, sizeof artists, json_object_get(r->obj, "artists"));
		put(y, c[2].x, c[2].w, artists, true);
		if (c[3].w > 0)
			put(y, c[3].x, c[3].w,
			    json_string_value(json_object_get(json_object_get(r->obj, "album"), "name")) ?: "", true);
		render_duration(dur, sizeof dur, json_integer_value(json_object_get(r->obj, "duration_ms")));
		snprintf(buf, sizeof buf, "%6s", dur);
		put(y, c[4].x, c[4].w, buf, true);
		break;
	case R_ALBUM:
		render_artists(artists, sizeof artists, json_object_get(r->obj, "artists"));
		snprintf(buf, sizeof buf, "%.4s", json_string_value(json_object_get(r->obj, "release_date")) ?: "");
		put(y, x, 1, mark_of(t, row_uri(r)), false);
		put(y, x + 1, w * 55 / 100, json_string_value(json_object_get(r->obj, "name")) ?: "", true);
		put(y, x + 2 + w * 55 / 100, w - w * 55 / 100 - 9, artists, true);
		put(y, x + w - 6, 6, buf, true);
		break;
	case R_LYRIC:
		put(y, x + 1, w - 1, r->text, true);
		break;
	case R_ARTIST:
		put(y, x + 1, w - 1, json_string_value(json_object_get(r->obj, "name")) ?: "", true);
		break;
	case R_PLAYLIST:
		snprintf(buf, sizeof buf, "%lld tracks",
		         json_integer_value(json_object_get(json_object_get(r->obj, "tracks"), "total")));
		put(y, x, 1, mark_of(t, row_uri(r)), false);
		put(y, x + 1, w * 55 / 100, json_string_value(json_object_get(r->obj, "name")) ?: "", true);
		put(y, x + 2 + w * 55 / 100, w - w * 55 / 100 - 14,
		    json_string_value(json_object_get(json_object_get(r->obj, "owner"), "display_name")) ?:
		    json_string_value(json_object_get(json_object_get(r->obj, "owner"), "id")) ?: "", true);
		put(y, x + w - 12, 12, buf, true);
		break;
	case R_DEVICE: {
		bool active = json_is_true(json_object_get(r->obj, "is_active"));
		bool self = !strcmp(json_string_value(json_object_get(r->obj, "id")) ?: "", seg_device_id(t->s));

		snprintf(buf, sizeof buf, "%s %s%s", active ? "\xe2\x96\xb6" : " ",
		         json_string_value(json_object_get(r->obj, "name")) ?: "", self ? "  (this device)" : "");
		put(y, x + 1, w * 60 / 100, buf, true);
		snprintf(buf, sizeof buf, "%-10s %3lld%%", json_string_value(json_object_get(r->obj, "type")) ?: "",
		         json_integer_value(json_object_get(r->obj, "volume_percent")));
		put(y, x + 2 + w * 60 / 100, w - w * 60 / 100 - 2, buf, true);
		break;
	}
	}
	attrset(theme_attr(TH_NORMAL));
}

static void draw_list(struct tui *t)
{
	struct page *p = t->page;
	int x = t->side_w + 2, w = t->cols - x - 1, y = 0, h;
	char title[400];

	if (!p)
		return;
	if (p->kind == P_NOW) {
		attrset(theme_attr(TH_TITLE));
		put(y, x, w, p->title, true);
		attrset(theme_attr(TH_NORMAL));
		tui_cover_now(t, t->list_y, x, w, t->list_h);
		return;
	}
	if (p->kind == P_LYRICS) {
		tui_lyrics_draw(t);
		return;
	}
	attrset(theme_attr(TH_TITLE));
	/* The rows of the query before stay until the new ones come; the title says so, lest
	 * what is listed be taken for what the box says. */
	if (p->kind == P_SEARCH)
		snprintf(title, sizeof title, "Search: %s%s%s", p->query, t->focus == F_QUERY ? "_" : "",
		         p->nrows && (t->search_due || p->tag) ? "  (searching\xe2\x80\xa6)" : "");
	else
		snprintf(title, sizeof title, "%s", p->title);
	put(y, x, w, title, true);
	attrset(theme_attr(TH_NORMAL));
	y = t->list_y;
	h = t->list_h;
	/* An album's or artist's cover heads its page, the rows below it. */
	int art_rows = tui_cover_header_rows(t, h);

	if (art_rows > 0) {
		tui_cover_header(t, y, x, w, art_rows);
		y += art_rows + 1;
		h -= art_rows + 1;
	}
	if (p->error[0] && !p->nrows) {
		attrset(theme_attr(TH_ERROR));
		put(y + 1, x, w, p->error, true);
		attrset(theme_attr(TH_NORMAL));
		return;
	}
	if (!p->loaded || (p->tag && !p->nrows)) {
		attrset(theme_attr(TH_DIM));
		put(y + 1, x, w, p->kind == P_SEARCH && !p->query[0] ? "type to search" : "loading\xe2\x80\xa6", true);
		attrset(theme_attr(TH_NORMAL));
		return;
	}
	bool any = false;

	for (int i = 0; i < p->nrows; i++)
		any |= p->rows[i].kind != R_HEADER;
	if (!any) {
		attrset(theme_attr(TH_DIM));
		put(y + 1, x, w, p->kind == P_SEARCH ? (t->search_due ? "searching\xe2\x80\xa6" : p->query[0] ? "nothing found" : "type to search") :
		                 p->kind == P_DEVICES ? "no devices are connected" : "nothing here yet", true);
		attrset(theme_attr(TH_NORMAL));
		return;
	}
	/* Keep the selection in view. */
	if (p->sel < p->top)
		p->top = p->sel;
	if (p->sel >= p->top + h)
		p->top = p->sel - h + 1;
	if (p->top > p->nrows - h)
		p->top = p->nrows - h > 0 ? p->nrows - h : 0;
	for (int i = 0; i < h && p->top + i < p->nrows; i++)
		draw_row(t, &p->rows[p->top + i], y + i, x, w, p->top + i == p->sel);
}

static void draw_bar(struct tui *t)
{
	json_t *st = tui_shown_state(t), *item = json_object_get(st, "item");
	json_t *ext = json_object_get(st, "segue"), *dev = json_object_get(st, "device");
	int y = t->bar_y, w = t->cols;
	char left[600], right[200], artists[256], pos[16], dur[16];
	long long p = tui_progress_now(t), d = json_integer_value(json_object_get(item, "duration_ms"));
	const char *quality = json_string_value(json_object_get(ext, "quality"));

	attrset(theme_attr(TH_BORDER));
	for (int x = 0; x < w; x++)
		mvaddwstr(y - 1, x, L"\x2500");
	attrset(theme_attr(TH_BAR));
	fill(y, 0, w);
	fill(y + 1, 0, w);
	if (!json_is_object(item)) {
		put(y, 1, w - 2, t->player_gone ? "the player is not running: C-r starts it again" : "nothing is playing", true);
		attrset(theme_attr(TH_NORMAL));
		return;
	}
	render_artists(artists, sizeof artists, json_object_get(item, "artists"));
	snprintf(right, sizeof right, " %s  %s  vol %lld%%  %s%s%s",
	         json_is_true(json_object_get(st, "shuffle_state")) ? "shuffle" : "       ",
	         !strcmp(json_string_value(json_object_get(st, "repeat_state")) ?: "off", "off") ? "         " :
	         !strcmp(json_string_value(json_object_get(st, "repeat_state")), "track") ? "repeat 1 " : "repeat   ",
	         json_integer_value(json_object_get(dev, "volume_percent")),
	         json_string_value(json_object_get(dev, "name")) ?: "", quality ? "  " : "", quality ? quality : "");
	snprintf(left, sizeof left, " %s %s \xe2\x80\x94 %s \xc2\xb7 %s",
	         json_is_true(json_object_get(st, "is_playing")) ? "\xe2\x96\xb6" : "\xe2\x8f\xb8",
	         json_string_value(json_object_get(item, "name")) ?: "", artists,
	         json_string_value(json_object_get(json_object_get(item, "album"), "name")) ?: "");
	int rw = text_width(right);

	if (rw > w / 2)
		rw = w / 2;
	attrset(theme_attr(TH_BAR) | A_BOLD);
	put(y, 0, w - rw, left, true);
	attrset(theme_attr(TH_BAR));
	put(y, w - rw, rw, right, true);
	/* The progress line: elapsed, a bar, total. */
	render_duration(pos, sizeof pos, p);
	render_duration(dur, sizeof dur, d);
	int bx = 8, bw = w - 16;

	put(y + 1, 1, 7, pos, true);
	put(y + 1, w - 7, 7, dur, false);
	if (bw > 0) {
		int filled = d > 0 ? (int)((long long)bw * p / d) : 0;

		attrset(theme_attr(TH_PROGRESS));
		for (int i = 0; i < bw; i++)
			mvaddwstr(y + 1, bx + i, i < filled ? L"\x2501" : L"\x2500");
	}
	attrset(theme_attr(TH_NORMAL));
}

/* The downloads under way, for the status line ("↓ Name 45% · 3 more"); false when none. */
static bool download_line(struct tui *t, char *buf, size_t len)
{
	json_t *dl = json_object_get(t->offline, "downloads");
	json_t *a = json_array_get(json_object_get(dl, "active"), 0);
	long long queued = json_integer_value(json_object_get(t->offline, "queued"));
	long long more = queued - (long long)json_array_size(json_object_get(dl, "active"));
	long long bytes = json_integer_value(json_object_get(a, "bytes"));
	char rest[64] = "";

	if (!queued)
		return false;
	if (more > 0)
		snprintf(rest, sizeof rest, " \xc2\xb7 %lld more", more);
	if (json_is_true(json_object_get(dl, "waiting_network")) || !a)
		snprintf(buf, len, "\xe2\x86\x93 %lld to download%s ", queued,
		         json_is_true(json_object_get(dl, "waiting_network")) ? ", waiting for the network" : "");
	else
		snprintf(buf, len, "\xe2\x86\x93 %s %lld%%%s ", json_string_value(json_object_get(a, "name")) ?: "",
		         bytes > 0 ? json_integer_value(json_object_get(a, "done")) * 100 / bytes : 0, rest);
	return true;
}

static void draw_status(struct tui *t)
{
	int y = t->rows - 1, used;
	char buf[700];

	attrset(theme_attr(TH_NORMAL));
	fill(y, 0, t->cols);
	if (t->prompt != PR_NONE) {
		static const char *const label[] = {
			[PR_COMMAND] = ":", [PR_FIND] = "/", [PR_PLAYLIST] = "add to playlist: ",
			[PR_CREATE] = "new playlist: ", [PR_RENAME] = "rename to: ",
		};

		snprintf(buf, sizeof buf, "%s%s", label[t->prompt], t->line);
		put(y, 0, t->cols - 1, buf, false);
		curs_set(1);
		move(y, text_width(buf) < t->cols ? text_width(buf) : t->cols - 1);
		return;
	}
	curs_set(0);
	if (t->status[0] && tui_now_ms() < t->status_until) {
		attrset(theme_attr(t->status_err ? TH_ERROR : TH_STATUS));
		put(y, 0, t->cols, t->status, true);
		used = text_width(t->status) + 2;
	} else {
		attrset(theme_attr(TH_DIM));
		put(y, 0, t->cols, " ? help   : command   / find   Tab sidebar   q quit", true);
		used = 0; /* the hints give way */
	}
	/* The downloads at the right end, beside a message when both fit. */
	if (download_line(t, buf, sizeof buf)) {
		int w = text_width(buf);

		if (w > t->cols / 2)
			w = t->cols / 2;
		if (used + w <= t->cols) {
			attrset(theme_attr(TH_STATUS));
			put(y, t->cols - w, w, buf, false);
		}
	}
	attrset(theme_attr(TH_NORMAL));
}

static void draw_help(struct tui *t)
{
	int w = t->cols > 84 ? 80 : t->cols - 4, h = t->rows - 4, x = (t->cols - w) / 2, y = 2;
	int line = 0;

	attrset(theme_attr(TH_BAR));
	for (int i = 0; i < h; i++)
		fill(y + i, x, w);
	put(y, x + 2, w - 4, "Keys (any can be changed in segue.conf: bind.ACTION = KEYS)", true);
	if (t->help_top > ACT_COUNT - (h - 2))
		t->help_top = ACT_COUNT - (h - 2) > 0 ? ACT_COUNT - (h - 2) : 0;
	for (int a = 1 + t->help_top; a < ACT_COUNT && line < h - 2; a++, line++) {
		char buf[256];

		snprintf(buf, sizeof buf, "%-16s %s", keys_of((enum action)a), actions[a].help);
		put(y + 2 + line, x + 2, w - 4, buf, true);
	}
	attrset(theme_attr(TH_NORMAL));
}

static void layout(struct tui *t)
{
	getmaxyx(stdscr, t->rows, t->cols);
	t->side_w = t->cols >= 100 ? 22 : t->cols >= 60 ? 18 : 12;
	t->list_y = 2;
	t->bar_y = t->rows - 3;
	t->list_h = t->bar_y - 1 - t->list_y;
	if (t->list_h < 1)
		t->list_h = 1;
}

void tui_draw(struct tui *t)
{
	layout(t);
	erase();
	t->pixel = NULL;
	if (t->rows < 8 || t->cols < 30) {
		put(0, 0, t->cols, "the terminal is too small for segue", false);
		refresh();
		return;
	}
	draw_sidebar(t);
	draw_list(t);
	draw_bar(t);
	if (t->help)
		draw_help(t);
	draw_status(t);
	refresh();
	/* Nothing is drawn over the overlay: it goes, and comes back when the overlay does. */
	if (t->help)
		t->pixel = NULL;
	tui_cover_flush(t);
	t->dirty = false;
}
