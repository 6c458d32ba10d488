/* The Lyrics page: the lyrics of the track that plays, the line being sung lit and held in the
 * middle of the list. Nothing asks the daemon where the song is: the position is carried
 * forward from the last state (tui_position_us), and the loop sleeps until the next line's
 * stamp (tui_lyrics_due_us), so the light moves on time, and nothing wakes for it while the
 * music is paused or the page is not shown. A track change (seen in the shown state) loads
 * the new track's lyrics through the worker; the last answer is kept, so going back and
 * forth costs no request, and a track that says it has none costs none either.
 *
 * The cursor (the page's sel) rests on the line being sung while the view follows the song;
 * moving it elsewhere lets the user read ahead or back, and Enter seeks to the line under
 * it. Untimed lyrics are text the cursor scrolls. */
#include "config.h"
#include "tui_internal.h"

#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "render.h"
#include "text.h"
#include "theme.h"

#define WRAP_MAX 4 /* rows a long line may take; the last is cut with an ellipsis */

static bool shown(struct tui *t)
{
	return t->page && t->page->kind == P_LYRICS;
}

static bool synced(struct page *p)
{
	return json_is_true(json_object_get(p->data, "synced"));
}

static long long start_of(const struct row *r)
{
	return json_integer_value(json_object_get(r->obj, "start_ms"));
}

/* The line sung at pos: the one with the latest stamp not after it (the later line of two
 * with one stamp), -1 before the first. The server sends them in order, but nothing here
 * depends on it. */
static int line_at(struct page *p, long long pos_ms)
{
	int best = -1;

	for (int i = 0; i < p->nrows; i++)
		if (start_of(&p->rows[i]) <= pos_ms && (best < 0 || start_of(&p->rows[i]) >= start_of(&p->rows[best])))
			best = i;
	return best;
}

/* The first stamp after pos, -1 when none. */
static long long next_stamp(struct page *p, long long pos_ms)
{
	long long next = -1;

	for (int i = 0; i < p->nrows; i++)
		if (start_of(&p->rows[i]) > pos_ms && (next < 0 || start_of(&p->rows[i]) < next))
			next = start_of(&p->rows[i]);
	return next;
}

static const char *playing_id(struct tui *t)
{
	const char *id = json_string_value(json_object_get(json_object_get(tui_shown_state(t), "item"), "id"));

	return id && strlen(id) < sizeof t->lyr_cache_id ? id : "";
}

/* --- loading ----------------------------------------------------------------------------- */

void tui_lyrics_load(struct tui *t, struct page *p)
{
	json_t *item = json_object_get(tui_shown_state(t), "item");
	json_t *has = json_object_get(json_object_get(item, "segue"), "has_lyrics");
	const char *argv[8];
	int n;

	p->tag = 0;
	p->sel = p->top = 0;
	t->lyr_follow = true;
	t->lyr_drawn = -1;
	t->dirty = true;
	if (p->uri[0] && !strcmp(p->uri, t->lyr_cache_id) && (t->lyr_cache || t->lyr_cache_none)) {
		page_take(p, t->lyr_cache_none ? json_object() : json_incref(t->lyr_cache), NULL);
		p->none = t->lyr_cache_none;
		return;
	}
	/* The track object says whether it has any: no request to be told it has none. */
	if (!p->uri[0] || (json_is_false(has) && !strcmp(p->uri, playing_id(t)))) {
		page_take(p, json_object(), NULL);
		p->none = p->uri[0] != '\0';
		return;
	}
	if (!(n = page_argv(p, argv, 8)))
		return;
	json_decref(p->data);
	p->data = NULL;
	p->nrows = 0;
	p->loaded = false;
	p->none = false;
	p->error[0] = '\0';
	p->tag = TAG_PAGE + t->next_tag++;
	tui_submit(t, p->tag, n, argv);
}

void tui_lyrics_result(struct tui *t, struct page *p, struct job_result *r)
{
	const char *id = r->argc >= 2 ? r->argv[1] : "";

	p->tag = 0;
	if (r->err == SEG_ENOTFOUND || !r->err) {
		/* Kept: an answer about this track, either way. An error is not, so that C-r or the
		 * next visit asks again. */
		json_decref(t->lyr_cache);
		t->lyr_cache = r->err ? NULL : json_incref(r->out);
		t->lyr_cache_none = r->err != SEG_OK;
		snprintf(t->lyr_cache_id, sizeof t->lyr_cache_id, "%s", strlen(id) < sizeof t->lyr_cache_id ? id : "");
	}
	if (r->err) {
		page_take(p, json_object(), NULL);
		if (r->err == SEG_ENOTFOUND)
			p->none = true;
		else
			snprintf(p->error, sizeof p->error, "%s", r->message);
	} else {
		page_take(p, r->out, NULL);
		r->out = NULL;
	}
	p->sel = 0;
	t->lyr_follow = true;
	t->lyr_drawn = -1;
	t->dirty = true;
}

void tui_lyrics_follow(struct tui *t)
{
	struct page *p = t->page;
	const char *id;

	if (!shown(t))
		return;
	id = playing_id(t);
	if (!strcmp(id, p->uri))
		return;
	snprintf(p->uri, sizeof p->uri, "%s", id);
	tui_lyrics_load(t, p);
}

void tui_lyrics_toggle(struct tui *t)
{
	struct page *p;

	if (shown(t)) {
		tui_back(t);
		return;
	}
	if (!(p = page_new(P_LYRICS, playing_id(t), "Lyrics")))
		return;
	tui_open_page(t, p, true);
}

/* --- time -------------------------------------------------------------------------------- */

static bool moving(struct tui *t)
{
	const struct anchor *a = tui_shown_state(t) == t->hub && t->hub ? &t->at_hub : &t->at_local;

	return a->moving;
}

long long tui_lyrics_due_us(struct tui *t)
{
	long long pos_us, next;

	if (!shown(t) || !t->page->nrows || !synced(t->page) || !moving(t))
		return -1;
	pos_us = tui_position_us(t);
	if ((next = next_stamp(t->page, pos_us / 1000)) < 0)
		return -1;
	return clock_mono_us() + (next * 1000 - pos_us);
}

bool tui_lyrics_stale(struct tui *t)
{
	return shown(t) && t->page->nrows && synced(t->page) &&
	       line_at(t->page, tui_position_us(t) / 1000) != t->lyr_drawn;
}

/* --- keys -------------------------------------------------------------------------------- */

void tui_lyrics_enter(struct tui *t)
{
	struct page *p = t->page;
	char arg[32];
	long long ms;

	if (!shown(t) || p->sel < 0 || p->sel >= p->nrows)
		return;
	if (!synced(p)) {
		tui_say(t, true, "these lyrics are not timed: Enter cannot seek to a line");
		return;
	}
	ms = start_of(&p->rows[p->sel]);
	snprintf(arg, sizeof arg, "%lld.%03lld", ms / 1000, ms % 1000);
	RUN(t, TAG_ACTION, "seek", arg);
	t->lyr_follow = true;
	t->dirty = true;
}

void tui_lyrics_moved(struct tui *t)
{
	struct page *p = t->page;

	if (shown(t) && synced(p))
		t->lyr_follow = p->sel == line_at(p, tui_position_us(t) / 1000);
}

int tui_lyrics_line_at_row(struct tui *t, int y)
{
	int i = y - t->list_y;

	return i >= 0 && i < t->list_h && i < LYRICS_MAP_ROWS ? t->lyr_map[i] : -1;
}

/* --- drawing ----------------------------------------------------------------------------- */

static void put(int y, int x, int width, const char *s)
{
	wchar_t buf[512];

	if (width <= 0)
		return;
	text_fit(s, width, true, buf, sizeof buf / sizeof buf[0]);
	mvaddwstr(y, x, buf);
}

/* The rows line i takes at width w (1 to WRAP_MAX). */
static int rows_of(const char *s, int w)
{
	int n = 1;

	for (size_t k; n < WRAP_MAX && *s && (k = text_wrap(s, w)) < strlen(s); n++)
		s += k;
	return n;
}

/* Draws line i from row y (the rows outside the list are skipped), wrapped at w cells. */
static void draw_line(struct tui *t, int i, int y, int x, int w, attr_t a, const char *mark)
{
	const char *s = t->page->rows[i].text;
	int n = rows_of(s, w - 2);
	char piece[2048];

	if (!*s) {
		/* A line with no words: a pause in the singing. */
		s = "\xe2\x99\xaa";
		a = theme_attr(TH_DIM) | (a & A_BOLD);
	}
	attrset(a);
	for (int k = 0; k < n; k++, y++) {
		size_t len = k == n - 1 ? strlen(s) : text_wrap(s, w - 2);

		if (len >= sizeof piece)
			len = sizeof piece - 1;
		memcpy(piece, s, len);
		piece[len] = '\0';
		s += len;
		if (y < t->list_y || y >= t->list_y + t->list_h)
			continue;
		mvaddstr(y, x, k ? "  " : mark);
		put(y, x + 2, w - 2, piece);
		if (y - t->list_y < LYRICS_MAP_ROWS)
			t->lyr_map[y - t->list_y] = i;
	}
	attrset(theme_attr(TH_NORMAL));
}

static void say(struct tui *t, int x, int w, enum theme_el el, const char *msg)
{
	attrset(theme_attr(el));
	put(t->list_y + 1, x, w, msg);
	attrset(theme_attr(TH_NORMAL));
}

void tui_lyrics_draw(struct tui *t)
{
	struct page *p = t->page;
	json_t *item = json_object_get(tui_shown_state(t), "item");
	int x = t->side_w + 2, w = t->cols - x - 1, cur, at, y;
	char title[600], artists[256];

	for (int i = 0; i < LYRICS_MAP_ROWS; i++)
		t->lyr_map[i] = -1;
	render_artists(artists, sizeof artists, json_object_get(item, "artists"));
	if (json_is_object(item) && !strcmp(p->uri, playing_id(t)))
		snprintf(title, sizeof title, "Lyrics \xc2\xb7 %s \xe2\x80\x94 %s%s",
		         json_string_value(json_object_get(item, "name")) ?: "", artists,
		         p->nrows && !synced(p) ? "  (not timed)" : "");
	else
		snprintf(title, sizeof title, "Lyrics");
	attrset(theme_attr(TH_TITLE));
	put(0, x, w, title);
	attrset(theme_attr(TH_NORMAL));
	t->lyr_drawn = -1;
	if (w < 8)
		return;
	if (!p->uri[0] || p->tag || p->error[0] || p->none || !p->nrows) {
		say(t, x, w, p->error[0] ? TH_ERROR : TH_DIM,
		    !p->uri[0] ? "Nothing is playing: the lyrics of what plays are shown here." :
		    p->tag ? "loading\xe2\x80\xa6" : p->error[0] ? p->error : "No lyrics for this track.");
		return;
	}
	if (!synced(p)) {
		/* Text to read: the cursor's line at the top. */
		for (int i = p->sel, yy = t->list_y; i < p->nrows && yy < t->list_y + t->list_h; i++) {
			draw_line(t, i, yy, x, w, theme_attr(TH_NORMAL), "  ");
			yy += rows_of(p->rows[i].text, w - 2);
		}
		return;
	}
	cur = line_at(p, tui_position_us(t) / 1000);
	t->lyr_drawn = cur;
	if (t->lyr_follow)
		p->sel = cur >= 0 ? cur : 0;
	/* The line in view (the one sung, or the cursor's) starts on the middle row; those
	 * before it go up from there, those after down. */
	at = p->sel;
	y = t->list_y + t->list_h / 2;
	for (int i = at, yy = y; i < p->nrows && yy < t->list_y + t->list_h; i++) {
		attr_t a = i == cur ? theme_attr(TH_PLAYING) | A_BOLD : i < cur ? theme_attr(TH_DIM) : theme_attr(TH_NORMAL);

		if (i == p->sel && !t->lyr_follow)
			a = theme_attr(TH_SELECTED);
		draw_line(t, i, yy, x, w, a, i == cur ? "\xe2\x96\xb6 " : "  ");
		yy += rows_of(p->rows[i].text, w - 2);
	}
	for (int i = at - 1, yy = y; i >= 0 && yy > t->list_y; i--) {
		attr_t a = i == cur ? theme_attr(TH_PLAYING) | A_BOLD : i < cur ? theme_attr(TH_DIM) : theme_attr(TH_NORMAL);

		yy -= rows_of(p->rows[i].text, w - 2);
		draw_line(t, i, yy, x, w, a, i == cur ? "\xe2\x96\xb6 " : "  ");
	}
}
