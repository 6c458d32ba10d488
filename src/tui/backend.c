/* The TUI's daemon attachment and worker thread. See backend.h. */
#include "config.h"
#include "backend.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cmd.h"
#include "ctl.h"
#include "daemon.h"

struct job {
	struct job *next;
	struct job_result r;
};

struct backend {
	struct seg *s;
	char *config;
	bool started;

	int sub_fd;
	char *in;
	size_t inlen, incap;

	pthread_t thread;
	bool running;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct job *todo, *todo_tail, *done, *done_tail;
	bool stop;
	int efd;
	char *server;
};

static void push(struct job **head, struct job **tail, struct job *j)
{
	j->next = NULL;
	if (*tail)
		(*tail)->next = j;
	else
		*head = j;
	*tail = j;
}

static struct job *pop(struct job **head, struct job **tail)
{
	struct job *j = *head;

	if (j && !(*head = j->next))
		*tail = NULL;
	return j;
}

/* --- the worker ---------------------------------------------------------------------------- */

/* Runs a job where cmd_route says, as the other faces do; the worker's control connection
 * (ctl_fd) stays open from one job to the next. */
static enum seg_err run(struct seg *ws, int *ctl_fd, struct job_result *r)
{
	const struct cmd_entry *c;
	struct cmd_args a = { 0 };
	enum seg_err e;
	int used;

	if (!(c = cmd_find(r->argc, r->argv, &used)))
		return seg_fail(SEG_EUSAGE, "unknown command \"%s\" (:help lists them)", r->argc ? r->argv[0] : "");
	if (c->where == CMD_FACE)
		return seg_fail(SEG_EUSAGE, "%s works only from the command line", c->name);
	if ((e = cmd_parse(c, r->argc - used, r->argv + used, &a)))
		return e;
	/* No follow here: the command's answer is all the ':' line shows. */
	if (!(e = cmd_check_followless(c, &a)))
		e = cmd_route(ws, c, &a, r->argc, r->argv, ctl_fd, &r->out);
	cmd_args_free(&a);
	return e;
}

static void *worker(void *arg)
{
	struct backend *b = arg;
	struct seg ws;
	int ctl_fd = -1;
	bool ok = seg_init(&ws, b->config) == SEG_OK;

	if (ok && b->server)
		options_set(&ws.opt, "server", b->server);
	for (;;) {
		struct job *j;
		uint64_t one = 1;

		pthread_mutex_lock(&b->lock);
		while (!b->todo && !b->stop)
			pthread_cond_wait(&b->wake, &b->lock);
		if (b->stop) {
			pthread_mutex_unlock(&b->lock);
			break;
		}
		j = pop(&b->todo, &b->todo_tail);
		pthread_mutex_unlock(&b->lock);

		seg_clear_error();
		j->r.out = NULL;
		j->r.err = ok ? run(&ws, &ctl_fd, &j->r)
		              : seg_fail(SEG_EFAIL, "the settings could not be read");
		snprintf(j->r.message, sizeof j->r.message, "%s", j->r.err ? seg_errmsg() : "");
		if (j->r.err) {
			json_decref(j->r.out);
			j->r.out = NULL;
		}
		pthread_mutex_lock(&b->lock);
		push(&b->done, &b->done_tail, j);
		pthread_mutex_unlock(&b->lock);
		(void)!write(b->efd, &one, sizeof one);
	}
	if (ctl_fd >= 0)
		close(ctl_fd);
	if (ok)
		seg_free(&ws);
	return NULL;
}

bool backend_submit(struct backend *b, int tag, int argc, const char *const *argv)
{
	struct job *j = calloc(1, sizeof *j);

	if (!j || !(j->r.argv = calloc((size_t)argc + 1, sizeof *j->r.argv))) {
		free(j);
		return false;
	}
	j->r.tag = tag;
	j->r.argc = argc;
	for (int i = 0; i < argc; i++)
		if (!(j->r.argv[i] = strdup(argv[i]))) {
			backend_result_free(&j->r);
			free(j);
			return false;
		}
	pthread_mutex_lock(&b->lock);
	push(&b->todo, &b->todo_tail, j);
	pthread_cond_signal(&b->wake);
	pthread_mutex_unlock(&b->lock);
	return true;
}

int backend_result_fd(struct backend *b)
{
	return b->efd;
}

bool backend_next_result(struct backend *b, struct job_result *r)
{
	struct job *j;
	uint64_t n;

	pthread_mutex_lock(&b->lock);
	j = pop(&b->done, &b->done_tail);
	if (!b->done)
		(void)!read(b->efd, &n, sizeof n);
	pthread_mutex_unlock(&b->lock);
	if (!j)
		return false;
	*r = j->r;
	free(j);
	return true;
}

void backend_result_free(struct job_result *r)
{
	for (int i = 0; r->argv && i < r->argc; i++)
		free(r->argv[i]);
	free(r->argv);
	r->argv = NULL;
	json_decref(r->out);
	r->out = NULL;
}

/* --- the subscription ---------------------------------------------------------------------- */

/* Subscribes on fd (a fresh connection, ours from now on). */
static enum seg_err subscribe(struct backend *b, int fd)
{
	json_t *req = json_pack("{s:i,s:b}", "id", 0, "subscribe", 1);
	enum seg_err e;

	e = ctl_write(fd, req);
	json_decref(req);
	if (e) {
		close(fd);
		return e;
	}
	if (b->sub_fd >= 0)
		close(b->sub_fd);
	b->sub_fd = fd;
	b->inlen = 0;
	return SEG_OK;
}

int backend_event_fd(struct backend *b)
{
	return b->sub_fd;
}

enum seg_err backend_next_event(struct backend *b, json_t **event)
{
	char *nl;

	*event = NULL;
	if (b->sub_fd < 0)
		return seg_fail(SEG_ENOPLAYER, "the player is not running");
	for (;;) {
		if (b->inlen && (nl = memchr(b->in, '\n', b->inlen))) {
			size_t used = (size_t)(nl - b->in) + 1;
			json_t *m;

			*nl = '\0';
			m = json_loads(b->in, 0, NULL);
			memmove(b->in, b->in + used, b->inlen - used);
			b->inlen -= used;
			if (!json_is_object(m)) {
				json_decref(m);
				continue;
			}
			if (json_object_get(m, "event")) {
				*event = m;
			} else {
				/* The answer to subscribe: the state as it is now. */
				*event = json_pack("{s:s,s:O}", "event", "state", "data",
				                   json_object_get(m, "result") ?: json_null());
				json_decref(m);
			}
			return SEG_OK;
		}
		if (b->incap - b->inlen < 4096) {
			size_t cap = b->incap ? b->incap * 2 : 16384;
			char *p;

			if (cap > CTL_LINE_MAX + 16384 || !(p = realloc(b->in, cap)))
				return seg_fail(SEG_ENOMEM, "an event too large");
			b->in = p;
			b->incap = cap;
		}
		ssize_t n = recv(b->sub_fd, b->in + b->inlen, b->incap - b->inlen, MSG_DONTWAIT);

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return SEG_OK; /* nothing more now */
		if (n <= 0) {
			close(b->sub_fd);
			b->sub_fd = -1;
			return seg_fail(SEG_ENOPLAYER, "the player stopped");
		}
		b->inlen += (size_t)n;
	}
}

enum seg_err backend_reattach(struct backend *b)
{
	bool started;
	int fd;
	enum seg_err e = daemon_connect(b->s, b->config, true, &fd, &started);

	if (e)
		return e;
	b->started |= started;
	return subscribe(b, fd);
}

/* --- life ---------------------------------------------------------------------------------- */

enum seg_err backend_open(struct seg *s, const char *config, struct backend **out)
{
	struct backend *b = calloc(1, sizeof *b);
	enum seg_err e;

	*out = NULL;
	if (!b)
		return seg_fail(SEG_ENOMEM, "out of memory");
	b->s = s;
	b->sub_fd = -1;
	b->efd = -1;
	pthread_mutex_init(&b->lock, NULL);
	pthread_cond_init(&b->wake, NULL);
	if ((config && !(b->config = strdup(config))) ||
	    !(b->server = strdup(opt_str(&s->opt, OPT_SERVER)))) {
		e = seg_fail(SEG_ENOMEM, "out of memory");
		goto fail;
	}
	if ((b->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
		e = seg_fail(SEG_EFAIL, "eventfd: %s", strerror(errno));
		goto fail;
	}
	if ((e = paths_runtime(&s->paths)) || (e = backend_reattach(b)))
		goto fail;
	if (pthread_create(&b->thread, NULL, worker, b)) {
		e = seg_fail(SEG_EFAIL, "cannot start the worker thread");
		goto fail;
	}
	b->running = true;
	*out = b;
	return SEG_OK;
fail:
	backend_close(b, false);
	return e;
}

bool backend_started_daemon(const struct backend *b)
{
	return b->started;
}

void backend_close(struct backend *b, bool stop_daemon)
{
	if (!b)
		return;
	if (b->running) {
		pthread_mutex_lock(&b->lock);
		b->stop = true;
		pthread_cond_signal(&b->wake);
		pthread_mutex_unlock(&b->lock);
		pthread_join(b->thread, NULL);
	}
	if (stop_daemon) {
		char *quit[] = { "quit", NULL };
		json_t *r = NULL;
		int fd;

		if (ctl_connect(b->s->paths.sock, &fd) == SEG_OK) {
			ctl_call(fd, 1, quit, 5000, &r);
			json_decref(r);
			close(fd);
		}
	}
	for (struct job *j; (j = pop(&b->todo, &b->todo_tail)) || (j = pop(&b->done, &b->done_tail));) {
		backend_result_free(&j->r);
		free(j);
	}
	if (b->sub_fd >= 0)
		close(b->sub_fd);
	if (b->efd >= 0)
		close(b->efd);
	pthread_mutex_destroy(&b->lock);
	pthread_cond_destroy(&b->wake);
	free(b->in);
	free(b->config);
	free(b->server);
	free(b);
}
