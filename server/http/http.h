/* One HTTP exchange as handlers see it: the parsed request (method, path, query, headers,
 * body, the authenticated user) and the response they build (status, JSON or text body, extra
 * headers, or a file range to stream). server/http/http.c moves it to and from libwebsockets; handlers
 * never touch lws. A struct req lives from the request line to the end of the response.
 *
 * http/ is a layer below the application: it runs a request through what the application
 * gave it when it started (struct http_ctx), and knows no route, handler or module above. */
#ifndef SEGUE_HTTP_H
#define SEGUE_HTTP_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "types/user.h"
#include "http/ratelimit.h"

struct server; /* the application's: http/ carries a pointer to it, never looks inside */
struct lws;
struct metrics;
struct jobs;
struct req;
struct http_feed;

enum http_method {
	M_GET = 1, M_HEAD = 2, M_POST = 4, M_PUT = 8, M_DELETE = 16, M_PATCH = 32, M_OPTIONS = 64,
};

/* The most server/http/http.c hands lws in one write: a stream slice plus the response headers. */
#define HTTP_STREAM_SLICE (128 * 1024)
#define HTTP_MAX_SEND (HTTP_STREAM_SLICE + 4096)

/* Query parameters a request may carry: as many as a form body (SUB_MAX_PARAMS), since
 * Subsonic clients send every id of a play queue or a star in the query. What a GET can
 * carry is further bounded by lws: its header table holds 95 parts for the whole request
 * head, one per parameter, and HTTP_HEADER_DATA bytes; http/headguard.h answers a head past
 * them (segue-server(1), HTTP INTERFACE). */
#define REQ_MAX_ARGS 256
/* lws's header table: the bytes of a request line and headers (info.max_http_header_data). */
#define HTTP_HEADER_DATA 8192
#define REQ_MAX_PARAMS 4
#define REQ_MAX_HEADERS 8

/* What the application gives http/ when it serves: the lws context's user pointer, set by
 * cli/serve.c, living as long as the context. */
struct http_ctx {
	/* Runs r: finds its route, checks it, calls its handler. r comes back answered, or
	 * pending (req_defer). It sets r->route_name when a route matched. */
	void (*dispatch)(struct req *r);
	/* A WebSocket upgrade (LWS_CALLBACK_HTTP_CONFIRM_UPGRADE): 0 lets it through, 1 means it
	 * was refused with an HTTP answer already written, -1 closes. NULL: upgrades close. */
	int (*upgrade)(void *ud, struct lws *wsi);
	void *upgrade_ud;
	/* Sets r's answer to a request refused before it could be read whole (a head past the
	 * header table's bound, http/headguard.h): r holds the method, "/rest/" or "/" as its
	 * path, and f=json when the query said so. NULL: reply_error. */
	void (*refuse)(struct req *r, int status, const char *message);
	struct server *srv;      /* handed to every request as r->srv */
	struct metrics *metrics; /* every exchange and stream is counted here */
	struct jobs *jobs;       /* drained when a worker wakes the loop (http/jobs.h) */
	const char *public_url;  /* the base URL clients use; "" to take it from Host */
	const char *listen;      /* ADDR:PORT: the base URL when there is no Host either */
	long max_body;           /* bytes of request body accepted */
	/* Deadlines of the states lws does not time (http/watch.h), in seconds: a whole body
	 * arriving, a deferred answer being prepared, a response the client takes nothing of;
	 * and how long a connection closed after an early answer keeps being read
	 * (http/linger.h). */
	long body_timeout;
	long deferred_timeout;
	long send_timeout;
	long linger;
	long keepalive;          /* lws's keep-alive timeout (info.keepalive_timeout), seconds */
	/* The reverse proxies whose X-Forwarded-For req_peer believes (NULL: none). */
	const struct proxies *proxies;
	/* The quick path (http/quick.h): GET requests for paths under these prefixes (NULL
	 * ends the list; NULL: none) are answered beside lws when they come in their simplest
	 * shape. Their handlers must answer at once (never req_defer) and need no credentials.
	 * io_start has the service loop call fn(arg) each time fd can take more output, until
	 * io_stop; NULL: no quick path. */
	const char *const *quick_prefixes;
	void *(*io_start)(void *loop, int fd, void (*fn)(void *arg), void *arg);
	void (*io_stop)(void *loop, void *io);
	/* Has the loop report fd writeable to lws on this pass, as if it had seen it so
	 * (http_settle); NULL: lws_service_fd is told instead. */
	void (*feed_writeable)(void *loop, int fd);
	void *loop;
};

/* What lws keeps per HTTP connection (the protocol's per-session data). */
struct http_session {
	struct req *req;       /* the exchange under way or last answered, or NULL */
	long long discarded;   /* a lingering connection: bytes read and dropped */
};

/* Told that a pending request went away (its connection closed) before it was answered. */
typedef void (*req_gone_fn)(void *holder);

struct req {
	const struct http_ctx *ctx;
	struct server *srv;      /* ctx->srv, for handlers */
	struct lws *wsi;
	enum http_method method;
	const char *method_name;
	struct req_arg { char *name, *value; } *args; /* grown as read (req_add_arg) */
	int nargs, args_cap;
	int args_lent;           /* the first args_lent strings are not r's (the quick path's) */
	char *params[REQ_MAX_PARAMS]; /* {x} segments of the route pattern, in order */
	int nparams;
	bool peer_known;
	long long content_length; /* -1 when absent */
	struct buf body;
	bool body_read;           /* lws reported the body's end */
	bool http10;              /* an HTTP/1.0 request: no chunked answer (close-delimited) */
	bool authed;
	const char *route_name; /* the pattern of the route that matched (metrics), or NULL */
	int64_t started_ns;

	/* the response */
	int status;
	const char *ctype;
	struct buf out;
	int nheaders;
	bool close_after;
	bool pending;      /* the answer comes later: req_defer */
	req_gone_fn gone;  /* told if the request goes first; NULL: no one holds it */
	void *holder;
	bool broken; /* the response could not be built: close the connection */
	/* streaming a file range instead of out */
	int fd;
	long long stream_off, stream_left, stream_total;
	bool streaming;
	size_t sent_head; /* bytes of the header block already handed to lws */
	unsigned char *head;
	size_t head_len;
	bool head_only; /* HEAD: headers with the GET's length, no body */
	/* a body another thread produces while it is sent (http/feed.h), instead of out */
	struct http_feed *feed;
	bool rx_held;   /* pending: lws reads no more of the connection (http.c, hold_rx) */

	/* deadlines (http/watch.h) */
	enum req_phase { PHASE_HEAD, PHASE_BODY, PHASE_PENDING, PHASE_SENDING, PHASE_DONE } phase;
	int64_t phase_ms;    /* when the phase began (monotonic milliseconds) */
	int64_t progress_ms; /* PHASE_SENDING: when the client last took bytes */
	long long outq;      /* PHASE_SENDING: bytes in the socket's send queue at the last sweep */
	struct req *watch_prev, *watch_next;

	/* The text buffers, last: a request used again (http_int.h, req_recycle) empties them
	 * by their first byte rather than clearing 4 KiB. */
	char path[1024];
	char peer[64];           /* req_peer's answer, once asked */
	char host[256];
	char authorization[512];
	char range[128];
	char content_type[128];
	char if_none_match[128];
	struct user user;        /* when authed */
	struct { const char *name; char value[160]; } headers[REQ_MAX_HEADERS]; /* nheaders of them */
};

/* Query parameter by name (already URL-decoded), or NULL. */
const char *req_arg(const struct req *r, const char *name);
/* Adds a query parameter, taking name and value (freed with r, or here on failure).
 * Returns -1 when out of memory or past REQ_MAX_ARGS. */
int req_add_arg(struct req *r, char *name, char *value);
/* The client's address ("" when unknown): the socket's peer, or behind a trusted proxy the
 * address its X-Forwarded-For gives (http/proxies.h); looked up on first use: only sign-in and
 * sign-up need it, and a stream request should not pay a getpeername for it. */
const char *req_peer(struct req *r);

/* Response builders. Each replaces any response set before. */
void reply_json(struct req *r, int status, json_t *body); /* steals body */
void reply_error(struct req *r, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void reply_text(struct req *r, int status, const char *ctype, const char *text);
void reply_empty(struct req *r, int status);
void reply_header(struct req *r, const char *name, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The same with value as it is (cut to fit): for the per-request headers of a stream. */
void reply_header_str(struct req *r, const char *name, const char *value);

/* The base URL clients use to reach this server ("http://host:port"), no trailing slash. */
void req_base_url(const struct req *r, char *out, size_t len);

/* Parses the request body as a JSON object (or NULL body when allowed). On failure it replies
 * 400 with a message and returns NULL. The caller owns the result. */
json_t *req_json_body(struct req *r, bool allow_empty);
/* The request body as any JSON value (an array too); replies 400 and returns NULL as above. */
json_t *req_json_value(struct req *r);

/* Leaves r pending: the handler returns without a response, and whoever holds r (a job, a
 * Connect device's answer) answers it later on the service loop -- reply_*, then http_resume.
 * If the connection closes first, gone(holder) runs once, on the loop, and r must not be
 * touched again. Called again, it names the new holder; gone NULL forgets the holder (r stays
 * pending, and goes unanswered). */
void req_defer(struct req *r, req_gone_fn gone, void *holder);

/* Sends the response of a pending request; its holder is forgotten. */
void http_resume(struct req *r);

/* Readies the keep-alive connections whose exchange ended on this pass of the service loop
 * to read their next request, without the writeable round trip lws would wait for
 * (http.c). The loop calls it before each wait; cx is its lws context. */
struct lws_context;
void http_settle(struct lws_context *cx);

/* The quick path's look at n bytes lws just read from fd into buf (http/quick.h), for the
 * executable's recv (connect/wsguard.h): n to hand them on to lws, or -1 with errno EAGAIN
 * when they were a request answered here (ECONNRESET: lws closes the connection). */
#include <sys/types.h>
ssize_t http_quick_rx(int fd, void *buf, size_t n);
/* The recv hook cli/serve.c installs: the request head's bound (http/headguard.h), then the
 * quick path. n, or -1 with errno set (EAGAIN: answered here; ECONNRESET: refused, close). */
ssize_t http_rx(int fd, void *buf, size_t n);

/* lws protocol callback for plain HTTP; registered by cli/serve.c. */
int http_callback(struct lws *wsi, int reason, void *user, void *in, size_t len);

#endif
