#include "config.h"
#include "http/headguard.h"

#include <errno.h>
#include <libwebsockets.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/http_int.h"
#include "http/quick.h"

enum phase { HG_METHOD, HG_TARGET, HG_VERSION, HG_LINE_START, HG_LINE_CR, HG_IN_LINE };

/* One connection's scan. Only the lws service thread touches the table. */
struct guard {
	struct lws *wsi;     /* NULL: nothing scanned on this descriptor */
	bool scanning;       /* between the start and the end of a head */
	uint8_t phase;
	char method[8];
	uint8_t nmethod;
	int8_t rest;         /* matching "/rest/" at the target's start: 0..6, -1 no */
	int8_t fjson;        /* matching "f=json" as a whole parameter: 0..6, -1 no */
	bool json, query;
	int parts, headers, bytes;
};

/* By descriptor. Only the lws service thread touches it: the thread that watched the first
 * connection (owner). recv runs on every thread (libpq's reads in a worker go through the
 * same hook), and a read on any other thread never looks: the table may be growing on the
 * service thread meanwhile, and its descriptor is not an HTTP connection of the loop's. */
static struct {
	struct guard *slot;
	int cap;
	pthread_t owner;
	atomic_bool owned;
} table;

static bool on_owner(void)
{
	return atomic_load_explicit(&table.owned, memory_order_acquire) &&
	       pthread_equal(table.owner, pthread_self());
}

static struct guard *slot_for(int fd, bool grow)
{
	if (fd < 0)
		return NULL;
	if (fd >= table.cap) {
		int cap = table.cap ? table.cap : 1024;
		struct guard *p;

		if (!grow)
			return NULL;
		while (cap <= fd)
			cap *= 2;
		if (!(p = realloc(table.slot, (size_t)cap * sizeof *p)))
			return NULL; /* lws alone reads this connection, as before */
		memset(p + table.cap, 0, (size_t)(cap - table.cap) * sizeof *p);
		table.slot = p;
		table.cap = cap;
	}
	return &table.slot[fd];
}

static void start(struct guard *g)
{
	struct lws *wsi = g->wsi;

	memset(g, 0, sizeof *g);
	g->wsi = wsi;
	g->scanning = true;
	g->phase = HG_METHOD;
}

void headguard_watch(int fd, struct lws *wsi)
{
	struct guard *g;

	if (!atomic_load_explicit(&table.owned, memory_order_relaxed)) {
		table.owner = pthread_self();
		atomic_store_explicit(&table.owned, true, memory_order_release);
	}
	if (!on_owner() || !(g = slot_for(fd, true)))
		return;
	g->wsi = wsi;
	start(g);
}

void headguard_open(struct lws *wsi)
{
	headguard_watch(lws_get_socket_fd(wsi), wsi);
}

void headguard_ready(struct lws *wsi)
{
	struct guard *g = slot_for(lws_get_socket_fd(wsi), false);

	if (g && g->wsi == wsi)
		start(g);
}

void headguard_forget(int fd, struct lws *wsi)
{
	struct guard *g = slot_for(fd, false);

	if (g && (!wsi || g->wsi == wsi))
		memset(g, 0, sizeof *g);
}

/* The end of a query parameter: was it f=json? */
static void end_param(struct guard *g)
{
	if (g->fjson == 6)
		g->json = true;
	g->fjson = 0;
}

/* One byte of the target (path and query), as lws splits it into parts. */
static void target_byte(struct guard *g, char ch)
{
	if (g->rest >= 0 && g->rest < 6)
		g->rest = ch == "/rest/"[g->rest] ? g->rest + 1 : -1;
	if (ch == '?' && !g->query) {
		g->query = true;
		g->parts++;
		g->fjson = 0;
	} else if (ch == '&' || ch == ';') {
		g->parts++;
		end_param(g);
	} else if (g->query && g->fjson >= 0) {
		g->fjson = g->fjson < 6 && ch == "f=json"[g->fjson] ? g->fjson + 1 : -1;
	}
}

/* Scans buf; returns 0 to hand it on, or the status to refuse the head with. */
static int scan(struct guard *g, const char *buf, size_t n)
{
	for (size_t i = 0; i < n && g->scanning; i++) {
		char ch = buf[i];

		g->bytes++;
		switch (g->phase) {
		case HG_METHOD:
			if (ch == ' ') {
				g->phase = HG_TARGET;
				g->parts = 1;
			} else if (g->nmethod < sizeof g->method - 1) {
				g->method[g->nmethod++] = ch;
			}
			break;
		case HG_TARGET:
			if (ch == ' ' || ch == '\r' || ch == '\n') {
				if (g->query)
					end_param(g);
				g->phase = ch == '\n' ? HG_LINE_START : HG_VERSION;
			} else {
				target_byte(g, ch);
			}
			break;
		case HG_VERSION:
		case HG_IN_LINE:
			if (ch == '\n')
				g->phase = HG_LINE_START;
			break;
		case HG_LINE_START:
		case HG_LINE_CR:
			if (ch == '\n') {
				g->scanning = false; /* the head is whole: lws takes it from here */
			} else if (ch == '\r' && g->phase == HG_LINE_START) {
				g->phase = HG_LINE_CR;
			} else {
				g->parts++;
				g->headers++;
				g->phase = HG_IN_LINE;
			}
			break;
		}
		if (g->parts > HEADGUARD_MAX_PARTS ||
		    g->bytes + g->headers * HEADGUARD_PER_HEADER > HEADGUARD_MAX_BYTES)
			return g->phase <= HG_VERSION ? 414 : 431;
	}
	return 0;
}

static size_t count_byte(const char *p, size_t n, char ch)
{
	size_t k = 0;
	const char *end = p + n;

	while ((p = memchr(p, ch, (size_t)(end - p)))) {
		k++;
		p++;
	}
	return k;
}

/* A head that comes whole in one read, as most do, is measured with memchr (a few hundred
 * instructions, where the byte-wise scan spent ten a byte on every kept-alive request, the
 * quick path's too): true when it is certainly within the bound. */
static bool whole_and_small(struct guard *g, const char *buf, size_t n)
{
	const char *end, *eol;
	size_t len, lines, delims;

	if (g->bytes || n < 4)
		return false;
	/* Most reads end where the head ends; the counts over all of one are then an upper
	 * bound of its first head's, without searching for that head's end. */
	if (!memcmp(buf + n - 4, "\r\n\r\n", 4))
		len = n;
	else if ((end = memmem(buf, n, "\r\n\r\n", 4)))
		len = (size_t)(end - buf) + 4;
	else
		return false;
	if (len > HEADGUARD_MAX_BYTES)
		return false;
	eol = memchr(buf, '\n', len);
	delims = count_byte(buf, (size_t)(eol - buf), '&') + count_byte(buf, (size_t)(eol - buf), ';');
	lines = count_byte(buf, len, '\n'); /* the request line's, the headers', the blank one's */
	/* At most: the path, the query, each delimiter, each header (scan() counts exactly). */
	if (2 + delims + lines - 2 > HEADGUARD_MAX_PARTS ||
	    len + (lines - 2) * HEADGUARD_PER_HEADER > HEADGUARD_MAX_BYTES)
		return false;
	g->scanning = false;
	return true;
}

ssize_t http_rx(int fd, void *buf, size_t n)
{
	struct guard *g;
	int status;

	if (!on_owner())
		return (ssize_t)n; /* not the loop's read: nothing here is about it */
	g = slot_for(fd, false);

	if (g && g->wsi && g->scanning && !whole_and_small(g, buf, n) && (status = scan(g, buf, n))) {
		struct lws *wsi = g->wsi;

		g->scanning = false;
		http_refuse_head(wsi, status, g->method, g->rest == 6, g->json,
		                 status == 414 ? "the request line is too long: at most %d query parameters "
		                                 "and %d bytes with the headers; send a long list by form POST"
		                               : "the request headers are too large: at most %d parts and "
		                                 "%d bytes",
		                 HEADGUARD_MAX_PARTS, HEADGUARD_MAX_BYTES);
		errno = ECONNRESET;
		return -1;
	}
	return http_quick_rx(fd, buf, n);
}
