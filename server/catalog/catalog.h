/* The catalog as Spotify Web API objects: tracks, albums and artists in their full and
 * simplified shapes, with market availability, plus the request-parameter helpers the
 * catalog handlers share (market, limit/offset, id lists, paging objects). */
#ifndef SEGUE_CATALOG_H
#define SEGUE_CATALOG_H

#include <jansson.h>
#include <stdbool.h>

#include "http/http.h"

/* The market a request asks for: NULL when it names none, the user's country for
 * "from_token". On a malformed value it replies 400 and sets *bad. */
const char *catalog_market(struct req *r, bool *bad);
/* Reads an integer query parameter; on a bad value replies 400 and returns -1. */
int catalog_int_arg(struct req *r, const char *name, int def, int min, int max, int *out);
/* Splits ?ids= into at most max valid ids (caller frees each and the array); replies 400
 * and returns -1 for a missing, oversized or malformed list. */
int catalog_ids_arg(struct req *r, int max, char ***ids, int *n);
void catalog_free_ids(char **ids, int n);
/* Validates a path id; replies 400 and returns false when malformed. */
bool catalog_check_id(struct req *r, const char *id, const char *kind);

/* A paging object around items (stolen), with next/previous links built from the request
 * path and its other parameters. */
json_t *catalog_paging(struct req *r, json_t *items, int limit, int offset, long long total);

/* Objects; NULL when the id is unknown. market may be NULL. */
json_t *catalog_track(struct req *r, const char *id, const char *market);
json_t *catalog_album(struct req *r, const char *id, const char *market);
json_t *catalog_artist(struct req *r, const char *id);
/* The simplified shapes used inside other objects and lists. */
json_t *catalog_artist_simple(struct req *r, const char *id, const char *name);
json_t *catalog_album_simple(struct req *r, const char *album_id, const char *market);
/* One track row of a query selecting TRACK_COLUMNS (see server/catalog/catalog.c), as a full track object
 * (with_album) or a simplified one. */
json_t *catalog_track_from_row(struct req *r, void *stmt, const char *market, bool with_album);

/* A public playlist's simplified object (implemented with the playlist handlers). */
json_t *catalog_playlist_simple(struct req *r, const char *id);

/* Whether a track, album or artist ("track", "album", "artist") with this id exists. */
bool catalog_exists(struct req *r, const char *kind, const char *id);
/* An ISO 8601 UTC time, with milliseconds when millis is set. */
json_t *catalog_time(long long ms, bool millis);

/* Whether a track with this markets column value plays in market. */
bool catalog_available(struct req *r, const char *markets, const char *market);

#endif
