/* What server/http/http.c shares with the rest of server/http/ (quick.c) and no one else. */
#ifndef SEGUE_HTTP_INT_H
#define SEGUE_HTTP_INT_H

#include "http/http.h"

/* A new exchange on wsi, watched for its deadlines (NULL: out of memory); and its end. */
struct req *req_new(struct lws *wsi);
void req_free(struct req *r);
/* The quick path keeps one struct req per connection rather than a 4 KiB calloc a request:
 * req_retire lets go of what r's exchange held (its file, its deadline, its strings; r may
 * still be req_free'd), req_recycle makes a retired r a new exchange on wsi as req_new
 * would. */
void req_retire(struct req *r);
/* Adds a query parameter whose strings stay the caller's (they must outlive r's exchange);
 * lent ones come before any req_add_arg. -1: out of memory, too many, or out of order. */
int req_lend_arg(struct req *r, char *name, char *value);
struct req *req_recycle(struct req *r, struct lws *wsi);
/* Whether a Host header's value is a name or address and a port (else 400). */
bool http_host_ok(const char *h);
/* The reason phrase of a status ("Status" for one not listed). */
const char *http_reason(int status);
/* The body length a response announces (0 for 204 and 304). */
long long http_body_length(const struct req *r);
/* The handler has answered r: counts it, and from here on http_send_timeout is its deadline. */
void http_answered(struct req *r);
/* Sends what the socket takes of r's file range: 1 when the range is done, 0 when the socket
 * is full, -1 on error. */
int http_send_file_part(struct req *r);
/* Answers a request whose head is refused before lws has it whole (http/headguard.h):
 * status and the message (fmt) in the application's shape (http_ctx.refuse), straight to
 * the socket, then a lingering close. method: the request line's first word. The caller has
 * lws close wsi. */
void http_refuse_head(struct lws *wsi, int status, const char *method, bool rest, bool json,
                      const char *fmt, ...) __attribute__((format(printf, 6, 7)));

#endif
