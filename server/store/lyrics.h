/* Lyrics in the store: a row a track, its lines in the lyrics module's stored form (which the
 * store keeps without reading it), and what ingest last saw of the .lrc beside each source
 * file, so that a re-ingest of unchanged audio still notices a new, edited or removed .lrc. */
#ifndef SEGUE_STORE_LYRICS_H
#define SEGUE_STORE_LYRICS_H

#include <stdbool.h>

#include "store/store.h"

#define LYRICS_ROW_LANG_MAX 8

struct lyrics_row {
	bool synced;
	char language[LYRICS_ROW_LANG_MAX]; /* "" for none */
	char source[12];                    /* "lrc" or "embedded" */
	long long updated_at;               /* ms */
	char *lines;                        /* malloc'd by store_lyrics_get: the caller frees */
};

/* Track id's lyrics, added or replacing what it had; r is borrowed (updated_at is ignored:
 * now is kept). The track must exist; its lyrics go when it goes. Returns 0, -1 (logged). */
int store_lyrics_put(struct store *s, const char *track_id, const struct lyrics_row *r,
                     long long now);
/* Returns 1 with *out filled, 0 when the track has no lyrics, -1 (logged). */
int store_lyrics_get(struct store *s, const char *track_id, struct lyrics_row *out);
/* Returns 1 when it had lyrics, 0 when not, -1 (logged). */
int store_lyrics_delete(struct store *s, const char *track_id);
/* Returns 1 when track id has lyrics, 0 when not, -1 (logged). */
int store_lyrics_exists(struct store *s, const char *track_id);

/* The .lrc ingest last read beside the source file audio_path: its size and modification time
 * (ns). Returns 1, 0 when there was none, -1 (logged). */
int store_lyrics_sidecar(struct store *s, const char *audio_path, long long *size,
                         long long *mtime_ns);
/* Remembers one (0, -1), or that there is none (forget: 0, -1). */
int store_lyrics_sidecar_put(struct store *s, const char *audio_path, long long size,
                             long long mtime_ns);
int store_lyrics_sidecar_forget(struct store *s, const char *audio_path);

#endif
