/* Ingest's memory of source files (store/catalog.h's ingest_files), private to catalog/:
 * what keeps a track's files known as they move, and withdraws a track when none is left.
 * A track is withdrawn, not deleted (its encodings stay), and the same audio ingested again
 * brings it back (store_track_put). */
#ifndef SEGUE_SOURCES_H
#define SEGUE_SOURCES_H

#include <stddef.h>

#include "catalog/ingest.h"
#include "store/store.h"

/* Remembers path (of this size and mtime) as giving track id, and forgets the track's other
 * remembered files that are gone from the disk: a file moved or renamed leaves no stale name
 * behind to keep its track alive, whichever folder it came from (so does a relative name an
 * older ingest left). A file that gave another track before (its audio replaced) may leave
 * that track with no file: it is withdrawn. Failures are logged by the store: the next ingest
 * decodes the file again, or the stale name waits for the next walk of its folder. Returns
 * how many tracks were withdrawn (0 or 1). */
int sources_remember(struct store *s, const char *path, long long size, long long mtime_ns,
                     const char *id);
/* Forgets the remembered files at root or below it that are gone from the disk (walked: the
 * files the walk of root just found, sorted, known to be there; may be NULL), and withdraws
 * the tracks left with no remembered file, in one transaction, adding to report's forgotten
 * and withdrawn. Run after the files found were ingested, so that a file moved within the
 * library is remembered at its new name before its old one goes, and its track never
 * flickers out. Returns 0, or -1 after a line on stderr naming root. */
int sources_prune(struct store *s, const char *root, char *const *walked, size_t nwalked,
                  struct ingest_report *report);

#endif
