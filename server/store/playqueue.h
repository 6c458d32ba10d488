/* The play queue an OpenSubsonic client saved (savePlayQueue), kept so that an acknowledged
 * save outlives the server: the songs in order, the current one, where in it, by which
 * player and when. The Connect hub holds the live state (connect/rest.c); this is its record
 * of what a client outside Connect last said. */
#ifndef SEGUE_STORE_PLAYQUEUE_H
#define SEGUE_STORE_PLAYQUEUE_H

#include "store/store.h"

#define PLAYQUEUE_BY_MAX 256 /* the player's name, with the NUL */

struct playqueue_row {
	char (*ids)[24];      /* the songs in play order; the caller frees it (playqueue_row_free) */
	int n;
	int current;          /* index into ids */
	long long position_ms;
	char changed_by[PLAYQUEUE_BY_MAX];
	long long changed_at; /* Unix ms */
};

/* Replaces user_id's saved queue: ids[0..n) (n >= 1, each a track id), ids[current] the
 * current song. In one transaction. Returns 0, -1 (logged). */
int store_playqueue_save(struct store *s, const char *user_id, const char *const *ids, int n,
                         int current, long long position_ms, const char *by, long long at);
/* Forgets user_id's saved queue. Returns 0, -1. */
int store_playqueue_clear(struct store *s, const char *user_id);
/* user_id's saved queue into out. Returns 1, 0 when there is none, -1. */
int store_playqueue_load(struct store *s, const char *user_id, struct playqueue_row *out);
void playqueue_row_free(struct playqueue_row *q);

#endif
