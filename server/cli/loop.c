#include "config.h"
#include "cli/loop.h"

#include <ev.h>
#include <libwebsockets.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct serve_loop {
	struct ev_loop *ev;         /* NULL: lws's poll loop */
	ev_signal sigint, sigterm;
	ev_timer tick;
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
 * keep-alive). lws also services what is due after every descriptor event, so a wake-up
 * through lws_cancel_service (its own event descriptor) this often bounds the lateness to
 * TICK_S when nothing else happens, for a few microseconds of CPU each time. */
#define TICK_S 0.05

static void ev_on_tick(struct ev_loop *ev, ev_timer *w, int revents)
{
	struct serve_loop *l = w->data;

	(void)ev;
	(void)revents;
	lws_cancel_service(l->ctx);
}

/* libev runs prepare watchers just before it applies the interest changes made on this
 * pass and waits: the place for the caller's hook. */
static void ev_on_prepare(struct ev_loop *ev, ev_prepare *w, int revents)
{
	struct serve_loop *l = w->data;

	(void)ev;
	(void)revents;
	l->before_wait(l->ctx);
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

void serve_loop_io_stop(void *loop, void *handle)
{
	struct serve_loop *l = loop;
	struct loop_io *io = handle;

	if (!io)
		return;
	ev_io_stop(l->ev, &io->w);
	free(io);
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
		ev_timer_init(&l->tick, ev_on_tick, TICK_S, TICK_S);
		l->tick.data = l;
		ev_timer_start(l->ev, &l->tick);
		if (l->before_wait) {
			ev_prepare_init(&l->prepare, ev_on_prepare);
			l->prepare.data = l;
			ev_prepare_start(l->ev, &l->prepare);
		}
		l->armed = true;
		pthread_sigmask(SIG_UNBLOCK, sigs, NULL);
		/* lws_service runs ev_run on the loop until a signal breaks it. */
		lws_service(ctx, 0);
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
			ev_timer_stop(l->ev, &l->tick);
			if (l->before_wait)
				ev_prepare_stop(l->ev, &l->prepare);
		}
		ev_loop_destroy(l->ev);
	}
	free(l);
}
