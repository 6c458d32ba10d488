/* The catalog as a whole, for browsing: its newest albums and the markets it plays in. */
#ifndef SEGUE_STORE_BROWSE_H
#define SEGUE_STORE_BROWSE_H

#include "store/store.h"

/* Up to max albums from offset, latest release first (then by id; undated ones last), of
 * those with an available track: each gets an album id, borrowed for the call, and returns
 * 0 to go on, anything else to stop. Returns 0, -1 on error. */
int store_albums_newest(struct store *s, int offset, int max,
                        int (*each)(void *ud, const char *album_id), void *ud);
/* How many albums have an available track, or -1. */
long long store_albums_available(struct store *s);
/* Every distinct markets list that available tracks name for themselves (comma-separated,
 * never ""): each gets one, borrowed; returns 0 to go on. Returns 0, -1 on error. It reads
 * every track (a third of a second at 1,000,000): callers keep the answer while
 * store_tracks_version, which ingest and withdrawals move, stays where it was. */
int store_track_market_lists(struct store *s, int (*each)(void *ud, const char *markets), void *ud);

#endif
