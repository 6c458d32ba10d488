#include "config.h"
#include "http/feed.h"

#include <libwebsockets.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"
#include "http/metrics.h"
#include "http/watch.h"
#include "log.h"

/* At most a slice per writeable event, with room for a chunk's framing. Smaller than a
 * file's (http.c): what the socket does not take of it waits in lws, and a produced body
 * comes at the rate of its producer anyway, so a bigger slice would only hold more memory
 * per slow reader. */
#define CHUNK_HEAD 12
#define SLICE (32 * 1024)
static unsigned char sendbuf[LWS_PRE + CHUNK_HEAD + SLICE + 8];

struct http_feed {
	pthread_mutex_t lock;
	pthread_cond_t room;     /* the loop took bytes, or the request went */
	int refs;
	struct lws_context *cx;
	long long length;        /* -1: chunked */

	/* under lock */
	unsigned char *buf;
	size_t cap, head, used;  /* a ring: used bytes from head */
	long long accepted;      /* bytes the producer has written in all */
	bool gone;               /* the request has let go: the producer stops */
	bool ended, failed;
	bool waiting;            /* the loop found nothing to send and waits for a wake-up */
	bool queued;             /* on the wake list (holding a reference) */
	char why[256];
	struct http_feed *next;  /* the wake list */

	/* the loop's alone */
	struct req *r;           /* NULL once detached */
	bool answered;           /* r's headers were released */
	long long sent;
	http_feed_fail_fn fail;
	void *arg;
};

static pthread_mutex_t wake_lock = PTHREAD_MUTEX_INITIALIZER;
static struct http_feed *wake_list;
/* Wake-ups are posted under wake_lock, and none once the loop is going away: a producer
 * must not reach into an lws context being destroyed (http_feed_shutdown). */
static bool no_wakes;

static void wake_loop(struct http_feed *f)
{
	pthread_mutex_lock(&wake_lock);
	if (!no_wakes)
		lws_cancel_service(f->cx);
	pthread_mutex_unlock(&wake_lock);
}

void http_feed_shutdown(void)
{
	pthread_mutex_lock(&wake_lock);
	no_wakes = true;
	pthread_mutex_unlock(&wake_lock);
}

static void unref(struct http_feed *f)
{
	int left;

	pthread_mutex_lock(&f->lock);
	left = --f->refs;
	pthread_mutex_unlock(&f->lock);
	if (left)
		return;
	pthread_mutex_destroy(&f->lock);
	pthread_cond_destroy(&f->room);
	free(f->buf);
	free(f);
}

/* With f->lock held: puts f on the wake list (once). Returns whether the caller must wake
 * the loop, which it does after letting go of the lock. */
static bool queue_wake(struct http_feed *f)
{
	f->waiting = false;
	if (f->queued)
		return false;
	f->queued = true;
	f->refs++;
	pthread_mutex_lock(&wake_lock);
	f->next = wake_list;
	wake_list = f;
	pthread_mutex_unlock(&wake_lock);
	return true;
}

static void detach(struct http_feed *f)
{
	pthread_mutex_lock(&f->lock);
	f->gone = true;
	f->waiting = false;
	pthread_cond_broadcast(&f->room);
	pthread_mutex_unlock(&f->lock);
	f->r = NULL;
	unref(f);
}

/* req_defer's notice: the pending request went before the first bytes. */
static void feed_gone(void *holder)
{
	struct http_feed *f = holder;

	if (f->r)
		f->r->feed = NULL;
	detach(f);
}

void http_feed_detach(struct req *r)
{
	struct http_feed *f = r->feed;

	if (!f)
		return;
	r->feed = NULL;
	detach(f);
}

long long http_feed_length(const struct req *r)
{
	return r->feed ? r->feed->length : -1;
}

struct http_feed *http_feed_start(struct req *r, long long length, size_t cap,
                                  http_feed_fail_fn fail, void *arg)
{
	struct http_feed *f = calloc(1, sizeof *f);

	if (!f || !(f->buf = malloc(cap ? cap : 1))) {
		free(f);
		reply_error(r, 500, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&f->lock, NULL);
	pthread_cond_init(&f->room, NULL);
	f->refs = 2; /* the request's and the producer's */
	f->cx = lws_get_context(r->wsi);
	f->length = length;
	f->cap = cap ? cap : 1;
	f->waiting = true; /* for the first bytes, to release the headers */
	f->r = r;
	f->fail = fail;
	f->arg = arg;
	r->feed = f;
	if (r->method == M_HEAD)
		r->head_only = true;
	req_defer(r, feed_gone, f);
	return f;
}

static bool full_length(const struct http_feed *f)
{
	return f->length >= 0 && f->accepted >= f->length;
}

int http_feed_write(struct http_feed *f, const void *p, size_t n)
{
	const unsigned char *src = p;
	bool wake = false;
	int rc = 0;

	pthread_mutex_lock(&f->lock);
	while (n > 0) {
		size_t k, at;

		if (f->gone || full_length(f)) {
			rc = -1;
			break;
		}
		if (f->used == f->cap) {
			if (wake) {
				/* The loop must hear of these bytes before we sleep, or neither moves. */
				pthread_mutex_unlock(&f->lock);
				wake_loop(f);
				pthread_mutex_lock(&f->lock);
				wake = false;
				continue;
			}
			pthread_cond_wait(&f->room, &f->lock);
			continue;
		}
		k = f->cap - f->used;
		if (k > n)
			k = n;
		if (f->length >= 0 && (long long)k > f->length - f->accepted)
			k = (size_t)(f->length - f->accepted);
		at = (f->head + f->used) % f->cap;
		if (k > f->cap - at) {
			memcpy(f->buf + at, src, f->cap - at);
			memcpy(f->buf, src + (f->cap - at), k - (f->cap - at));
		} else {
			memcpy(f->buf + at, src, k);
		}
		f->used += k;
		f->accepted += (long long)k;
		src += k;
		n -= k;
		if (f->waiting && queue_wake(f))
			wake = true;
	}
	pthread_mutex_unlock(&f->lock);
	if (wake)
		wake_loop(f);
	return rc;
}

bool http_feed_gone(struct http_feed *f)
{
	bool gone;

	pthread_mutex_lock(&f->lock);
	gone = f->gone || full_length(f);
	pthread_mutex_unlock(&f->lock);
	return gone;
}

void http_feed_end(struct http_feed *f, const char *why)
{
	bool wake = false;

	pthread_mutex_lock(&f->lock);
	f->ended = true;
	if (why) {
		f->failed = true;
		snprintf(f->why, sizeof f->why, "%s", why);
	}
	if (f->waiting && !f->gone)
		wake = queue_wake(f);
	pthread_mutex_unlock(&f->lock);
	if (wake)
		wake_loop(f);
	unref(f);
}

/* The producer's first word: the request's headers go out now, or its failure is answered
 * as any error when no byte was made. */
static void answer(struct http_feed *f, struct req *r)
{
	bool failed_early;
	char why[sizeof f->why];

	pthread_mutex_lock(&f->lock);
	failed_early = f->failed && f->accepted == 0;
	memcpy(why, f->why, sizeof why);
	pthread_mutex_unlock(&f->lock);
	f->answered = true;
	req_defer(r, NULL, NULL);
	if (failed_early) {
		http_feed_detach(r);
		f->fail(r, why, f->arg);
	}
	http_resume(r);
}

void http_feed_drain(void)
{
	struct http_feed *list;

	pthread_mutex_lock(&wake_lock);
	list = wake_list;
	wake_list = NULL;
	pthread_mutex_unlock(&wake_lock);
	while (list) {
		struct http_feed *f = list;

		list = f->next;
		pthread_mutex_lock(&f->lock);
		f->queued = false;
		pthread_mutex_unlock(&f->lock);
		if (f->r && !f->answered)
			answer(f, f->r);
		else if (f->r)
			lws_callback_on_writable(f->r->wsi);
		unref(f); /* the wake list's */
	}
}

/* Takes up to max bytes from f's ring into out. With f->lock held. */
static size_t take(struct http_feed *f, unsigned char *out, size_t max)
{
	size_t k = f->used < max ? f->used : max, first = f->cap - f->head;

	if (k > first) {
		memcpy(out, f->buf + f->head, first);
		memcpy(out + first, f->buf, k - first);
	} else {
		memcpy(out, f->buf + f->head, k);
	}
	f->head = (f->head + k) % f->cap;
	f->used -= k;
	if (k)
		pthread_cond_signal(&f->room);
	return k;
}

int http_feed_send(struct req *r)
{
	struct http_feed *f = r->feed;
	unsigned char *data = sendbuf + LWS_PRE + CHUNK_HEAD, *start = data;
	size_t max = SLICE, k, len;
	bool ended, failed;

	if (f->length >= 0 && (long long)max > f->length - f->sent)
		max = (size_t)(f->length - f->sent);
	pthread_mutex_lock(&f->lock);
	k = take(f, data, max);
	ended = f->ended;
	failed = f->failed;
	if (!k && !ended)
		f->waiting = true;
	pthread_mutex_unlock(&f->lock);

	if (k) {
		len = k;
		if (f->length < 0 && !r->http10) {
			char h[CHUNK_HEAD];
			int hn = snprintf(h, sizeof h, "%zx\r\n", k);

			start = data - hn;
			memcpy(start, h, (size_t)hn);
			memcpy(data + k, "\r\n", 2);
			len = k + (size_t)hn + 2;
		}
		if (lws_write(r->wsi, start, len, LWS_WRITE_HTTP) != (int)len)
			return -1;
		f->sent += (long long)k;
		r->progress_ms = watch_now_ms();
		r->ctx->metrics->bytes_streamed += k;
		if (f->length >= 0 && f->sent == f->length)
			return 1;
		lws_callback_on_writable(r->wsi);
		return 0;
	}
	if (f->length >= 0 && f->sent == f->length)
		return 1;
	if (!ended)
		return 0; /* the producer wakes the loop with its next bytes */
	if (failed) {
		log_info("http: %s %s: the body failed after %lld bytes: %s", r->method_name, r->path,
		         f->sent, f->why);
		return -1;
	}
	if (f->length < 0 && r->http10)
		return 1; /* close-delimited: the connection's close ends it (http.c) */
	if (f->length < 0) {
		memcpy(data, "0\r\n\r\n", 5);
		return lws_write(r->wsi, data, 5, LWS_WRITE_HTTP_FINAL) == 5 ? 1 : -1;
	}
	log_info("http: %s %s: the body ended at %lld of the %lld bytes announced", r->method_name,
	         r->path, f->sent, f->length);
	return -1;
}
