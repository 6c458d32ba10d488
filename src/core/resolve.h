/* From what a user types to what the server knows: URIs, ids, and the track lists behind a
 * context (album, playlist, artist, search). Part of the core, not of the commands: the
 * Connect device (device.c) resolves the contexts other devices send it with the same calls
 * the commands use. */
#ifndef SEGUE_RESOLVE_H
#define SEGUE_RESOLVE_H

#include <jansson.h>
#include <stdbool.h>

#include "seg.h"

#define CONTEXT_TRACKS_MAX 10000

/* Splits "segue:KIND:ID" (or a bare 22-character id, taken as default_kind). kind must hold
 * 16 bytes and id 23. false when s is neither. */
bool uri_parse(const char *s, const char *default_kind, char *kind, char *id);
/* The id of a URI of the given kind (or of a bare id); SEG_EUSAGE naming what was expected. */
enum seg_err uri_id(const char *s, const char *kind, char *id);

/* Every item of a paging object, following "next" up to max items. path is the first page. */
enum seg_err fetch_all(struct seg *s, const char *path, size_t max, json_t **items);
/* The same where the paging object is the member within of the answer (cursor paging, as
 * GET /v1/me/following has it: {"artists": {items, next, cursors}}). */
enum seg_err fetch_all_in(struct seg *s, const char *path, const char *within, size_t max,
                          json_t **items);

/* The tracks of a context URI, in order, as full track objects; *context receives the URI to
 * report as the context (NULL for a single track). Queries (anything that is not a URI) are
 * searched for tracks. */
enum seg_err resolve_tracks(struct seg *s, const char *what, json_t **tracks, char **context);
/* The track objects of a JSON array of track URIs, in order (unknown ones left out). */
enum seg_err resolve_uris(struct seg *s, json_t *uris, json_t **tracks);

#endif
