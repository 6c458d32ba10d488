#include "config.h"
#include "http/http.h"

#include <errno.h>
#include <limits.h>
#include <libwebsockets.h>
#include <linux/sockios.h>
#include <sodium.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http/fdcache.h"
#include "http/feed.h"
#include "asciiset.h"
#include "decimal.h"
#include "http/headguard.h"
#include "http/proxies.h"
#include "http/http_int.h"
#include "http/jobs.h"
#include "http/linger.h"
#include "http/metrics.h"
#include "http/pipeline.h"
#include "http/quick.h"
#include "http/utf8.h"
#include "http/watch.h"
#include "log.h"

/* Audio goes out in slices, one slice per writeable event, so that a slow reader costs one
 * slice of memory and a fast one few system calls. */
#define STREAM_SLICE HTTP_STREAM_SLICE

static unsigned char slice[LWS_PRE + STREAM_SLICE];

/* The route name of requests no route took (metrics keys it by address). */
static const char unmatched[] = "unmatched";

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

const char *req_arg(const struct req *r, const char *name)
{
	/* (the first byte first: a signed link's four names differ in it) */
	for (int i = 0; i < r->nargs; i++)
		if (r->args[i].name[0] == name[0] && !strcmp(r->args[i].name, name))
			return r->args[i].value;
	return NULL;
}

const char *req_peer(struct req *r)
{
	char peer[sizeof r->peer], xff[512];

	if (r->peer_known)
		return r->peer;
	r->peer_known = true;
	if (!lws_get_peer_simple(r->wsi, peer, sizeof peer)) {
		r->peer[0] = '\0';
		return r->peer;
	}
	/* The header is read only from a trusted proxy: anyone else's is not believed. */
	if (r->ctx->proxies && proxies_trusted(r->ctx->proxies, peer) &&
	    lws_hdr_total_length(r->wsi, WSI_TOKEN_X_FORWARDED_FOR) > 0 &&
	    lws_hdr_copy(r->wsi, xff, sizeof xff, WSI_TOKEN_X_FORWARDED_FOR) > 0)
		proxies_client(r->ctx->proxies, peer, xff, r->peer, sizeof r->peer);
	else
		snprintf(r->peer, sizeof r->peer, "%s", peer);
	return r->peer;
}

static void reset_response(struct req *r)
{
	buf_reset(&r->out);
	r->nheaders = 0;
	r->ctype = NULL;
	if (r->fd >= 0)
		fdcache_close(r->fd);
	r->fd = -1;
	r->streaming = false;
}

void reply_json(struct req *r, int status, json_t *body)
{
	char *s;

	reset_response(r);
	r->status = status;
	r->ctype = "application/json";
	s = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	if (!s) {
		r->status = 500;
		buf_puts(&r->out, "{\"error\":{\"status\":500,\"message\":\"out of memory\"}}");
		return;
	}
	buf_puts(&r->out, s);
	free(s);
}

/* Messages often quote the request (a path, a parameter): whatever bytes it held, the
 * message is made valid UTF-8, which is all JSON can carry, so that quoting it can never
 * turn the answer into a 500. */
void reply_error(struct req *r, int status, const char *fmt, ...)
{
	char msg[512], safe[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	utf8_escape(msg, safe, sizeof safe);
	reply_json(r, status, json_pack("{s:{s:i,s:s}}", "error", "status", status, "message", safe));
}

void reply_text(struct req *r, int status, const char *ctype, const char *text)
{
	reset_response(r);
	r->status = status;
	r->ctype = ctype;
	buf_puts(&r->out, text);
}

void reply_empty(struct req *r, int status)
{
	reset_response(r);
	r->status = status;
}

void reply_header(struct req *r, const char *name, const char *fmt, ...)
{
	va_list ap;

	if (r->nheaders == REQ_MAX_HEADERS)
		return;
	r->headers[r->nheaders].name = name;
	va_start(ap, fmt);
	vsnprintf(r->headers[r->nheaders].value, sizeof r->headers[0].value, fmt, ap);
	va_end(ap);
	r->nheaders++;
}

void reply_header_str(struct req *r, const char *name, const char *value)
{
	size_t n = strlen(value), cap = sizeof r->headers[0].value;

	if (r->nheaders == REQ_MAX_HEADERS)
		return;
	if (n >= cap)
		n = cap - 1;
	r->headers[r->nheaders].name = name;
	memcpy(r->headers[r->nheaders].value, value, n);
	r->headers[r->nheaders].value[n] = '\0';
	r->nheaders++;
}

void req_base_url(const struct req *r, char *out, size_t len)
{
	if (r->ctx->public_url[0])
		snprintf(out, len, "%s", r->ctx->public_url);
	else
		snprintf(out, len, "http://%s", r->host[0] ? r->host : r->ctx->listen);
	size_t n = strlen(out);
	if (n && out[n - 1] == '/')
		out[n - 1] = '\0';
}

json_t *req_json_value(struct req *r)
{
	json_error_t e;
	json_t *j;

	if (!r->body.len) {
		reply_error(r, 400, "a JSON request body is required");
		return NULL;
	}
	j = json_loadb(r->body.p, r->body.len, JSON_REJECT_DUPLICATES, &e);
	if (!j) {
		if (json_error_code(&e) == json_error_invalid_utf8) {
			reply_error(r, 400, "the JSON body is not valid UTF-8 (at byte %d)", e.position);
			return NULL;
		}
		reply_error(r, 400, "malformed JSON body: %s (line %d, column %d)", e.text, e.line,
		            e.column);
		return NULL;
	}
	return j;
}

json_t *req_json_body(struct req *r, bool allow_empty)
{
	json_t *j;

	if (!r->body.len && allow_empty)
		return json_object();
	if (!(j = req_json_value(r)))
		return NULL;
	if (!json_is_object(j)) {
		json_decref(j);
		reply_error(r, 400, "the JSON body must be an object");
		return NULL;
	}
	return j;
}

static void check_deadline(struct req *r, int64_t now);

/* Everything r holds, let go; r itself and its args array stay. wipe: the bytes of the
 * Authorization header to clear (all of them, unless the caller knows how many were used). */
static void req_clean(struct req *r, size_t wipe)
{
	watch_del(r);
	for (int i = r->args_lent; i < r->nargs; i++) {
		free(r->args[i].name);
		free(r->args[i].value);
	}
	r->nargs = r->args_lent = 0;
	for (int i = 0; i < r->nparams; i++)
		free(r->params[i]);
	r->nparams = 0;
	if (r->gone)
		r->gone(r->holder); /* the answer has nowhere to go */
	r->gone = NULL;
	http_feed_detach(r); /* its producer stops */
	if (r->fd >= 0) {
		fdcache_close(r->fd);
		r->ctx->metrics->open_streams--;
		r->fd = -1;
	}
	buf_free(&r->body);
	buf_free(&r->out);
	free(r->head);
	r->head = NULL;
	sodium_memzero(r->authorization, wipe);
}

void req_free(struct req *r)
{
	if (!r)
		return;
	req_clean(r, sizeof r->authorization);
	free(r->args);
	free(r);
}

/* What req_new sets beyond zeroes. */
static void req_init(struct req *r, struct lws *wsi)
{
	r->wsi = wsi;
	r->ctx = lws_context_user(lws_get_context(wsi));
	r->srv = r->ctx->srv;
	r->fd = -1;
	r->content_length = -1;
	r->started_ns = now_ns();
	r->phase = PHASE_HEAD;
	r->phase_ms = watch_now_ms();
	watch_add(r, lws_get_context(wsi), check_deadline);
}

void req_retire(struct req *r)
{
	/* Only the quick path retires requests, and its parser writes a header as its value and
	 * a NUL into a buffer that was all zeroes (calloc, then this): past the first NUL the
	 * bytes are still zero. */
	req_clean(r, strnlen(r->authorization, sizeof r->authorization - 1) + 1);
}

struct req *req_recycle(struct req *r, struct lws *wsi)
{
	struct req_arg *args = r->args;
	int cap = r->args_cap;

	memset(r, 0, offsetof(struct req, path));
	r->args = args;
	r->args_cap = cap;
	r->path[0] = r->peer[0] = r->host[0] = r->range[0] = '\0';
	r->content_type[0] = r->if_none_match[0] = '\0';
	memset(&r->user, 0, sizeof r->user);
	req_init(r, wsi);
	return r;
}

static const struct { int token; enum http_method m; const char *name; } methods[] = {
	{ WSI_TOKEN_GET_URI, M_GET, "GET" },
	{ WSI_TOKEN_POST_URI, M_POST, "POST" },
	{ WSI_TOKEN_PUT_URI, M_PUT, "PUT" },
	{ WSI_TOKEN_DELETE_URI, M_DELETE, "DELETE" },
	{ WSI_TOKEN_PATCH_URI, M_PATCH, "PATCH" },
	{ WSI_TOKEN_HEAD_URI, M_HEAD, "HEAD" },
	{ WSI_TOKEN_OPTIONS_URI, M_OPTIONS, "OPTIONS" },
};

static void copy_header(struct lws *wsi, enum lws_token_indexes t, char *out, size_t len)
{
	out[0] = '\0';
	if (lws_hdr_total_length(wsi, t) >= (int)len || lws_hdr_copy(wsi, out, (int)len, t) < 0)
		out[0] = '\0';
}

/* The array grows with the parameters, so a request (kept by an idle kept-alive
 * connection until its next one) holds room for the parameters it has, not for the most. */
static int grow_args(struct req *r)
{
	int cap;
	struct req_arg *p;

	if (r->nargs < r->args_cap)
		return 0;
	cap = r->args_cap ? r->args_cap * 2 : 8;
	if (!(p = realloc(r->args, (size_t)cap * sizeof *p)))
		return -1;
	r->args = p;
	r->args_cap = cap;
	return 0;
}

int req_add_arg(struct req *r, char *name, char *value)
{
	if (!name || !value || r->nargs == REQ_MAX_ARGS || grow_args(r) < 0)
		goto fail;
	r->args[r->nargs].name = name;
	r->args[r->nargs].value = value;
	r->nargs++;
	return 0;
fail:
	free(name);
	free(value);
	return -1;
}

int req_lend_arg(struct req *r, char *name, char *value)
{
	if (r->nargs != r->args_lent || r->nargs == REQ_MAX_ARGS || grow_args(r) < 0)
		return -1;
	r->args[r->nargs].name = name;
	r->args[r->nargs].value = value;
	r->nargs++;
	r->args_lent++;
	return 0;
}

static int read_args(struct req *r)
{
	char frag[4096];

	for (int i = 0; r->nargs < REQ_MAX_ARGS; i++) {
		int n = lws_hdr_copy_fragment(r->wsi, frag, sizeof frag, WSI_TOKEN_HTTP_URI_ARGS, i);
		char *eq;

		if (n < 0)
			break;
		eq = strchr(frag, '=');
		if (eq)
			*eq = '\0';
		if (req_add_arg(r, strdup(frag), strdup(eq ? eq + 1 : "")) < 0)
			return -1;
	}
	return 0;
}

const char *http_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 206: return "Partial Content";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 411: return "Length Required";
	case 412: return "Precondition Failed";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 431: return "Request Header Fields Too Large";
	case 416: return "Range Not Satisfiable";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	}
	return "Status";
}

/* Builds the status line and headers for r's response into r->head (after LWS_PRE). */
static int build_head(struct req *r, long long content_length)
{
	size_t cap = 2048;
	unsigned char *p, *end;

	free(r->head);
	r->head = malloc(LWS_PRE + cap);
	if (!r->head)
		return -1;
	p = r->head + LWS_PRE;
	end = p + cap;
	char line[64];
	int n = snprintf(line, sizeof line, "HTTP/1.1 %d %s", r->status, http_reason(r->status));

	/* lws knows few reason phrases; write the status line ourselves. */
	if (lws_add_http_header_by_name(r->wsi, NULL, (unsigned char *)line, n, &p, end))
		return -1;
	if (r->ctype && lws_add_http_header_by_token(r->wsi, WSI_TOKEN_HTTP_CONTENT_TYPE,
	                                             (const unsigned char *)r->ctype,
	                                             (int)strlen(r->ctype), &p, end))
		return -1;
	/* A length of -1: a body produced while it is sent (http/feed.h), framed in chunks; to
	 * an HTTP/1.0 client, delimited by the close (prepare_response). */
	if (r->status != 204 && r->status != 304 && content_length >= 0 &&
	    lws_add_http_header_content_length(r->wsi, (lws_filepos_t)content_length, &p, end))
		return -1;
	if (r->status != 204 && r->status != 304 && content_length < 0 && !r->http10 &&
	    lws_add_http_header_by_token(r->wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING,
	                                 (const unsigned char *)"chunked", 7, &p, end))
		return -1;
	for (int i = 0; i < r->nheaders; i++)
		if (lws_add_http_header_by_name(r->wsi, (const unsigned char *)r->headers[i].name,
		                                (const unsigned char *)r->headers[i].value,
		                                (int)strlen(r->headers[i].value), &p, end))
			return -1;
	if (r->close_after &&
	    lws_add_http_header_by_token(r->wsi, WSI_TOKEN_CONNECTION, (const unsigned char *)"close", 5, &p, end))
		return -1;
	if (lws_finalize_http_header(r->wsi, &p, end))
		return -1;
	r->head_len = (size_t)(p - (r->head + LWS_PRE));
	return 0;
}

static void record(struct req *r)
{
	const char *route = r->route_name ? r->route_name : unmatched;

	metrics_request(r->ctx->metrics, r->method_name, route, r->status,
	                (double)(now_ns() - r->started_ns) / 1e9);
}

static int write_response(struct req *r);

/* Keep-alive without a writeable round trip. lws 4.1.6 ends an exchange
 * (lws_http_transaction_completed) by parking the connection in a "deferring" state and
 * asking for POLLOUT: it reads the next request only once the socket has been seen writeable
 * again. That cost every request two epoll_ctl calls (POLLOUT on, then off) and a pass of the
 * loop, though the answer had gone out whole. The connections parked so are listed here, and
 * before the loop waits again (http_settle) each is handed the writeable event it waits for,
 * through lws_service_fd, lws's entry for events a foreign loop saw: lws turns POLLOUT off and
 * makes the connection ready to read. The loop applies interest changes only when it is about
 * to wait, so on and off cancel out. Listed are only connections that are in that state for
 * sure: their answer is all in the socket (lws holds none of it) and their request body was
 * read to the end (else lws goes on discarding it instead); a connection that closes first
 * leaves the list (http_callback). */
static struct lws **parked;
static size_t nparked, parked_cap;

static void park(struct lws *wsi)
{
	if (nparked == parked_cap) {
		size_t cap = parked_cap ? parked_cap * 2 : 64;
		struct lws **p = realloc(parked, cap * sizeof *p);

		if (!p)
			return; /* lws's own writeable round trip settles it */
		parked = p;
		parked_cap = cap;
	}
	parked[nparked++] = wsi;
}

static void unpark(struct lws *wsi)
{
	for (size_t i = 0; i < nparked; i++)
		if (parked[i] == wsi) {
			parked[i] = parked[--nparked];
			return;
		}
}

void http_settle(struct lws_context *cx)
{
	const struct http_ctx *ctx = lws_context_user(cx);

	/* Taken from the end: a connection that closes meanwhile leaves the list (unpark). */
	while (nparked) {
		struct lws *wsi = parked[--nparked];
		struct lws_pollfd pfd = { .fd = lws_get_socket_fd(wsi), .events = LWS_POLLOUT,
		                          .revents = LWS_POLLOUT };

		/* On libev, through the loop, as if the descriptor had been seen writeable: then
		 * lws's plugin also goes on to what lws holds for the connection (a request
		 * pipelined behind the answered one), which it does only after a descriptor
		 * event. */
		if (ctx->feed_writeable)
			ctx->feed_writeable(ctx->loop, pfd.fd);
		else
			lws_service_fd(cx, &pfd);
	}
}

/* The handler has produced a response: its status line and headers, its record, and from
 * here on its deadline. */
long long http_body_length(const struct req *r)
{
	if (r->status == 204 || r->status == 304)
		return 0;
	if (r->feed)
		return http_feed_length(r);
	return r->streaming ? r->stream_left : (long long)r->out.len;
}

void http_answered(struct req *r)
{
	record(r);
	r->phase = PHASE_SENDING;
	r->progress_ms = watch_now_ms();
	r->outq = LLONG_MAX;
}

static void prepare_response(struct req *r)
{
	/* Every path an answer takes comes here (at once, resumed after a job or the hub, a
	 * deadline's 503, an early refusal): a HEAD's answer is headers alone on each, or the
	 * body would be read as the next answer on a kept-alive connection. */
	if (r->method == M_HEAD)
		r->head_only = true;
	/* HTTP/1.0 has no chunked encoding (RFC 9112 7.1): a body of unknown length goes to
	 * such a client as it is, and its end is the connection's close. */
	if (r->http10 && r->feed && http_body_length(r) < 0)
		r->close_after = true;
	if (build_head(r, http_body_length(r)) < 0) {
		log_err("http: cannot build response headers");
		free(r->head);
		r->head = NULL;
		r->broken = true;
	}
	http_answered(r);
	/* From here http_send_timeout is the deadline (check_deadline). lws's request timeout
	 * (http_header_timeout), still armed after a GET, would cut a stream that lasts longer
	 * than it: a player reading at its bitrate lost its stream after 30 s, the kernel's
	 * queue later. */
	lws_set_timeout(r->wsi, NO_PENDING_TIMEOUT, 0);
}

/* Answers from a writeable event: for a response finished outside the connection's own
 * callback (a job's, drained on another), and for early answers, which close through a
 * lingering close. */
static void respond(struct req *r)
{
	prepare_response(r);
	lws_callback_on_writable(r->wsi);
}

/* Answers from the connection's own callback: at once when lws holds no output of it, which
 * spares a writeable round trip (two epoll_ctl calls and a pass of the loop) per request;
 * what the socket does not take waits for writeable as before. Returns the callback's value
 * (-1: close). */
static int respond_now(struct req *r)
{
	prepare_response(r);
	if (r->broken || lws_partial_buffered(r->wsi)) {
		lws_callback_on_writable(r->wsi);
		return 0;
	}
	return write_response(r);
}

/* While r waits for its answer, lws must read no more of the connection: with a request
 * pipelined behind r in its buffer, lws 4.1.6 reports r's body complete again on every turn
 * of the loop (a core held until the answer comes, up to http_deferred_timeout), or parses
 * the next request over r. Released before the answer is written: lws serves no writeable
 * event to an h1 connection that is flow-controlled. */
static void hold_rx(struct req *r)
{
	if (!r->rx_held && !lws_rx_flow_control(r->wsi, 0))
		r->rx_held = true;
}

static void release_rx(struct req *r)
{
	if (r->rx_held) {
		r->rx_held = false;
		lws_rx_flow_control(r->wsi, 1);
	}
}

void req_defer(struct req *r, req_gone_fn gone, void *holder)
{
	r->pending = true;
	r->gone = gone;
	r->holder = gone ? holder : NULL;
}

void http_resume(struct req *r)
{
	r->pending = false;
	r->gone = NULL;
	r->holder = NULL;
	if (!r->status)
		reply_error(r, 500, "the handler produced no response");
	release_rx(r);
	respond(r);
}

/* Returns the callback's value. */
static int dispatch(struct req *r)
{
	r->ctx->dispatch(r);
	if (r->pending) {
		/* Its holder will finish it (http_resume), within http_deferred_timeout: lws's own
		 * request timeout (the header timeout, still armed after a bodiless PUT) is
		 * not the deadline for that. */
		r->phase = PHASE_PENDING;
		r->phase_ms = watch_now_ms();
		lws_set_timeout(r->wsi, NO_PENDING_TIMEOUT, 0);
		hold_rx(r);
		return 0;
	}
	if (!r->status)
		reply_error(r, 500, "the handler produced no response");
	return respond_now(r);
}

/* The most one writeable event sends of a file, so one fast reader cannot hold the loop. */
#define SEND_BUDGET (1024 * 1024)

/* Sends what the socket takes of the file range, straight from the page cache. Returns 1
 * when the range is done, 0 when the socket is full (wait for writeable), -1 on error.
 * Called from a writeable event or from the connection's own callback, when lws holds no
 * output of its own for this connection, so bytes cannot overtake each other. */
int http_send_file_part(struct req *r)
{
	int sock = lws_get_socket_fd(r->wsi);
	long long budget = SEND_BUDGET;

	while (r->stream_left > 0 && budget > 0) {
		size_t want = (size_t)(r->stream_left < budget ? r->stream_left : budget);
		off_t off = (off_t)r->stream_off;
		ssize_t n = sendfile(sock, r->fd, &off, want);

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return 0;
		if (n <= 0) {
			log_err("stream: sending failed: %s", n < 0 ? strerror(errno) : "the file shrank");
			return -1;
		}
		r->stream_off += n;
		r->stream_left -= n;
		r->progress_ms = watch_now_ms();
		budget -= n;
		r->ctx->metrics->bytes_streamed += (uint64_t)n;
		if ((size_t)n < want)
			return 0;
	}
	return r->stream_left == 0;
}

/* Sends the status line and headers of a file's answer, ahead of its bytes. Not with
 * MSG_MORE: corking the headers to share a segment with the file's first bytes doubled the
 * kernel's time per 64 KiB range on loopback (34 against 17 us, with BBR's pacing), for one
 * segment fewer. Whatever the socket does not take is left to lws, which then reports
 * writeable only once it has flushed it. Returns 1 when all was sent, 0 when lws holds a
 * remainder, -1 on error. */
static int send_head(struct req *r, unsigned char *buf, size_t n)
{
	ssize_t sent = send(lws_get_socket_fd(r->wsi), buf, n, MSG_NOSIGNAL | MSG_DONTWAIT);

	if (sent < 0 && errno != EAGAIN && errno != EINTR)
		return -1;
	if (sent < 0)
		sent = 0;
	if ((size_t)sent == n)
		return 1;
	if (lws_write(r->wsi, buf + sent, n - (size_t)sent, LWS_WRITE_HTTP) != (int)(n - (size_t)sent))
		return -1;
	return 0;
}

/* Writes the response: headers and a small body in one send, or headers and then the file
 * range. Returns -1 to close the connection. */
static int write_response(struct req *r)
{
	struct lws *wsi = r->wsi;

	if (r->broken)
		return -1;
	if (r->head) {
		bool has_body = !r->head_only && r->status != 204 && r->status != 304;
		size_t n = r->head_len;
		unsigned char *buf = slice + LWS_PRE;

		memcpy(buf, r->head + LWS_PRE, r->head_len);
		free(r->head);
		r->head = NULL;
		if (r->feed && has_body) {
			/* the body follows as the producer makes it */
			if (lws_write(wsi, buf, n, LWS_WRITE_HTTP) != (int)n)
				return -1;
			if (lws_partial_buffered(wsi)) {
				lws_callback_on_writable(wsi);
				return 0;
			}
		} else if (r->streaming && has_body && r->stream_left > 0) {
			int rc = send_head(r, buf, n);

			if (rc < 0)
				return -1;
			if (rc == 0) {
				lws_callback_on_writable(wsi);
				return 0;
			}
		} else if (has_body && !r->streaming && r->out.len > STREAM_SLICE - n) {
			/* A large JSON body: lws keeps whatever the socket does not take yet. */
			if (lws_write(wsi, buf, n, LWS_WRITE_HTTP) != (int)n ||
			    lws_write(wsi, (unsigned char *)r->out.p, r->out.len, LWS_WRITE_HTTP_FINAL) != (int)r->out.len)
				return -1;
			goto done;
		} else {
			if (has_body && !r->streaming && r->out.len) {
				memcpy(buf + n, r->out.p, r->out.len);
				n += r->out.len;
			}
			if (lws_write(wsi, buf, n, LWS_WRITE_HTTP_FINAL) != (int)n)
				return -1;
			goto done;
		}
	}
	if (r->streaming && r->stream_left > 0) {
		int rc = http_send_file_part(r);

		if (rc < 0)
			return -1;
		if (rc == 0) {
			lws_callback_on_writable(wsi);
			return 0;
		}
	}
	if (r->feed && !r->head_only) {
		int rc = http_feed_send(r);

		if (rc <= 0)
			return rc;
	}
done:
	http_feed_detach(r);
	if (r->fd >= 0) {
		fdcache_close(r->fd);
		r->fd = -1;
		r->ctx->metrics->open_streams--;
	}
	if (r->close_after) {
		/* The answer may have come before the body was read: close only once it is all
		 * out, and through a lingering close so the client gets to read it. */
		if (lws_partial_buffered(wsi)) {
			lws_callback_on_writable(wsi);
			return 0;
		}
		r->phase = PHASE_DONE;
		/* A body read to its end leaves nothing to drain: no lingering copy then. */
		if (!(r->content_length > 0 && r->body_read))
			linger_hand_off(wsi);
		return -1;
	}
	r->phase = PHASE_DONE;
	/* (r is gone once the exchange is completed: lws drops the protocol's data with it) */
	bool settle = !lws_partial_buffered(wsi) && (r->content_length <= 0 || r->body_read);
	if (lws_http_transaction_completed(wsi))
		return -1;
	if (settle) {
		park(wsi);
		quick_ready(wsi);
		headguard_ready(wsi);
	}
	return 0;
}

/* Once a second (http/watch.h): the deadlines lws does not keep. */
static void check_deadline(struct req *r, int64_t now)
{
	const struct http_ctx *ctx = r->ctx;
	int queued;

	switch (r->phase) {
	case PHASE_BODY:
		/* lws only times each gap between parts of a body: one byte every few seconds
		 * would hold the connection for as long as the body is long. */
		if (now - r->phase_ms < ctx->body_timeout * 1000)
			return;
		reply_error(r, 408, "the request body did not arrive within %ld s", ctx->body_timeout);
		r->close_after = true;
		respond(r);
		return;
	case PHASE_PENDING:
		if (now - r->phase_ms < ctx->deferred_timeout * 1000)
			return;
		log_info("http: %s %s: no answer within %ld s", r->method_name, r->path,
		         ctx->deferred_timeout);
		if (r->gone)
			r->gone(r->holder); /* its holder forgets it, as if the client had left */
		r->pending = false;
		r->gone = NULL;
		r->holder = NULL;
		reply_error(r, 503, "the answer was not ready within %ld s", ctx->deferred_timeout);
		release_rx(r);
		respond(r);
		return;
	case PHASE_SENDING:
		/* Progress is the client taking bytes: the socket's send queue shrinking (a player
		 * reading at its bitrate drains it slowly, and the loop may hear of it only when
		 * half of it has gone), or the loop handing the socket more. */
		if (ioctl(lws_get_socket_fd(r->wsi), SIOCOUTQ, &queued) == 0) {
			if (queued == 0 || queued < r->outq)
				r->progress_ms = now;
			r->outq = queued;
		}
		if (now - r->progress_ms < ctx->send_timeout * 1000)
			return;
		log_info("http: %s %s: the client took nothing of the answer for %ld s; closing",
		         r->method_name, r->path, ctx->send_timeout);
		r->phase = PHASE_DONE;
		lws_set_timeout(r->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
		return;
	default:
		return;
	}
}

struct req *req_new(struct lws *wsi)
{
	struct req *r = calloc(1, sizeof *r);

	if (r)
		req_init(r, wsi);
	return r;
}

/* A-Z a-z 0-9 - . _ ~ : [ ] %: the characters of a name, an IPv4 or IPv6 address (with a
 * zone) and a port. */
#define HOST_BITS(w) (ASCIISET_UNRESERVED_BITS(w) | ASCIISET_CHAR(w, ':') | \
	ASCIISET_CHAR(w, '[') | ASCIISET_CHAR(w, ']') | ASCIISET_CHAR(w, '%'))

/* A Host is a name or address and a port; it goes into the URLs of answers (every request's
 * Host is checked). */
bool http_host_ok(const char *h)
{
	static const struct asciiset host = ASCIISET_OF(HOST_BITS);

	return asciiset_all(&host, h);
}

/* How the body is framed: Content-Length, strictly, and nothing else. Returns false with
 * the answer set. */
static bool read_framing(struct req *r)
{
	struct lws *wsi = r->wsi;
	int cl_len = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH);
	char cl[24];

	/* lws takes no chunked bodies: it would frame the body by Content-Length, or see none,
	 * and read what follows as another request; behind a proxy that honours
	 * Transfer-Encoding, that is request smuggling. */
	if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING)) {
		if (cl_len)
			reply_error(r, 400, "Content-Length and Transfer-Encoding together are refused");
		else
			reply_error(r, 411, "a request body needs a Content-Length; Transfer-Encoding is "
			            "not accepted");
		return false;
	}
	if (!cl_len)
		return true;
	if (cl_len >= (int)sizeof cl || lws_hdr_copy(wsi, cl, sizeof cl, WSI_TOKEN_HTTP_CONTENT_LENGTH) < 0 ||
	    !decimal_parse(cl, &r->content_length)) {
		/* Digits only (lib/decimal.h): a sign, spaces, hex or a list (lws joins repeated
		 * headers with commas) is refused rather than guessed at: a proxy in front might
		 * read it otherwise and frame the body differently. */
		reply_error(r, 400, "malformed Content-Length (one header, digits only)");
		return false;
	}
	return true;
}

/* Path and query come URL-decoded: any bytes at all. Handlers and their answers (JSON)
 * take UTF-8 only. Returns false with the answer set. */
static bool check_text(struct req *r)
{
	if (!utf8_valid(r->path, strlen(r->path))) {
		reply_error(r, 400, "the request path is not valid UTF-8: %s", r->path);
		return false;
	}
	for (int i = 0; i < r->nargs; i++)
		if (!utf8_valid(r->args[i].name, strlen(r->args[i].name)) ||
		    !utf8_valid(r->args[i].value, strlen(r->args[i].value))) {
			reply_error(r, 400, "the query parameter %s=%s is not valid UTF-8", r->args[i].name,
			            r->args[i].value);
			return false;
		}
	if (!http_host_ok(r->host)) {
		reply_error(r, 400, "malformed Host header: %s", r->host);
		return false;
	}
	return true;
}

/* Reads the request line and headers. Returns false when the request cannot proceed (the
 * response is already set; the connection closes after it). */
static bool begin(struct req *r, const char *path)
{
	struct lws *wsi = r->wsi;
	char version[16];

	for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
		if (lws_hdr_total_length(wsi, methods[i].token)) {
			r->method = methods[i].m;
			r->method_name = methods[i].name;
			break;
		}
	if (!r->method) {
		r->method_name = "OTHER";
		reply_error(r, 405, "method not supported");
		return false;
	}
	if (strlen(path) >= sizeof r->path) {
		reply_error(r, 414, "the request path is too long");
		return false;
	}
	strcpy(r->path, path);
	/* (on a server, lws keeps the request line's version under WSI_TOKEN_HTTP) */
	r->http10 = lws_hdr_copy(wsi, version, sizeof version, WSI_TOKEN_HTTP) > 0 &&
	            !strcmp(version, "HTTP/1.0");
	copy_header(wsi, WSI_TOKEN_HOST, r->host, sizeof r->host);
	copy_header(wsi, WSI_TOKEN_HTTP_AUTHORIZATION, r->authorization, sizeof r->authorization);
	copy_header(wsi, WSI_TOKEN_HTTP_RANGE, r->range, sizeof r->range);
	copy_header(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE, r->content_type, sizeof r->content_type);
	copy_header(wsi, WSI_TOKEN_HTTP_IF_NONE_MATCH, r->if_none_match, sizeof r->if_none_match);
	if (!read_framing(r))
		return false;
	if (read_args(r) < 0) {
		reply_error(r, 500, "out of memory");
		return false;
	}
	if (lws_hdr_fragment_length(wsi, WSI_TOKEN_HTTP_URI_ARGS, REQ_MAX_ARGS) > 0) {
		reply_error(r, 414, "too many query parameters (at most %d)", REQ_MAX_ARGS);
		return false;
	}
	if (!check_text(r))
		return false;
	if ((r->method & (M_POST | M_PUT | M_PATCH)) && r->content_length < 0) {
		/* lws would wait for a body of unknown length; chunked uploads are not needed. */
		reply_error(r, 411, "Content-Length is required");
		return false;
	}
	if (r->content_length > r->ctx->max_body) {
		reply_error(r, 413, "request body too large (at most %ld bytes)", r->ctx->max_body);
		return false;
	}
	return true;
}

/* lws turns a CONNECT request into a raw connection (it would be a tunnel) without asking:
 * it arrives here as an adopted raw socket that nothing would ever time or close. It is
 * answered 405 on the socket, and closed through a lingering close. Returns -1 (close). */
static int refuse_raw(struct lws *wsi, const struct http_ctx *ctx)
{
	static const char body[] = "{\"error\":{\"status\":405,\"message\":\"method CONNECT not supported\"}}";
	char head[512];
	int n = snprintf(head, sizeof head,
	                 "HTTP/1.1 405 Method Not Allowed\r\ncontent-type: application/json\r\n"
	                 "content-length: %zu\r\nallow: GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS\r\n"
	                 "connection: close\r\n\r\n%s", sizeof body - 1, body);

	/* A fresh socket's send buffer takes these few hundred bytes whole. */
	if (send(lws_get_socket_fd(wsi), head, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) == n)
		linger_hand_off(wsi);
	metrics_request(ctx->metrics, "CONNECT", unmatched, 405, 0);
	return -1;
}

/* Answers a request whose head lws took from its buffer behind another's and that announces a
 * body (http/pipeline.h), then has lws close the connection from LWS_CALLBACK_HTTP, before it
 * reads the body: r's answer goes straight to the socket (what came before it is all there:
 * lws reads the next request only once the previous answer is out), and a lingering close
 * lets the client read it. Returns -1 (close). */
static int refuse_pipelined(struct req *r)
{
	struct lws *wsi = r->wsi;
	unsigned char *buf = slice + LWS_PRE;
	size_t n;

	r->close_after = true;
	prepare_response(r);
	r->phase = PHASE_DONE;
	if (r->broken || lws_partial_buffered(wsi))
		return -1;
	n = r->head_len;
	if (r->out.len <= STREAM_SLICE - n) {
		memcpy(buf, r->head + LWS_PRE, n);
		memcpy(buf + n, r->out.p, r->out.len);
		n += r->out.len;
	}
	/* A few hundred bytes: a send buffer that cannot take them belongs to a client that
	 * reads nothing, who then gets the close alone. */
	if (send(lws_get_socket_fd(wsi), buf, n, MSG_NOSIGNAL | MSG_DONTWAIT) == (ssize_t)n)
		linger_hand_off(wsi);
	return -1;
}

void http_refuse_head(struct lws *wsi, int status, const char *method, bool rest, bool json,
                      const char *fmt, ...)
{
	struct req *r = req_new(wsi);
	unsigned char *buf = slice + LWS_PRE;
	char msg[256];
	va_list ap;
	size_t n;

	if (!r)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	r->method_name = "OTHER";
	for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
		if (!strcmp(method, methods[i].name)) {
			r->method = methods[i].m;
			r->method_name = methods[i].name;
		}
	strcpy(r->path, rest ? "/rest/" : "/");
	if (rest && json && req_add_arg(r, strdup("f"), strdup("json")) < 0)
		goto out;
	if (r->ctx->refuse)
		r->ctx->refuse(r, status, msg);
	else
		reply_error(r, status, "%s", msg);
	log_info("http: %s request refused (%d): %s", r->method_name, status, msg);
	r->close_after = true;
	prepare_response(r);
	r->phase = PHASE_DONE;
	if (r->broken)
		goto out;
	n = r->head_len;
	memcpy(buf, r->head + LWS_PRE, n);
	if (!r->head_only && r->out.len <= STREAM_SLICE - n) {
		memcpy(buf + n, r->out.p, r->out.len);
		n += r->out.len;
	}
	/* lws has sent nothing of this head's answer (none was begun), and a few hundred bytes
	 * go into any send buffer that is not full of an earlier answer the client never read;
	 * that client gets the close alone. */
	if (send(lws_get_socket_fd(wsi), buf, n, MSG_NOSIGNAL | MSG_DONTWAIT) == (ssize_t)n)
		linger_hand_off(wsi);
out:
	req_free(r);
}

int http_callback(struct lws *wsi, int reason, void *user, void *in, size_t len)
{
	const struct http_ctx *ctx = wsi ? lws_context_user(lws_get_context(wsi)) : NULL;
	struct http_session *sess = user;
	struct req **pss = sess ? &sess->req : NULL;
	struct req *r = pss ? *pss : NULL;

	switch (reason) {
	case LWS_CALLBACK_HTTP: {
		bool ok;

		quick_busy(wsi);
		req_free(r);
		r = *pss = req_new(wsi);
		if (!r)
			return -1;
		ok = begin(r, in);
		/* A Content-Length of 0 (or none) frames no body, so lws has none to read; one that
		 * begin() did not take (-1) may be a body to lws. */
		if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH) && r->content_length != 0 &&
		    pipeline_buffered(wsi)) {
			/* lws would read its body wrongly, and for ever (http/pipeline.h). */
			if (ok)
				reply_error(r, 400, "a request with a body cannot follow another on a connection "
				            "before its answer has arrived (pipelining); send it again");
			return refuse_pipelined(r);
		}
		if (!ok) {
			/* Answered before any body was read: the connection cannot carry on. */
			r->close_after = true;
			respond(r);
			return 0;
		}
		/* With a body, wait for it; lws also reports an explicit empty POST body. */
		if (r->content_length > 0 || (r->method == M_POST && r->content_length == 0)) {
			r->phase = PHASE_BODY;
			r->phase_ms = watch_now_ms();
			return 0; /* its input ends at LWS_CALLBACK_HTTP_BODY_COMPLETION */
		}
		if (pipeline_note(wsi) < 0)
			return -1;
		return dispatch(r);
	}
	case LWS_CALLBACK_HTTP_BODY:
		if (!r || r->status)
			return 0; /* already answered (413): discard */
		if ((long long)(r->body.len + len) > r->ctx->max_body) {
			reply_error(r, 413, "request body too large (at most %ld bytes)", r->ctx->max_body);
			r->close_after = true;
			respond(r);
			return 0;
		}
		if (buf_append(&r->body, in, len) < 0)
			return -1;
		return 0;

	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		if (r)
			r->body_read = true;
		if (!r || r->status || r->pending)
			return 0;
		if (pipeline_note(wsi) < 0)
			return -1;
		return dispatch(r);

	case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
		/* A WebSocket's reads are frames, never a request for the quick path, even where
		 * a quick exchange came first on this connection (connect/wsguard.c reads them
		 * once the session opens; this holds from the upgrade on, whatever it does). */
		quick_busy(wsi);
		return ctx->upgrade ? ctx->upgrade(ctx->upgrade_ud, wsi) : -1;

	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
		/* A WebSocket upgrade that names no protocol of ours lands here: refuse it. */
		return -1;

	case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
		/* a job finished (the only cross-thread wake-up lws offers) */
		if (wsi) {
			jobs_drain(ctx->jobs);
			http_feed_drain();
		}
		return 0;

	case LWS_CALLBACK_HTTP_WRITEABLE:
		if (!r || !r->status || r->pending)
			return 0;
		return write_response(r);

	case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
	case LWS_CALLBACK_CLOSED_HTTP:
		unpark(wsi); /* (either may be the last word of a connection that closes) */
		if (reason == LWS_CALLBACK_CLOSED_HTTP) {
			quick_forget(wsi);
			headguard_forget(lws_get_socket_fd(wsi), wsi);
		}
		if (pss) {
			req_free(r);
			*pss = NULL;
		}
		return 0;

	case LWS_CALLBACK_SERVER_NEW_CLIENT_INSTANTIATED:
		headguard_open(wsi);
		fdcache_bind(lws_get_context(wsi));
		break;

	case LWS_CALLBACK_WSI_DESTROY:
		headguard_forget(lws_get_socket_fd(wsi), wsi);
		quick_forget(wsi);
		pipeline_forget(wsi);
		return 0;

	case LWS_CALLBACK_FILTER_NETWORK_CONNECTION:
		/* (user is lws's filter record here, not a session: in is the new descriptor) */
		quick_new_fd(wsi, (int)(intptr_t)in);
		return 0;

	case LWS_CALLBACK_RAW_ADOPT:
		quick_new_fd(wsi, lws_get_socket_fd(wsi));
		headguard_forget(lws_get_socket_fd(wsi), NULL);
		if (!linger_is(wsi))
			return refuse_raw(wsi, ctx);
		linger_adopted(wsi, ctx->linger);
		return 0;

	case LWS_CALLBACK_RAW_RX:
		return linger_is(wsi) && sess ? linger_rx(&sess->discarded, len) : -1;

	case LWS_CALLBACK_RAW_CLOSE:
	case LWS_CALLBACK_RAW_WRITEABLE:
		return 0;

	default:
		break;
	}
	return lws_callback_http_dummy(wsi, (enum lws_callback_reasons)reason, user, in, len);
}
