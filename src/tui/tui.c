/* The TUI's loop. One poll() over the terminal, the worker's results, the daemon's events and
 * signals; a timeout only when something is due (the next second of a playing track's
 * progress bar, a search waiting out its debounce, a message expiring). The screen is drawn
 * again only when something changed. Here too is what every part uses: messages on the status
 * line, jobs for the worker, the pages' history and the state on show. */
#include "config.h"
#include "tui_internal.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "artcache.h"
#include "clock.h"
#include "keys.h"
#include "text.h"
#include "theme.h"
#include "tui_art.h"

long long tui_now_ms(void)
{
	return clock_mono_ms();
}

void tui_say(struct tui *t, bool err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->status, sizeof t->status, fmt, ap);
	va_end(ap);
	t->status_err = err;
	t->status_until = tui_now_ms() + STATUS_MS;
	t->dirty = true;
}

bool tui_submit(struct tui *t, int tag, int argc, const char *const *argv)
{
	return backend_submit(t->b, tag, argc, argv);
}

/* --- pages ----------------------------------------------------------------------------- */

void tui_load(struct tui *t, struct page *p)
{
	const char *argv[8];
	int n;

	if (p->kind == P_LYRICS) {
		tui_lyrics_load(t, p);
		return;
	}
	n = page_argv(p, argv, 8);
	if (!n) {
		page_take(p, json_object(), seg_device_id(t->s));
		p->tag = 0;
		t->dirty = true;
		return;
	}
	p->tag = TAG_PAGE + t->next_tag++;
	tui_submit(t, p->tag, n, argv);
	t->dirty = true;
}

void tui_open_page(struct tui *t, struct page *p, bool push)
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
	tui_load(t, p);
}

void tui_go(struct tui *t, enum page_kind k)
{
	tui_open_page(t, page_new(k, NULL, NULL), false);
}

void tui_back(struct tui *t)
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
		tui_load(t, t->page);
	t->dirty = true;
}

struct row *tui_selected(struct tui *t)
{
	struct page *p = t->page;

	return p && p->sel >= 0 && p->sel < p->nrows ? &p->rows[p->sel] : NULL;
}

/* --- what plays ------------------------------------------------------------------------ */

/* The state to show: the hub's when another device plays, else the daemon's own. */
json_t *tui_shown_state(struct tui *t)
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

void tui_anchor(struct anchor *a, json_t *st)
{
	json_t *ext = json_object_get(st, "segue");
	long long since;

	*a = (struct anchor){ .mono_us = clock_mono_us() };
	if (!json_is_object(st))
		return;
	a->pos_ms = json_integer_value(json_object_get(st, "progress_ms"));
	a->dur_ms = json_integer_value(json_object_get(json_object_get(st, "item"), "duration_ms"));
	a->moving = json_is_true(json_object_get(st, "is_playing")) &&
	            !json_is_true(json_object_get(ext, "buffering")) &&
	            !json_is_true(json_object_get(ext, "waiting_for_server"));
	/* The time the state spent on its way here (the daemon's: well under a millisecond; the
	 * hub's: a network's, told by another machine's clock, so never taken as negative or as
	 * more than a minute). */
	since = clock_wall_ms() - json_integer_value(json_object_get(st, "timestamp"));
	if (a->moving && json_integer_value(json_object_get(st, "timestamp")) > 0 && since > 0)
		a->pos_ms += since < 60000 ? since : 60000;
}

long long tui_position_us(struct tui *t)
{
	const struct anchor *a = tui_shown_state(t) == t->hub && t->hub ? &t->at_hub : &t->at_local;
	long long us = a->pos_ms * 1000;

	if (a->moving)
		us += clock_mono_us() - a->mono_us;
	if (a->dur_ms > 0 && us > a->dur_ms * 1000)
		us = a->dur_ms * 1000;
	return us < 0 ? 0 : us;
}

long long tui_progress_now(struct tui *t)
{
	return tui_position_us(t) / 1000;
}

/* The cover of the track that started, fetched now so the now-playing view has it at once. */
static void follow_cover(struct tui *t)
{
	json_t *item = json_object_get(tui_shown_state(t), "item");
	const char *url = artcache_pick(json_object_get(json_object_get(item, "album"), "images"),
	                                TUI_NOW_ART_PX);

	if (url && strcmp(url, t->now_art)) {
		snprintf(t->now_art, sizeof t->now_art, "%s", url);
		tui_art_prefetch(t->art, url);
	}
}

/* Art as the option and the terminal allow: none without colours. */
static void art_open(struct tui *t)
{
	enum art_mode mode = art_detect(opt_str(&t->s->opt, OPT_ART));
	enum art_colors colors = COLORS >= 256 ? ART_COLORS_240 : COLORS >= 16 ? ART_COLORS_16 : ART_COLORS_8;
	int cell_h;

	if (!has_colors() || COLORS < 8)
		mode = ART_OFF;
	art_cell_pixels(STDOUT_FILENO, &t->cell_w, &cell_h);
	t->art = tui_art_new(t->s, mode, colors);
}

/* --- the loop -------------------------------------------------------------------------- */

static long timeout_ms(struct tui *t)
{
	long long now = tui_now_ms(), due = -1;
	json_t *st = tui_shown_state(t);
	long long lyric = tui_lyrics_due_us(t);

	if (json_is_true(json_object_get(st, "is_playing"))) {
		/* The next whole second of the track, when its clock changes on screen. */
		long long pos = tui_progress_now(t);

		due = now + 1000 - pos % 1000;
	}
	/* The next line of the lyrics on screen, to the millisecond after its stamp (rounded
	 * up: waking a little early would find the old line still sung). */
	if (lyric >= 0) {
		long long at = now + (lyric - clock_mono_us() + 999) / 1000;

		if (due < 0 || at < due)
			due = at;
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
		struct pollfd pfd[5];
		long long before;
		int n;
		wint_t c;
		int k;

		tui_lyrics_follow(t);
		if (t->dirty || tui_lyrics_stale(t))
			tui_draw(t);
		pfd[0] = (struct pollfd){ .fd = STDIN_FILENO, .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = backend_result_fd(t->b), .events = POLLIN };
		pfd[2] = (struct pollfd){ .fd = backend_event_fd(t->b), .events = POLLIN };
		pfd[3] = (struct pollfd){ .fd = sig_fd, .events = POLLIN };
		pfd[4] = (struct pollfd){ .fd = tui_art_fd(t->art), .events = POLLIN };
		before = tui_now_ms();
		n = poll(pfd, 5, (int)timeout_ms(t));
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
					t->pixel_resend = true;
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
			tui_on_key(t, c, k == KEY_CODE_YES);
		if (pfd[1].revents & POLLIN) {
			struct job_result r;

			while (backend_next_result(t->b, &r)) {
				tui_on_result(t, &r);
				backend_result_free(&r);
			}
		}
		if (pfd[2].revents & (POLLIN | POLLHUP)) {
			json_t *ev;
			enum seg_err e;

			while (!(e = backend_next_event(t->b, &ev)) && ev) {
				tui_on_event(t, ev);
				json_decref(ev);
			}
			if (e == SEG_ENOPLAYER) {
				t->player_gone = true;
				json_decref(t->local);
				t->local = NULL;
				tui_anchor(&t->at_local, NULL);
				tui_say(t, true, "the player stopped");
			}
		}
		if ((pfd[4].revents & POLLIN) && tui_art_take(t->art))
			t->dirty = true;
		follow_cover(t);
		if (t->search_due && tui_now_ms() >= t->search_due) {
			t->search_due = 0;
			if (t->page && t->page->kind == P_SEARCH)
				tui_load(t, t->page);
		}
		/* A timer with nothing else to do: the clock or a message changed. */
		if (n == 0 || tui_now_ms() - before >= 1000)
			t->dirty = true;
		if (t->status[0] && tui_now_ms() >= t->status_until) {
			t->status[0] = '\0';
			t->dirty = true;
		}
	}
}

int tui_run(struct seg *s, const char *config)
{
	struct tui t = { .s = s, .dirty = true, .click_row = -1, .lyr_follow = true, .lyr_drawn = -1 };
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
	tui_say(&t, false, "starting\xe2\x80\xa6");
	tui_draw(&t);
	if ((e = backend_open(s, config, &t.b))) {
		endwin();
		dprintf(err_fd, "segue: %s\n", seg_errmsg());
		status = seg_exit_status(e);
		goto out;
	}
	t.status[0] = '\0';
	art_open(&t);
	tui_load(&t, t.page);
	tui_ask_playlists(&t);
	RUN(&t, TAG_DEVICES, "devices");
	RUN(&t, TAG_OFFLINE, "offline", "status");
	loop(&t, sig_fd);
	status = 0;
	/* A kitty picture would outlive the screen it was on. */
	t.pixel = NULL;
	tui_cover_flush(&t);
	endwin();
	/* Quitting leaves the music playing, unless this TUI started the player or was told to
	 * stop it too. */
	backend_close(t.b, t.quit_all || backend_started_daemon(t.b));
out:
	tui_art_free(t.art);
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
	json_decref(t.lyr_cache);
	if (sig_fd >= 0)
		close(sig_fd);
	if (err_fd >= 0) {
		dup2(err_fd, STDERR_FILENO);
		close(err_fd);
	}
	delscreen(term);
	return status;
}
