/* A playlist and its items as values, with nothing behind them: the store fills them, the
 * playlists module keeps their rules, the handlers shape them into JSON. */
#ifndef SEGUE_PLAYLIST_H
#define SEGUE_PLAYLIST_H

#include <stdbool.h>

#define PLAYLIST_NAME_MAX 200
#define PLAYLIST_DESC_MAX 1000

struct playlist {
	char id[23];
	char owner[72];
	char name[PLAYLIST_NAME_MAX * 4 + 1];
	char description[PLAYLIST_DESC_MAX * 4 + 1];
	bool public_;
	bool collaborative;
	long long version;
	long long length;
};

struct pl_item {
	char track[23];
	long long added_at;
	char added_by[72];
};

#endif
