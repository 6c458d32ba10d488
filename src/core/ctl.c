/* The client side of the control protocol. */
#include "config.h"
#include "ctl.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"

enum seg_err ctl_connect(const char *path, int *fd)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int s;

	*fd = -1;
	if (strlen(path) >= sizeof sa.sun_path)
		return seg_fail(SEG_EUSAGE, "control socket path too long");
	strcpy(sa.sun_path, path);
	if ((s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return seg_fail(SEG_EIO, "socket: %s", strerror(errno));
	if (connect(s, (struct sockaddr *)&sa, sizeof sa) < 0) {
		int err = errno;

		close(s);
		if (err == ENOENT || err == ECONNREFUSED)
			return seg_fail(SEG_ENOPLAYER, "no segue daemon is running");
		return seg_fail(SEG_EIO, "cannot connect to %s: %s", path, strerror(err));
	}
	*fd = s;
	return SEG_OK;
}

enum seg_err ctl_write(int fd, json_t *msg)
{
	char *text = json_dumps(msg, JSON_COMPACT);
	size_t len, off = 0;
	enum seg_err e = SEG_OK;

	if (!text)
		return seg_fail(SEG_ENOMEM, "out of memory");
	len = strlen(text);
	text[len] = '\n'; /* json_dumps' terminator becomes the line end */
	len++;
	while (off < len) {
		ssize_t n = send(fd, text + off, len - off, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			e = seg_fail(SEG_ENOPLAYER, "the daemon went away: %s", strerror(errno));
			break;
		}
		off += (size_t)n;
	}
	free(text);
	return e;
}

/* Reads byte by byte up to the newline: replies are small and rare, and this keeps no
 * buffered bytes of the next message hidden between calls. */
enum seg_err ctl_read(int fd, long timeout_ms, json_t **msg)
{
	long long deadline = timeout_ms < 0 ? -1 : clock_mono_ms() + timeout_ms;
	size_t len = 0, cap = 4096;
	char *line = malloc(cap);
	enum seg_err e;
	json_error_t jerr;

	*msg = NULL;
	if (!line)
		return seg_fail(SEG_ENOMEM, "out of memory");
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		long wait = deadline < 0 ? -1 : (long)(deadline - clock_mono_ms());
		char buf[4096];
		ssize_t n;

		if (deadline >= 0 && wait <= 0) {
			e = seg_fail(SEG_EFAIL, "the daemon did not answer in time");
			goto out;
		}
		if (poll(&pfd, 1, (int)wait) < 0 && errno != EINTR) {
			e = seg_fail(SEG_EIO, "poll: %s", strerror(errno));
			goto out;
		}
		if (!(pfd.revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		n = recv(fd, buf, sizeof buf, MSG_PEEK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			e = seg_fail(SEG_ENOPLAYER, "the daemon closed the connection");
			goto out;
		}
		char *nl = memchr(buf, '\n', (size_t)n);
		size_t take = nl ? (size_t)(nl - buf) + 1 : (size_t)n;

		if (len + take + 1 > CTL_LINE_MAX) {
			e = seg_fail(SEG_EPROTO, "the daemon sent a line over %d bytes", CTL_LINE_MAX);
			goto out;
		}
		if (len + take + 1 > cap) {
			char *p;

			while (len + take + 1 > cap)
				cap *= 2;
			if (!(p = realloc(line, cap))) {
				e = seg_fail(SEG_ENOMEM, "out of memory");
				goto out;
			}
			line = p;
		}
		n = recv(fd, line + len, take, 0);
		if (n <= 0) {
			e = seg_fail(SEG_ENOPLAYER, "the daemon closed the connection");
			goto out;
		}
		len += (size_t)n;
		if (nl)
			break;
	}
	line[len] = '\0';
	if (!(*msg = json_loads(line, 0, &jerr)) || !json_is_object(*msg)) {
		json_decref(*msg);
		*msg = NULL;
		e = seg_fail(SEG_EPROTO, "the daemon sent something that is not a JSON object");
		goto out;
	}
	e = SEG_OK;
out:
	free(line);
	return e;
}

enum seg_err ctl_call(int fd, int argc, char **argv, long timeout_ms, json_t **result)
{
	json_t *req = json_pack("{s:i,s:[]}", "id", 1, "argv"), *args, *resp = NULL, *err;
	enum seg_err e;

	*result = NULL;
	if (!req)
		return seg_fail(SEG_ENOMEM, "out of memory");
	args = json_object_get(req, "argv");
	for (int i = 0; i < argc; i++)
		json_array_append_new(args, json_string(argv[i]));
	if ((e = ctl_write(fd, req)))
		goto out;
	/* Skip events: a connection that subscribed may see them before its response. */
	do {
		json_decref(resp);
		if ((e = ctl_read(fd, timeout_ms, &resp)))
			goto out;
	} while (json_object_get(resp, "event"));
	if (json_is_true(json_object_get(resp, "ok"))) {
		*result = json_incref(json_object_get(resp, "result"));
		if (!*result)
			*result = json_null();
	} else if ((err = json_object_get(resp, "error"))) {
		const char *msg = json_string_value(json_object_get(err, "message"));

		e = seg_fail(seg_err_from_name(json_string_value(json_object_get(err, "code"))),
		             "%s", msg ? msg : "the daemon refused the command");
	} else {
		e = seg_fail(SEG_EPROTO, "the daemon sent a response without ok");
	}
out:
	json_decref(req);
	json_decref(resp);
	return e;
}
