/* A response body that another thread produces while it is being sent: a transcode, where
 * the bytes do not exist until an encoder makes them. The producer writes into a bounded
 * buffer and waits while it is full, so a slow reader costs one buffer, never the whole
 * body; the service loop sends what the buffer holds whenever the socket takes more.
 *
 * Ownership. A feed has two owners, each dropping its reference once: the request (loop
 * side: until its answer is sent, or its connection closes) and the producer (until
 * http_feed_end). A feed queued for a wake-up holds a third reference while queued. Its
 * lock guards the buffer and the producer's state; f->r is the loop's alone.
 *
 * Wake-ups. The producer never touches lws or the request. When the loop finds the buffer
 * empty it marks the feed as waiting; the producer's next write (or its end) queues the
 * feed and calls lws_cancel_service, the one lws call safe from another thread; on the
 * loop, LWS_CALLBACK_EVENT_WAIT_CANCELLED runs http_feed_drain, which answers the pending
 * request (its headers go out with the first bytes) or asks for a writeable event. A
 * request that goes (its client left, or a deadline of http/watch.h closed it) detaches the
 * feed: the producer's next write, or the one it is waiting in, fails at once, which is its
 * signal to stop.
 *
 * Framing: a body of unknown length goes out chunked (to an HTTP/1.0 client, which knows
 * no chunks, as it is, ended by the connection's close); of a length given in advance, as
 * exactly that many bytes (what the producer writes beyond it is dropped and fails the
 * write; a producer that ends short has the connection closed, since the client was
 * promised more). */
#ifndef SEGUE_HTTP_FEED_H
#define SEGUE_HTTP_FEED_H

#include <stdbool.h>
#include <stddef.h>

struct req;
struct http_feed;

/* Answers r (on the loop) when the producer fails before its first byte; why is the
 * producer's one-line reason. r is then answered as any deferred request. */
typedef void (*http_feed_fail_fn)(struct req *r, const char *why, void *arg);

/* Loop, from a handler that has set r's status, content type and headers: r becomes
 * pending until the producer's first bytes (http/watch.h's deferred deadline applies to
 * them), then streams. length: the exact body length, or -1 (chunked). cap: the bytes
 * buffered at most. Returns the feed, holding the producer's reference, or NULL with r
 * answered 500. */
struct http_feed *http_feed_start(struct req *r, long long length, size_t cap,
                                  http_feed_fail_fn fail, void *arg);

/* Producer: appends n bytes, waiting while the buffer is full. Returns 0, or -1 once the
 * request has gone or the declared length is reached (stop producing). */
int http_feed_write(struct http_feed *f, const void *p, size_t n);
/* Producer: whether the request has gone (stop producing), without writing. */
bool http_feed_gone(struct http_feed *f);
/* Producer: the body is complete (why NULL) or failed (why: a reason, used for the answer
 * if nothing was sent yet; otherwise the connection is closed mid-body). Drops the
 * producer's reference: f must not be used again. */
void http_feed_end(struct http_feed *f, const char *why);

/* Loop: the feeds whose producer woke the loop (LWS_CALLBACK_EVENT_WAIT_CANCELLED). */
void http_feed_drain(void);

/* Before the lws context is destroyed: producers post no more wake-ups. */
void http_feed_shutdown(void);

/* http.c's side, on the loop. */
/* Sends what r's feed holds: 1 when the body is complete, 0 to wait (a writeable event or
 * a wake-up will come), -1 to close the connection. */
int http_feed_send(struct req *r);
/* The request is done with its feed (answered, or going): drops the loop's reference. */
void http_feed_detach(struct req *r);
/* The length to announce in r's headers, or -1 for chunked. */
long long http_feed_length(const struct req *r);

#endif
