#include "config.h"
#include "http/linger.h"

#include <libwebsockets.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"

/* Marks lingering connections (their lws opaque pointer): its address, not its value. */
static const char tag = 'L';

int linger_hand_off(struct lws *wsi)
{
	int fd = lws_get_socket_fd(wsi), dup_fd;
	lws_adopt_desc_t info;

	if (fd < 0 || (dup_fd = dup(fd)) < 0)
		return -1;
	/* The FIN goes out now, after the answer; the socket stays open for reading. */
	shutdown(dup_fd, SHUT_WR);
	memset(&info, 0, sizeof info);
	info.vh = lws_get_vhost(wsi);
	info.type = LWS_ADOPT_SOCKET;
	info.fd.sockfd = dup_fd;
	info.vh_prot_name = lws_get_protocol(wsi)->name;
	info.opaque = (void *)&tag;
	if (!lws_adopt_descriptor_vhost_via_info(&info)) {
		/* lws closed dup_fd already */
		log_debug("http: cannot linger on a closed connection (out of connections?)");
		return -1;
	}
	return 0;
}

bool linger_is(struct lws *wsi)
{
	return lws_get_opaque_user_data(wsi) == &tag;
}

void linger_adopted(struct lws *wsi, long secs)
{
	lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, (int)secs);
}

int linger_rx(long long *discarded, size_t len)
{
	*discarded += (long long)len;
	return *discarded > LINGER_MAX_BYTES ? -1 : 0;
}
