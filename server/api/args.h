/* What handlers share to read a request and to answer in the catalog's shapes: the query
 * parameters the Web API uses everywhere (market, limit and offset, id lists), paging links
 * that keep the request's other parameters, and the catalog seen from this request (its
 * base URL, the server's markets). Each reader replies 400 itself on a bad value. */
#ifndef SEGUE_API_ARGS_H
#define SEGUE_API_ARGS_H

#include <jansson.h>
#include <stdbool.h>

#include "catalog/catalog.h"
#include "http/http.h"

/* The market a request asks for: NULL when it names none, the user's country for
 * "from_token". On a malformed value it replies 400 and sets *bad. */
const char *api_market(struct req *r, bool *bad);
/* Reads an integer query parameter; on a bad value replies 400 and returns -1. */
int api_int_arg(struct req *r, const char *name, int def, int min, int max, int *out);
/* At most max valid ids (the caller frees them with api_free_ids) from ?ids=a,b or, without
 * that, from a JSON body {"ids": [...]} or a bare JSON array of ids (official SDKs send that
 * for PUT and DELETE of the library). Replies 400 and returns -1 for a missing, oversized or
 * malformed list. */
int api_ids_arg(struct req *r, int max, char ***ids, int *n);
void api_free_ids(char **ids, int n);
/* Catalog URIs as clients write them. Segue's are "segue:KIND:ID"; programs written for
 * Spotify build "spotify:KIND:ID" (old ones "spotify:user:NAME:playlist:ID"), which name the
 * same things here. Requests may use any of these; answers always carry the segue: form. */
#define API_URI_MAX 256
/* The id of a URI of this kind ("track", "album", "artist", "playlist") in any of those
 * forms, pointing into uri; NULL when uri is not one (or its id is malformed). */
const char *api_uri_id(const char *uri, const char *kind);
/* uri in the segue: form into out (size bytes); text in neither scheme is copied unchanged,
 * for the caller's own checks. Returns false when it does not fit. */
bool api_uri_canon(const char *uri, char *out, size_t size);
/* The same in place on a string member of a JSON object (left alone when absent). */
void api_uri_canon_member(json_t *o, const char *key);
/* Validates a path id; replies 400 and returns false when malformed. */
bool api_check_id(struct req *r, const char *id, const char *kind);
/* A paging object around items (stolen), its links the request's path and other parameters. */
json_t *api_paging(struct req *r, json_t *items, int limit, int offset, long long total);

/* The catalog as this request sees it. The view borrows r's server and a base URL kept in
 * the view itself, so it lives as long as the variable it is filled into. */
struct api_view {
	struct catalog_view v;
	char base[512];
};
const struct catalog_view *api_view(struct req *r, struct api_view *out);

/* The catalog's objects for this request (see catalog/catalog.h). */
json_t *api_track(struct req *r, const char *id, const char *market);
json_t *api_album(struct req *r, const char *id, const char *market);
json_t *api_album_simple(struct req *r, const char *id, const char *market);
json_t *api_artist(struct req *r, const char *id);
/* The same for lists, in a few statements however long (catalog_tracks and its kin): out[i]
 * for ids[i], NULL where unknown. Return 0, or -1 after a database error (logged) with every
 * out[i] NULL. */
int api_tracks(struct req *r, const char *const *ids, int n, const char *market, json_t **out);
int api_albums_simple(struct req *r, const char *const *ids, int n, const char *market, json_t **out);
int api_artists(struct req *r, const char *const *ids, int n, json_t **out);
/* Whether a track, album or artist ("track", "album", "artist") with this id exists. */
bool api_exists(struct req *r, const char *kind, const char *id);
/* Whether a track with this markets column value plays in market, by the server's markets. */
bool api_available(struct req *r, const char *markets, const char *market);
/* GET /v1/{kind}s/{id}: one catalog object, rendered by render in the request's market. */
typedef json_t *(*api_render_fn)(struct req *r, const char *id, const char *market);
void api_reply_one(struct req *r, const char *kind, api_render_fn render);
/* GET /v1/{kind}s?ids=: up to max (at most API_SEVERAL_MAX) of them under key, null for an
 * unknown id, rendered together by render (as api_tracks: out[i] for ids[i], 0 or -1), so
 * that a list costs a few statements; a database error is a 500. */
#define API_SEVERAL_MAX 50
typedef int (*api_render_list_fn)(struct req *r, const char *const *ids, int n, const char *market,
                                  json_t **out);
void api_reply_several(struct req *r, const char *key, int max, api_render_list_fn render);
/* A public playlist's simplified object (api/playlists.c). */
json_t *api_playlist_simple(struct req *r, const char *id);
/* A playlist's image objects (api/images.c): [] when it has no picture. */
json_t *api_playlist_images(struct req *r, const char *id);

struct stat;
/* Answers r with the file open on fd (st its stat), an immutable representation named by
 * etag: 304 when If-None-Match names it, one Range's part (206, or 416), else all of it (200);
 * the body is sent by http/ from fd, which r owns from here on (api/stream.c). */
/* Opens a file to serve and stats it: its descriptor, or -1 after replying 404 ("no such
 * WHAT") when it is not there, 500 (logged) when it cannot be read. */
int api_open_file(struct req *r, const char *path, const char *what, struct stat *st);
void api_send_file(struct req *r, int fd, const struct stat *st, const char *etag, const char *ctype);

#endif
