/* Playlists from other players: finding the catalog's track for an entry of an M3U file,
 * which names a file by its path (on another machine, under another folder) and perhaps its
 * artist, title and length (#EXTINF). The entry is looked for in three ways, the surest
 * first:
 *  - path: the whole path is a track's library path (its path under the folder it was
 *    ingested from), or its last three, then last two, components end one; found only
 *    when one track alone fits;
 *  - tags: a track whose title is the entry's and one of whose artists is the entry's
 *    artist (or all of them, listed as "A, B"), compared as search folds text (case,
 *    diacritics, punctuation), within 3 s of the entry's length when it gives one;
 *  - search: the search engine's best track for "artist title", when its title folds to
 *    the entry's.
 * It reads the store and the search index, never a request. */
#ifndef SEGUE_LIBRARY_MATCH_H
#define SEGUE_LIBRARY_MATCH_H

#include "base62.h"
#include "search/search.h"
#include "store/store.h"

#define MATCH_PATH_MAX 4096 /* bytes of an entry's path */
#define MATCH_TEXT_MAX 1024 /* bytes of its artist and of its title */

/* One entry; strings borrowed, NULL (or "") when the playlist does not say. */
struct match_entry {
	const char *path, *artist, *title;
	long long duration_ms; /* 0: not given */
};

enum match_by { MATCH_NONE, MATCH_PATH, MATCH_TAGS, MATCH_SEARCH };

/* What matching reads: the store, and the search index as the service loop holds it (base
 * NULL: not built yet, and entries are matched by path alone). */
struct match_ctx {
	struct store *store;
	const struct search_index *base, *delta;
};

/* Finds e's track. Returns how it was found, with its id in id, or MATCH_NONE; -1 on a
 * database error (logged). Strings longer than the limits above are cut. */
int match_track(const struct match_ctx *c, const struct match_entry *e,
                char id[BASE62_ID_LEN + 1]);
/* "path", "tags", "search"; NULL for MATCH_NONE. */
const char *match_by_name(enum match_by by);

#endif
