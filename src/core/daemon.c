/* The daemon's event loop: one poll() over the control socket, its clients, the player's
 * wake-up descriptor, a signalfd and the session bus (mpris.h), with a timeout only when a
 * timer is due (the player's retries, the outbox's next delivery, an answer the bus awaits).
 * Idle, it sleeps in poll for good. */
#include "config.h"
#include "daemon.h"
#include "download.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "cmd.h"
#include "ctl.h"
#include "device.h"
#include "log.h"
#include "mpris.h"
#include "outbox.h"
#include "player.h"

/* Control connections. A client's answers and events queue in its output up to
 * CLIENT_OUT_MAX; past that it is dropped (it is not reading). Its requests are read only
 * while its output is under CLIENT_OUT_HIGH, so a client that pipelines requests gets every
 * answer at the pace it reads them, and never meets the drop. A connection that moves no
 * byte for control_idle_timeout seconds is closed (subscribers excepted); when all
 * MAX_CLIENTS are taken, the one idle longest makes room, and at most MAX_SUBSCRIBERS may
 * subscribe, so idle or listening connections never lock commands out. */
#define MAX_CLIENTS 64
#define MAX_SUBSCRIBERS (MAX_CLIENTS / 2)
#define CLIENT_OUT_MAX (8 << 20)
#define CLIENT_OUT_HIGH (256 << 10)

struct client {
	int fd;
	char *in;
	size_t inlen, incap;
	char *out;
	size_t outlen, outcap;
	long long active_ms; /* monotonic: connected, or last sent or took bytes */
	bool subscribed;
	bool eof;            /* it shut down its sending side: answer what it asked, then close */
	bool overflow;       /* its output passed CLIENT_OUT_MAX: drop it */
};

struct daemon {
	struct seg *s;
	int listen_fd, sig_fd, lock_fd;
	struct client clients[MAX_CLIENTS];
	int nclients;
	bool quit;
	struct mpris *mpris;  /* the desktop face; NULL: off, or no session bus */
	long long outbox_due; /* monotonic ms of the next delivery; 0: none planned */
	int outbox_backoff;   /* seconds */
};

void daemon_request_quit(struct seg *s)
{
	struct daemon *d = s->face;

	if (d)
		d->quit = true;
}

static void client_close(struct daemon *d, int i)
{
	struct client *c = &d->clients[i];

	close(c->fd);
	free(c->in);
	free(c->out);
	d->clients[i] = d->clients[--d->nclients];
}

static void client_send(struct client *c, json_t *msg)
{
	char *text;
	size_t n;

	if (c->overflow)
		return;
	if (!(text = json_dumps(msg, JSON_COMPACT))) {
		c->overflow = true; /* out of memory: an answer would be missing; drop it instead */
		return;
	}
	n = strlen(text);
	if (c->outlen + n + 1 > CLIENT_OUT_MAX) {
		log_warn("control: dropping a client that leaves %zu bytes unread", c->outlen);
		c->overflow = true;
		free(text);
		return;
	}
	if (c->outlen + n + 1 > c->outcap) {
		size_t cap = c->outcap ? c->outcap : 4096;
		char *p;

		while (cap < c->outlen + n + 1)
			cap *= 2;
		if (!(p = realloc(c->out, cap))) {
			c->overflow = true;
			free(text);
			return;
		}
		c->out = p;
		c->outcap = cap;
	}
	memcpy(c->out + c->outlen, text, n);
	c->out[c->outlen + n] = '\n';
	c->outlen += n + 1;
	free(text);
}

static void publish(struct daemon *d, const char *event, json_t *data)
{
	json_t *msg = json_pack("{s:s,s:O}", "event", event, "data", data ? data : json_null());

	if (!msg)
		return;
	for (int i = 0; i < d->nclients; i++)
		if (d->clients[i].subscribed)
			client_send(&d->clients[i], msg);
	json_decref(msg);
}

/* Connect's news (devices, the hub's player state, playlist changes) for subscribers. */
static void on_device_event(void *ud, const char *event, json_t *data)
{
	struct daemon *d = ud;

	publish(d, event, data);
	/* Another device's play (or the end of it) is what the desktop shows. */
	if (!strcmp(event, "player") || !strcmp(event, "devices"))
		mpris_update(d->mpris);
}

/* The downloads moved on: subscribers (the TUI) show it. */
static void on_downloads(struct daemon *d)
{
	json_t *report;
	bool any = false;

	downloader_drain(d->s->downloader);
	for (int i = 0; i < d->nclients; i++)
		any |= d->clients[i].subscribed;
	if (!any || !(report = downloader_report(d->s)))
		return;
	publish(d, "downloads", report);
	json_decref(report);
}

static void on_player_event(void *ud, const char *event, json_t *data)
{
	struct daemon *d = ud;

	publish(d, event, data);
	device_player_event(d->s->device, event, data);
	mpris_update(d->mpris);
	/* A finished play is waiting in the outbox: plan a delivery. */
	if (!strcmp(event, "track") && !d->outbox_due)
		d->outbox_due = clock_mono_ms() + opt_int(&d->s->opt, OPT_OUTBOX_INTERVAL) * 1000LL;
}

static json_t *error_reply(json_t *id, enum seg_err e, const char *msg)
{
	return json_pack("{s:O,s:b,s:{s:s,s:i,s:s}}", "id", id ? id : json_null(), "ok", 0, "error",
	                 "code", seg_err_name(e), "exit_status", seg_exit_status(e), "message", msg);
}

static void handle_line(struct daemon *d, struct client *c, const char *line)
{
	json_t *req = json_loads(line, 0, NULL), *id, *argv, *reply = NULL, *result = NULL;
	char **args = NULL;
	size_t n;
	enum seg_err e;

	if (!json_is_object(req)) {
		reply = error_reply(NULL, SEG_EUSAGE, "a request is one JSON object per line");
		goto out;
	}
	id = json_object_get(req, "id");
	if (json_is_true(json_object_get(req, "subscribe"))) {
		int subscribers = 0;

		for (int i = 0; i < d->nclients; i++)
			subscribers += d->clients[i].subscribed;
		if (!c->subscribed && subscribers >= MAX_SUBSCRIBERS) {
			reply = error_reply(id, SEG_EFAIL, "too many subscribers: at most 32 connections "
			                    "may subscribe at once");
			goto out;
		}
		c->subscribed = true;
		reply = json_pack("{s:O,s:b,s:o}", "id", id ? id : json_null(), "ok", 1, "result",
		                  d->s->player ? player_state(d->s->player) : json_null());
		goto out;
	}
	argv = json_object_get(req, "argv");
	n = json_array_size(argv);
	if (!json_is_array(argv) || n == 0 || n > 1000) {
		reply = error_reply(id, SEG_EUSAGE, "a request needs \"argv\": [command, args...]");
		goto out;
	}
	if (!(args = calloc(n + 1, sizeof *args)))
		goto out;
	for (size_t i = 0; i < n; i++)
		if (!(args[i] = (char *)json_string_value(json_array_get(argv, i)))) {
			reply = error_reply(id, SEG_EUSAGE, "argv must hold strings only");
			goto out;
		}
	e = cmd_run_argv(d->s, (int)n, args, &result);
	if (e)
		reply = error_reply(id, e, seg_errmsg());
	else
		reply = json_pack("{s:O,s:b,s:O}", "id", id ? id : json_null(), "ok", 1, "result",
		                  result ? result : json_null());
out:
	if (reply)
		client_send(c, reply);
	json_decref(reply);
	json_decref(result);
	json_decref(req);
	free(args);
}

/* Answers the complete lines received, while the client's output is under the high mark
 * (the rest wait in its input for it to read). */
static void client_serve(struct daemon *d, struct client *c)
{
	char *nl;
	size_t off = 0;

	while (c->outlen < CLIENT_OUT_HIGH && !c->overflow &&
	       (nl = memchr(c->in + off, '\n', c->inlen - off))) {
		*nl = '\0';
		handle_line(d, c, c->in + off);
		off = (size_t)(nl - c->in) + 1;
	}
	if (off) {
		memmove(c->in, c->in + off, c->inlen - off);
		c->inlen -= off;
	}
}

static bool client_has_line(const struct client *c)
{
	return c->inlen && memchr(c->in, '\n', c->inlen);
}

/* Reads what the client sent. false: close it (an error, or a line over the limit). */
static bool client_read(struct client *c)
{
	ssize_t n;

	if (c->incap - c->inlen < 4096) {
		size_t cap = c->incap ? c->incap * 2 : 8192;
		char *p;

		if (cap > CTL_LINE_MAX + 8192 || !(p = realloc(c->in, cap)))
			return false; /* a line over the limit */
		c->in = p;
		c->incap = cap;
	}
	n = recv(c->fd, c->in + c->inlen, c->incap - c->inlen - 1, 0);
	if (n < 0)
		return errno == EINTR || errno == EAGAIN;
	if (n == 0) {
		/* The client shut down its side (echo ... | socat): answer what it asked first. */
		c->eof = true;
		return true;
	}
	c->inlen += (size_t)n;
	c->active_ms = clock_mono_ms();
	return true;
}

static bool client_flush(struct client *c)
{
	while (c->outlen) {
		ssize_t n = send(c->fd, c->out, c->outlen, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0)
			return errno == EAGAIN || errno == EINTR;
		memmove(c->out, c->out + n, c->outlen - (size_t)n);
		c->outlen -= (size_t)n;
		c->active_ms = clock_mono_ms();
	}
	return true;
}

/* Closed when the table is full and a new client comes: not subscribed, and either nothing
 * under way (no request begun, no answer unread) or stalled (no bytes either way for a
 * second, with an answer it does not read or a line it does not finish). */
static bool client_evictable(const struct client *c, long long now)
{
	return !c->subscribed && ((!c->outlen && !c->inlen) || now - c->active_ms >= 1000);
}

static long long idle_ms(struct daemon *d)
{
	return opt_int(&d->s->opt, OPT_CONTROL_IDLE_TIMEOUT) * 1000LL;
}

/* Closes the connections that moved no byte either way for the timeout (subscribers are
 * long-lived on purpose: only the output bound applies to them); returns ms until the next
 * one would be (-1: none). */
static long close_idle(struct daemon *d)
{
	long long now = clock_mono_ms(), limit = idle_ms(d);
	long next = -1;

	for (int i = 0; i < d->nclients;) {
		struct client *c = &d->clients[i];
		long long left = c->active_ms + limit - now;

		if (c->subscribed) {
			i++;
			continue;
		}
		if (left <= 0) {
			log_debug("control: closing a connection silent for %lld s", limit / 1000);
			client_close(d, i);
			continue;
		}
		if (next < 0 || left < next)
			next = (long)left;
		i++;
	}
	return next;
}

static void accept_client(struct daemon *d, int fd)
{
	long long now = clock_mono_ms();
	int oldest = -1;

	if (d->nclients == MAX_CLIENTS) {
		for (int i = 0; i < d->nclients; i++)
			if (client_evictable(&d->clients[i], now) &&
			    (oldest < 0 || d->clients[i].active_ms < d->clients[oldest].active_ms))
				oldest = i;
		if (oldest < 0) {
			json_t *r = error_reply(NULL, SEG_EFAIL, "the daemon is busy: too many control "
			                        "connections");
			char *text = r ? json_dumps(r, JSON_COMPACT) : NULL;

			log_warn("control: %d connections, none idle; refusing one", MAX_CLIENTS);
			if (text) {
				size_t len = strlen(text);

				text[len] = '\n';
				(void)!send(fd, text, len + 1, MSG_NOSIGNAL | MSG_DONTWAIT);
			}
			free(text);
			json_decref(r);
			close(fd);
			return;
		}
		log_info("control: %d connections; closing the one idle longest", MAX_CLIENTS);
		client_close(d, oldest);
	}
	memset(&d->clients[d->nclients], 0, sizeof d->clients[0]);
	d->clients[d->nclients].fd = fd;
	d->clients[d->nclients++].active_ms = clock_mono_ms();
}

static void deliver_outbox(struct daemon *d)
{
	struct store *st = seg_store(d->s);
	struct api *a = seg_api(d->s);
	int sent = 0;
	enum seg_err e;

	d->outbox_due = 0;
	if (!st || !a || outbox_pending(st) <= 0)
		return;
	if ((e = outbox_deliver(st, a, &sent))) {
		/* Kept on disk; try again later, backing off to the interval at most. */
		int interval = opt_int(&d->s->opt, OPT_OUTBOX_INTERVAL);

		d->outbox_backoff = d->outbox_backoff ? d->outbox_backoff * 2 : 2;
		if (d->outbox_backoff > interval)
			d->outbox_backoff = interval;
		d->outbox_due = clock_mono_ms() + d->outbox_backoff * 1000LL;
		log_info("outbox: %d plays wait for the server (%s)", outbox_pending(st), seg_errmsg());
		return;
	}
	d->outbox_backoff = 0;
	if (sent)
		log_info("outbox: delivered %d plays", sent);
}

/* The pid file doubles as the lock that keeps a second daemon out. Other processes probe it
 * (daemon_connect) with a shared lock held for an instant; flock cannot tell that from a
 * daemon's, so a busy lock is tried again for LOCK_WAIT_MS before we call it taken. */
#define LOCK_WAIT_MS 500
#define LOCK_STEP_MS 10

/* 1: fd is locked and is the file at path; 0: another holds it; -1: error (errno). */
static int lock_pid_file(const char *path, int *fd)
{
	struct stat held, named;

	if ((*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0)
		return -1;
	if (flock(*fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK)
			return 0;
		return -1;
	}
	/* A daemon that stops removes the file before it lets go of the lock: what we locked
	 * may be that removed file, and the next daemon would create and lock a new one. */
	if (fstat(*fd, &held) < 0 || stat(path, &named) < 0 || held.st_dev != named.st_dev ||
	    held.st_ino != named.st_ino)
		return 0;
	return 1;
}

static void say_running(int fd)
{
	char pid[32];
	ssize_t n = pread(fd, pid, sizeof pid - 1, 0);

	pid[n > 0 ? n : 0] = '\0';
	pid[strcspn(pid, "\n")] = '\0';
	fprintf(stderr, "segue: a segue daemon is already running (pid %s)\n", pid[0] ? pid : "?");
}

static int take_lock(struct daemon *d)
{
	const char *path = d->s->paths.pid;
	int fd, r;

	for (int waited = 0;; waited += LOCK_STEP_MS) {
		if ((r = lock_pid_file(path, &fd)) < 0) {
			fprintf(stderr, "segue: cannot lock %s: %s\n", path, strerror(errno));
			break;
		}
		if (r == 1) {
			d->lock_fd = fd;
			return 0;
		}
		if (waited >= LOCK_WAIT_MS) {
			say_running(fd);
			break;
		}
		close(fd);
		nanosleep(&(struct timespec){ .tv_nsec = LOCK_STEP_MS * 1000000L }, NULL);
	}
	if (fd >= 0)
		close(fd);
	return -1;
}

static int write_pid(struct daemon *d)
{
	char pid[32];
	int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());

	if (ftruncate(d->lock_fd, 0) < 0 || pwrite(d->lock_fd, pid, (size_t)n, 0) != n)
		return -1;
	return 0;
}

static int listen_on(struct daemon *d)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	mode_t old;
	int fd;

	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", d->s->paths.sock);
	/* We hold the lock, so a socket file here is a dead daemon's. */
	unlink(sa.sun_path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	old = umask(0077);
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || chmod(sa.sun_path, 0600) < 0 ||
	    listen(fd, MAX_CLIENTS) < 0) {
		umask(old);
		fprintf(stderr, "segue: cannot listen on %s: %s\n", sa.sun_path, strerror(errno));
		close(fd);
		return -1;
	}
	umask(old);
	d->listen_fd = fd;
	return 0;
}

static void stop_listening(struct daemon *d)
{
	if (d->listen_fd < 0)
		return;
	unlink(d->s->paths.sock);
	close(d->listen_fd);
	d->listen_fd = -1;
}

static int signals(struct daemon *d)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	signal(SIGPIPE, SIG_IGN);
	d->sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	return d->sig_fd < 0 ? -1 : 0;
}

/* One client's turn: read (when poll said so), answer what it asked while its output has
 * room, send. false: close it (an error, its output over the bound, or all done after it
 * shut down its side). */
static bool client_pump(struct daemon *d, struct client *c, short revents)
{
	if ((revents & POLLIN) && !client_read(c))
		return false;
	/* Until its output is over the mark (poll then waits for it to drain) or no request is
	 * left (poll waits for more): a request read earlier has no event of its own to wake
	 * the loop for it. The input bound (CTL_LINE_MAX) bounds the turn. */
	do {
		client_serve(d, c);
		if (!client_flush(c) || c->overflow)
			return false;
	} while (c->outlen < CLIENT_OUT_HIGH && client_has_line(c));
	if ((revents & (POLLHUP | POLLERR)) && !(revents & POLLIN))
		return false; /* gone both ways: nothing can reach it any more */
	return !(c->eof && !c->outlen && !client_has_line(c));
}

static void loop(struct daemon *d)
{
	enum { FIXED = 5 + MPRIS_NFDS };
	struct pollfd pfd[FIXED + MAX_CLIENTS];

	while (!d->quit) {
		long long now = clock_mono_ms();
		long timeout = player_timeout_ms(d->s->player), bus = mpris_poll(d->mpris, &pfd[5]), idle;
		int n = 0;

		if (bus >= 0 && (timeout < 0 || bus < timeout))
			timeout = bus;

		if (d->outbox_due) {
			long t = d->outbox_due > now ? (long)(d->outbox_due - now) : 0;

			if (timeout < 0 || t < timeout)
				timeout = t;
		}
		idle = close_idle(d);
		if (idle >= 0 && (timeout < 0 || idle < timeout))
			timeout = idle;
		pfd[n++] = (struct pollfd){ .fd = d->listen_fd, .events = POLLIN };
		pfd[n++] = (struct pollfd){ .fd = d->sig_fd, .events = POLLIN };
		pfd[n++] = (struct pollfd){ .fd = player_fd(d->s->player), .events = POLLIN };
		pfd[n++] = (struct pollfd){ .fd = device_fd(d->s->device), .events = POLLIN };
		pfd[n++] = (struct pollfd){ .fd = d->s->downloader ? downloader_fd(d->s->downloader) : -1,
		                            .events = POLLIN };
		n += MPRIS_NFDS; /* filled above */
		/* Requests are read only while the answers are taken (backpressure). */
		for (int i = 0; i < d->nclients; i++) {
			struct client *c = &d->clients[i];
			bool reading = !c->eof && c->outlen < CLIENT_OUT_HIGH;

			pfd[n++] = (struct pollfd){ .fd = c->fd, .events = (short)((reading ? POLLIN : 0) |
			                                                           (c->outlen ? POLLOUT : 0)) };
		}
		if (poll(pfd, (nfds_t)n, (int)timeout) < 0 && errno != EINTR) {
			log_err("poll: %s", strerror(errno));
			break;
		}
		if (pfd[1].revents & POLLIN) {
			struct signalfd_siginfo si;

			while (read(d->sig_fd, &si, sizeof si) == sizeof si)
				if (si.ssi_signo != SIGHUP)
					d->quit = true;
		}
		if (pfd[2].revents & POLLIN)
			player_dispatch(d->s->player);
		if (player_timeout_ms(d->s->player) == 0)
			player_tick(d->s->player);
		if (pfd[3].revents & POLLIN)
			device_dispatch(d->s->device);
		if (pfd[4].revents & POLLIN)
			on_downloads(d);
		mpris_dispatch(d->mpris, &pfd[5]);
		/* Clients by descriptor: the array shifts when one closes. */
		for (int k = FIXED; k < n; k++) {
			int i;

			for (i = 0; i < d->nclients && d->clients[i].fd != pfd[k].fd; i++)
				;
			if (i == d->nclients)
				continue;
			if (!client_pump(d, &d->clients[i], pfd[k].revents))
				client_close(d, i);
		}
		/* All that wait, up to a table's worth: a burst does not fill the backlog. */
		for (int k = 0; k < MAX_CLIENTS && (pfd[0].revents & POLLIN); k++) {
			int fd = accept4(d->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

			if (fd < 0)
				break;
			accept_client(d, fd);
		}
		if (d->outbox_due && clock_mono_ms() >= d->outbox_due)
			deliver_outbox(d);
	}
	/* Answers already queued (e.g. to "quit") still go out. */
	for (int i = 0; i < d->nclients; i++)
		client_flush(&d->clients[i]);
}

/* In the background: a child that tells the parent over a pipe when it listens. */
static int detach(struct seg *s, int *ready_fd)
{
	int pfd[2], devnull, logfd;
	pid_t pid;
	char c;

	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -1;
	if ((pid = fork()) < 0)
		return -1;
	if (pid > 0) {
		close(pfd[1]);
		/* 1 byte: listening. EOF: the child failed (its reason is in the log). */
		ssize_t n;

		while ((n = read(pfd[0], &c, 1)) < 0 && errno == EINTR)
			;
		close(pfd[0]);
		if (n != 1) {
			fprintf(stderr, "segue: the daemon did not start (see %s)\n", s->paths.log);
			_exit(1);
		}
		_exit(0);
	}
	close(pfd[0]);
	setsid();
	if (paths_mkdir(s->paths.data_dir) == SEG_OK &&
	    (logfd = open(s->paths.log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600)) >= 0) {
		dup2(logfd, STDERR_FILENO);
		close(logfd);
	}
	if ((devnull = open("/dev/null", O_RDWR)) >= 0) {
		dup2(devnull, STDIN_FILENO);
		dup2(devnull, STDOUT_FILENO);
		close(devnull);
	}
	*ready_fd = pfd[1];
	return 0;
}

int daemon_run(struct seg *s, bool detach_it)
{
	struct daemon d = { .s = s, .listen_fd = -1, .sig_fd = -1, .lock_fd = -1 };
	int ready_fd = -1, status = 1, recovered;
	struct store *st;
	enum seg_err e;

	if ((e = paths_runtime(&s->paths))) {
		fprintf(stderr, "segue: %s\n", seg_errmsg());
		return seg_exit_status(e);
	}
	if (take_lock(&d) < 0)
		return 1;
	if (detach_it && detach(s, &ready_fd) < 0) {
		fprintf(stderr, "segue: cannot detach: %s\n", strerror(errno));
		goto out;
	}
	if (write_pid(&d) < 0 || signals(&d) < 0)
		goto out;
	s->face = &d;
	if (!(st = seg_store(s))) {
		log_err("%s", seg_errmsg());
		goto out;
	}
	if ((recovered = outbox_recover(st)) > 0)
		log_info("outbox: %d plays were cut short by an earlier stop", recovered);
	if (!seg_api(s))
		goto out;
	api_set_retries(s->api, 1);
	if ((e = player_new(s, &s->player))) {
		log_err("cannot start the player: %s", seg_errmsg());
		goto out;
	}
	player_set_listener(s->player, on_player_event, &d);
	device_new(s, s->player, "speaker", &s->device);
	if (s->device)
		device_set_listener(s->device, on_device_event, &d);
	/* Downloads go on in the background; a failure to start them is not one to play. */
	if (downloader_start(s, &s->downloader))
		log_warn("downloads are off: %s", seg_errmsg());
	if (listen_on(&d) < 0)
		goto out;
	log_info("segue daemon %s listening on %s", PACKAGE_VERSION, s->paths.sock);
	/* After the player and the device, whose state it shows; without a bus, without it. */
	d.mpris = mpris_start(s);
	if (ready_fd >= 0) {
		(void)!write(ready_fd, "1", 1);
		close(ready_fd);
		ready_fd = -1;
	}
	if (outbox_pending(st) > 0)
		d.outbox_due = clock_mono_ms();
	loop(&d);
	log_info("stopping");
	/* A command that connected from here on would wait for an answer that never comes; with
	 * the socket gone it waits for our lock instead, and then starts the next daemon. */
	stop_listening(&d);
	player_stop(s->player, "paused");
	deliver_outbox(&d);
	status = 0;
out:
	while (d.nclients)
		client_close(&d, d.nclients - 1);
	stop_listening(&d);
	mpris_free(d.mpris);
	d.mpris = NULL;
	downloader_stop(s->downloader);
	s->downloader = NULL;
	device_free(s->device);
	s->device = NULL;
	if (s->player) {
		player_free(s->player);
		s->player = NULL;
	}
	if (d.sig_fd >= 0)
		close(d.sig_fd);
	if (d.lock_fd >= 0) {
		unlink(s->paths.pid);
		close(d.lock_fd);
	}
	if (ready_fd >= 0)
		close(ready_fd);
	s->face = NULL;
	return status;
}

/* --- starting a daemon and connecting to it (the command line, the TUI) ------------------- */

#define START_WAIT_MS 5000 /* a daemon starting or stopping answers, or lets go, within this */
#define START_STEP_MS 20

/* Whether a daemon holds the pid file's lock: it runs, starts or stops. *pid is its pid once it
 * has written it, else 0. The shared lock taken to find out lasts an instant (take_lock). */
static bool daemon_alive(const struct paths *p, long *pid)
{
	char buf[32];
	ssize_t n;
	bool alive;
	int fd = open(p->pid, O_RDONLY | O_CLOEXEC);

	*pid = 0;
	if (fd < 0)
		return false;
	alive = flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
	if (alive && (n = pread(fd, buf, sizeof buf - 1, 0)) > 0) {
		buf[n] = '\0';
		*pid = strtol(buf, NULL, 10);
	}
	close(fd);
	return alive;
}

/* Connects as soon as the daemon that holds the lock listens. SEG_ENOPLAYER (at once when
 * nothing is starting) means no daemon holds it. */
static enum seg_err wait_listening(struct seg *s, int *fd)
{
	long long deadline = clock_mono_ms() + START_WAIT_MS;
	long pid;
	enum seg_err e;

	while ((e = ctl_connect(s->paths.sock, fd)) == SEG_ENOPLAYER && daemon_alive(&s->paths, &pid)) {
		if (clock_mono_ms() >= deadline) {
			if (pid > 0)
				return seg_fail(SEG_EFAIL, "a segue daemon (pid %ld) is starting or stopping but "
				                "did not answer within %d s (see %s)", pid, START_WAIT_MS / 1000,
				                s->paths.log);
			return seg_fail(SEG_EFAIL, "a segue daemon is starting but did not answer within "
			                "%d s (see %s)", START_WAIT_MS / 1000, s->paths.log);
		}
		nanosleep(&(struct timespec){ .tv_nsec = START_STEP_MS * 1000000L }, NULL);
	}
	return e;
}

/* The first line the child wrote on fd, without our "segue: ", and without waiting: a
 * daemon that could not open its log still holds the pipe. */
static void read_reason(int fd, char *why, size_t size)
{
	ssize_t n;
	size_t len = 0;

	fcntl(fd, F_SETFL, O_NONBLOCK);
	while (len + 1 < size && (n = read(fd, why + len, size - 1 - len)) > 0)
		len += (size_t)n;
	why[len] = '\0';
	why[strcspn(why, "\n")] = '\0';
	if (!strncmp(why, "segue: ", 7))
		memmove(why, why + 7, strlen(why + 7) + 1);
}

/* Runs `segue daemon --detach` (this executable) with s's server and audio output and the
 * config file given (NULL: the default), and waits until it listens. What the child says on
 * failure becomes our error's message rather than lines on our standard error: the screen
 * may be the TUI's, and a daemon that lost the race to another is no news to the caller. */
static enum seg_err spawn(struct seg *s, const char *config)
{
	const char *args[12];
	int n = 0, status, errp[2];
	char why[256];
	enum seg_err e = SEG_OK;
	pid_t pid;

	args[n++] = "segue";
	if (config)
		args[n++] = "--config", args[n++] = config;
	args[n++] = "--server", args[n++] = opt_str(&s->opt, OPT_SERVER);
	args[n++] = "--audio-output", args[n++] = opt_str(&s->opt, OPT_AUDIO_OUTPUT);
	args[n++] = "daemon";
	args[n++] = "--detach";
	args[n] = NULL;
	if (pipe2(errp, O_CLOEXEC) < 0)
		return seg_fail(SEG_EFAIL, "pipe: %s", strerror(errno));
	if ((pid = fork()) < 0) {
		e = seg_fail(SEG_EFAIL, "fork: %s", strerror(errno));
		goto out;
	}
	if (pid == 0) {
		dup2(errp[1], STDERR_FILENO);
		execv("/proc/self/exe", (char **)args);
		_exit(127);
	}
	close(errp[1]);
	errp[1] = -1;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			e = seg_fail(SEG_EFAIL, "waitpid: %s", strerror(errno));
			goto out;
		}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		goto out;
	read_reason(errp[0], why, sizeof why);
	if (!why[0])
		e = seg_fail(SEG_EFAIL, "the daemon did not start (see %s)", s->paths.log);
	else if (!strncmp(why, "the daemon did not start", 24))
		e = seg_fail(SEG_EFAIL, "%s", why);
	else
		e = seg_fail(SEG_EFAIL, "the daemon did not start: %s", why);
out:
	close(errp[0]);
	if (errp[1] >= 0)
		close(errp[1]);
	return e;
}

enum seg_err daemon_connect(struct seg *s, const char *config, bool start, int *fd, bool *started)
{
	char why[300];
	enum seg_err e, spawned;

	if (started)
		*started = false;
	if ((e = wait_listening(s, fd)) != SEG_ENOPLAYER || !start)
		return e;
	if ((spawned = spawn(s, config)) == SEG_OK && started)
		*started = true;
	snprintf(why, sizeof why, "%s", seg_errmsg());
	/* Ours listens now. Or it lost the lock to one that another command started at the same
	 * moment, and that one serves as well. */
	if ((e = wait_listening(s, fd)) == SEG_ENOPLAYER && spawned)
		return seg_fail(spawned, "%s", why);
	return e;
}
