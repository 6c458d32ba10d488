/* Deadlines for the states of an HTTP exchange that lws leaves untimed: a body arriving
 * slowly (lws only times each gap between its parts), a deferred answer being prepared, and
 * a response the client does not read. lws times the rest: the request line and headers,
 * the idle keep-alive connection (both set in cli/serve.c).
 *
 * One list of open exchanges and one sweep a second, rather than an lws timeout re-armed on
 * every write: lws keeps its timeouts in one sorted list, and re-arming walks it. Private to
 * server/http/. */
#ifndef SEGUE_HTTP_WATCH_H
#define SEGUE_HTTP_WATCH_H

#include <stdint.h>

struct req;
struct lws_context;

/* Called once a second for each watched exchange, on the service loop; it may answer r or
 * ask lws to close its connection, but not free it. */
typedef void (*watch_check_fn)(struct req *r, int64_t now_ms);

/* Starts watching r (from its request line to its end); the first one arms the sweep on cx. */
void watch_add(struct req *r, struct lws_context *cx, watch_check_fn check);
/* Stops watching r; safe on one never added. */
void watch_del(struct req *r);

/* Milliseconds on the monotonic clock. */
int64_t watch_now_ms(void);

#endif
