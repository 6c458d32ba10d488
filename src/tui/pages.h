/* The TUI's pages: what each shows, the command that loads it, and how its answer becomes
 * rows. A page holds the command's JSON answer; rows point into it. */
#ifndef SEGUE_TUI_PAGES_H
#define SEGUE_TUI_PAGES_H

#include <jansson.h>
#include <stdbool.h>

enum page_kind {
	P_HOME, P_SEARCH, P_LIKED, P_ALBUMS, P_ARTISTS, P_PLAYLISTS, P_QUEUE, P_DEVICES, P_RECENT,
	P_SIDEBAR_COUNT, /* the kinds above are the sidebar's entries, in its order */
	P_ALBUM = P_SIDEBAR_COUNT, P_ARTIST, P_PLAYLIST,
	P_NOW, /* the now-playing view: drawn from the player's state, nothing loaded */
	P_LYRICS,         /* what plays: tui_lyrics.c */
};

enum row_kind { R_HEADER, R_TRACK, R_ALBUM, R_ARTIST, R_PLAYLIST, R_DEVICE, R_TEXT, R_LYRIC };

struct row {
	enum row_kind kind;
	json_t *obj;      /* borrowed from the page's data */
	int pos;          /* 1-based: track number in the context, queue or playlist position */
	const char *text; /* R_HEADER, R_TEXT, R_LYRIC: borrowed */
};

struct page {
	enum page_kind kind;
	char uri[96];          /* P_ALBUM, P_ARTIST, P_PLAYLIST; P_LYRICS: the track's id */
	char title[256];
	char query[256];       /* P_SEARCH */
	json_t *data;
	struct row *rows;
	int nrows;
	int sel, top;
	int tag;               /* of the job loading it; 0 when none runs */
	bool loaded;
	char error[300];
	bool none;             /* P_LYRICS: the track has no lyrics */
	struct page *back;
};

extern const char *const sidebar_names[P_SIDEBAR_COUNT];

struct page *page_new(enum page_kind kind, const char *uri, const char *title);
void page_free(struct page *p);
/* The command line that loads the page (argv points into static or page memory); 0 when the
 * page needs nothing loaded (an empty search). */
int page_argv(struct page *p, const char **argv, int max);
/* Takes a loaded answer (stolen) and builds the rows. */
void page_take(struct page *p, json_t *data, const char *this_device);
/* Up to max of the track rows' URIs in order, in a window that holds row i, and the index of
 * row i among them (-1, and 0 returned, when row i is not a track). */
int page_track_uris(const struct page *p, int i, const char **uris, int max, int *at);
/* The URI of what row i shows. NULL for headers. */
const char *row_uri(const struct row *r);
/* The text find ('/') matches in row i. */
const char *row_name(const struct row *r);

#endif
