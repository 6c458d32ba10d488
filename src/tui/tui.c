/* The TUI's loop, screen and keys. One poll() over the terminal, the worker's results, the
 * daemon's events and signals; a timeout only when something is due (the next second of a
 * playing track's progress bar, a search waiting out its debounce, a message expiring). The
 * screen is drawn again only when something changed. */
#include "config.h"
#include "tui.h"

#define NCURSES_WIDECHAR 1
#include <curses.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "backend.h"
#include "clock.h"
#include "cmd.h"
#include "keys.h"
#include "log.h"
#include "offline.h"
#include "pages.h"
#include "render.h"
#include "text.h"
#include "theme.h"

#define SEARCH_DEBOUNCE_MS 150
#define STATUS_MS 5000
#define DOUBLE_CLICK_MS 400
#define SEEK_STEP_MS 5000
#define VOLUME_STEP 5
#define MAX_PLAY_URIS 500

/* Job tags below TAG_PAGE say what to do with a result; page loads use TAG_PAGE and up. */
enum { TAG_ACTION = 1, TAG_RELOAD, TAG_COMMAND, TAG_PLAYLISTS, TAG_DEVICES, TAG_HUB, TAG_OFFLINE, TAG_PAGE };

enum focus { F_SIDEBAR, F_LIST, F_QUERY };
enum prompt { PR_NONE, PR_COMMAND, PR_FIND, PR_PLAYLIST, PR_CREATE, PR_RENAME };

struct tui {
	struct seg *s;
	struct backend *b;
	struct page *page;
	int side;               /* the sidebar's highlighted entry */
	enum focus focus;
	json_t *local, *hub, *devices; /* the daemon's player, the hub's, the device list */
	char status[300];
	bool status_err;
	long long status_until;
	enum prompt prompt;
	char line[512];         /* the prompt's text, UTF-8 */
	char pending_uri[128];  /* what PR_PLAYLIST adds, or the playlist PR_RENAME renames */
	char find[128];
	bool help;
	int help_top;           /* first line of the help shown */
	int next_tag;
	long long search_due;
	json_t *playlists;      /* the user's, for completing PR_PLAYLIST */
	json_t *offline;        /* the daemon's report of the downloads (offline status) */
	json_t *marks;          /* what is downloaded: offline_marks() */
	bool dirty, quit, quit_all, player_gone;
	long long click_at;
	int click_row;
	int rows, cols, side_w, list_y, list_h, bar_y;
};

static long long now_ms(void)
{
	return clock_mono_ms();
}

static void say(struct tui *t, bool err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(struct tui *t, bool err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->status, sizeof t->status, fmt, ap);
	va_end(ap);
	t->status_err = err;
	t->status_until = now_ms() + STATUS_MS;
	t->dirty = true;
}

static void submit(struct tui *t, int tag, int argc, const char *const *argv)
{
	backend_submit(t->b, tag, argc, argv);
}

#define RUN(t, tag, ...) do { \
		const char *argv_[] = { __VA_ARGS__ }; \
		submit(t, tag, (int)(sizeof argv_ / sizeof argv_[0]), argv_); \
	} while (0)

/* --- pages ----------------------------------------------------------------------------- */

static void load(struct tui *t, struct page *p)
{
	const char *argv[8];
	int n = page_argv(p, argv, 8);

	if (!n) {
		page_take(p, json_object(), seg_device_id(t->s));
		p->tag = 0;
		t->dirty = true;
		return;
	}
	p->tag = TAG_PAGE + t->next_tag++;
	submit(t, p->tag, n, argv);
	t->dirty = true;
}

static void open_page(struct tui *t, struct page *p, bool push)
{
	if (!p)
		return;
	if (push) {
		p->back = t->page;
	} else {
		/* Going to a sidebar entry starts a fresh history. */
		while (t->page) {
			struct page *b = t->page->back;

			page_free(t->page);
			t->page = b;
		}
	}
	t->page = p;
	if (p->kind < P_SIDEBAR_COUNT)
		t->side = p->kind;
	t->focus = p->kind == P_SEARCH ? F_QUERY : F_LIST;
	load(t, p);
}

static void go(struct tui *t, enum page_kind k)
{
	open_page(t, page_new(k, NULL, NULL), false);
}

static void back(struct tui *t)
{
	struct page *p = t->page;

	if (!p || !p->back) {
		t->focus = F_SIDEBAR;
		t->dirty = true;
		return;
	}
	t->page = p->back;
	page_free(p);
	if (t->page->kind < P_SIDEBAR_COUNT)
		t->side = t->page->kind;
	t->focus = F_LIST;
	if (!t->page->loaded)
		load(t, t->page);
	t->dirty = true;
}

static struct row *selected(struct tui *t)
{
	struct page *p = t->page;

	return p && p->sel >= 0 && p->sel < p->nrows ? &p->rows[p->sel] : NULL;
}

/* --- what plays ------------------------------------------------------------------------ */

/* The state to show: the hub's when another device plays, else the daemon's own. */
static json_t *shown_state(struct tui *t)
{
	json_t *d;
	size_t i;
	const char *self = seg_device_id(t->s);

	json_array_foreach(json_object_get(t->devices, "devices"), i, d)
		if (json_is_true(json_object_get(d, "is_active")) &&
		    strcmp(json_string_value(json_object_get(d, "id")) ?: "", self))
			return t->hub;
	return t->local;
}

static long long progress_now(json_t *st)
{
	long long pos = json_integer_value(json_object_get(st, "progress_ms"));
	long long dur = json_integer_value(json_object_get(json_object_get(st, "item"), "duration_ms"));

	if (json_is_true(json_object_get(st, "is_playing")))
		pos += clock_wall_ms() - json_integer_value(json_object_get(st, "timestamp"));
	if (dur > 0 && pos > dur)
		pos = dur;
	return pos < 0 ? 0 : pos;
}

/* --- drawing --------------------------------------------------------------------------- */

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
	const char *now_id = json_string_value(json_object_get(json_object_get(shown_state(t), "item"), "id"));

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
	attrset(theme_attr(TH_TITLE));
	if (p->kind == P_SEARCH)
		snprintf(title, sizeof title, "Search: %s%s", p->query, t->focus == F_QUERY ? "_" : "");
	else
		snprintf(title, sizeof title, "%s", p->title);
	put(y, x, w, title, true);
	attrset(theme_attr(TH_NORMAL));
	y = t->list_y;
	h = t->list_h;
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
	json_t *st = shown_state(t), *item = json_object_get(st, "item");
	json_t *ext = json_object_get(st, "segue"), *dev = json_object_get(st, "device");
	int y = t->bar_y, w = t->cols;
	char left[600], right[200], artists[256], pos[16], dur[16];
	long long p = progress_now(st), d = json_integer_value(json_object_get(item, "duration_ms"));
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
	if (t->status[0] && now_ms() < t->status_until) {
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

static void draw(struct tui *t)
{
	layout(t);
	erase();
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
	t->dirty = false;
}

/* --- acting ---------------------------------------------------------------------------- */

static void play_row(struct tui *t)
{
	struct page *p = t->page;
	struct row *r = selected(t);
	const char *argv[MAX_PLAY_URIS + 4], *uris[MAX_PLAY_URIS];
	char from[16];
	int n, at, k = 0;

	if (!r)
		return;
	switch (r->kind) {
	case R_TRACK:
		if (p->kind == P_QUEUE) {
			say(t, false, "the queue plays in its order: d removes, J/K move");
			return;
		}
		n = page_track_uris(p, p->sel, uris, MAX_PLAY_URIS, &at);
		if ((p->kind == P_ALBUM || p->kind == P_PLAYLIST || p->kind == P_ARTIST) && at >= 0) {
			/* The context, from this track (counted as the context counts: tracks only). */
			snprintf(from, sizeof from, "%d", at + 1);
			RUN(t, TAG_ACTION, "play", "--from", from, p->uri);
			return;
		}
		/* A list with no context of its own: its tracks, from this one. */
		if (at < 0)
			return;
		argv[k++] = "play";
		argv[k++] = "--from";
		snprintf(from, sizeof from, "%d", at + 1);
		argv[k++] = from;
		for (int i = 0; i < n; i++)
			argv[k++] = uris[i];
		submit(t, TAG_ACTION, k, argv);
		return;
	case R_ALBUM:
		open_page(t, page_new(P_ALBUM, row_uri(r), row_name(r)), true);
		return;
	case R_ARTIST:
		open_page(t, page_new(P_ARTIST, row_uri(r), row_name(r)), true);
		return;
	case R_PLAYLIST:
		open_page(t, page_new(P_PLAYLIST, row_uri(r), row_name(r)), true);
		return;
	case R_DEVICE:
		RUN(t, TAG_ACTION, "transfer", row_uri(r));
		say(t, false, "moving playback to %s", row_name(r));
		return;
	case R_TEXT:
		snprintf(p->query, sizeof p->query, "%s", r->text);
		load(t, p);
		return;
	default:
		return;
	}
}

static void edit_row(struct tui *t, enum action a)
{
	struct page *p = t->page;
	struct row *r = selected(t);
	char n[16], m[16];

	if (!r || r->kind != R_TRACK || r->pos <= 0 || (p->kind != P_QUEUE && p->kind != P_PLAYLIST)) {
		say(t, true, "only the queue and playlists are edited in place");
		return;
	}
	snprintf(n, sizeof n, "%d", r->pos);
	snprintf(m, sizeof m, "%d", a == ACT_MOVE_DOWN ? r->pos + 1 : r->pos - 1);
	if (a != ACT_REMOVE && (r->pos + (a == ACT_MOVE_DOWN ? 1 : -1) < 1 ||
	                      p->sel + (a == ACT_MOVE_DOWN ? 1 : -1) >= p->nrows ||
	                      p->rows[p->sel + (a == ACT_MOVE_DOWN ? 1 : -1)].kind != R_TRACK))
		return;
	if (p->kind == P_QUEUE) {
		if (a == ACT_REMOVE)
			RUN(t, TAG_RELOAD, "queue", "rm", n);
		else
			RUN(t, TAG_RELOAD, "queue", "mv", n, m);
	} else {
		if (a == ACT_REMOVE)
			RUN(t, TAG_RELOAD, "playlist", "rm", p->uri, n);
		else
			RUN(t, TAG_RELOAD, "playlist", "mv", p->uri, n, m);
	}
	/* The cursor follows the row it moved. */
	if (a == ACT_MOVE_DOWN)
		p->sel++;
	else if (a == ACT_MOVE_UP)
		p->sel--;
	t->dirty = true;
}

static void move_sel(struct tui *t, int delta)
{
	if (t->focus == F_SIDEBAR) {
		t->side += delta;
		t->side = t->side < 0 ? 0 : t->side >= P_SIDEBAR_COUNT ? P_SIDEBAR_COUNT - 1 : t->side;
		t->dirty = true;
		return;
	}
	struct page *p = t->page;

	if (!p || !p->nrows)
		return;
	int to = p->sel + delta;

	if (to < 0)
		to = 0;
	if (to >= p->nrows)
		to = p->nrows - 1;
	/* Headers are skipped in the direction of travel. */
	while (to > 0 && to < p->nrows - 1 && p->rows[to].kind == R_HEADER)
		to += delta >= 0 ? 1 : -1;
	if (p->rows[to].kind == R_HEADER && to + 1 < p->nrows)
		to++;
	p->sel = to;
	t->dirty = true;
}

static void find(struct tui *t, int dir, bool from_here)
{
	struct page *p = t->page;

	if (!p || !t->find[0] || !p->nrows)
		return;
	for (int k = from_here ? 0 : 1; k <= p->nrows; k++) {
		int i = ((p->sel + dir * k) % p->nrows + p->nrows) % p->nrows;

		if (p->rows[i].kind != R_HEADER && strcasestr(row_name(&p->rows[i]), t->find)) {
			p->sel = i;
			t->dirty = true;
			return;
		}
	}
	say(t, true, "no match for %s", t->find);
}

static void seek_by(struct tui *t, long long delta)
{
	char arg[32];
	long long to = progress_now(shown_state(t)) + delta;

	snprintf(arg, sizeof arg, "%lld", (to < 0 ? 0 : to) / 1000);
	RUN(t, TAG_ACTION, "seek", arg);
}

static void volume_by(struct tui *t, int delta)
{
	char arg[16];

	snprintf(arg, sizeof arg, "%+d", delta);
	RUN(t, TAG_ACTION, "volume", arg);
}

/* Splits a command line at blanks, with "double" and 'single' quotes and backslashes. */
static int split(char *line, char **argv, int max)
{
	int n = 0;
	char *r = line, *w = line;

	while (*r && n < max) {
		char quote = 0;

		while (*r == ' ' || *r == '\t')
			r++;
		if (!*r)
			break;
		argv[n++] = w;
		while (*r && (quote || (*r != ' ' && *r != '\t'))) {
			if (!quote && (*r == '"' || *r == '\'')) {
				quote = *r++;
			} else if (quote && *r == quote) {
				quote = 0;
				r++;
			} else if (*r == '\\' && r[1] && quote != '\'') {
				r++;
				*w++ = *r++;
			} else {
				*w++ = *r++;
			}
		}
		if (*r)
			r++;
		*w++ = '\0';
	}
	return n;
}

/* Tab in the ':' line: completes a command's name from the command table. */
static void complete(struct tui *t)
{
	const char *match = NULL;
	char cands[256] = "";
	size_t len = strlen(t->line);
	int hits = 0;

	for (size_t i = 0; cmd_table[i]; i++) {
		const char *n = cmd_table[i]->name;

		if (cmd_table[i]->where == CMD_FACE || strncmp(n, t->line, len))
			continue;
		hits++;
		if (!match)
			match = n;
		if (strlen(cands) + strlen(n) + 3 < sizeof cands)
			strcat(strcat(cands, cands[0] ? "  " : ""), n);
	}
	if (hits == 1)
		snprintf(t->line, sizeof t->line, "%s ", match);
	else if (hits > 1)
		say(t, false, "%s", cands);
	t->dirty = true;
}

static void complete_playlist(struct tui *t)
{
	json_t *p;
	size_t i, len = strlen(t->line);
	const char *match = NULL;
	int hits = 0;

	json_array_foreach(json_object_get(t->playlists, "items"), i, p) {
		const char *n = json_string_value(json_object_get(p, "name")) ?: "";

		if (!strncasecmp(n, t->line, len)) {
			hits++;
			match = n;
		}
	}
	if (hits == 1)
		snprintf(t->line, sizeof t->line, "%s", match);
	t->dirty = true;
}

static void prompt_done(struct tui *t)
{
	char *argv[64];
	int n;

	switch (t->prompt) {
	case PR_COMMAND:
		if ((n = split(t->line, argv, 64)) > 0)
			submit(t, TAG_COMMAND, n, (const char *const *)argv);
		break;
	case PR_FIND:
		snprintf(t->find, sizeof t->find, "%s", t->line);
		find(t, 1, true);
		break;
	case PR_CREATE:
		if (t->line[0])
			RUN(t, TAG_RELOAD, "playlist", "create", "--", t->line);
		break;
	case PR_RENAME:
		if (t->line[0])
			RUN(t, TAG_RELOAD, "playlist", "rename", t->pending_uri, t->line);
		break;
	case PR_PLAYLIST: {
		json_t *p, *hit = NULL;
		size_t i;

		json_array_foreach(json_object_get(t->playlists, "items"), i, p)
			if (!strcasecmp(json_string_value(json_object_get(p, "name")) ?: "", t->line))
				hit = p;
		if (!hit) {
			say(t, true, "no playlist in your list is called \"%s\" (Tab completes; :playlist create NAME makes one)", t->line);
			break;
		}
		RUN(t, TAG_ACTION, "playlist", "add", json_string_value(json_object_get(hit, "uri")), t->pending_uri);
		say(t, false, "added to %s", json_string_value(json_object_get(hit, "name")));
		break;
	}
	default:
		break;
	}
	t->prompt = PR_NONE;
	t->line[0] = '\0';
	t->dirty = true;
}

/* Editing a UTF-8 line: append a character, or remove the last one. */
static void line_put(char *line, size_t size, wint_t wc)
{
	char mb[MB_LEN_MAX + 1];
	mbstate_t st = { 0 };
	size_t n = wcrtomb(mb, (wchar_t)wc, &st), len = strlen(line);

	if (n != (size_t)-1 && len + n + 1 < size) {
		memcpy(line + len, mb, n);
		line[len + n] = '\0';
	}
}

static void line_del(char *line)
{
	size_t len = strlen(line);

	while (len > 0 && ((unsigned char)line[len - 1] & 0xc0) == 0x80)
		len--;
	if (len > 0)
		len--;
	line[len] = '\0';
}

static void on_prompt_key(struct tui *t, wint_t c, bool is_key)
{
	if ((!is_key && (c == '\n' || c == '\r')) || (is_key && c == KEY_ENTER)) {
		prompt_done(t);
	} else if ((!is_key && c == 27) || (!is_key && c == 3)) {
		t->prompt = PR_NONE;
		t->line[0] = '\0';
	} else if ((is_key && c == KEY_BACKSPACE) || (!is_key && (c == 127 || c == 8))) {
		if (!t->line[0])
			t->prompt = PR_NONE;
		line_del(t->line);
	} else if (!is_key && c == '\t') {
		if (t->prompt == PR_COMMAND)
			complete(t);
		else if (t->prompt == PR_PLAYLIST)
			complete_playlist(t);
	} else if (!is_key && c >= 0x20) {
		line_put(t->line, sizeof t->line, c);
		if (t->prompt == PR_FIND) {
			snprintf(t->find, sizeof t->find, "%s", t->line);
			find(t, 1, true);
		}
	}
	t->dirty = true;
}

static void on_query_key(struct tui *t, wint_t c, bool is_key)
{
	struct page *p = t->page;

	if ((!is_key && (c == '\n' || c == '\r' || c == '\t')) || (is_key && (c == KEY_DOWN || c == KEY_ENTER))) {
		t->focus = F_LIST;
		if (t->search_due) {
			t->search_due = 0;
			load(t, p);
		}
	} else if (!is_key && c == 27) {
		t->focus = F_SIDEBAR;
	} else if ((is_key && c == KEY_BACKSPACE) || (!is_key && (c == 127 || c == 8))) {
		line_del(p->query);
		t->search_due = now_ms() + SEARCH_DEBOUNCE_MS;
	} else if (!is_key && c == 21) { /* C-u: clear */
		p->query[0] = '\0';
		t->search_due = now_ms() + SEARCH_DEBOUNCE_MS;
	} else if (!is_key && c >= 0x20) {
		line_put(p->query, sizeof p->query, c);
		t->search_due = now_ms() + SEARCH_DEBOUNCE_MS;
	}
	t->dirty = true;
}

static void act(struct tui *t, enum action a)
{
	struct row *r = selected(t);
	json_t *st = shown_state(t);
	int half = t->list_h / 2 > 0 ? t->list_h / 2 : 1;

	switch (a) {
	case ACT_QUIT: t->quit = true; break;
	case ACT_QUIT_ALL: t->quit = t->quit_all = true; break;
	case ACT_HELP: t->help = !t->help; t->dirty = true; break;
	case ACT_COMMAND: t->prompt = PR_COMMAND; t->line[0] = '\0'; t->dirty = true; break;
	case ACT_FIND: t->prompt = PR_FIND; t->line[0] = '\0'; t->dirty = true; break;
	case ACT_FIND_NEXT: find(t, 1, false); break;
	case ACT_FIND_PREV: find(t, -1, false); break;
	case ACT_FOCUS:
		t->focus = t->focus == F_SIDEBAR ? (t->page && t->page->kind == P_SEARCH ? F_QUERY : F_LIST) : F_SIDEBAR;
		t->dirty = true;
		break;
	case ACT_BACK: back(t); break;
	case ACT_OPEN:
		if (t->focus == F_SIDEBAR)
			go(t, (enum page_kind)t->side);
		else
			play_row(t);
		break;
	case ACT_DOWN: move_sel(t, 1); break;
	case ACT_UP: move_sel(t, -1); break;
	case ACT_TOP: move_sel(t, -100000); break;
	case ACT_BOTTOM: move_sel(t, 100000); break;
	case ACT_HALF_DOWN: move_sel(t, half); break;
	case ACT_HALF_UP: move_sel(t, -half); break;
	case ACT_PAGE_DOWN: move_sel(t, t->list_h); break;
	case ACT_PAGE_UP: move_sel(t, -t->list_h); break;
	case ACT_TOGGLE: RUN(t, TAG_ACTION, "toggle"); break;
	case ACT_NEXT: RUN(t, TAG_ACTION, "next"); break;
	case ACT_PREV: RUN(t, TAG_ACTION, "prev"); break;
	case ACT_VOLUME_UP: volume_by(t, VOLUME_STEP); break;
	case ACT_VOLUME_DOWN: volume_by(t, -VOLUME_STEP); break;
	case ACT_SEEK_FORWARD: seek_by(t, SEEK_STEP_MS); break;
	case ACT_SEEK_BACK: seek_by(t, -SEEK_STEP_MS); break;
	case ACT_SHUFFLE:
		RUN(t, TAG_ACTION, "shuffle", json_is_true(json_object_get(st, "shuffle_state")) ? "off" : "on");
		break;
	case ACT_REPEAT: {
		const char *now = json_string_value(json_object_get(st, "repeat_state")) ?: "off";

		RUN(t, TAG_ACTION, "repeat", !strcmp(now, "off") ? "context" : !strcmp(now, "context") ? "track" : "off");
		break;
	}
	case ACT_QUEUE_ADD:
		if (r && r->kind == R_TRACK && row_uri(r)) {
			RUN(t, t->page->kind == P_QUEUE ? TAG_RELOAD : TAG_ACTION, "queue", "add", row_uri(r));
			say(t, false, "queued %s", row_name(r));
		}
		break;
	case ACT_PLAYLIST_ADD:
		if (r && r->kind == R_TRACK && row_uri(r)) {
			snprintf(t->pending_uri, sizeof t->pending_uri, "%s", row_uri(r));
			t->prompt = PR_PLAYLIST;
			t->line[0] = '\0';
			RUN(t, TAG_PLAYLISTS, "playlist", "ls");
			t->dirty = true;
		}
		break;
	case ACT_REMOVE:
	case ACT_MOVE_DOWN:
	case ACT_MOVE_UP:
		edit_row(t, a);
		break;
	case ACT_PLAYLIST_NEW:
		t->prompt = PR_CREATE;
		t->line[0] = '\0';
		t->dirty = true;
		break;
	case ACT_RENAME: {
		/* The playlist under the cursor, or the one on screen. */
		const char *uri = r && r->kind == R_PLAYLIST ? row_uri(r) :
		                  t->page && t->page->kind == P_PLAYLIST ? t->page->uri : NULL;

		if (!uri) {
			say(t, true, "R renames a playlist: select one on the Playlists page");
			break;
		}
		snprintf(t->pending_uri, sizeof t->pending_uri, "%s", uri);
		snprintf(t->line, sizeof t->line, "%s", r && r->kind == R_PLAYLIST ? row_name(r) : t->page->title);
		t->prompt = PR_RENAME;
		t->dirty = true;
		break;
	}
	case ACT_SAVE:
		if (r && (r->kind == R_TRACK || r->kind == R_ALBUM)) {
			RUN(t, TAG_ACTION, "library", "save", row_uri(r));
			say(t, false, "saved %s", row_name(r));
		} else if (r && r->kind == R_ARTIST) {
			RUN(t, TAG_ACTION, "follow", row_uri(r));
			say(t, false, "following %s", row_name(r));
		}
		break;
	case ACT_DOWNLOAD:
		if (!r || (r->kind != R_TRACK && r->kind != R_ALBUM && r->kind != R_PLAYLIST)) {
			say(t, true, "D downloads a track, an album or a playlist: select one");
			break;
		}
		/* No message: the bottom line shows the download's progress from now on. */
		RUN(t, TAG_ACTION, "download", "--no-wait", row_uri(r));
		break;
	case ACT_REFRESH:
		if (t->player_gone) {
			/* The daemon went away: attach to a new one (starting it). */
			if (backend_reattach(t->b) == SEG_OK)
				t->player_gone = false;
			else
				say(t, true, "%s", seg_errmsg());
		}
		if (t->page)
			load(t, t->page);
		break;
	case ACT_GO_HOME: case ACT_GO_SEARCH: case ACT_GO_LIKED: case ACT_GO_ALBUMS: case ACT_GO_ARTISTS:
	case ACT_GO_PLAYLISTS: case ACT_GO_QUEUE: case ACT_GO_DEVICES: case ACT_GO_RECENT:
		go(t, (enum page_kind)(a - ACT_GO_HOME));
		break;
	default:
		break;
	}
}

static void on_mouse(struct tui *t)
{
	MEVENT ev;

	if (getmouse(&ev) != OK)
		return;
	if (ev.bstate & BUTTON4_PRESSED) {
		move_sel(t, -3);
		return;
	}
	if (ev.bstate & BUTTON5_PRESSED) {
		move_sel(t, 3);
		return;
	}
	if (!(ev.bstate & (BUTTON1_PRESSED | BUTTON1_CLICKED)))
		return;
	if (ev.y == t->bar_y + 1) {
		/* The progress bar: seek to where it was clicked. */
		json_t *st = shown_state(t);
		long long d = json_integer_value(json_object_get(json_object_get(st, "item"), "duration_ms"));
		int bx = 8, bw = t->cols - 16;

		if (d > 0 && ev.x >= bx && ev.x < bx + bw) {
			char arg[32];

			snprintf(arg, sizeof arg, "%lld", d * (ev.x - bx) / bw / 1000);
			RUN(t, TAG_ACTION, "seek", arg);
		}
		return;
	}
	if (ev.x < t->side_w && ev.y >= 1 && ev.y <= P_SIDEBAR_COUNT) {
		t->side = ev.y - 1;
		t->focus = F_SIDEBAR;
		go(t, (enum page_kind)t->side);
		return;
	}
	if (ev.x > t->side_w && t->page && ev.y >= t->list_y && ev.y < t->list_y + t->list_h) {
		int i = t->page->top + ev.y - t->list_y;
		long long now = now_ms();

		if (i >= t->page->nrows)
			return;
		t->focus = F_LIST;
		t->page->sel = i;
		t->dirty = true;
		if (t->click_row == i && now - t->click_at < DOUBLE_CLICK_MS) {
			play_row(t);
			t->click_at = 0;
			return;
		}
		t->click_row = i;
		t->click_at = now;
	}
}

static void on_key(struct tui *t, wint_t c, bool is_key)
{
	if (is_key && c == KEY_RESIZE) {
		t->dirty = true;
		return;
	}
	if (is_key && c == KEY_MOUSE) {
		if (t->prompt == PR_NONE && !t->help)
			on_mouse(t);
		else
			getmouse(&(MEVENT){ 0 });
		return;
	}
	if (t->prompt != PR_NONE) {
		on_prompt_key(t, c, is_key);
		return;
	}
	if (t->help) {
		/* j/k (or the arrows) scroll it; anything else closes it. */
		enum action a = keys_action((int)c, is_key);

		if (a == ACT_DOWN || a == ACT_UP || a == ACT_PAGE_DOWN || a == ACT_PAGE_UP)
			t->help_top += a == ACT_DOWN ? 1 : a == ACT_UP ? -1 : a == ACT_PAGE_DOWN ? 10 : -10;
		else
			t->help = false;
		if (t->help_top < 0)
			t->help_top = 0;
		t->dirty = true;
		return;
	}
	if (!is_key && c == 3) { /* C-c */
		t->quit = true;
		return;
	}
	if (t->focus == F_QUERY && t->page && t->page->kind == P_SEARCH) {
		/* Typing belongs to the query; the keys that are not text (arrows aside from Down,
		 * PgUp, F-keys) still act. */
		bool editing = is_key ? c == KEY_BACKSPACE || c == KEY_DOWN || c == KEY_ENTER
		                      : c >= 0x20 || c == '\n' || c == '\r' || c == '\t' || c == 8 || c == 21 || c == 27;

		if (editing)
			on_query_key(t, c, is_key);
		else
			act(t, keys_action((int)c, is_key));
		return;
	}
	act(t, keys_action((int)c, is_key));
}

/* --- results and events ---------------------------------------------------------------- */

/* The first line a command prints for people, for the status line. */
static void summary(const struct cmd_entry *c, json_t *out, char *buf, size_t len)
{
	char *text = NULL;
	size_t n = 0;
	FILE *f;

	snprintf(buf, len, "done");
	if (!c || !c->print || !out || !(f = open_memstream(&text, &n)))
		return;
	c->print(out, f);
	fclose(f);
	if (text && *text) {
		text[strcspn(text, "\n")] = '\0';
		snprintf(buf, len, "%s", text);
	}
	free(text);
}

/* A report of the downloads (borrowed): the status line shows it, and the marks are read
 * again when what is downloaded or queued changed. */
static void take_offline(struct tui *t, json_t *report)
{
	static const char *const counts[] = { "downloaded", "queued", "failed", "evicted" };
	bool changed = !t->offline;
	struct store *db;

	for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++)
		changed |= !json_equal(json_object_get(t->offline, counts[i]), json_object_get(report, counts[i]));
	json_decref(t->offline);
	t->offline = json_incref(report);
	if (changed && (db = seg_store(t->s))) {
		json_t *m = offline_marks(db);

		if (m) {
			json_decref(t->marks);
			t->marks = m;
		}
	}
	t->dirty = true;
}

static void on_result(struct tui *t, struct job_result *r)
{
	struct page *p;
	int used;

	if (r->tag >= TAG_PAGE) {
		for (p = t->page; p && p->tag != r->tag; p = p->back)
			;
		if (p) {
			p->tag = 0;
			if (r->err) {
				snprintf(p->error, sizeof p->error, "%s", r->message);
				p->loaded = true;
				say(t, true, "%s", r->message);
			} else {
				page_take(p, r->out, seg_device_id(t->s));
				r->out = NULL;
			}
		}
	} else if (r->err) {
		say(t, true, "%s", r->message);
	} else if (r->tag == TAG_COMMAND) {
		char buf[300];
		const struct cmd_entry *c = cmd_find(r->argc, r->argv, &used);

		summary(c, r->out, buf, sizeof buf);
		say(t, false, "%s", buf);
		if (t->page)
			load(t, t->page);
	} else if (r->tag == TAG_RELOAD) {
		if (t->page)
			load(t, t->page);
	} else if (r->tag == TAG_DEVICES) {
		json_decref(t->devices);
		t->devices = r->out;
		r->out = NULL;
		/* Another device plays: what it plays comes from the hub, through the daemon. */
		if (shown_state(t) == t->hub)
			RUN(t, TAG_HUB, "status");
	} else if (r->tag == TAG_HUB) {
		json_decref(t->hub);
		t->hub = r->out;
		r->out = NULL;
	} else if (r->tag == TAG_OFFLINE) {
		take_offline(t, r->out);
	} else if (r->tag == TAG_PLAYLISTS) {
		json_decref(t->playlists);
		t->playlists = r->out;
		r->out = NULL;
	}
	t->dirty = true;
}

static void on_event(struct tui *t, json_t *ev)
{
	const char *name = json_string_value(json_object_get(ev, "event")) ?: "";
	json_t *data = json_object_get(ev, "data");

	if (!strcmp(name, "state")) {
		json_t *before = json_object_get(json_object_get(t->local, "segue"), "queue_length");
		json_t *after = json_object_get(json_object_get(data, "segue"), "queue_length");
		bool changed = !json_equal(before, after);

		json_decref(t->local);
		t->local = json_incref(data);
		if (changed && t->page && t->page->kind == P_QUEUE && !t->page->tag)
			load(t, t->page);
	} else if (!strcmp(name, "player")) {
		json_decref(t->hub);
		t->hub = json_is_object(data) ? json_incref(data) : NULL;
	} else if (!strcmp(name, "devices")) {
		json_decref(t->devices);
		t->devices = json_incref(data);
		if (t->page && t->page->kind == P_DEVICES && !t->page->tag)
			load(t, t->page);
	} else if (!strcmp(name, "downloads")) {
		take_offline(t, data);
	} else if (!strcmp(name, "error")) {
		say(t, true, "%s", json_string_value(json_object_get(data, "message")) ?: "the player reported an error");
	} else if (!strcmp(name, "playlist")) {
		/* Someone changed the playlist on screen: show it as it is now. */
		if (t->page && t->page->kind == P_PLAYLIST && !t->page->tag &&
		    strstr(t->page->uri, json_string_value(json_object_get(data, "playlist_id")) ?: "\x01"))
			load(t, t->page);
	}
	/* The queue page follows the player. */
	if (!strcmp(name, "track") && t->page && t->page->kind == P_QUEUE && !t->page->tag)
		load(t, t->page);
	t->dirty = true;
}

/* --- the loop -------------------------------------------------------------------------- */

static long timeout_ms(struct tui *t)
{
	long long now = now_ms(), due = -1;
	json_t *st = shown_state(t);

	if (json_is_true(json_object_get(st, "is_playing"))) {
		/* The next whole second of the track, when its clock changes on screen. */
		long long pos = progress_now(st);

		due = now + 1000 - pos % 1000;
	}
	if (t->search_due && (due < 0 || t->search_due < due))
		due = t->search_due;
	if (t->status[0] && t->status_until > now && (due < 0 || t->status_until < due))
		due = t->status_until;
	return due < 0 ? -1 : due > now ? (long)(due - now) : 0;
}

static void loop(struct tui *t, int sig_fd)
{
	while (!t->quit) {
		struct pollfd pfd[4];
		long long before;
		int n;
		wint_t c;
		int k;

		if (t->dirty)
			draw(t);
		pfd[0] = (struct pollfd){ .fd = STDIN_FILENO, .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = backend_result_fd(t->b), .events = POLLIN };
		pfd[2] = (struct pollfd){ .fd = backend_event_fd(t->b), .events = POLLIN };
		pfd[3] = (struct pollfd){ .fd = sig_fd, .events = POLLIN };
		before = now_ms();
		n = poll(pfd, 4, (int)timeout_ms(t));
		if (n < 0 && errno != EINTR)
			break;
		if (pfd[3].revents & POLLIN) {
			struct signalfd_siginfo si;

			while (read(sig_fd, &si, sizeof si) == sizeof si)
				if (si.ssi_signo == SIGWINCH) {
					/* curses learns the new size from the terminal. */
					endwin();
					refresh();
					t->dirty = true;
				} else {
					t->quit = true;
				}
		}
		/* The terminal went away without a SIGHUP (nohup, a closed pty): nothing more
		 * will come, and polling it again would spin. */
		if (pfd[0].revents & (POLLHUP | POLLERR | POLLNVAL)) {
			t->quit = true;
			break;
		}
		while ((k = get_wch(&c)) != ERR)
			on_key(t, c, k == KEY_CODE_YES);
		if (pfd[1].revents & POLLIN) {
			struct job_result r;

			while (backend_next_result(t->b, &r)) {
				on_result(t, &r);
				backend_result_free(&r);
			}
		}
		if (pfd[2].revents & (POLLIN | POLLHUP)) {
			json_t *ev;
			enum seg_err e;

			while (!(e = backend_next_event(t->b, &ev)) && ev) {
				on_event(t, ev);
				json_decref(ev);
			}
			if (e == SEG_ENOPLAYER) {
				t->player_gone = true;
				json_decref(t->local);
				t->local = NULL;
				say(t, true, "the player stopped");
			}
		}
		if (t->search_due && now_ms() >= t->search_due) {
			t->search_due = 0;
			if (t->page && t->page->kind == P_SEARCH)
				load(t, t->page);
		}
		/* A timer with nothing else to do: the clock or a message changed. */
		if (n == 0 || now_ms() - before >= 1000)
			t->dirty = true;
		if (t->status[0] && now_ms() >= t->status_until) {
			t->status[0] = '\0';
			t->dirty = true;
		}
	}
}

int tui_run(struct seg *s, const char *config)
{
	struct tui t = { .s = s, .dirty = true, .click_row = -1 };
	sigset_t set;
	int sig_fd = -1, err_fd = -1, status = 1;
	SCREEN *term;
	enum seg_err e;

	/* ncursesw draws wide characters only under a UTF-8 LC_CTYPE; the other categories stay
	 * "C", so that positions typed on the : line parse with a decimal point (text.h). */
	text_init();
	if ((e = keys_init(s->opt.binds))) {
		fprintf(stderr, "segue: %s\n", seg_errmsg());
		return seg_exit_status(e);
	}
	sigemptyset(&set);
	sigaddset(&set, SIGWINCH);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	setenv("ESCDELAY", "25", 0);
	/* newterm, unlike initscr, reports a terminal it cannot drive instead of exiting. */
	if (!(term = newterm(NULL, stdout, stdin))) {
		fprintf(stderr, "segue: cannot drive this terminal (TERM=%s)\n", getenv("TERM") ?: "");
		close(sig_fd);
		return 1;
	}
	set_term(term);
	/* The log would scribble over the screen: from here it goes to the daemon's log file,
	 * and errors that end the interface go to the original standard error. */
	err_fd = dup(STDERR_FILENO);
	if (paths_mkdir(s->paths.data_dir) == SEG_OK && freopen(s->paths.log, "a", stderr))
		setvbuf(stderr, NULL, _IOLBF, 0);
	raw();
	noecho();
	nodelay(stdscr, TRUE);
	keypad(stdscr, TRUE);
	curs_set(0);
	mousemask(BUTTON1_PRESSED | BUTTON4_PRESSED | BUTTON5_PRESSED, NULL);
	mouseinterval(0);
	if ((e = theme_init(s->opt.colors))) {
		endwin();
		dprintf(err_fd, "segue: %s\n", seg_errmsg());
		status = seg_exit_status(e);
		goto out;
	}
	/* The first frame before anything slow (starting a daemon). */
	t.page = page_new(P_HOME, NULL, NULL);
	say(&t, false, "starting\xe2\x80\xa6");
	draw(&t);
	if ((e = backend_open(s, config, &t.b))) {
		endwin();
		dprintf(err_fd, "segue: %s\n", seg_errmsg());
		status = seg_exit_status(e);
		goto out;
	}
	t.status[0] = '\0';
	load(&t, t.page);
	RUN(&t, TAG_PLAYLISTS, "playlist", "ls");
	RUN(&t, TAG_DEVICES, "devices");
	RUN(&t, TAG_OFFLINE, "offline", "status");
	loop(&t, sig_fd);
	status = 0;
	endwin();
	/* Quitting leaves the music playing, unless this TUI started the player or was told to
	 * stop it too. */
	backend_close(t.b, t.quit_all || backend_started_daemon(t.b));
out:
	while (t.page) {
		struct page *b = t.page->back;

		page_free(t.page);
		t.page = b;
	}
	json_decref(t.local);
	json_decref(t.hub);
	json_decref(t.devices);
	json_decref(t.playlists);
	json_decref(t.offline);
	json_decref(t.marks);
	if (sig_fd >= 0)
		close(sig_fd);
	if (err_fd >= 0) {
		dup2(err_fd, STDERR_FILENO);
		close(err_fd);
	}
	delscreen(term);
	return status;
}
