/* Keeps the search index current (and popularity fresh): a worker thread watches the catalog version and, when it
 * moves, builds a fresh index with its own database connection and hands it over. The service
 * loop picks the fresh index up at its next search and gives the old one back to the worker
 * to free, so neither side waits for the other. */
#ifndef SEGUE_SEARCHER_H
#define SEGUE_SEARCHER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "search.h"

struct searcher {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool started, stop;
	char data_dir[1024];
	struct search_index *current;              /* the service loop's */
	_Atomic(struct search_index *) fresh;      /* built, not yet taken */
	struct search_index *retired;              /* given back, to free; under lock */
	long long built_version;
	double last_build_s;
	double popularity_interval; /* seconds between popularity refreshes */
};

/* Also refreshes track popularity every popularity_interval seconds when plays changed. */
int searcher_start(struct searcher *sr, const char *data_dir, long popularity_interval);
/* The newest index, or NULL before the first build is done. Service loop only. */
const struct search_index *searcher_get(struct searcher *sr);
void searcher_stop(struct searcher *sr);

#endif
