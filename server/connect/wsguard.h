/* The Connect sessions' frame guard: limits what lws handles for us without telling us.
 *
 * lws answers pings itself and never calls us for a ping, a close or an empty continuation
 * frame, and it accepts unmasked client frames (it only records the mask bit). So a session
 * could make this process parse and answer pings flat out, past every limit ws.c keeps on
 * messages. The guard watches the bytes of each Connect session's socket as lws reads them
 * (wsguard.c says how) and closes a session that
 *   - sends a frame without a mask (RFC 6455 5.1: close code 1002),
 *   - sends more than WS_RATE_MAX frames a second that are not the start of a message (pings,
 *     pongs, closes, continuation fragments, empty or not; close code 1008), the same budget
 *     ws.c gives messages,
 *   - sent frames before it was told the handshake succeeded (RFC 6455 4.1; 1002): the guard
 *     would not know where a frame starts, so such a session is not let in.
 * One lws service thread is assumed (as the whole server does). */
#ifndef SEGUE_WSGUARD_H
#define SEGUE_WSGUARD_H

#include <stddef.h>
#include <stdint.h>

struct lws;

/* At LWS_CALLBACK_ESTABLISHED: starts watching the session's socket. -1 with *why set
 * (a static string) when the session must be refused with close code 1002, or when memory
 * ran out (then *why says so). */
int wsguard_open(struct lws *wsi, const char **why);
/* At LWS_CALLBACK_CLOSED (any wsi: one not watched is ignored). Before lws closes the
 * descriptor, so its number cannot be reused by another session meanwhile. */
void wsguard_close(struct lws *wsi);

/* Bytes read on the service thread from a socket the guard does not watch (HTTP) go to hook
 * first, which returns how many to hand on to lws (all of them, or -1 with errno set: EAGAIN
 * when it took the bytes itself). Set by cli/serve.c before the loop runs; NULL: none. */
#include <sys/types.h>
typedef ssize_t (*wsguard_rx_hook)(int fd, void *buf, size_t n);
void wsguard_set_rx_hook(wsguard_rx_hook hook);

/* The frame-header reader, exposed for its unit test and the benchmark. */
enum { WSG_OK = 0, WSG_UNMASKED = 1002, WSG_FLOOD = 1008 };

struct wsg_scan {
	uint64_t skip;      /* payload bytes still to pass over */
	uint8_t state;      /* where in a frame header the next byte falls */
	uint8_t need;       /* extended-length or mask bytes still to come */
	uint8_t opcode, fin;
	uint64_t len;       /* the frame's payload length, as read so far */
	int64_t window_ms;  /* start of the current one-second window */
	int count;          /* frames counted in it */
};

/* Reads n bytes of a client's stream. Returns WSG_OK, or the close code of the first
 * violation with *at set to the offset (in p) of the frame that made it; now_ms is a
 * monotonic clock, read once per call. */
int wsg_scan_bytes(struct wsg_scan *s, const unsigned char *p, size_t n, int64_t now_ms,
                   size_t *at);

#endif
