/* The control socket's line reader, both ends of it.
 *
 * The daemon's end (src/core/daemon.c: client_pump, its reading, answering and sending,
 * compiled in here so that its static functions run as the daemon's loop runs them): the input is what a
 * client sends, written to a socket in pieces of the sizes its first bytes choose and read
 * as the daemon's loop reads it. Each request line is parsed and checked against the real
 * command table (cmd_run_argv: cmd_find, cmd_parse); only the execution (cmd_route) is the
 * harness's, which answers with the command's name, so no player or server is needed. Every
 * complete line gets exactly one answer, in order, that the client's reader (ctl_read) takes.
 *
 * The client's end, when the first byte is odd: the input is what a daemon sends, and
 * ctl_read takes it line by line until it fails, never returning something that is not an
 * object. */
#include "../src/core/daemon.c"

#include <fcntl.h>
#include <sys/socket.h>

#include "fuzz.h"

/* The execution step: the command was found and its arguments parsed by the real table. */
enum seg_err cmd_route(struct seg *s, const struct cmd_entry *c, struct cmd_args *a, int argc,
                       char **argv, int *ctl_fd, json_t **out)
{
	(void)s;
	(void)argv;
	(void)ctl_fd;
	fuzz_check(c && a && argc >= 1 && a->argc >= 0 && a->argc < argc, "cmd_route(%p, %d)", (void *)c, argc);
	*out = json_pack("{s:s,s:i}", "command", c->name, "args", a->argc);
	return *out ? SEG_OK : seg_fail(SEG_ENOMEM, "out of memory");
}

static int count_lines(const uint8_t *data, size_t size)
{
	int n = 0;

	for (size_t i = 0; i < size; i++)
		n += data[i] == '\n';
	return n;
}

/* Takes every answer the daemon wrote so far; returns how many, checking each. */
static int drain(int fd)
{
	int n = 0;
	json_t *msg;

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (poll(&p, 1, 0) <= 0 || !(p.revents & POLLIN))
			return n;
		char peek;
		if (recv(fd, &peek, 1, MSG_PEEK | MSG_DONTWAIT) <= 0)
			return n;
		/* What the daemon sent is in the socket already (it runs in this thread), so the
		 * wait only rides out a stall of this process: 1 s failed once at nice 19 on a
		 * loaded machine, an input that runs in 1 ms. */
		fuzz_check(ctl_read(fd, 10000, &msg) == SEG_OK, "the daemon's answer does not read: %s",
		           seg_errmsg());
		fuzz_check(json_object_get(msg, "ok") && !json_object_get(msg, "event"), "an answer without ok");
		json_decref(msg);
		n++;
	}
}

static void daemon_side(const uint8_t *data, size_t size)
{
	static struct seg seg;
	struct daemon d = { .s = &seg };
	struct client *c = &d.clients[0];
	int sv[2], answers = 0, complete;
	size_t off = 0;
	uint8_t step;
	bool open = true;

	if (size < 1)
		return;
	step = data[0] | 1;
	data++;
	size--;
	/* The daemon's end is non-blocking, as accept4 makes it in the daemon. */
	fuzz_check(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0, "socketpair");
	fuzz_check(fcntl(sv[0], F_SETFL, O_NONBLOCK) == 0, "O_NONBLOCK");
	d.nclients = 1;
	c->fd = sv[0];
	if (size == 0)
		shutdown(sv[1], SHUT_WR); /* a client that connects and says nothing */
	while (open && off < size) {
		size_t n = size - off < (size_t)step * 16 ? size - off : (size_t)step * 16;

		fuzz_check(send(sv[1], data + off, n, MSG_NOSIGNAL) == (ssize_t)n, "send");
		off += n;
		if (off == size)
			shutdown(sv[1], SHUT_WR);
		open = client_pump(&d, c, POLLIN);
		answers += drain(sv[1]);
	}
	if (off < size || !open) {
		/* closed early: a line over the limit, or its output past the bound */
	} else {
		/* The client has shut its side: the daemon answers the rest, then closes. */
		for (int turns = 0; turns < 100000 && open; turns++) {
			open = client_pump(&d, c, POLLIN);
			answers += drain(sv[1]);
		}
		fuzz_check(!open, "the daemon kept a client that had shut down and was answered");
	}
	answers += drain(sv[1]);
	complete = count_lines(data, size);
	/* A line too long for the daemon closes the connection; any other is answered. */
	if (size < CTL_LINE_MAX)
		fuzz_check(answers == complete, "%d lines, %d answers", complete, answers);
	else
		fuzz_check(answers <= complete, "%d lines, %d answers", complete, answers);
	client_close(&d, 0);
	close(sv[1]);
}

static void client_side(const uint8_t *data, size_t size)
{
	int sv[2];
	json_t *msg;

	fuzz_check(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0, "socketpair");
	fuzz_check(send(sv[1], data, size, MSG_NOSIGNAL) == (ssize_t)size, "send");
	shutdown(sv[1], SHUT_WR);
	while (ctl_read(sv[0], 1000, &msg) == SEG_OK) {
		fuzz_check(json_is_object(msg), "ctl_read gave a non-object");
		json_decref(msg);
	}
	fuzz_check(msg == NULL, "a failed read left a message");
	close(sv[0]);
	close(sv[1]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 0 && (data[0] & 1))
		client_side(data + 1, size - 1);
	else if (size > 0)
		daemon_side(data + 1, size - 1);
	return 0;
}
