/* Background refresh of track popularity from play counts. */
#ifndef SEGUE_POPULARITY_H
#define SEGUE_POPULARITY_H

#include "store/store.h"

/* Recomputes popularity if plays changed since *plays_seen (updated). Returns 0 or -1. */
int popularity_refresh(struct store *s, long long *plays_seen);

#endif
