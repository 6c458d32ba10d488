/* Lingering close. A connection answered before its request body was read (413, 411,
 * 400...) must not simply be closed: the kernel answers the client's next bytes with a
 * reset, and a client still sending its body (most do not wait for 100-continue) reads
 * "broken pipe" or "connection reset" instead of the answer. So the answered connection is
 * handed over: its socket is duplicated, half-closed (the client sees the end of the
 * answer), and the duplicate is adopted as a raw connection that reads and drops whatever
 * still comes, until the client closes, a time limit passes, or LINGER_MAX_BYTES were read;
 * then it closes. lws closes the original connection as usual. Private to server/http/. */
#ifndef SEGUE_HTTP_LINGER_H
#define SEGUE_HTTP_LINGER_H

#include <stdbool.h>
#include <stddef.h>

struct lws;

#define LINGER_MAX_BYTES (16LL << 20)

/* Hands wsi's socket to a lingering connection on the same vhost and protocol (whose
 * callback passes its raw events here); wsi must hold no unsent output. The caller then
 * closes wsi. Returns 0, or -1 when it could not (wsi then just closes). */
int linger_hand_off(struct lws *wsi);

/* True for a connection made by linger_hand_off (its raw callbacks are linger's). */
bool linger_is(struct lws *wsi);

/* LWS_CALLBACK_RAW_ADOPT of a lingering connection: arms its time limit. */
void linger_adopted(struct lws *wsi, long secs);

/* Bytes read on a lingering connection: *discarded counts them; -1 when over the limit
 * (close it). */
int linger_rx(long long *discarded, size_t len);

#endif
