/* Keys and the mouse, and what they do: the actions of keys.h, on the selected row, the
 * player or the pages. */
#include "config.h"
#include "tui_internal.h"

#include <stdio.h>
#include <string.h>

#include "keys.h"

static void play_row(struct tui *t)
{
	struct page *p = t->page;
	struct row *r = tui_selected(t);
	const char *argv[MAX_PLAY_URIS + 4], *uris[MAX_PLAY_URIS];
	char from[16];
	int n, at, k = 0;

	if (!r)
		return;
	switch (r->kind) {
	case R_TRACK:
		if (p->kind == P_QUEUE) {
			tui_say(t, false, "the queue plays in its order: d removes, J/K move");
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
		tui_submit(t, TAG_ACTION, k, argv);
		return;
	case R_ALBUM:
		tui_open_page(t, page_new(P_ALBUM, row_uri(r), row_name(r)), true);
		return;
	case R_ARTIST:
		tui_open_page(t, page_new(P_ARTIST, row_uri(r), row_name(r)), true);
		return;
	case R_PLAYLIST:
		tui_open_page(t, page_new(P_PLAYLIST, row_uri(r), row_name(r)), true);
		return;
	case R_DEVICE:
		RUN(t, TAG_ACTION, "transfer", row_uri(r));
		tui_say(t, false, "moving playback to %s", row_name(r));
		return;
	case R_LYRIC:
		tui_lyrics_enter(t);
		return;
	case R_TEXT:
		snprintf(p->query, sizeof p->query, "%s", r->text);
		tui_load(t, p);
		return;
	default:
		return;
	}
}

static void edit_row(struct tui *t, enum action a)
{
	struct page *p = t->page;
	struct row *r = tui_selected(t);
	char n[16], m[16];

	if (!r || r->kind != R_TRACK || r->pos <= 0 || (p->kind != P_QUEUE && p->kind != P_PLAYLIST)) {
		tui_say(t, true, "only the queue and playlists are edited in place");
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
	if (p->kind == P_LYRICS)
		tui_lyrics_moved(t);
}

void tui_find(struct tui *t, int dir, bool from_here)
{
	struct page *p = t->page;

	if (!p || !t->find[0] || !p->nrows)
		return;
	for (int k = from_here ? 0 : 1; k <= p->nrows; k++) {
		int i = ((p->sel + dir * k) % p->nrows + p->nrows) % p->nrows;

		if (p->rows[i].kind != R_HEADER && strcasestr(row_name(&p->rows[i]), t->find)) {
			p->sel = i;
			t->dirty = true;
			if (p->kind == P_LYRICS)
				tui_lyrics_moved(t);
			return;
		}
	}
	tui_say(t, true, "no match for %s", t->find);
}

static void seek_by(struct tui *t, long long delta)
{
	char arg[32];
	long long to = tui_progress_now(t) + delta;

	snprintf(arg, sizeof arg, "%lld", (to < 0 ? 0 : to) / 1000);
	RUN(t, TAG_ACTION, "seek", arg);
}

static void volume_by(struct tui *t, int delta)
{
	char arg[16];

	snprintf(arg, sizeof arg, "%+d", delta);
	RUN(t, TAG_ACTION, "volume", arg);
}

static void act(struct tui *t, enum action a)
{
	struct row *r = tui_selected(t);
	json_t *st = tui_shown_state(t);
	int half = t->list_h / 2 > 0 ? t->list_h / 2 : 1;

	switch (a) {
	case ACT_QUIT: t->quit = true; break;
	case ACT_QUIT_ALL: t->quit = t->quit_all = true; break;
	case ACT_HELP: t->help = !t->help; t->dirty = true; break;
	case ACT_NOW_PLAYING:
		if (t->page && t->page->kind == P_NOW)
			tui_back(t);
		else
			tui_open_page(t, page_new(P_NOW, NULL, "Now playing"), true);
		break;
	case ACT_COMMAND: t->prompt = PR_COMMAND; t->line[0] = '\0'; t->dirty = true; break;
	case ACT_FIND: t->prompt = PR_FIND; t->line[0] = '\0'; t->dirty = true; break;
	case ACT_FIND_NEXT: tui_find(t, 1, false); break;
	case ACT_FIND_PREV: tui_find(t, -1, false); break;
	case ACT_FOCUS:
		t->focus = t->focus == F_SIDEBAR ? (t->page && t->page->kind == P_SEARCH ? F_QUERY : F_LIST) : F_SIDEBAR;
		t->dirty = true;
		break;
	case ACT_BACK: tui_back(t); break;
	case ACT_OPEN:
		if (t->focus == F_SIDEBAR)
			tui_go(t, (enum page_kind)t->side);
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
			tui_say(t, false, "queued %s", row_name(r));
		}
		break;
	case ACT_PLAYLIST_ADD:
		if (r && r->kind == R_TRACK && row_uri(r)) {
			snprintf(t->pending_uri, sizeof t->pending_uri, "%s", row_uri(r));
			t->prompt = PR_PLAYLIST;
			t->line[0] = '\0';
			tui_ask_playlists(t);
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
			tui_say(t, true, "R renames a playlist: select one on the Playlists page");
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
			tui_say(t, false, "saved %s", row_name(r));
		} else if (r && r->kind == R_ARTIST) {
			RUN(t, TAG_ACTION, "follow", row_uri(r));
			tui_say(t, false, "following %s", row_name(r));
		}
		break;
	case ACT_DOWNLOAD:
		if (!r || (r->kind != R_TRACK && r->kind != R_ALBUM && r->kind != R_PLAYLIST)) {
			tui_say(t, true, "D downloads a track, an album or a playlist: select one");
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
				tui_say(t, true, "%s", seg_errmsg());
		}
		if (t->page)
			tui_load(t, t->page);
		break;
	case ACT_LYRICS: tui_lyrics_toggle(t); break;
	case ACT_GO_HOME: case ACT_GO_SEARCH: case ACT_GO_LIKED: case ACT_GO_ALBUMS: case ACT_GO_ARTISTS:
	case ACT_GO_PLAYLISTS: case ACT_GO_QUEUE: case ACT_GO_DEVICES: case ACT_GO_RECENT:
		tui_go(t, (enum page_kind)(a - ACT_GO_HOME));
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
		json_t *st = tui_shown_state(t);
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
		tui_go(t, (enum page_kind)t->side);
		return;
	}
	if (ev.x > t->side_w && t->page && ev.y >= t->list_y && ev.y < t->list_y + t->list_h) {
		int i = t->page->kind == P_LYRICS ? tui_lyrics_line_at_row(t, ev.y) : t->page->top + ev.y - t->list_y;
		long long now = tui_now_ms();

		if (i < 0 || i >= t->page->nrows)
			return;
		t->focus = F_LIST;
		t->page->sel = i;
		t->dirty = true;
		if (t->page->kind == P_LYRICS)
			tui_lyrics_moved(t);
		if (t->click_row == i && now - t->click_at < DOUBLE_CLICK_MS) {
			play_row(t);
			t->click_at = 0;
			return;
		}
		t->click_row = i;
		t->click_at = now;
	}
}

void tui_on_key(struct tui *t, wint_t c, bool is_key)
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
		tui_on_prompt_key(t, c, is_key);
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
			tui_on_query_key(t, c, is_key);
		else
			act(t, keys_action((int)c, is_key));
		return;
	}
	act(t, keys_action((int)c, is_key));
}
