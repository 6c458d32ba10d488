/* The catalog in the store: tracks, albums and artists as rows. (Its queries are moving here
 * from catalog/ and api/ one at a time; see doc/architecture.md.) */
#ifndef SEGUE_STORE_CATALOG_H
#define SEGUE_STORE_CATALOG_H

#include "store/store.h"

/* The duration of track id in *ms. Returns 1, 0 when there is no such track, -1 on error. */
int store_track_duration(struct store *s, const char *id, long long *ms);

#endif
