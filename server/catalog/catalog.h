/* The catalog as Spotify Web API objects: tracks, albums and artists in their full and
 * simplified shapes, with market availability. What an object depends on besides the
 * catalog -- where the server is reached (for href links) and the markets it serves by
 * default -- comes in a view, so this module knows nothing of requests. */
#ifndef SEGUE_CATALOG_H
#define SEGUE_CATALOG_H

#include <jansson.h>
#include <stdbool.h>

#include "store/catalog.h"
#include "store/store.h"

struct catalog_view {
	struct store *store;
	const char *base_url; /* "http://host:port": links are absolute, as the Web API's are */
	const char *markets;  /* the server's markets, for tracks that name none */
	const char *images_dir; /* where pictures are made (playlists' mosaics); NULL: none made */
};

/* Objects; NULL when the id is unknown. market may be NULL (then available_markets is given
 * instead of is_playable). A withdrawn track is not playable, with "restrictions":
 * {"reason": "unavailable"} (with no market: empty available_markets); an album counts,
 * lists and is available through its available tracks only. */
json_t *catalog_track(const struct catalog_view *v, const char *id, const char *market);
json_t *catalog_album(const struct catalog_view *v, const char *id, const char *market);
json_t *catalog_artist(const struct catalog_view *v, const char *id);
/* The simplified shapes used inside other objects and lists. */
json_t *catalog_artist_simple(const struct catalog_view *v, const char *id, const char *name);
json_t *catalog_album_simple(const struct catalog_view *v, const char *album_id, const char *market);

/* Lists of objects, out[i] for ids[i] (ids may repeat), NULL where the id is unknown; full
 * tracks, or tracks from their rows (with_album: full, else simplified; tracks carry a
 * "segue" extension object with "path", the file's path under the library folder it was
 * ingested from, when the store knows it); simplified albums; full artists.
 * The store is asked a fixed number of statements per STORE_BATCH_MAX ids, not several per
 * object (on PostgreSQL each statement is a round trip). Each returns 0, or -1 after a
 * database error (logged): what could not be gathered is NULL or falls back as above. */
int catalog_tracks(const struct catalog_view *v, const char *const *ids, int n, const char *market,
                   json_t **out);
int catalog_tracks_from_rows(const struct catalog_view *v, const struct track_row *rows, int n,
                             const char *market, bool with_album, json_t **out);
int catalog_albums_simple(const struct catalog_view *v, const char *const *ids, int n,
                          const char *market, json_t **out);
int catalog_artists(const struct catalog_view *v, const char *const *ids, int n, json_t **out);

/* A paging object around items (stolen) whose links are href with offset and limit added
 * (href may already hold a query). */
json_t *catalog_paging(const char *href, json_t *items, int limit, int offset, long long total);
/* An ISO 8601 UTC time, with milliseconds when millis is set. */
json_t *catalog_time(long long ms, bool millis);

/* Whether a track with this markets column value (NULL or "": the server's markets) plays in
 * market. */
bool catalog_available(const struct catalog_view *v, const char *markets, const char *market);

#endif
