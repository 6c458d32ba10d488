/* What the parts of the TUI share: its state (struct tui), the job tags, and the functions one
 * part calls in another. tui.h is the TUI's interface; this header is for src/tui/tui*.c only.
 *
 * tui.c          the loop and tui_run; messages, jobs, the pages' history, the state on show
 * tui_draw.c     drawing the screen: sidebar, the page's rows, the bar, the status line, help
 * tui_input.c    keys and the mouse, and the actions they are bound to
 * tui_prompt.c   the bottom line's prompts and the search page's query
 * tui_events.c   the worker's results and the daemon's events
 * tui_cover.c    cover art on screen: album and artist headers, the now-playing view
 *                (tui_art.c is the worker that fetches and draws the pictures)
 * tui_lyrics.c   the Lyrics page: the line being sung, lit on time */
#ifndef SEGUE_TUI_INTERNAL_H
#define SEGUE_TUI_INTERNAL_H

#define NCURSES_WIDECHAR 1
#include <curses.h>
#include <jansson.h>
#include <stdbool.h>

#include "art.h"
#include "backend.h"
#include "pages.h"
#include "seg.h"
#include "tui.h"

#define SEARCH_DEBOUNCE_MS 150
#define STATUS_MS 5000
#define DOUBLE_CLICK_MS 400
#define SEEK_STEP_MS 5000
#define VOLUME_STEP 5
#define MAX_PLAY_URIS 500
#define TUI_NOW_ART_PX 640 /* the now-playing view's picture: the largest (prefetched) */
#define LYRICS_MAP_ROWS 512     /* screen rows the Lyrics page remembers the lines of */

/* Where a player was, and when by our monotonic clock: a state (its progress_ms at its
 * timestamp) carried forward to the moment it arrived, so that the position is worked out
 * from here on without asking anyone again, and without trusting the wall clock to keep
 * still. moving: playing, not buffering or waiting. */
struct anchor {
	long long pos_ms, mono_us, dur_ms;
	bool moving;
};

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
	struct anchor at_local, at_hub; /* their positions */
	/* The Lyrics page: the last answer kept (a track's lyrics, or that it has none), whether
	 * the view follows the line being sung, the line drawn lit, and which line each screen
	 * row shows (-1: none), for the mouse. */
	char lyr_cache_id[32];
	json_t *lyr_cache;
	bool lyr_cache_none, lyr_follow;
	int lyr_drawn;
	int lyr_map[LYRICS_MAP_ROWS];
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
	/* The answers to `playlist ls` still to come. While one is, Tab and Enter in PR_PLAYLIST
	 * wait for the list it brings (a playlist made a moment ago is in it, not yet in
	 * playlists): tab_due completes the line then; add_name is an Enter's name, to which
	 * add_uri is added. */
	int playlists_asked;
	bool tab_due, add_due;
	char add_name[512], add_uri[128];
	json_t *offline;        /* the daemon's report of the downloads (offline status) */
	json_t *marks;          /* what is downloaded: offline_marks() */
	bool dirty, quit, quit_all, player_gone;
	long long click_at;
	int click_row;
	int rows, cols, side_w, list_y, list_h, bar_y;
	struct tui_art *art;            /* the cover art worker (tui_art.h) */
	int cell_w;                     /* a cell's width in pixels; 0: unknown */
	char now_art[1024];             /* the playing track's cover, prefetched */
	/* A pixel protocol's picture on this frame, written after the refresh (tui_cover.c). */
	const struct art_block *pixel;
	int pixel_y, pixel_x;
	char pixel_key[1200], pixel_sent[1200];
	bool pixel_resend;              /* the screen was drawn from scratch: send it again */
};

#define RUN(t, tag, ...) do { \
		const char *argv_[] = { __VA_ARGS__ }; \
		tui_submit(t, tag, (int)(sizeof argv_ / sizeof argv_[0]), argv_); \
	} while (0)

/* tui.c */
long long tui_now_ms(void);
void tui_say(struct tui *t, bool err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
bool tui_submit(struct tui *t, int tag, int argc, const char *const *argv);
void tui_load(struct tui *t, struct page *p);
void tui_open_page(struct tui *t, struct page *p, bool push);
void tui_go(struct tui *t, enum page_kind k);
void tui_back(struct tui *t);
struct row *tui_selected(struct tui *t);
json_t *tui_shown_state(struct tui *t);
/* Sets an anchor from a player state (NULL or not an object: nowhere, still). */
void tui_anchor(struct anchor *a, json_t *st);
/* The shown player's position now, in microseconds (within its track's length). */
long long tui_position_us(struct tui *t);
long long tui_progress_now(struct tui *t);

/* tui_draw.c */
void tui_draw(struct tui *t);

/* tui_cover.c */
int tui_cover_header_rows(struct tui *t, int list_h);
void tui_cover_header(struct tui *t, int y, int x, int w, int rows);
void tui_cover_now(struct tui *t, int y, int x, int w, int h);
void tui_cover_flush(struct tui *t);

/* tui_input.c */
void tui_find(struct tui *t, int dir, bool from_here);
void tui_on_key(struct tui *t, wint_t c, bool is_key);

/* tui_prompt.c */
/* Asks for the user's playlists again; tui_playlists_came takes the answer (list NULL: it
 * failed) and does what a Tab or an Enter left waiting for it. */
void tui_ask_playlists(struct tui *t);
void tui_playlists_came(struct tui *t, json_t *list);
void tui_on_prompt_key(struct tui *t, wint_t c, bool is_key);
void tui_on_query_key(struct tui *t, wint_t c, bool is_key);

/* tui_events.c */
void tui_on_result(struct tui *t, struct job_result *r);
void tui_on_event(struct tui *t, json_t *ev);

/* tui_lyrics.c */
void tui_lyrics_toggle(struct tui *t);
/* Loads the page's track's lyrics: from the kept answer, or through the worker. */
void tui_lyrics_load(struct tui *t, struct page *p);
/* The page follows the track that plays (called on every turn of the loop). */
void tui_lyrics_follow(struct tui *t);
/* A lyrics job's result for page p. */
void tui_lyrics_result(struct tui *t, struct page *p, struct job_result *r);
/* When, by clock_mono_us, the next line is due on screen; -1 when nothing is (not shown,
 * not playing, not timed, no more lines). */
long long tui_lyrics_due_us(struct tui *t);
/* The line being sung is not the one on screen. */
bool tui_lyrics_stale(struct tui *t);
void tui_lyrics_draw(struct tui *t);
void tui_lyrics_enter(struct tui *t);
/* The cursor moved: the view follows the song again when it is on the line being sung. */
void tui_lyrics_moved(struct tui *t);
/* The line shown at screen row y, -1 for none. */
int tui_lyrics_line_at_row(struct tui *t, int y);

#endif
