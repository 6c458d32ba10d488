/* Keeps the search index current (and popularity fresh): a worker thread follows the search
 * change log (server/store/store.h). A few changes are taken in by building a delta over the base index,
 * in milliseconds; the base is built again when the delta grows large or old. Each is handed
 * over as a view (base and delta) that the service loop picks up at its next search, giving
 * the old view back to the worker to free, so neither side waits for the other. */
#ifndef SEGUE_SEARCHER_H
#define SEGUE_SEARCHER_H

#include <stdatomic.h>
#include <stdbool.h>

#include "search/search.h"
#include "worker.h"

struct search_view {
	struct search_index *base;  /* held */
	struct search_index *delta; /* owned; NULL when the base has every change */
};

struct searcher {
	struct worker w; /* one thread; its lock guards retired */
	char database[1024]; /* what store_open opens */
	struct search_view *current;             /* the service loop's */
	_Atomic(struct search_view *) fresh;     /* built, not yet taken */
	struct search_view *retired;             /* given back, to free; under lock */
	double popularity_interval; /* seconds between popularity refreshes */
};

/* Also refreshes track popularity every popularity_interval seconds when plays changed. */
int searcher_start(struct searcher *sr, const char *database, long popularity_interval);
/* The newest view, or NULL before the first build is done. Service loop only. */
const struct search_view *searcher_get(struct searcher *sr);
void searcher_stop(struct searcher *sr);

#endif
