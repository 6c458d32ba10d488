/* The Connect endpoint's WebSocket side. A session's struct hub_conn is lws's per-session
 * memory (lws frees it); what it points to (the output queue, the receive buffer) is freed
 * here when the session closes. */
#include "config.h"
#include "connect/ws.h"

#include <libwebsockets.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "connect/hub_internal.h"
#include "connect/wsguard.h"
#include "log.h"
#include "types/user.h"

/* A reader that lets this much pile up is not reading: its session is dropped. */
#define WS_OUT_MAX (16u << 20)

/* A message's bytes, shared by the queues of every session it goes to. lws writes each
 * frame's header into the LWS_PRE bytes before the text; that is safe to share because
 * every write happens on this one thread and lws copies what a socket does not take. */
struct ws_payload {
	int refs;
	size_t len;
	unsigned char data[]; /* LWS_PRE bytes of room, then the text */
};

struct ws_msg {
	struct ws_msg *next;
	struct ws_payload *p;
};

/* Every established session, least recently heard from first, for the liveness sweep (one
 * lws context per process). */
static struct {
	struct hub_conn *all, *last;
	lws_sorted_usec_list_t sul;
	struct lws_context *ctx;
	long heartbeat_ms;
	bool armed;
} live;

/* The hub, at the handshake: the protocol's user pointer (cli/serve.c). Afterwards c->hub. */
static struct hub *hub_of_wsi(struct lws *wsi)
{
	return lws_get_protocol(wsi)->user;
}

struct ws_payload *ws_payload_new(const char *text, size_t len)
{
	struct ws_payload *p = malloc(sizeof *p + LWS_PRE + len);

	if (!p)
		return NULL;
	p->refs = 1;
	p->len = len;
	memcpy(p->data + LWS_PRE, text, len);
	return p;
}

void ws_payload_unref(struct ws_payload *p)
{
	if (p && --p->refs == 0)
		free(p);
}

/* Sends at once when nothing waits before it (most messages: a pong, a state to an idle
 * device), which spares the two epoll_ctl calls and the loop pass of asking lws for a
 * writable callback. lws may write outside that callback when it holds nothing unsent
 * (lws_partial_buffered): what the socket does not take, it keeps and sends first. */
void ws_send_payload(struct hub_conn *c, struct ws_payload *p)
{
	struct ws_msg *m;

	if (!p || !c->wsi || c->close_code)
		return;
	if (!c->out_head && !lws_partial_buffered(c->wsi)) {
		if (lws_write(c->wsi, p->data + LWS_PRE, p->len, LWS_WRITE_TEXT) < 0)
			lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
		return;
	}
	if (c->out_bytes + p->len > WS_OUT_MAX) {
		log_info("connect: dropping a session of %s that does not read what it is sent", c->user_id);
		c->close_code = LWS_CLOSE_STATUS_POLICY_VIOLATION;
		lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
		return;
	}
	if (!(m = malloc(sizeof *m)))
		return;
	m->next = NULL;
	m->p = p;
	p->refs++;
	if (c->out_tail)
		c->out_tail->next = m;
	else
		c->out_head = m;
	c->out_tail = m;
	c->out_bytes += p->len;
	lws_callback_on_writable(c->wsi);
}

void ws_send(struct hub_conn *c, const char *text, size_t len)
{
	struct ws_payload *p = ws_payload_new(text, len);

	ws_send_payload(c, p);
	ws_payload_unref(p);
}

void ws_close(struct hub_conn *c, int code, const char *reason)
{
	if (!c->wsi || c->close_code)
		return;
	c->close_code = code;
	c->close_reason = reason;
	lws_callback_on_writable(c->wsi);
}

/* Liveness: a session silent for three heartbeats is closed. The sessions are kept in the
 * order they were last heard from (a message moves its session to the end), so the sweep,
 * once a second, looks at the silent ones only and stops at the first that is not: a walk
 * over all of them each second cost more than their pings. (Not an lws timeout re-armed
 * per message: lws keeps those in one sorted list, and re-arming walks it.) */
static void live_unlink(struct hub_conn *c)
{
	if (c->all_prev)
		c->all_prev->all_next = c->all_next;
	else if (live.all == c)
		live.all = c->all_next;
	if (c->all_next)
		c->all_next->all_prev = c->all_prev;
	else if (live.last == c)
		live.last = c->all_prev;
	c->all_prev = c->all_next = NULL;
}

static void live_append(struct hub_conn *c)
{
	c->all_next = NULL;
	c->all_prev = live.last;
	if (live.last)
		live.last->all_next = c;
	else
		live.all = c;
	live.last = c;
}

static void touch(struct hub_conn *c)
{
	c->last_rx = lws_now_usecs() / 1000;
	if (live.last != c) {
		live_unlink(c);
		live_append(c);
	}
}

#define SWEEP_US (1000 * LWS_US_PER_MS)

static void sweep(lws_sorted_usec_list_t *sul)
{
	int64_t now = lws_now_usecs() / 1000;

	(void)sul;
	for (struct hub_conn *c = live.all; c && now - c->last_rx > live.heartbeat_ms * 3; c = c->all_next)
		if (c->wsi)
			lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
	if (live.all)
		lws_sul_schedule(live.ctx, 0, &live.sul, sweep, SWEEP_US);
	else
		live.armed = false;
}

static void live_add(struct hub_conn *c)
{
	live_append(c);
	live.ctx = c->hub->cfg.lws;
	live.heartbeat_ms = c->hub->cfg.heartbeat_ms;
	if (!live.armed) {
		live.armed = true;
		lws_sul_schedule(live.ctx, 0, &live.sul, sweep, SWEEP_US);
	}
}

void ws_conn_release(struct hub_conn *c)
{
	while (c->out_head) {
		struct ws_msg *m = c->out_head;

		c->out_head = m->next;
		ws_payload_unref(m->p);
		free(m);
	}
	c->out_tail = NULL;
	c->out_bytes = 0;
	free(c->rx);
	c->rx = NULL;
	c->rx_len = c->rx_cap = 0;
	free(c->name);
	c->name = c->type = NULL;
	free(c->watch);
	c->watch = NULL;
	c->nwatch = 0;
}

static int refuse(struct hub_conn *c, enum lws_close_status code, const char *why)
{
	lws_close_reason(c->wsi, code, (unsigned char *)why, strlen(why));
	return -1;
}

static int receive(struct hub_conn *c, const void *in, size_t len)
{
	int64_t now = lws_now_usecs() / 1000;

	touch(c);
	if (now - c->rate_window >= 1000) {
		c->rate_window = now;
		c->rate_count = 0;
	}
	if (c->rx_len == 0 && ++c->rate_count > WS_RATE_MAX)
		return refuse(c, (enum lws_close_status)WS_CLOSE_RATE, "too many messages: at most 200 a second");
	if (lws_frame_is_binary(c->wsi))
		return refuse(c, LWS_CLOSE_STATUS_UNACCEPTABLE_OPCODE, "messages are JSON text");
	if (c->rx_len + len > (size_t)c->hub->cfg.max_message)
		return refuse(c, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, "message too large");
	/* A message whole in one piece (a ping, a state: nearly all) is read where lws has it, so
	 * that a session that sends nothing else never holds a receive buffer of its own. */
	if (c->rx_len == 0 && lws_is_final_fragment(c->wsi) && !lws_remaining_packet_payload(c->wsi)) {
		hub_conn_message(c, in, len);
		return 0;
	}
	if (c->rx_len + len > c->rx_cap) {
		size_t cap = c->rx_cap ? c->rx_cap : 4096;
		unsigned char *p;

		while (cap < c->rx_len + len)
			cap *= 2;
		if (!(p = realloc(c->rx, cap)))
			return refuse(c, LWS_CLOSE_STATUS_UNEXPECTED_CONDITION, "out of memory");
		c->rx = p;
		c->rx_cap = cap;
	}
	memcpy(c->rx + c->rx_len, in, len);
	c->rx_len += len;
	if (!lws_is_final_fragment(c->wsi) || lws_remaining_packet_payload(c->wsi))
		return 0;
	len = c->rx_len;
	c->rx_len = 0;
	hub_conn_message(c, (const char *)c->rx, len);
	/* A big message's buffer is not kept for the life of the session. */
	if (c->rx_cap > 65536) {
		free(c->rx);
		c->rx = NULL;
		c->rx_cap = 0;
	}
	return 0;
}

static int writeable(struct hub_conn *c)
{
	struct ws_msg *m = c->out_head;

	if (m) {
		int n = lws_write(c->wsi, m->p->data + LWS_PRE, m->p->len, LWS_WRITE_TEXT);

		c->out_head = m->next;
		if (!c->out_head)
			c->out_tail = NULL;
		c->out_bytes -= m->p->len;
		ws_payload_unref(m->p);
		free(m);
		if (n < 0)
			return -1;
		if (c->out_head || c->close_code)
			lws_callback_on_writable(c->wsi);
		return 0;
	}
	if (c->close_code) {
		lws_close_reason(c->wsi, (enum lws_close_status)c->close_code,
		                 (unsigned char *)c->close_reason, strlen(c->close_reason));
		return -1;
	}
	return 0;
}

/* Checks an upgrade request: the path, our subprotocol, a valid access token. Returns 0 with
 * who filled, or the HTTP status to refuse it with. */
static int upgrade_check(struct hub *h, struct lws *wsi, struct user *who, const char **why)
{
	char uri[64], proto[256], auth[600];
	bool ours = false;

	if (lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI) < 0 || strcmp(uri, WS_PATH)) {
		*why = "no WebSocket service here: Connect is at " WS_PATH;
		return HTTP_STATUS_NOT_FOUND;
	}
	if (lws_hdr_copy(wsi, proto, sizeof proto, WSI_TOKEN_PROTOCOL) > 0)
		for (char *save, *t = strtok_r(proto, ", ", &save); t; t = strtok_r(NULL, ", ", &save))
			ours |= !strcmp(t, WS_PROTOCOL);
	if (!ours) {
		*why = "ask for the " WS_PROTOCOL " subprotocol (Sec-WebSocket-Protocol)";
		return HTTP_STATUS_BAD_REQUEST;
	}
	auth[0] = '\0';
	if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_AUTHORIZATION) >= (int)sizeof auth ||
	    lws_hdr_copy(wsi, auth, sizeof auth, WSI_TOKEN_HTTP_AUTHORIZATION) < 0)
		auth[0] = '\0';
	memset(who, 0, sizeof *who);
	*why = h->cfg.authenticate(h->cfg.auth_ud, auth, who);
	sodium_memzero(auth, sizeof auth);
	return *why ? HTTP_STATUS_UNAUTHORIZED : 0;
}

int ws_confirm_upgrade(void *hub, struct lws *wsi)
{
	struct user who;
	const char *why;
	int status = upgrade_check(hub, wsi, &who, &why);

	if (!status)
		return 0;
	unsigned char buf[LWS_PRE + 768];
	char body[400];
	int n, blen;

	log_debug("connect: handshake refused (%d): %s", status, why);
	/* Written by hand: lws's own status page says HTTP/1.0, which WebSocket clients reject,
	 * and is HTML where the rest of the API answers JSON. */
	blen = snprintf(body, sizeof body, "{\"error\":{\"status\":%d,\"message\":\"%s\"}}", status, why);
	n = snprintf((char *)buf + LWS_PRE, sizeof buf - LWS_PRE,
	             "HTTP/1.1 %d %s\r\ncontent-type: application/json\r\ncontent-length: %d\r\n%s"
	             "connection: close\r\n\r\n%s", status,
	             status == 401 ? "Unauthorized" : status == 404 ? "Not Found" : "Bad Request", blen,
	             status == 401 ? "www-authenticate: Bearer realm=\"segue\"\r\n" : "", body);
	if (lws_write(wsi, buf + LWS_PRE, (size_t)n, LWS_WRITE_HTTP_HEADERS) < 0)
		return -1;
	return 1;
}

int ws_callback(struct lws *wsi, int reason, void *user, void *in, size_t len)
{
	struct hub_conn *c = user;
	struct hub *h;
	struct user who;
	const char *why;

	switch (reason) {
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
		/* Checked already in the HTTP callback's confirm-upgrade; again here for who. */
		h = hub_of_wsi(wsi);
		if (upgrade_check(h, wsi, &who, &why))
			return -1;
		memset(c, 0, sizeof *c);
		c->hub = h;
		snprintf(c->user_id, sizeof c->user_id, "%s", who.id);
		memcpy(c->token_hash, who.token_hash, sizeof c->token_hash);
		return 0;

	case LWS_CALLBACK_ESTABLISHED:
		/* Pings, closes, fragments and the mask bit are checked below lws (wsguard.h). */
		if (wsguard_open(wsi, &why) < 0) {
			lws_close_reason(wsi, LWS_CLOSE_STATUS_PROTOCOL_ERR, (unsigned char *)why, strlen(why));
			return -1;
		}
		c->wsi = wsi;
		c->last_rx = lws_now_usecs() / 1000;
		live_add(c);
		hub_conn_open(c);
		return 0;

	case LWS_CALLBACK_RECEIVE:
		if (!c || !c->wsi)
			return -1;
		return receive(c, in, len);

	case LWS_CALLBACK_RECEIVE_PONG:
		if (c && c->wsi)
			touch(c);
		return 0;

	case LWS_CALLBACK_SERVER_WRITEABLE:
		if (!c || !c->wsi)
			return 0;
		return writeable(c);

	case LWS_CALLBACK_CLOSED:
		wsguard_close(wsi);
		if (c && c->wsi) {
			live_unlink(c);
			hub_conn_closed(c);
			ws_conn_release(c);
			c->wsi = NULL;
		}
		return 0;

	default:
		return 0;
	}
}
