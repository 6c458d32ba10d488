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

/* Every established session, for the liveness sweep (one lws context per process). */
static struct {
	struct hub_conn *all;
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

void ws_send_payload(struct hub_conn *c, struct ws_payload *p)
{
	struct ws_msg *m;

	if (!p || !c->wsi || c->close_code)
		return;
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
	snprintf(c->close_reason, sizeof c->close_reason, "%s", reason);
	lws_callback_on_writable(c->wsi);
}

/* Liveness: a session silent for three heartbeats is closed. A time stamp per message and
 * one sweep a second, rather than re-arming an lws timeout per message: lws keeps its
 * timeouts in one sorted list, and re-arming walks it (at 10,000 sessions, a third of the
 * service thread went there). */
static void touch(struct hub_conn *c)
{
	c->last_rx = lws_now_usecs() / 1000;
}

#define SWEEP_US (1000 * LWS_US_PER_MS)

static void sweep(lws_sorted_usec_list_t *sul)
{
	int64_t now = lws_now_usecs() / 1000;

	(void)sul;
	for (struct hub_conn *c = live.all; c; c = c->all_next)
		if (c->wsi && now - c->last_rx > live.heartbeat_ms * 3)
			lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
	if (live.all)
		lws_sul_schedule(live.ctx, 0, &live.sul, sweep, SWEEP_US);
	else
		live.armed = false;
}

static void live_add(struct hub_conn *c)
{
	c->all_prev = NULL;
	c->all_next = live.all;
	if (live.all)
		live.all->all_prev = c;
	live.all = c;
	live.ctx = c->hub->cfg.lws;
	live.heartbeat_ms = c->hub->cfg.heartbeat_ms;
	if (!live.armed) {
		live.armed = true;
		lws_sul_schedule(live.ctx, 0, &live.sul, sweep, SWEEP_US);
	}
}

static void live_remove(struct hub_conn *c)
{
	if (c->all_prev)
		c->all_prev->all_next = c->all_next;
	else if (live.all == c)
		live.all = c->all_next;
	if (c->all_next)
		c->all_next->all_prev = c->all_prev;
	c->all_prev = c->all_next = NULL;
}

static void conn_release(struct hub_conn *c)
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
		touch(c);
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
			live_remove(c);
			hub_conn_closed(c);
			conn_release(c);
			c->wsi = NULL;
		}
		return 0;

	default:
		return 0;
	}
}
