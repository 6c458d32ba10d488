/* What the playlist commands share: a playlist made for the user (playlist create, playlist
 * import), and a POST sent again while the server is busy. */
#ifndef SEGUE_PLAYLIST_MAKE_H
#define SEGUE_PLAYLIST_MAKE_H

#include <jansson.h>
#include <stdbool.h>

#include "api.h"
#include "err.h"

/* How long a patient POST waits out rate limits (429) and a server still starting (503). */
#define PLAYLIST_PATIENCE_S 60

/* POSTs body to path, again after 1, 2, 4, 8, 8... s while the server answers 429 or 503,
 * for up to PLAYLIST_PATIENCE_S; api_request leaves that to its caller. *out as
 * api_request's. */
enum seg_err playlist_post_patiently(struct api *api, const char *path, json_t *body, json_t **out);

/* Makes a playlist called name for the logged-in user (description may be NULL); *out is the
 * server's playlist object, a new reference. patient: through playlist_post_patiently (an
 * import, which has sent many requests before it), else one request. */
enum seg_err playlist_make(struct api *api, const char *name, const char *description,
                           bool public, bool patient, json_t **out);

#endif
