/* Key bindings. See keys.h. */
#include "config.h"
#include "keys.h"

#include <ctype.h>
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const struct action_info actions[ACT_COUNT] = {
	[ACT_NONE] = { "none", "", "" },
	[ACT_QUIT] = { "quit", "q", "quit (the music plays on if the daemon was running before)" },
	[ACT_QUIT_ALL] = { "quit_all", "Q", "quit and stop the daemon" },
	[ACT_HELP] = { "help", "?", "this help" },
	[ACT_COMMAND] = { "command", ":", "a command line: any segue command (Tab completes)" },
	[ACT_FOCUS] = { "focus", "Tab", "move between the sidebar and the list" },
	[ACT_BACK] = { "back", "Backspace,Esc", "back to the previous page" },
	[ACT_OPEN] = { "open", "Enter", "play the track, open the album, artist or playlist, transfer to the device" },
	[ACT_DOWN] = { "down", "j,Down", "next row" },
	[ACT_UP] = { "up", "k,Up", "previous row" },
	[ACT_TOP] = { "top", "g,Home", "first row" },
	[ACT_BOTTOM] = { "bottom", "G,End", "last row" },
	[ACT_HALF_DOWN] = { "half_down", "C-d", "half a page down" },
	[ACT_HALF_UP] = { "half_up", "C-u", "half a page up" },
	[ACT_PAGE_DOWN] = { "page_down", "PgDn,C-f", "a page down" },
	[ACT_PAGE_UP] = { "page_up", "PgUp,C-b", "a page up" },
	[ACT_FIND] = { "find", "/", "find in this list" },
	[ACT_FIND_NEXT] = { "find_next", "n", "next match" },
	[ACT_FIND_PREV] = { "find_prev", "N", "previous match" },
	[ACT_TOGGLE] = { "toggle", "Space", "pause or resume" },
	[ACT_NEXT] = { "next", ">", "next track" },
	[ACT_PREV] = { "prev", "<", "previous track" },
	[ACT_VOLUME_UP] = { "volume_up", "+,=", "volume up 5%" },
	[ACT_VOLUME_DOWN] = { "volume_down", "-", "volume down 5%" },
	[ACT_SEEK_FORWARD] = { "seek_forward", "Right", "seek 5 s forward" },
	[ACT_SEEK_BACK] = { "seek_back", "Left", "seek 5 s back" },
	[ACT_SHUFFLE] = { "shuffle", "s", "shuffle on or off" },
	[ACT_REPEAT] = { "repeat", "r", "repeat: off, context, track" },
	[ACT_QUEUE_ADD] = { "queue_add", "a", "add the track to the queue" },
	[ACT_PLAYLIST_ADD] = { "playlist_add", "A", "add the track to a playlist" },
	[ACT_PLAYLIST_NEW] = { "playlist_new", "c", "create a playlist" },
	[ACT_RENAME] = { "rename", "R", "rename the playlist" },
	[ACT_REMOVE] = { "remove", "d,Delete", "remove from the queue or the playlist" },
	[ACT_MOVE_DOWN] = { "move_down", "J", "move down in the queue or the playlist" },
	[ACT_MOVE_UP] = { "move_up", "K", "move up in the queue or the playlist" },
	[ACT_SAVE] = { "save", "S", "save the track or album to the library, follow the artist" },
	[ACT_DOWNLOAD] = { "download", "D", "download the track, album or playlist to play offline" },
	[ACT_REFRESH] = { "refresh", "C-r", "load this page again (and start the player if it stopped)" },
	[ACT_NOW_PLAYING] = { "now_playing", "i", "the now-playing view: the cover and the track (again: back)" },
	[ACT_LYRICS] = { "lyrics", "l", "the lyrics of what plays, the line being sung lit (again: back); Enter on a line seeks there" },
	[ACT_GO_HOME] = { "go_home", "1", "Home" },
	[ACT_GO_SEARCH] = { "go_search", "2", "Search" },
	[ACT_GO_LIKED] = { "go_liked", "3", "Liked Songs" },
	[ACT_GO_ALBUMS] = { "go_albums", "4", "Albums" },
	[ACT_GO_ARTISTS] = { "go_artists", "5", "Artists" },
	[ACT_GO_PLAYLISTS] = { "go_playlists", "6", "Playlists" },
	[ACT_GO_QUEUE] = { "go_queue", "7", "Queue" },
	[ACT_GO_DEVICES] = { "go_devices", "8", "Devices" },
	[ACT_GO_RECENT] = { "go_recent", "9", "Recently played" },
};

#define MAX_BINDINGS 160

struct binding {
	int code;
	bool is_key;
	enum action a;
};

static struct binding table[MAX_BINDINGS];
static int nbindings;
static char shown[ACT_COUNT][64];

static const struct { const char *name; int code; bool is_key; } named[] = {
	{ "Space", ' ', false }, { "Enter", '\n', false }, { "Enter", '\r', false },
	{ "Enter", KEY_ENTER, true }, { "Tab", '\t', false }, { "Backspace", KEY_BACKSPACE, true },
	{ "Backspace", 127, false }, { "Backspace", 8, false }, { "Esc", 27, false },
	{ "Up", KEY_UP, true }, { "Down", KEY_DOWN, true }, { "Left", KEY_LEFT, true },
	{ "Right", KEY_RIGHT, true }, { "PgUp", KEY_PPAGE, true }, { "PgDn", KEY_NPAGE, true },
	{ "Home", KEY_HOME, true }, { "End", KEY_END, true }, { "Delete", KEY_DC, true },
};

/* Binds one key name; false when it is not one. */
static bool bind_one(const char *name, enum action a)
{
	bool any = false;

	for (size_t i = 0; i < sizeof named / sizeof named[0]; i++)
		if (!strcasecmp(named[i].name, name) && nbindings < MAX_BINDINGS) {
			table[nbindings++] = (struct binding){ named[i].code, named[i].is_key, a };
			any = true;
		}
	if (any)
		return true;
	if ((name[0] == 'F' || name[0] == 'f') && name[1] >= '1' && name[1] <= '9') {
		int n = atoi(name + 1);

		if (n >= 1 && n <= 12 && nbindings < MAX_BINDINGS) {
			table[nbindings++] = (struct binding){ KEY_F(n), true, a };
			return true;
		}
	}
	if (!strncmp(name, "C-", 2) && isalpha((unsigned char)name[2]) && !name[3]) {
		if (nbindings == MAX_BINDINGS)
			return false;
		table[nbindings++] = (struct binding){ name[2] & 0x1f, false, a };
		return true;
	}
	/* One character, which may be a UTF-8 one. */
	wchar_t wc;
	mbstate_t st = { 0 };
	size_t n = mbrtowc(&wc, name, strlen(name), &st);

	if (n == strlen(name) && n > 0 && nbindings < MAX_BINDINGS) {
		table[nbindings++] = (struct binding){ (int)wc, false, a };
		return true;
	}
	return false;
}

/* Binds a comma-separated list ("," itself is named "Comma"). */
static enum seg_err bind_list(const char *keys, enum action a)
{
	char buf[128], *save, *k;

	snprintf(buf, sizeof buf, "%s", keys);
	for (k = strtok_r(buf, ",", &save); k; k = strtok_r(NULL, ",", &save)) {
		while (*k == ' ')
			k++;
		if (!strcasecmp(k, "Comma"))
			k = ",";
		if (!bind_one(k, a))
			return seg_fail(SEG_EUSAGE, "bind.%s: unknown key \"%s\"", actions[a].name, k);
	}
	snprintf(shown[a], sizeof shown[a], "%s", keys);
	return SEG_OK;
}

/* The later binding wins: a key the user moved to another action leaves its old one. */
static void unbind_action(enum action a)
{
	int k = 0;

	for (int i = 0; i < nbindings; i++)
		if (table[i].a != a)
			table[k++] = table[i];
	nbindings = k;
}

enum seg_err keys_init(json_t *binds)
{
	const char *name;
	json_t *v;
	enum seg_err e;

	nbindings = 0;
	for (int a = 1; a < ACT_COUNT; a++)
		if ((e = bind_list(actions[a].keys, (enum action)a)))
			return e;
	json_object_foreach(binds, name, v) {
		int a;

		for (a = 1; a < ACT_COUNT && strcmp(actions[a].name, name); a++)
			;
		if (a == ACT_COUNT)
			return seg_fail(SEG_EUSAGE, "bind.%s: no such action (segue(1) lists them)", name);
		unbind_action((enum action)a);
		if (!json_string_value(v) || (e = bind_list(json_string_value(v), (enum action)a)))
			return json_string_value(v) ? e : seg_fail(SEG_EUSAGE, "bind.%s: give keys", name);
	}
	return SEG_OK;
}

enum action keys_action(int key, bool is_key)
{
	/* Searched from the end: bindings from segue.conf come last and win. */
	for (int i = nbindings - 1; i >= 0; i--)
		if (table[i].code == key && table[i].is_key == is_key)
			return table[i].a;
	return ACT_NONE;
}

const char *keys_of(enum action a)
{
	return shown[a];
}
