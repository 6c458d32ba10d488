/* The catalog in the store: tracks, albums and artists as rows. (Its queries are moving here
 * from catalog/ and api/ one at a time; see doc/architecture.md.) */
#ifndef SEGUE_STORE_CATALOG_H
#define SEGUE_STORE_CATALOG_H

#include "store/store.h"

/* The duration of track id in *ms. Returns 1, 0 when there is no such track, -1 on error. */
int store_track_duration(struct store *s, const char *id, long long *ms);

#define TRACK_MARKETS_MAX 1024 /* the markets column with its NUL; ingest keeps it under 512 */

/* The markets track id plays in, comma-separated, into markets ("" for everywhere). Returns
 * 1, 0 when there is no such track, -1 on error. */
int store_track_markets(struct store *s, const char *id, char markets[TRACK_MARKETS_MAX]);

#endif
