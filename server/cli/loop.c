#include "config.h"
#include "cli/loop.h"

#include <ev.h>
#include <libwebsockets.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The libev loop below reads lws's timer list and calls a function of lws's private header,
 * as lws 4.1 lays them out (Debian 12 ships 4.1.6). Built against another version it would
 * compile and then run with timers that fire late or never; so the build stops here instead.
 * To move on: check ev_on_deadline and arm_deadline against that version's private
 * lib/core/private-lib-core.h and lws_sul code, then widen this test. */
#if LWS_LIBRARY_VERSION_MAJOR != 4 || LWS_LIBRARY_VERSION_MINOR != 1
#error "server/cli/loop.c uses libwebsockets 4.1's timer internals: check it against this version (see above)"
#endif

struct serve_loop {
	struct ev_loop *ev;         /* NULL: lws's poll loop */
	ev_signal sigint, sigterm;
	ev_timer deadline;          /* lws's earliest timer (arm_deadline) */
	lws_usec_t deadline_us;     /* what deadline is armed for; 0: not armed */
	lws_sorted_usec_list_t probe; /* a timer of ours, far off, in lws's list */
	ev_prepare prepare;
	void (*before_wait)(struct lws_context *ctx);
	struct lws_context *ctx;
	void *foreign[1];           /* lws reads it during lws_create_context only */
	bool armed;
};

/* The poll loop's stop: a handler may only set a flag and wake the loop, from whichever
 * thread runs it (only this one: the others have the signals blocked). */
static volatile sig_atomic_t poll_stopping;
static struct lws_context *poll_ctx;

static void poll_on_signal(int sig)
{
	(void)sig;
	poll_stopping = 1;
	if (poll_ctx)
		lws_cancel_service(poll_ctx);
}

/* libev runs this on the loop, after its own handler woke it: breaking the loop here is
 * safe, and lws_service returns to serve_loop_run. */
static void ev_on_signal(struct ev_loop *ev, ev_signal *w, int revents)
{
	(void)w;
	(void)revents;
	ev_break(ev, EVBREAK_ALL);
}

/* lws 4.1.6's libev plugin arms its one timer (what runs lws_sul events: our command
 * timeouts and liveness sweep, lws's own connection timeouts) with ev_timer_set and
 * ev_timer_start, which leave a timer that is already running where it was: an event
 * scheduled earlier than the one armed waits for it (a 1 s command timeout behind a 30 s
 * keep-alive). Its other way of running them, an idle watcher started after each descriptor
 * event, runs only when nothing else is pending, so never on a busy server. So the loop keeps
 * a timer of its own at lws's earliest event, set again before each wait (arm_deadline), and
 * runs what is due when it fires, with the call lws's plugin makes from its own timer
 * (__lws_sul_service_ripe: exported by 4.1.6, though its header is private). An idle server
 * then wakes only when something is due. */
#define PROBE_US ((lws_usec_t)365 * 24 * 3600 * LWS_US_PER_SEC)

lws_usec_t __lws_sul_service_ripe(lws_dll2_owner_t *own, int own_len, lws_usec_t usnow);

static void on_probe(lws_sorted_usec_list_t *sul)
{
	struct serve_loop *l = lws_container_of(sul, struct serve_loop, probe);

	lws_sul_schedule(l->ctx, 0, &l->probe, on_probe, PROBE_US);
}

static void ev_on_deadline(struct ev_loop *ev, ev_timer *w, int revents)
{
	struct serve_loop *l = w->data;

	(void)ev;
	(void)revents;
	l->deadline_us = 0;
	/* The probe's list is the first of the context's two (lws_sul_schedule's, then the
	 * wake-from-suspend one), the array lws's own timer hands over. */
	if (l->probe.list.owner)
		__lws_sul_service_ripe(l->probe.list.owner, LWS_COUNT_PT_SUL_OWNERS, lws_now_usecs());
}

/* lws keeps its timers in time order, in lists its public headers describe (lws-dll2.h,
 * lws-timeout-timer.h) but no call of 4.1.6 names: the list the probe sits in is the one
 * lws_sul_schedule fills, and its head is the earliest; lws_sul_earliest_wakeable_event
 * gives the other list's. */
static void arm_deadline(struct serve_loop *l)
{
	const lws_dll2_owner_t *own = l->probe.list.owner;
	lws_usec_t next = 0, wake;

	if (own && own->head)
		next = lws_container_of(own->head, lws_sorted_usec_list_t, list)->us;
	if (!lws_sul_earliest_wakeable_event(l->ctx, &wake) && (!next || wake < next))
		next = wake;
	if (next == l->deadline_us)
		return;
	ev_timer_stop(l->ev, &l->deadline);
	l->deadline_us = next;
	if (!next)
		return;
	lws_usec_t now = lws_now_usecs();

	ev_timer_set(&l->deadline, next > now ? (double)(next - now) / LWS_US_PER_SEC : 0., 0.);
	ev_timer_start(l->ev, &l->deadline);
}

/* libev runs prepare watchers just before it applies the interest changes made on this
 * pass and waits: the place for the caller's hook. */
static void ev_on_prepare(struct ev_loop *ev, ev_prepare *w, int revents)
{
	struct serve_loop *l = w->data;

	(void)ev;
	(void)revents;
	if (l->before_wait)
		l->before_wait(l->ctx);
	arm_deadline(l);
}

struct loop_io {
	ev_io w;
	void (*fn)(void *arg);
	void *arg;
};

static void ev_on_io(struct ev_loop *ev, ev_io *w, int revents)
{
	struct loop_io *io = (struct loop_io *)w;

	(void)ev;
	(void)revents;
	io->fn(io->arg);
}

void *serve_loop_io_start(void *loop, int fd, void (*fn)(void *arg), void *arg)
{
	struct serve_loop *l = loop;
	struct loop_io *io;

	if (!l->ev || !(io = calloc(1, sizeof *io)))
		return NULL;
	io->fn = fn;
	io->arg = arg;
	/* Beside lws's own watcher of the descriptor: libev keeps any number per descriptor. */
	ev_io_init(&io->w, ev_on_io, fd, EV_WRITE);
	ev_io_start(l->ev, &io->w);
	return io;
}

void *serve_loop_read_start(void *loop, int fd, void (*fn)(void *arg), void *arg)
{
	struct serve_loop *l = loop;
	struct loop_io *io;

	if (!l || !l->ev || !(io = calloc(1, sizeof *io)))
		return NULL;
	io->fn = fn;
	io->arg = arg;
	ev_io_init(&io->w, ev_on_io, fd, EV_READ);
	ev_io_start(l->ev, &io->w);
	return io;
}

void serve_loop_io_stop(void *loop, void *handle)
{
	struct serve_loop *l = loop;
	struct loop_io *io = handle;

	if (!io)
		return;
	ev_io_stop(l->ev, &io->w);
	free(io);
}

void serve_loop_feed_writeable(void *loop, int fd)
{
	struct serve_loop *l = loop;

	/* To every watcher of fd that waits for EV_WRITE (lws's), on this pass of the loop. */
	ev_feed_fd_event(l->ev, fd, EV_WRITE);
}

bool serve_loop_has_io(const struct serve_loop *l)
{
	return l->ev != NULL;
}

void serve_loop_before_wait(struct serve_loop *l, void (*fn)(struct lws_context *ctx))
{
	l->before_wait = fn;
}

struct serve_loop *serve_loop_new(const char *name, char *err, size_t errlen)
{
	struct serve_loop *l;

	if (strcmp(name, "libev") && strcmp(name, "poll")) {
		snprintf(err, errlen, "event_loop is libev or poll, not \"%s\"", name);
		return NULL;
	}
	if (!(l = calloc(1, sizeof *l))) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (!strcmp(name, "libev")) {
		/* A loop of its own rather than libev's default one, which would also reap
		 * children (SIGCHLD) behind the back of the threads that run ffmpeg and friends. */
		l->ev = ev_loop_new(EVFLAG_AUTO);
		if (!l->ev) {
			snprintf(err, errlen, "libev cannot make an event loop");
			free(l);
			return NULL;
		}
		l->foreign[0] = l->ev;
	}
	return l;
}

void serve_loop_configure(struct serve_loop *l, struct lws_context_creation_info *info)
{
	if (!l->ev)
		return;
	info->options |= LWS_SERVER_OPTION_LIBEV;
	info->foreign_loops = l->foreign;
}

const char *serve_loop_describe(const struct serve_loop *l)
{
	if (!l->ev)
		return "poll";
	switch (ev_backend(l->ev)) {
	case EVBACKEND_EPOLL:
		return "libev (epoll)";
	case EVBACKEND_POLL:
		return "libev (poll)";
	case EVBACKEND_SELECT:
		return "libev (select)";
	default:
		return "libev";
	}
}

void serve_loop_run(struct serve_loop *l, struct lws_context *ctx, const sigset_t *sigs)
{
	if (l->ev) {
		/* libev's handler wakes the loop through its own pipe; the watchers are started
		 * while the signals are still blocked, so one that came meanwhile is not lost. */
		ev_signal_init(&l->sigint, ev_on_signal, SIGINT);
		ev_signal_init(&l->sigterm, ev_on_signal, SIGTERM);
		ev_signal_start(l->ev, &l->sigint);
		ev_signal_start(l->ev, &l->sigterm);
		l->ctx = ctx;
		ev_timer_init(&l->deadline, ev_on_deadline, 0., 0.);
		l->deadline.data = l;
		lws_sul_schedule(ctx, 0, &l->probe, on_probe, PROBE_US);
		ev_prepare_init(&l->prepare, ev_on_prepare);
		l->prepare.data = l;
		ev_prepare_start(l->ev, &l->prepare);
		l->armed = true;
		pthread_sigmask(SIG_UNBLOCK, sigs, NULL);
		/* lws_service runs ev_run on the loop until a signal breaks it. */
		lws_service(ctx, 0);
		lws_sul_cancel(&l->probe);
		pthread_sigmask(SIG_BLOCK, sigs, NULL);
		return;
	}
	poll_ctx = ctx;
	signal(SIGINT, poll_on_signal);
	signal(SIGTERM, poll_on_signal);
	pthread_sigmask(SIG_UNBLOCK, sigs, NULL);
	for (;;) {
		if (l->before_wait)
			l->before_wait(ctx);
		if (poll_stopping || lws_service(ctx, 0) < 0)
			break;
	}
	pthread_sigmask(SIG_BLOCK, sigs, NULL);
	poll_ctx = NULL;
}

void serve_loop_free(struct serve_loop *l)
{
	if (!l)
		return;
	if (l->ev) {
		if (l->armed) {
			ev_signal_stop(l->ev, &l->sigint);
			ev_signal_stop(l->ev, &l->sigterm);
			ev_timer_stop(l->ev, &l->deadline);
			ev_prepare_stop(l->ev, &l->prepare);
		}
		ev_loop_destroy(l->ev);
	}
	free(l);
}
