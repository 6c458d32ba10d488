/* The quick path: simple GET requests for files (audio ranges) answered beside lws.
 *
 * Why: on a keep-alive connection, lws 4.1.6 spends on each request more than all the rest of
 * the server together -- a header table allocated and freed (8 KiB), the request parsed a byte
 * at a time through a state machine that calls its logger for each byte, the timeouts moved
 * in and out of its sorted list -- about two thirds of the instructions of a 64 KiB audio
 * Range request (callgrind: 99,000 a request; lws's parser alone 32,000). nginx spends a third
 * of segue's user time on the same request (bench/stream.sh).
 *
 * How: lws reads every socket through recv(2), which this executable defines
 * (connect/wsguard.c); the bytes read from an HTTP connection whose last exchange is over are
 * shown to quick_rx first. When they are exactly one complete request of the simplest shape
 * (GET, HTTP/1.1, a path under one of the application's quick prefixes made of plain
 * characters, no body, no Connection: close, no upgrade), it is answered here: parsed into a
 * struct req, run through the same dispatch, route and handler as any request, its answer
 * written straight to the socket (the file range with sendfile), and recv tells lws that
 * nothing came (EAGAIN). Anything else goes to lws untouched, so every rule of the slow path
 * (limits, 4xx answers, pipelining, bodies) still applies to whatever is not plainly a
 * quick request. A connection is quick only between exchanges that lws completed or that
 * were answered here, so lws holds no part of it (no buffered input or output).
 *
 * What the socket does not take at once is sent when it is writeable, on a watcher of the
 * service loop's own (http_ctx.io_start); meanwhile lws reads nothing more of the connection
 * (rx flow control), and the send deadline (http/watch.h) applies as on the slow path.
 * Once an answer is out the connection waits for its next request as lws leaves a kept-alive
 * connection that keeps its header table (quick.c, finished): timed by the keep-alive
 * timeout. lws attached the table to read the request and 4.1.6 has no public way to give it
 * back, so such a connection holds one of the pool's tables (8 KiB; cli/serve.c sizes the
 * pool) while idle, where lws would have freed it. Private to server/http/. */
#ifndef SEGUE_HTTP_QUICK_H
#define SEGUE_HTTP_QUICK_H

#include <stddef.h>
#include <sys/types.h>

struct lws;

/* wsi's exchange is over and lws holds nothing of it: its next request may be quick. */
void quick_ready(struct lws *wsi);
/* lws took a request of wsi itself: none is quick until its exchange is over. */
void quick_busy(struct lws *wsi);
/* wsi closes: forgets it (and drops an answer still being sent). */
void quick_forget(struct lws *wsi);
/* A descriptor number begins a new connection (accepted, or adopted for a lingering close):
 * whatever was kept under it is dropped, so that a connection whose close lws did not report
 * could never lend its state to the next one. wsi: any connection of the context. */
void quick_new_fd(struct lws *wsi, int fd);
/* The recv hook (connect/wsguard.h): n bytes just read from fd into buf. Returns n to hand them
 * to lws, or -1 with errno EAGAIN when they were a request answered here. */
ssize_t quick_rx(int fd, void *buf, size_t n);

#endif
