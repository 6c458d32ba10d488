/* segue-server serve's service loop: libwebsockets on libev (epoll, through lws's evlib
 * plugin, on a loop made here), or on lws's own poll(2) loop. poll(2) hands the kernel and
 * then scans every open descriptor on each wake-up, so each idle Connect session makes every
 * other event dearer; epoll's cost per wake-up follows the descriptors that are ready. The
 * poll loop stays as a setting (event_loop = poll) to measure against and as a way out if the
 * plugin is missing. Either way SIGINT and SIGTERM end the loop on the service thread. */
#ifndef SEGUE_CLI_LOOP_H
#define SEGUE_CLI_LOOP_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

struct lws_context;
struct lws_context_creation_info;
struct serve_loop;

/* event_loop's value: a new loop (NULL with a one-line message in err when the name is
 * unknown or libev cannot make one). */
struct serve_loop *serve_loop_new(const char *name, char *err, size_t errlen);
/* Tells lws which loop to run on: before lws_create_context. */
void serve_loop_configure(struct serve_loop *l, struct lws_context_creation_info *info);
/* The loop's name, for the log: "libev (epoll)" or "poll". */
const char *serve_loop_describe(const struct serve_loop *l);
/* fn(ctx) runs on the service thread each time the loop is about to wait for events (after
 * everything that came on this pass was handled): before serve_loop_run. */
void serve_loop_before_wait(struct serve_loop *l, void (*fn)(struct lws_context *ctx));
/* Calls fn(arg) on the service thread each time fd can take more output, until
 * serve_loop_io_stop: a watcher beside lws's own (http_ctx.io_start). NULL on the poll loop,
 * or out of memory; serve_loop_has_io says which loops have them. */
void *serve_loop_io_start(void *loop, int fd, void (*fn)(void *arg), void *arg);
void serve_loop_io_stop(void *loop, void *io);
/* The same for input: fn(arg) each time fd has something to read (the Connect bus's
 * database connection, connect/bus.c); stopped with serve_loop_io_stop. */
void *serve_loop_read_start(void *loop, int fd, void (*fn)(void *arg), void *arg);
bool serve_loop_has_io(const struct serve_loop *l);
/* Reports fd writeable to its watchers (lws's) on this pass, as if the kernel had: libev only. */
void serve_loop_feed_writeable(void *loop, int fd);
/* Services ctx until SIGINT or SIGTERM. The caller has blocked sigs in every thread; they are
 * caught from here on and unblocked in this one. */
void serve_loop_run(struct serve_loop *l, struct lws_context *ctx, const sigset_t *sigs);
/* After lws_context_destroy. NULL is fine. */
void serve_loop_free(struct serve_loop *l);

#endif
