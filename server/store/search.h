/* What the search index is built from, in the store: the searchable rows of each type, whole
 * or only those the change log names in a span of its sequence numbers. Types are the change
 * log's codes (migration 10), which search's enum search_type follows: 0 tracks, 1 artists,
 * 2 albums, 3 public playlists. */
#ifndef SEGUE_STORE_SEARCH_H
#define SEGUE_STORE_SEARCH_H

#include <stdbool.h>

#include "store/store.h"

/* One searchable row, borrowed for the callback. */
struct search_source {
	const char *id, *artist_id; /* artist_id: "" for playlists */
	const char *text[3];        /* name, then its artist and album (or owner) where it has them; may be NULL */
	const char *genre, *markets; /* may be NULL */
	int year;                   /* 0 when unknown */
	double score;               /* popularity, for ordering */
};

/* Calls each for every row of type (since < 0), or for the rows changes in (since, upto]
 * touched that still exist. each returns 0 to go on, -1 to stop (then this returns -1).
 * Returns 0, or -1 on error (logged). */
int store_search_rows(struct store *s, int type, long long since, long long upto,
                      int (*each)(void *ud, const struct search_source *row), void *ud);
/* Calls each with every id of type that changes in (since, upto] touched, once each. */
int store_search_changed(struct store *s, int type, long long since, long long upto,
                         int (*each)(void *ud, const char *id), void *ud);

#endif
