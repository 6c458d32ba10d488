/* The Connect session's transport: one WebSocket to the hub (doc/connect.md), kept open by a
 * thread of its own that runs libwebsockets' loop, reconnects with backoff and keeps the
 * heartbeat. The owner's loop (the daemon's, the TUI's) never blocks on it: it queues whole
 * JSON texts with connect_send, and polls connect_fd() for what arrives.
 *
 * Besides the hub's messages, connect_next() hands out the session's own events, JSON objects
 * whose type starts with an underscore:
 *   {"type": "_connected"}     the socket is up: send the hello now (connect_hello);
 *   {"type": "_disconnected"}  it went down; a reconnect is scheduled;
 *   {"type": "_unauthorized"}  the hub refused the token: connect_set_token a fresh one.
 * Messages queued while the session is down are dropped: the hello after a reconnect carries
 * the whole state. */
#ifndef SEGUE_CONNECT_H
#define SEGUE_CONNECT_H

#include <stdbool.h>

#include "err.h"

struct connect;

/* server is the API's base URL (http:// or https://). */
enum seg_err connect_new(const char *server, struct connect **out);
/* Stops the thread (closing the socket) and frees everything. */
void connect_free(struct connect *c);

/* The access token for the next handshake; after an "_unauthorized", setting one reconnects. */
void connect_set_token(struct connect *c, const char *token);
enum seg_err connect_start(struct connect *c);

/* Readable when connect_next has something. */
int connect_fd(struct connect *c);
/* The next message (malloc'd text the caller frees), or NULL. */
char *connect_next(struct connect *c);

/* The first message of this connection; nothing else is written before it. */
void connect_hello(struct connect *c, const char *text);
void connect_send(struct connect *c, const char *text);
/* The socket is up and the hello has gone out. */
bool connect_ready(struct connect *c);

#endif
