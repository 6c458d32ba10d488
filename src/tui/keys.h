/* The TUI's key bindings: every action has a name and default keys; segue.conf can bind any
 * action to other keys ("bind.ACTION = KEY[,KEY...]"). Keys are named as in the help overlay:
 * a character ("q", "J", ">"), or Space, Enter, Tab, Backspace, Esc, Up, Down, Left, Right,
 * PgUp, PgDn, Home, End, Delete, F1..F12, and C-x for Control with a letter. */
#ifndef SEGUE_TUI_KEYS_H
#define SEGUE_TUI_KEYS_H

#include <jansson.h>
#include <stdbool.h>

#include "err.h"

enum action {
	ACT_NONE,
	ACT_QUIT, ACT_QUIT_ALL, ACT_HELP, ACT_COMMAND, ACT_FOCUS, ACT_BACK, ACT_OPEN,
	ACT_DOWN, ACT_UP, ACT_TOP, ACT_BOTTOM, ACT_HALF_DOWN, ACT_HALF_UP, ACT_PAGE_DOWN, ACT_PAGE_UP,
	ACT_FIND, ACT_FIND_NEXT, ACT_FIND_PREV,
	ACT_TOGGLE, ACT_NEXT, ACT_PREV, ACT_VOLUME_UP, ACT_VOLUME_DOWN, ACT_SEEK_FORWARD, ACT_SEEK_BACK,
	ACT_SHUFFLE, ACT_REPEAT,
	ACT_QUEUE_ADD, ACT_PLAYLIST_ADD, ACT_PLAYLIST_NEW, ACT_RENAME, ACT_REMOVE, ACT_MOVE_DOWN, ACT_MOVE_UP, ACT_SAVE, ACT_DOWNLOAD, ACT_REFRESH,
	ACT_NOW_PLAYING,
	ACT_LYRICS,
	ACT_GO_HOME, ACT_GO_SEARCH, ACT_GO_LIKED, ACT_GO_ALBUMS, ACT_GO_ARTISTS, ACT_GO_PLAYLISTS, ACT_GO_QUEUE,
	ACT_GO_DEVICES, ACT_GO_RECENT,
	ACT_COUNT
};

struct action_info {
	const char *name;     /* as in segue.conf: bind.NAME */
	const char *keys;     /* the defaults, comma-separated */
	const char *help;
};

extern const struct action_info actions[ACT_COUNT];

/* Installs the defaults, then the "bind." settings (a JSON object of name -> keys; may be
 * NULL). SEG_EUSAGE naming the setting when an action or key name is unknown. */
enum seg_err keys_init(json_t *binds);
/* The action of a key as curses reports it (wint_t; is_key: a KEY_ code). */
enum action keys_action(int key, bool is_key);
/* The keys bound to an action, for the help overlay ("j, Down"). */
const char *keys_of(enum action a);

#endif
