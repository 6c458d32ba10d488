/* The Connect WebSocket endpoint: handshake authentication, message assembly and size
 * limits, per-session output queues. Whole messages go to the hub (server/connect/hub.h); nothing here
 * knows what they mean. It is its own lws protocol, beside http/'s: http/ only hands it the
 * upgrade check (struct http_ctx's upgrade), and the token is checked by the hub's
 * authenticate (struct hub_config). */
#ifndef SEGUE_WS_H
#define SEGUE_WS_H

#include <stddef.h>

struct hub_conn;
struct lws;

#define WS_PROTOCOL "segue-connect.v1"
#define WS_PATH "/v1/connect"
/* lws's receive buffer per session (the protocol's rx_buffer_size): what one read takes.
 * Longer messages come in pieces (ws.c assembles them); lws's default, 4 KiB, would be half
 * of what an idle session may cost. */
#define WS_RX_BUFFER 1024
/* The most one send() of a session takes (the protocol's tx_packet_size; without it lws
 * would cut at WS_RX_BUFFER and copy the rest). */
#define WS_TX_PACKET 65536

/* Messages a session may send per second: ten times what a busy player needs. Frames that
 * start no message (pings, pongs, closes, continuation fragments) have a budget of their own
 * of the same size (wsguard.h). */
#define WS_RATE_MAX 200

/* Close codes of our own (4000-4999 are for applications). */
enum {
	WS_CLOSE_HELLO_FIRST = 4000,
	WS_CLOSE_REVOKED = 4001,
	WS_CLOSE_TOO_MANY_ERRORS = 4002,
	WS_CLOSE_REPLACED = 4003,
	WS_CLOSE_RATE = 4008,
};

/* Queues one text message (copied). A session whose queue grows past what a slow reader can
 * be allowed to hold is closed. */
void ws_send(struct hub_conn *c, const char *text, size_t len);

/* One message for many sessions (a broadcast): made once, queued to each by reference. */
struct ws_payload;
struct ws_payload *ws_payload_new(const char *text, size_t len);
void ws_send_payload(struct hub_conn *c, struct ws_payload *p);
void ws_payload_unref(struct ws_payload *p);
/* Closes after what is queued has been sent. reason is a string literal (kept, not copied). */
void ws_close(struct hub_conn *c, int code, const char *reason);
/* Frees what a session holds besides the hub's part (its output queue, receive buffer, name
 * and watches), once the hub has let it go; lws frees the struct itself. */
void ws_conn_release(struct hub_conn *c);

/* The HTTP side's upgrade check (LWS_CALLBACK_HTTP_CONFIRM_UPGRADE; http/'s struct
 * http_ctx upgrade, with the hub as ud): 0 lets a valid Connect handshake through; 1 means
 * it was refused with an HTTP status (401, 400, 404). */
int ws_confirm_upgrade(void *hub, struct lws *wsi);

/* lws protocol callback; registered by cli/serve.c after the HTTP one, with the hub as the
 * protocol's user pointer and struct hub_conn as its per-session memory. */
int ws_callback(struct lws *wsi, int reason, void *user, void *in, size_t len);

#endif
