/* Ingest: turns folders of masters into catalog entries. Files are found first, then worker
 * threads (one per core by default) each take the next file: read its tags, analyse the
 * audio, transcode it (unless the same audio is already in the catalog) and record it. A
 * track becomes visible only after all of its encodings are in place. */
#ifndef SEGUE_INGEST_H
#define SEGUE_INGEST_H

#include <stdbool.h>

#include "settings.h"

struct ingest_report {
	int files;
	int added;     /* new tracks, transcoded */
	int updated;   /* audio already known: tags refreshed, nothing transcoded */
	int failed;
	double audio_seconds;   /* of audio analysed */
	double wall_seconds;
	double cpu_seconds;     /* process CPU time while transcoding */
};

/* progress: draw a progress bar on stderr (only sensible on a terminal). Errors are printed
 * one line per file on stderr. Returns 0, or -1 if the catalog could not be opened. */
int ingest_run(const struct settings *cfg, char **paths, int npaths, int jobs, bool progress,
               bool quiet, struct ingest_report *report);

/* The ids ingest derives from names: stable, so re-ingesting is idempotent. Exposed for tests. */
void ingest_artist_id(const char *name, char out[23]);
void ingest_album_id(const char *album_artist, const char *album, char out[23]);

#endif
