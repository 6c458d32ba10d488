#include "config.h"
#include "http/watch.h"

#include <libwebsockets.h>
#include <time.h>

#include "http/http.h"

#define SWEEP_US (1000 * LWS_US_PER_MS)

static struct {
	struct req *all;
	watch_check_fn check;
	struct lws_context *cx;
	lws_sorted_usec_list_t sul;
	bool armed;
} watched;

int64_t watch_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sweep(lws_sorted_usec_list_t *sul)
{
	int64_t now = watch_now_ms();
	struct req *next;

	(void)sul;
	for (struct req *r = watched.all; r; r = next) {
		next = r->watch_next; /* the check may end r's exchange, never free it */
		watched.check(r, now);
	}
	if (watched.all)
		lws_sul_schedule(watched.cx, 0, &watched.sul, sweep, SWEEP_US);
	else
		watched.armed = false;
}

void watch_add(struct req *r, struct lws_context *cx, watch_check_fn check)
{
	r->watch_prev = NULL;
	r->watch_next = watched.all;
	if (watched.all)
		watched.all->watch_prev = r;
	watched.all = r;
	watched.check = check;
	if (!watched.armed) {
		watched.cx = cx;
		watched.armed = true;
		lws_sul_schedule(cx, 0, &watched.sul, sweep, SWEEP_US);
	}
}

void watch_del(struct req *r)
{
	if (r->watch_prev)
		r->watch_prev->watch_next = r->watch_next;
	else if (watched.all == r)
		watched.all = r->watch_next;
	else
		return; /* never added */
	if (r->watch_next)
		r->watch_next->watch_prev = r->watch_prev;
	r->watch_prev = r->watch_next = NULL;
}
