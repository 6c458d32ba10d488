/* The request head's bound, answered. lws 4.1.6 keeps a request's line and headers in a
 * header table of fixed size: max_http_header_data bytes (cli/serve.c) and 95 parts, one
 * for the path, one for each query parameter (each '&' or ';') and one for each header.
 * Past either it closes the connection without a word, in the middle of its parser, with no
 * callback to say so. A Subsonic client that sends a long play queue in the query would see
 * a dropped connection.
 *
 * So the bytes lws reads from an HTTP connection between exchanges are scanned here first
 * (the recv hook, connect/wsguard.h), counting the same parts and the bytes, and a head that
 * would outgrow the table is answered here, a little before lws would give up: 414 while the
 * request line is still coming, 431 in the headers, in the application's shape
 * (http_ctx.refuse: a /rest/ path gets a Subsonic error), and closed through a lingering
 * close. Only heads that start where lws starts one are scanned (a new connection, or after
 * an exchange that left lws nothing buffered); a request pipelined behind another keeps
 * lws's silent close. Private to server/http/. */
#ifndef SEGUE_HTTP_HEADGUARD_H
#define SEGUE_HTTP_HEADGUARD_H

#include <stddef.h>
#include "http/http.h"

/* Parts and bytes of a head this side refuses: under lws's 95 parts (some are its own) and
 * max_http_header_data, with room for what it stores beyond the raw bytes (an unknown
 * header's name and lengths: HEADGUARD_PER_HEADER each). */
#define HEADGUARD_MAX_PARTS 90
#define HEADGUARD_MAX_BYTES (HTTP_HEADER_DATA - 256)
#define HEADGUARD_PER_HEADER 8

/* A new HTTP connection (LWS_CALLBACK_SERVER_NEW_CLIENT_INSTANTIATED): its first head is
 * scanned. */
void headguard_open(struct lws *wsi);
/* The same for descriptor fd (headguard_open's work; tests call it with a stand-in wsi).
 * The thread that first calls it is the one whose reads are scanned: recv on any other
 * thread (libpq's, in a worker) passes http_rx untouched. */
void headguard_watch(int fd, struct lws *wsi);
/* wsi's exchange is over and lws holds none of its input: its next head is scanned. */
void headguard_ready(struct lws *wsi);
/* fd's connection wsi closed, or (wsi NULL) fd became something else (a lingering copy):
 * what is kept for it is forgotten (for wsi: only if it is still wsi's). */
void headguard_forget(int fd, struct lws *wsi);
#endif
