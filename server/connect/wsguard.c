/* The Connect sessions' frame guard (wsguard.h says what it enforces and why).
 *
 * How it sees the frames: lws 4.1 reads every socket it serves through one recv(2) call
 * (lib/core-net/output.c, lws_ssl_capable_read_no_ssl; this server has no TLS), and lws is a
 * shared library, so the recv this file defines is the one lws calls: the executable's symbol
 * comes first in the dynamic lookup. It passes the call on to the kernel, and for a descriptor
 * registered at ESTABLISHED runs a small state machine over the bytes received: frame
 * headers byte by byte, payloads skipped whole, so the cost is per frame, not per byte
 * (bench/wsguard). Other descriptors (HTTP, other threads) cost one table look-up.
 *
 * Where the stream starts: lws parses the upgrade request out of the bytes it read and keeps
 * whatever followed it for the WebSocket parser, bytes that never come through recv again.
 * A client may not send anything before it reads the 101 (RFC 6455 4.1), so a session is
 * watched only when the last recv on its socket ended exactly at the end of its request
 * headers; one whose request came with more is refused (1002). A legitimate client is never
 * refused by this: it has nothing to send before the answer.
 *
 * What a violation does: a close frame with the code and reason goes to the client (unless
 * lws holds part of a frame it has yet to send, which the close would split), our side of
 * the connection is shut, and recv fails with ECONNRESET, so lws closes the session at once
 * and ws.c sees LWS_CALLBACK_CLOSED as for any other end. Frames read in the same call before
 * the bad one are not delivered: the session is closed for a violation anyway. */
/* This file defines recv; glibc's fortified inline recv must not be declared beside it. */
#undef _FORTIFY_SOURCE
#include "config.h"
#include "connect/wsguard.h"

#include <errno.h>
#include <libwebsockets.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "connect/ws.h"
#include "log.h"

enum { S_HDR0, S_HDR1, S_EXTLEN, S_MASK, S_PAYLOAD };

struct guard {
	struct lws *wsi;
	struct wsg_scan scan;
	bool dead; /* closed for a violation: every further read fails */
};

/* Watched sessions by descriptor. Only the lws service thread touches it; recv on any other
 * thread never looks (owner). */
static struct {
	struct guard **slot;
	int cap;
	pthread_t owner;
	atomic_bool owned;
} table;

/* The last reads on this thread of descriptors not watched, one per descriptor: its number,
 * and whether it ended exactly at the end of an HTTP request's headers (and held no other
 * end). Checked at ESTABLISHED, which lws calls while parsing that very read. More than one:
 * between that read and ESTABLISHED the handshake's token is checked in the database, and a
 * PostgreSQL connection's socket is read through this recv as well. */
#define RECENT_RX 8

static _Thread_local struct recent_rx {
	int fd;
	bool clean;
} last_rx[RECENT_RX] = { { -1, false }, { -1, false }, { -1, false }, { -1, false },
                         { -1, false }, { -1, false }, { -1, false }, { -1, false } };
static _Thread_local unsigned last_rx_next;

static struct recent_rx *recent_rx(int fd)
{
	for (int i = 0; i < RECENT_RX; i++)
		if (last_rx[i].fd == fd)
			return &last_rx[i];
	return NULL;
}

static ssize_t kernel_recv(int fd, void *buf, size_t len, int flags)
{
	/* Not through libc's recv, which is this file's. */
	return syscall(SYS_recvfrom, fd, buf, len, flags, NULL, NULL);
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The frame that starts at byte `start` of this buffer (or in an earlier one: 0). */
static size_t frame_at(ptrdiff_t start)
{
	return start < 0 ? 0 : (size_t)start;
}

int wsg_scan_bytes(struct wsg_scan *s, const unsigned char *p, size_t n, int64_t now_ms,
                   size_t *at)
{
	/* Where the current frame began, relative to p; negative when in an earlier read. */
	ptrdiff_t start = s->state == S_HDR0 ? 0 : -1;
	size_t i = 0;

	while (i < n) {
		unsigned char b = p[i];

		switch (s->state) {
		case S_PAYLOAD: {
			uint64_t take = n - i < s->skip ? n - i : s->skip;

			i += take;
			if (!(s->skip -= take))
				s->state = S_HDR0;
			continue;
		}
		case S_HDR0:
			start = (ptrdiff_t)i;
			s->fin = b >> 7;
			s->opcode = b & 0x0f;
			/* Control frames and continuation fragments: what is not the start of a
			 * message, which ws.c counts. */
			if ((s->opcode & 8) || s->opcode == 0) {
				if (now_ms - s->window_ms >= 1000) {
					s->window_ms = now_ms;
					s->count = 0;
				}
				if (++s->count > WS_RATE_MAX) {
					*at = frame_at(start);
					return WSG_FLOOD;
				}
			}
			s->state = S_HDR1;
			break;
		case S_HDR1:
			if (!(b & 0x80)) {
				*at = frame_at(start);
				return WSG_UNMASKED;
			}
			s->len = b & 0x7f;
			s->need = s->len == 126 ? 2 : s->len == 127 ? 8 : 0;
			if (s->need) {
				s->len = 0;
				s->state = S_EXTLEN;
			} else {
				s->need = 4;
				s->state = S_MASK;
			}
			break;
		case S_EXTLEN:
			s->len = s->len << 8 | b;
			if (!--s->need) {
				s->need = 4;
				s->state = S_MASK;
			}
			break;
		case S_MASK:
			if (!--s->need) {
				s->skip = s->len;
				s->state = s->skip ? S_PAYLOAD : S_HDR0;
			}
			break;
		}
		i++;
	}
	return WSG_OK;
}

/* Whether a read ends exactly where its request's headers end, with no other end in it. A
 * read that starts with the tail of a CRLFCRLF split across reads is not trusted either. */
static bool ends_request(const unsigned char *p, size_t n)
{
	const unsigned char *end;

	if (n < 4 || memcmp(p + n - 4, "\r\n\r\n", 4))
		return false;
	if (p[0] == '\n' || (p[0] == '\r' && n > 1 && p[1] == '\n'))
		return false;
	/* The first CRLFCRLF is the last: found line by line (memchr) rather than with
	 * memmem, whose general search cost a thousand instructions on every HTTP request. */
	for (end = p; (end = memchr(end, '\n', (size_t)(p + n - end))); end++)
		if (end >= p + 3 && end[-1] == '\r' && end[-2] == '\n' && end[-3] == '\r')
			return end == p + n - 1;
	return false;
}

static struct guard *watched(int fd)
{
	if (!atomic_load_explicit(&table.owned, memory_order_acquire) ||
	    !pthread_equal(table.owner, pthread_self()) || fd < 0 || fd >= table.cap)
		return NULL;
	return table.slot[fd];
}

_Static_assert(WS_RATE_MAX == 200, "the close reason below says 200");

static const char *why_of(int code)
{
	return code == WSG_UNMASKED ? "client frames must be masked (RFC 6455 5.1)"
	                            : "too many control or continuation frames: at most 200 a second";
}

static ssize_t violation(struct guard *g, int fd, int code)
{
	const char *why = why_of(code);
	unsigned char frame[4 + 123];
	size_t rlen = strlen(why);
	char drain[4096];

	log_info("connect: closing a session (%d): %s", code, why);
	frame[0] = 0x88; /* FIN, close */
	frame[1] = (unsigned char)(2 + rlen);
	frame[2] = (unsigned char)(code >> 8);
	frame[3] = (unsigned char)code;
	memcpy(frame + 4, why, rlen);
	if (!lws_partial_buffered(g->wsi))
		(void)send(fd, frame, 4 + rlen, MSG_NOSIGNAL | MSG_DONTWAIT);
	shutdown(fd, SHUT_WR);
	/* What is already here is read and dropped, so closing sends a FIN after the close
	 * frame rather than a reset that could make the client lose it. Bounded: a flood
	 * keeps coming. */
	for (int k = 0; k < 16 && kernel_recv(fd, drain, sizeof drain, MSG_DONTWAIT) > 0; k++)
		;
	g->dead = true;
	errno = ECONNRESET;
	return -1;
}

static wsguard_rx_hook rx_hook;

void wsguard_set_rx_hook(wsguard_rx_hook hook)
{
	rx_hook = hook;
}

ssize_t recv(int fd, void *buf, size_t len, int flags)
{
	ssize_t n;
	struct guard *g = watched(fd);
	size_t at;
	int code;

	if (g && g->dead) {
		errno = ECONNRESET;
		return -1;
	}
	n = kernel_recv(fd, buf, len, flags);
	if (n <= 0 || (flags & MSG_PEEK))
		return n;
	if (!g) {
		struct recent_rx *r = recent_rx(fd);

		if (!r)
			r = &last_rx[last_rx_next++ % RECENT_RX];
		r->fd = fd;
		r->clean = ends_request(buf, (size_t)n);
		return rx_hook ? rx_hook(fd, buf, (size_t)n) : n;
	}
	/* at is not used: the frames before the bad one go with the session (see the top). */
	code = wsg_scan_bytes(&g->scan, buf, (size_t)n, mono_ms(), &at);
	return code == WSG_OK ? n : violation(g, fd, code);
}

int wsguard_open(struct lws *wsi, const char **why)
{
	int fd = lws_get_socket_fd(wsi);
	struct guard *g;
	struct recent_rx *r = fd < 0 ? NULL : recent_rx(fd);

	if (!r || !r->clean) {
		*why = "frames came before the handshake was answered (RFC 6455 4.1)";
		return -1;
	}
	r->fd = -1;
	if (!atomic_load_explicit(&table.owned, memory_order_relaxed)) {
		table.owner = pthread_self();
		atomic_store_explicit(&table.owned, true, memory_order_release);
	}
	if (fd >= table.cap) {
		int cap = table.cap ? table.cap : 1024;
		struct guard **p;

		while (cap <= fd)
			cap *= 2;
		if (!(p = realloc(table.slot, (size_t)cap * sizeof *p)))
			goto nomem;
		memset(p + table.cap, 0, (size_t)(cap - table.cap) * sizeof *p);
		table.slot = p;
		table.cap = cap;
	}
	if (!(g = calloc(1, sizeof *g)))
		goto nomem;
	g->wsi = wsi;
	g->scan.window_ms = mono_ms();
	free(table.slot[fd]); /* a session lws dropped without CLOSED: none known, but safe */
	table.slot[fd] = g;
	return 0;
nomem:
	*why = "out of memory";
	return -1;
}

void wsguard_close(struct lws *wsi)
{
	int fd = lws_get_socket_fd(wsi);

	if (fd < 0 || fd >= table.cap || !table.slot[fd] || table.slot[fd]->wsi != wsi)
		return;
	free(table.slot[fd]);
	table.slot[fd] = NULL;
}
