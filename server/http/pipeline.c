#include "config.h"
#include "http/pipeline.h"

#include <libwebsockets.h>
#include <netinet/in.h>
#include <linux/sockios.h>
#include <linux/tcp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "http/linger.h"

/* Kept as the connection's lws opaque pointer from its first request on. */
struct pipeline {
	uint64_t read;  /* bytes lws had read when the last request's input ended */
	bool known;     /* false: the socket gave no figures */
};

/* Bytes lws has taken from fd so far: what the kernel received less what it still holds. A
 * byte arriving between the two questions would skew the difference, so the received count is
 * asked again and must not have moved; lws itself reads nothing meanwhile (this runs in its
 * callbacks, on its thread). Returns -1 when fd gives no such figures (not TCP). */
static int bytes_read(int fd, uint64_t *out)
{
	for (int tries = 0; tries < 8; tries++) {
		struct tcp_info before, after;
		socklen_t len = sizeof before;
		int queued;

		if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &before, &len) < 0 ||
		    len < offsetof(struct tcp_info, tcpi_bytes_received) + sizeof before.tcpi_bytes_received ||
		    ioctl(fd, SIOCINQ, &queued) < 0)
			return -1;
		len = sizeof after;
		if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &after, &len) < 0)
			return -1;
		if (after.tcpi_bytes_received == before.tcpi_bytes_received) {
			*out = before.tcpi_bytes_received - (uint64_t)queued;
			return 0;
		}
	}
	return -1; /* bytes keep arriving: no steady figure */
}

static struct pipeline *state(struct lws *wsi)
{
	return linger_is(wsi) ? NULL : lws_get_opaque_user_data(wsi);
}

int pipeline_note(struct lws *wsi)
{
	struct pipeline *p = state(wsi);

	if (!p) {
		p = calloc(1, sizeof *p);
		if (!p)
			return -1;
		lws_set_opaque_user_data(wsi, p);
	}
	p->known = bytes_read(lws_get_socket_fd(wsi), &p->read) == 0;
	return 0;
}

bool pipeline_buffered(struct lws *wsi)
{
	struct pipeline *p = state(wsi);
	uint64_t now;

	if (!p)
		return false; /* a first request: its head came off the socket */
	if (!p->known || bytes_read(lws_get_socket_fd(wsi), &now) < 0)
		return true;
	return now == p->read;
}

void pipeline_forget(struct lws *wsi)
{
	struct pipeline *p = state(wsi);

	if (p) {
		lws_set_opaque_user_data(wsi, NULL);
		free(p);
	}
}
