/* The library folders that serve watches (segue-server serve --library, the setting
 * library): a thread of its own scans them all when it starts, then follows them with inotify
 * (every folder below, new ones as they appear) and, two seconds after the last change (so a
 * copy under way is not taken half-written), ingests the files written or moved in and
 * forgets those deleted or moved away, withdrawing the tracks left with no file
 * (catalog/ingest.h). An overflow of inotify's queue means a full scan; when inotify cannot
 * watch everything (its watch limit), the folders are scanned again periodically instead.
 * Ingest runs on its own threads and database connections: the service loop never waits for
 * it, and the search index follows the catalog through its change log as it does for any
 * ingest. */
#ifndef SEGUE_WATCHER_H
#define SEGUE_WATCHER_H

#include <stdatomic.h>
#include <stdbool.h>

#include "settings.h"

/* What the watcher has done, for /metrics: written by its thread, read anywhere. */
struct library_stats {
	atomic_ullong scans;          /* scans done: at start, of changes, full again */
	atomic_ullong withdrawn;      /* tracks withdrawn by them */
	atomic_ullong restored;       /* withdrawn tracks they brought back */
	atomic_int files, added, known, failed, forgotten; /* of the last scan */
	atomic_llong last_scan_us;    /* how long the last scan took */
	atomic_long watches;          /* inotify watches held */
	atomic_bool polling;          /* inotify cannot see everything: periodic full scans */
	atomic_bool scanning;         /* a scan (full or of changes) is under way */
};

struct library_watch;

/* Starts watching roots[0..n) (absolute paths of existing folders, none below another;
 * copied). cfg is borrowed (its data_dir and ingest_jobs) and must outlive the watcher.
 * Returns NULL (logged) when the thread cannot start. */
struct library_watch *library_watch_start(const struct settings *cfg, char *const *roots, int n);
const struct library_stats *library_watch_stats(const struct library_watch *lw);
/* Asks for a full scan of every folder at once (the Subsonic API's startScan), not waiting
 * for a change; one asked for while another is due or under way is the same scan. Any
 * thread. */
void library_watch_rescan(struct library_watch *lw);
/* Stops the thread (a scan under way ends after the files it is ingesting) and frees lw;
 * NULL is ignored. */
void library_watch_stop(struct library_watch *lw);

#endif
