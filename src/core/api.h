/* The server's REST API over libcurl and jansson. One struct api per thread: it keeps one curl
 * easy handle (so connections are reused) and the session's tokens.
 *
 * Requests are JSON in, JSON out. Idempotent requests (GET, PUT, DELETE) are retried on
 * connection failures, 5xx and 429 with exponential backoff and full jitter (429 honours
 * Retry-After); POST is never retried, because the server may have acted on it. A 401 is
 * answered once by refreshing the access token with the refresh token and repeating the
 * request. Errors come back as enum seg_err with a message for people (seg_errmsg()):
 * the server's own error message when it sent one, else what went wrong on the way.
 *
 * The session (server URL, user, tokens) lives in a credentials file (JSON, mode 0600, written
 * atomically by tmp + fsync + rename): the path given to api_new. A session belongs to the
 * server it was made with: against another server URL the client is not logged in. */
#ifndef SEGUE_API_H
#define SEGUE_API_H

#include <jansson.h>
#include <stdbool.h>

#include "err.h"

struct api;

struct api_opts {
	const char *server;      /* base URL, e.g. "http://127.0.0.1:8080" (copied) */
	const char *creds_path;  /* credentials file (copied) */
	long connect_timeout_ms; /* 0: 3000 */
	long timeout_ms;         /* whole request; 0: 15000 */
	int retries;             /* extra attempts for idempotent requests; < 0: 3 */
};

/* NULL only when memory runs out. Reads the credentials file if it exists. */
struct api *api_new(const struct api_opts *o);
void api_free(struct api *a);

const char *api_server(const struct api *a);
/* The logged-in user's id, or NULL when there is no session for this server. */
const char *api_user(const struct api *a);
bool api_logged_in(const struct api *a);

/* The password grant; on success the session is saved to the credentials file. */
enum seg_err api_login(struct api *a, const char *username, const char *password);
/* Signs up at the server (POST /api/register): country may be NULL (the server's default),
 * invite NULL when registration there is open. *out receives the new account's object. It
 * does not log in. */
enum seg_err api_register(struct api *a, const char *username, const char *password,
                          const char *country, const char *invite, json_t **out);
/* Revokes the refresh token at the server (best effort: a dead server does not stop a
 * logout) and removes the credentials file. */
enum seg_err api_logout(struct api *a);

/* One request. method "GET" "PUT" "POST" "DELETE"; path starts with "/" and may carry a
 * query string (the caller escapes it: api_escape). body is borrowed (NULL: none). On
 * SEG_OK, *out (if out is not NULL) receives a new reference to the parsed answer, or NULL for
 * an empty one (204). On error *out is NULL. status (if not NULL) receives the HTTP status, 0
 * when none arrived. Status mapping: 400 SEG_EUSAGE, 401 SEG_EAUTH, 403 SEG_EFORBIDDEN, 404
 * SEG_ENOTFOUND, other 4xx/5xx SEG_EFAIL, transport failure SEG_EUNREACHABLE, unreadable
 * answer SEG_EPROTO. */
enum seg_err api_request(struct api *a, const char *method, const char *path, json_t *body,
                         json_t **out, long *status);
/* Shorthands. */
enum seg_err api_get(struct api *a, const char *path, json_t **out);

/* Every item of a paging object, following "next" up to max items; path is the first page.
 * within (may be NULL) names the member holding the paging object (cursor paging, as GET
 * /v1/me/following has it: {"artists": {items, next, cursors}}). */
enum seg_err api_get_all(struct api *a, const char *path, const char *within, size_t max,
                         json_t **items);

/* A fresh access token for a connection that is not made through api_request (the Connect
 * WebSocket): refreshed first when it is about to expire, or when force is set (the server
 * refused it). Copied into out; SEG_EAUTH when there is no session. */
enum seg_err api_access_token(struct api *a, bool force, char *out, size_t len);

/* Percent-escapes s for a query string or path segment; the caller frees the result. */
char *api_escape(const char *s);

/* Sets how many extra attempts idempotent requests get (the daemon keeps its loop responsive
 * with 0 and retries on its own timers). Returns the previous value. */
int api_set_retries(struct api *a, int retries);

#endif
