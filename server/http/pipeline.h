/* Requests with a body pipelined behind another. libwebsockets 4.1.6 cannot read them: when a
 * read brought a request and, behind it, the whole head of the next one, lws keeps the rest on
 * the connection's buffer list and parses the next head from there; if that head announces a
 * body, lws_http_action (lib/roles/http/server/server.c, after LWS_CALLBACK_HTTP) drains the
 * buffer list as the body, but the list still starts at the head being parsed. The body it
 * reports is the request's own first bytes ("PU" of "PUT /..."), and once it is complete the
 * loop finds the same bytes still listed and lws_read_h1 taking none of them (LRS_BODY with
 * nothing left, or LRS_DEFERRING_ACTION once answered): it turns for ever, inside one call,
 * and the server answers no one. Any error returned from inside that loop closes the
 * connection twice (a use after free), so the only safe way out is to refuse such a request
 * from LWS_CALLBACK_HTTP, before lws reaches the loop.
 *
 * A head was taken from that buffer exactly when lws has read nothing from the socket since
 * the previous request's input ended (lws reads the socket only once the list is empty):
 * this unit counts the bytes lws has read, from the kernel's figures (received less still
 * queued), at the end of each request's input, per connection. Private to server/http/. */
#ifndef SEGUE_HTTP_PIPELINE_H
#define SEGUE_HTTP_PIPELINE_H

#include <stdbool.h>

struct lws;

/* The end of a request's input on wsi (its head without a body, or its whole body): notes how
 * much lws has read so far. Returns 0, or -1 out of memory. */
int pipeline_note(struct lws *wsi);

/* True when the request whose head lws just parsed on wsi was already buffered when the
 * previous request's input ended, or when that cannot be told (not TCP): a body announced by
 * it must be refused. False for a connection's first request. */
bool pipeline_buffered(struct lws *wsi);

/* LWS_CALLBACK_WSI_DESTROY: frees what pipeline_note kept for wsi. */
void pipeline_forget(struct lws *wsi);

#endif
