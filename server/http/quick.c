#include "config.h"
#include "http/quick.h"

#include <errno.h>
#include <libwebsockets.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "asciiset.h"
#include "http/headguard.h"
#include "http/http_int.h"
#include "http/metrics.h"
#include "http/watch.h"
#include "log.h"

/* A status line and headers: what build_head writes for a file or an error, with room. */
#define QUICK_HEAD_MAX 2048
/* A query the quick path reads: a signed link's is about 120 bytes. Longer ones go to lws. */
#define QUICK_QUERY_MAX 512

/* An HTTP connection the quick path knows: one between exchanges, or one whose quick answer
 * is still going out. */
struct quick_conn {
	struct lws *wsi;
	bool ready;          /* its next request may be answered here */
	struct req *r;       /* an answer still going out (the socket was full), or NULL */
	void *io;            /* its writeable watcher meanwhile */
	size_t head_len, head_sent, body_sent;
	struct req *spare;   /* the last exchange's, retired, for the next (req_recycle) */
	int64_t idle_armed_ms; /* when finished() last armed the keep-alive timeout; 0: not armed */
	char head[QUICK_HEAD_MAX];
	char query[QUICK_QUERY_MAX]; /* r's query, split in place: its args point here */
};

/* By descriptor; only the service thread touches it (recv on another never looks). */
static struct {
	struct quick_conn **slot;
	int cap;
	pthread_t owner;
	bool owned;
} conns;

static const struct http_ctx *ctx_of(struct lws *wsi)
{
	return lws_context_user(lws_get_context(wsi));
}

static struct quick_conn *conn_of(int fd)
{
	if (!conns.owned || fd < 0 || fd >= conns.cap || !pthread_equal(conns.owner, pthread_self()))
		return NULL;
	return conns.slot[fd];
}

/* Frees what is kept for fd, touching no lws connection (its own may be gone). */
static void drop(int fd, const struct http_ctx *ctx)
{
	struct quick_conn *c = conns.slot[fd];

	if (c->io)
		ctx->io_stop(ctx->loop, c->io);
	req_free(c->r);
	req_free(c->spare);
	free(c);
	conns.slot[fd] = NULL;
}

void quick_ready(struct lws *wsi)
{
	const struct http_ctx *ctx = ctx_of(wsi);
	int fd = lws_get_socket_fd(wsi);
	struct quick_conn *c;

	if (!ctx->io_start || !ctx->quick_prefixes || fd < 0)
		return;
	if (!conns.owned) {
		conns.owner = pthread_self();
		conns.owned = true;
	}
	if (fd >= conns.cap) {
		int cap = conns.cap ? conns.cap : 1024;
		struct quick_conn **p;

		while (cap <= fd)
			cap *= 2;
		if (!(p = realloc(conns.slot, (size_t)cap * sizeof *p)))
			return; /* lws answers this connection's requests, as before */
		memset(p + conns.cap, 0, (size_t)(cap - conns.cap) * sizeof *p);
		conns.slot = p;
		conns.cap = cap;
	}
	c = conns.slot[fd];
	if (c && c->wsi != wsi) {
		/* (never seen: a descriptor is forgotten when its connection closes) */
		drop(fd, ctx);
		c = NULL;
	}
	if (!c) {
		if (!(c = calloc(1, sizeof *c)))
			return;
		c->wsi = wsi;
		conns.slot[fd] = c;
	}
	c->ready = !c->r;
	c->idle_armed_ms = 0; /* lws armed its own keep-alive after its exchange */
}

void quick_busy(struct lws *wsi)
{
	struct quick_conn *c = conn_of(lws_get_socket_fd(wsi));

	if (c && c->wsi == wsi) {
		c->ready = false;
		c->idle_armed_ms = 0; /* lws answers this one and arms its own timeouts */
	}
}

void quick_forget(struct lws *wsi)
{
	int fd = lws_get_socket_fd(wsi);
	struct quick_conn *c = conn_of(fd);

	if (c && c->wsi == wsi)
		drop(fd, ctx_of(wsi));
}

void quick_new_fd(struct lws *wsi, int fd)
{
	if (conn_of(fd))
		drop(fd, ctx_of(wsi));
}

/* ---- the request ---- */

/* (every byte of a request target is looked up: lib/asciiset.h) */
static bool unreserved(unsigned char ch)
{
	return asciiset_has(&asciiset_unreserved, ch);
}

static bool tchar(unsigned char ch)
{
	return unreserved(ch) || (ch && strchr("!#$%&'*+^`|", ch));
}

/* The request target: a path under a quick prefix, of unreserved characters and slashes with
 * no empty or dot-led segment, and a query of name=value pairs of unreserved characters.
 * Then lws's decoding (percent-escapes, '+', dot segments) would change nothing, so taking the
 * text as it is reads what lws would. The query is copied to q (QUICK_QUERY_MAX bytes) and
 * split there: r's args point into it (lent, not r's). */
static bool read_target(struct req *r, char *q, const char *t, size_t n)
{
	const char *const *pre = r->ctx->quick_prefixes;
	const char *qm = memchr(t, '?', n);
	size_t plen = qm ? (size_t)(qm - t) : n, qlen;
	bool ok = false;

	for (; *pre; pre++)
		if (plen > strlen(*pre) && !strncmp(t, *pre, strlen(*pre)))
			ok = true;
	if (!ok || plen >= sizeof r->path)
		return false;
	for (size_t i = 0; i < plen; i++) {
		unsigned char ch = (unsigned char)t[i];

		if (ch == '/') {
			if (i + 1 < plen && (t[i + 1] == '/' || t[i + 1] == '.'))
				return false;
		} else if (!unreserved(ch)) {
			return false;
		}
	}
	memcpy(r->path, t, plen);
	r->path[plen] = '\0';
	if (!qm)
		return true;
	qlen = n - plen - 1;
	if (qlen >= QUICK_QUERY_MAX)
		return false;
	memcpy(q, qm + 1, qlen);
	q[qlen] = '\0';
	for (char *a = q, *end = q + qlen; a <= end;) {
		char *stop = memchr(a, '&', (size_t)(end - a)), *eq = NULL;

		if (!stop)
			stop = end;
		if (stop == a || r->nargs == REQ_MAX_ARGS)
			return false; /* an empty pair (lws skips it), or too many: lws answers */
		for (char *p = a; p < stop; p++) {
			if (*p == '=' && !eq)
				eq = p;
			else if (!unreserved((unsigned char)*p))
				return false;
		}
		*stop = '\0';
		if (eq)
			*eq = '\0';
		if (req_lend_arg(r, a, eq ? eq + 1 : stop) < 0)
			return false;
		a = stop + 1;
	}
	return true;
}

/* One header line "name: value" (without its CRLF). The ones handlers read are copied; those
 * that change how the exchange is framed or kept (a body, a close, an upgrade) are left to
 * lws, as are repeats of a copied one and anything not plain printable text. */
static bool read_header(struct req *r, const char *l, size_t n, unsigned *seen)
{
	static const struct { const char *name; size_t off, cap; } copied[] = {
		{ "host", offsetof(struct req, host), sizeof ((struct req *)0)->host },
		{ "range", offsetof(struct req, range), sizeof ((struct req *)0)->range },
		{ "if-none-match", offsetof(struct req, if_none_match), sizeof ((struct req *)0)->if_none_match },
		{ "authorization", offsetof(struct req, authorization), sizeof ((struct req *)0)->authorization },
		{ "content-type", offsetof(struct req, content_type), sizeof ((struct req *)0)->content_type },
	};
	static const char *const refused[] = {
		"content-length", "transfer-encoding", "upgrade", "expect", "te", "trailer",
		"http2-settings",
	};
	const char *colon = memchr(l, ':', n), *v, *end = l + n;
	size_t nlen;

	if (!colon || colon == l)
		return false;
	nlen = (size_t)(colon - l);
	for (size_t i = 0; i < nlen; i++)
		if (!tchar((unsigned char)l[i]))
			return false;
	for (v = colon + 1; v < end && (*v == ' ' || *v == '\t'); v++)
		;
	for (const char *p = v; p < end; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			return false;
	if (end > v && end[-1] == ' ')
		return false;
	for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
		if (strlen(refused[i]) == nlen && !strncasecmp(l, refused[i], nlen))
			return false;
	if (nlen == 10 && !strncasecmp(l, "connection", 10))
		return end - v == 10 && !strncasecmp(v, "keep-alive", 10);
	for (size_t i = 0; i < sizeof copied / sizeof copied[0]; i++) {
		if (strlen(copied[i].name) != nlen || strncasecmp(l, copied[i].name, nlen))
			continue;
		if (*seen & (1u << i) || (size_t)(end - v) >= copied[i].cap)
			return false;
		*seen |= 1u << i;
		memcpy((char *)r + copied[i].off, v, (size_t)(end - v));
		((char *)r + copied[i].off)[end - v] = '\0';
		return true;
	}
	return true; /* another header: read by no handler */
}

/* Reads n bytes that end with the blank line of one request and hold nothing else. */
static bool read_request(struct req *r, char *q, const char *p, size_t n)
{
	const char *end = p + n - 2, *eol = memchr(p, '\r', n), *sp;
	unsigned seen = 0;

	/* "GET " target " HTTP/1.1" */
	if (!eol || eol[1] != '\n' || eol - p < 14 || memcmp(p, "GET /", 5) ||
	    memcmp(eol - 9, " HTTP/1.1", 9))
		return false;
	sp = p + 4;
	if (memchr(sp, ' ', (size_t)(eol - 9 - sp)))
		return false;
	if (!read_target(r, q, sp, (size_t)(eol - 9 - sp)))
		return false;
	for (const char *l = eol + 2; l < end; l = eol + 2) {
		eol = memchr(l, '\r', (size_t)(end + 2 - l));
		if (!eol || eol[1] != '\n' || !read_header(r, l, (size_t)(eol - l), &seen))
			return false;
	}
	r->method = M_GET;
	r->method_name = "GET";
	return http_host_ok(r->host); /* else lws answers 400, as it would */
}

/* ---- the answer ---- */

static bool put(char *buf, size_t *at, const char *s, size_t n)
{
	if (*at + n > QUICK_HEAD_MAX)
		return false;
	memcpy(buf + *at, s, n);
	*at += n;
	return true;
}

static bool put_s(char *buf, size_t *at, const char *s)
{
	return put(buf, at, s, strlen(s));
}

static bool put_num(char *buf, size_t *at, long long v)
{
	char d[24];
	size_t i = sizeof d;

	do {
		d[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return put(buf, at, d + i, sizeof d - i);
}

/* The status line and headers, as build_head has lws write them. */
static bool format_head(struct quick_conn *c, const struct req *r)
{
	size_t at = 0;
	bool ok = put_s(c->head, &at, "HTTP/1.1 ") && put_num(c->head, &at, r->status) &&
	          put_s(c->head, &at, " ") && put_s(c->head, &at, http_reason(r->status)) &&
	          put_s(c->head, &at, "\r\n");

	if (ok && r->ctype)
		ok = put_s(c->head, &at, "content-type: ") && put_s(c->head, &at, r->ctype) &&
		     put_s(c->head, &at, "\r\n");
	if (ok && r->status != 204 && r->status != 304)
		ok = put_s(c->head, &at, "content-length: ") &&
		     put_num(c->head, &at, http_body_length(r)) && put_s(c->head, &at, "\r\n");
	for (int i = 0; ok && i < r->nheaders; i++)
		ok = put_s(c->head, &at, r->headers[i].name) && put_s(c->head, &at, " ") &&
		     put_s(c->head, &at, r->headers[i].value) && put_s(c->head, &at, "\r\n");
	ok = ok && put_s(c->head, &at, "\r\n");
	c->head_len = at;
	c->head_sent = c->body_sent = 0;
	return ok;
}

/* Sends what the socket takes of the answer. Returns 1 when it is all out, 0 when the socket
 * is full, -1 on error. */
static int pump(struct quick_conn *c)
{
	struct req *r = c->r;
	int fd = lws_get_socket_fd(c->wsi);

	/* The head, with a small body (an error's JSON) in the same call. */
	while (c->head_sent < c->head_len || (!r->streaming && c->body_sent < r->out.len)) {
		struct iovec iov[2];
		int n = 0;
		ssize_t sent;

		if (c->head_sent < c->head_len)
			iov[n++] = (struct iovec){ c->head + c->head_sent, c->head_len - c->head_sent };
		if (!r->streaming && c->body_sent < r->out.len)
			iov[n++] = (struct iovec){ r->out.p + c->body_sent, r->out.len - c->body_sent };
		sent = sendmsg(fd, &(struct msghdr){ .msg_iov = iov, .msg_iovlen = (size_t)n },
		               MSG_NOSIGNAL | MSG_DONTWAIT);
		if (sent < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		r->progress_ms = watch_now_ms();
		size_t h = c->head_len - c->head_sent < (size_t)sent ? c->head_len - c->head_sent : (size_t)sent;

		c->head_sent += h;
		c->body_sent += (size_t)sent - h;
	}
	if (r->streaming && r->stream_left > 0)
		return http_send_file_part(r);
	return 1;
}

/* The most a kept-alive connection may close early: its timeout is armed again only when the
 * one armed last would fire this much sooner than a fresh one. lws 4.1.6 keeps every timeout
 * of a service thread in one sorted list, and a fresh keep-alive, the latest of them, is
 * inserted after a walk of the whole list: once an exchange, that was 2.6 % of the server's
 * time at 64 connections, and grows with their number. (nginx allows its timers 300 ms.) */
#define IDLE_SLACK_MS 300

/* The answer is out: the connection waits for its next request as lws leaves one between
 * exchanges that keeps its header table (lws attached one to read the request, and 4.1.6 has
 * no public way to give it back): timed by the keep-alive timeout. */
static void finished(struct quick_conn *c)
{
	long keepalive = c->r->ctx->keepalive;
	int64_t now = watch_now_ms(), slack = keepalive * 100 < IDLE_SLACK_MS ? keepalive * 100 : IDLE_SLACK_MS;

	req_retire(c->r);
	c->spare = c->r;
	c->r = NULL;
	c->ready = true;
	headguard_ready(c->wsi);
	if (!keepalive) {
		lws_set_timeout(c->wsi, NO_PENDING_TIMEOUT, 0);
		c->idle_armed_ms = 0;
	} else if (!c->idle_armed_ms || now - c->idle_armed_ms >= slack) {
		lws_set_timeout(c->wsi, PENDING_TIMEOUT_HOLDING_AH, (int)keepalive);
		c->idle_armed_ms = now;
	}
}

static void on_writeable(void *arg)
{
	struct quick_conn *c = arg;
	const struct http_ctx *ctx = ctx_of(c->wsi);
	int rc = pump(c);

	if (rc == 0)
		return;
	ctx->io_stop(ctx->loop, c->io);
	c->io = NULL;
	if (rc < 0) {
		/* The client went: lws closes the connection (quick_forget frees the rest). */
		lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
		return;
	}
	finished(c);
	lws_rx_flow_control(c->wsi, 1);
}

ssize_t http_quick_rx(int fd, void *buf, size_t n)
{
	struct quick_conn *c = conn_of(fd);
	const struct http_ctx *ctx;
	const char *p = buf;
	struct req *r;
	int rc;

	/* One request, whole, and nothing after it: a read that stops anywhere else is lws's.
	 * (A second request after the first would show as an empty header line, which
	 * read_request refuses.) */
	if (!c || !c->ready || n < 4 || memcmp(p + n - 4, "\r\n\r\n", 4))
		return (ssize_t)n;
	r = c->spare ? req_recycle(c->spare, c->wsi) : req_new(c->wsi);
	c->spare = NULL;
	if (!r)
		return (ssize_t)n;
	if (!read_request(r, c->query, p, n)) {
		req_retire(r);
		c->spare = r;
		return (ssize_t)n;
	}
	ctx = r->ctx;
	c->r = r;
	c->ready = false;
	ctx->metrics->quick_requests++;
	ctx->dispatch(r);
	if (r->pending) {
		/* A quick prefix's handler must answer at once (http_ctx): a bug, not the client's. */
		log_err("http: GET %s was deferred on the quick path; closing", r->path);
		goto fail;
	}
	if (!r->status)
		reply_error(r, 500, "the handler produced no response");
	http_answered(r);
	if (!format_head(c, r)) {
		log_err("http: cannot build response headers");
		goto fail;
	}
	rc = pump(c);
	if (rc < 0)
		goto fail;
	if (rc == 1) {
		finished(c);
	} else {
		/* The rest when the socket takes it; lws reads nothing more meanwhile, and the send
		 * deadline (check_deadline) replaces lws's header timeout. */
		lws_set_timeout(c->wsi, NO_PENDING_TIMEOUT, 0);
		c->idle_armed_ms = 0;
		lws_rx_flow_control(c->wsi, 0);
		if (!(c->io = ctx->io_start(ctx->loop, fd, on_writeable, c)))
			goto fail;
	}
	errno = EAGAIN;
	return -1;
fail:
	req_free(c->r);
	c->r = NULL;
	errno = ECONNRESET; /* lws closes the connection */
	return -1;
}
