/* Ingest: turns folders of masters into catalog entries. Files are found first, then worker
 * threads (one per core by default) each take the next file: read its tags, analyse the
 * audio, transcode it (unless the same audio is already in the catalog) and record it. A
 * track becomes visible only after all of its encodings are in place. */
#ifndef SEGUE_INGEST_H
#define SEGUE_INGEST_H

#include <stdatomic.h>
#include <stdbool.h>

#include "settings.h"

/* Every file found is counted once: files = added + known + updated + not_audio + failed. */
struct ingest_report {
	int files;
	int added;     /* new tracks, transcoded */
	int known;     /* unchanged since the last ingest (same size and mtime): not even decoded */
	int updated;   /* decoded, but its audio was in the catalog already (tags edited, file
	                * moved or copied): tags refreshed, nothing transcoded */
	int not_audio; /* companions (covers, lyrics, ...) and files of other kinds, by extension */
	int failed;    /* could not be read, decoded or recorded; each got a line on stderr */
	double audio_seconds;   /* of audio analysed */
	double wall_seconds;
	double cpu_seconds;     /* process CPU time while transcoding */
	int forgotten; /* remembered source files gone from the disk, forgotten */
	int withdrawn; /* tracks left with no source file, withdrawn */
	int restored;  /* withdrawn tracks whose audio came back, available again */
};

/* Walks paths (server/catalog/walk.h says which files are tried) and ingests what it finds.
 * progress: draw a progress bar on stderr (only sensible on a terminal). Errors are printed
 * one line per file on stderr. Returns 0, or -1 if the catalog could not be opened.
 *
 * A file ingested before and unchanged since (its size and mtime) costs a stat and a lookup;
 * its track must still be available and encoded, which the catalog's row vouches for.
 * Ingesting a file remembers it as its track's source and forgets the track's other sources
 * that are gone from the disk (a move). After the walk of a folder, every file remembered
 * under it that is gone is forgotten, and a track left with no remembered file is withdrawn
 * (store/catalog.h); its encodings stay, and the same audio found again restores it. */
int ingest_run(const struct settings *cfg, char **paths, int npaths, int jobs, bool progress,
               bool quiet, struct ingest_report *report);
/* The same, ending early (after the files under way) once *stop is set (stop may be NULL):
 * for the library watcher (catalog/watcher.h). */
int ingest_scan(const struct settings *cfg, char **paths, int npaths, int jobs, bool progress,
                bool quiet, const atomic_bool *stop, struct ingest_report *report);
/* Forgets the remembered files at each path or under it (a file or a folder that was
 * deleted or moved away) that are gone from the disk, and withdraws the tracks left with no
 * file, adding to *report (which the caller zeroed). Returns 0, -1 when the catalog could not
 * be opened. */
int ingest_forget(const struct settings *cfg, char **paths, int npaths, struct ingest_report *report);
/* Whether a file name has one of the audio extensions a walk takes. */
bool ingest_audio_name(const char *name);

/* The ids ingest derives from names: stable, so re-ingesting is idempotent. Exposed for tests. */
void ingest_artist_id(const char *name, char out[23]);
void ingest_album_id(const char *album_artist, const char *album, char out[23]);

#endif
