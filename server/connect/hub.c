/* The Connect hub's core: its users, sending to sessions, and answering whoever asked. The
 * rest lives by role beside it: session.c (devices connecting, hello, the device list, the
 * messages' dispatch), state.c (the player state and its broadcast), command.c (commands and
 * their answers), transfer.c (handoff), watch.c (live playlists), rest.c (the REST doors); they
 * share connect/hub_internal.h. See server/connect/hub.h and doc/connect.md.
 *
 * Ownership: the hub owns its users (kept for the life of the process, so a state outlives its
 * devices), each user's pending commands and its one transfer. Sessions (struct hub_conn)
 * belong to server/connect/ws.c; the hub links them into their user's list at hello and unlinks them in
 * hub_conn_closed. A pending command points at its target session and is failed before that
 * session goes away, so no pointer into a closed session survives. */
#include "config.h"
#include "connect/hub.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connect/hub_internal.h"
#include "connect/ws.h"
#include "connect_proto.h"
#include "store/store.h"

struct hub *hub_new(const struct hub_config *cfg)
{
	struct hub *h = calloc(1, sizeof *h);
	static const char pong[] = "{\"type\":\"pong\"}";

	if (!h)
		return NULL;
	h->cfg = *cfg;
	if (!(h->pong = ws_payload_new(pong, sizeof pong - 1))) {
		free(h);
		return NULL;
	}
	if (cfg->bus_url && hub_bus_start(h) < 0) {
		hub_free(h);
		return NULL;
	}
	return h;
}

void hub_stop(struct hub *h)
{
	if (h)
		hub_bus_stop(h);
}

void hub_free(struct hub *h)
{
	if (!h)
		return;
	for (size_t b = 0; b < USER_BUCKETS; b++) {
		struct hub_user *u = h->buckets[b], *next;

		for (; u; u = next) {
			next = u->next;
			while (u->pending) {
				struct pending *p = u->pending;

				u->pending = p->next;
				hub_pending_free(p);
			}
			json_decref(u->state);
			json_decref(u->queue);
			json_decref(u->xfer.state);
			json_decref(u->xfer.queue);
			free(u->changed_by);
			free(u->now_by);
			hub_bus_user_free(u);
			free(u);
		}
	}
	free(h->watchers);
	ws_payload_unref(h->pong);
	hub_bus_free(h);
	free(h);
}

long hub_connections(const struct hub *h)
{
	return h ? h->nconns : 0;
}

static unsigned user_bucket(const char *id)
{
	unsigned x = 2166136261u;

	for (; *id; id++)
		x = (x ^ (unsigned char)*id) * 16777619u;
	return x % USER_BUCKETS;
}

struct hub_user *hub_user_find(struct hub *h, const char *id)
{
	for (struct hub_user *u = h->buckets[user_bucket(id)]; u; u = u->next)
		if (!strcmp(u->id, id))
			return u;
	return NULL;
}

struct hub_user *hub_user_get(struct hub *h, const char *id)
{
	struct hub_user *u = hub_user_find(h, id);
	unsigned b;

	if (u)
		return u;
	u = calloc(1, sizeof *u);
	if (!u)
		return NULL;
	snprintf(u->id, sizeof u->id, "%s", id);
	u->hub = h;
	b = user_bucket(id);
	u->next = h->buckets[b];
	h->buckets[b] = u;
	hub_bus_user_load(h, u);
	return u;
}

struct hub *hub_of(struct hub_conn *c)
{
	return c->hub;
}

/* ---- sending ---- */

void hub_send_json(struct hub_conn *c, json_t *msg)
{
	char *text = json_dumps(msg, JSON_COMPACT);

	if (!text)
		return;
	if (c->remote) {
		const char *cmd = json_string_value(json_object_get(msg, "command"));

		hub_bus_send(c->hub, c, text, cmd && !strcmp(cmd, connect_commands[CC_TRANSFER_IN].name));
	} else {
		ws_send(c, text, strlen(text));
	}
	free(text);
}

/* msg (stolen) rendered once, for as many sessions as it goes to; NULL when out of memory. */
struct ws_payload *hub_payload(json_t *msg)
{
	char *text = msg ? json_dumps(msg, JSON_COMPACT) : NULL;
	struct ws_payload *p;

	json_decref(msg);
	if (!text)
		return NULL;
	p = ws_payload_new(text, strlen(text));
	free(text);
	return p;
}

/* Sends msg to every session of u that has said hello (except skip); steals msg. */
void hub_broadcast(struct hub_user *u, json_t *msg, struct hub_conn *skip)
{
	struct ws_payload *p = hub_payload(msg);

	if (!p)
		return;
	for (struct hub_conn *c = u->conns; c; c = c->next)
		if (c != skip && hub_told(c))
			ws_send_payload(c, p);
	ws_payload_unref(p);
}

void hub_send_error(struct hub_conn *c, const char *reason, const char *fmt, ...)
{
	char msg[300];
	va_list ap;
	int64_t now = store_now_ms();

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	json_t *m = json_pack("{s:s,s:s,s:s}", "type", "error", "reason", reason, "message", msg);
	hub_send_json(c, m);
	json_decref(m);
	/* A client that keeps sending garbage is broken or hostile: a few strikes, then out. */
	if (now - c->strike_window > 60000) {
		c->strike_window = now;
		c->strikes = 0;
	}
	if (++c->strikes > 20)
		ws_close(c, WS_CLOSE_TOO_MANY_ERRORS, "too many refused messages");
}

/* ---- answering whoever asked ---- */

void hub_reply_done(struct hub_reply *rep, bool ok, const char *reason, const char *message)
{
	if (rep->conn) {
		json_t *m = json_pack("{s:s,s:s,s:b}", "type", "result", "id", rep->id, "ok", ok);

		if (!ok)
			json_object_set_new(m, "error", json_pack("{s:s,s:s}", "reason", reason,
			                                          "message", message ? message : reason));
		hub_send_json(rep->conn, m);
		json_decref(m);
	}
	if (rep->caller) {
		const struct hub_caller *caller = rep->caller;
		void *ud = rep->ud;

		hub_reply_orphan(rep);
		caller->done(ud, ok, reason, message);
	}
	rep->conn = NULL;
}

/* Makes rep wait: a REST caller is told where, and waits until hub_reply_done. */
void hub_reply_wait(struct hub_reply *rep)
{
	if (rep->caller) {
		rep->waiting = true;
		rep->caller->wait(rep->ud, rep);
	}
}

void hub_reply_orphan(struct hub_reply *rep)
{
	rep->caller = NULL;
	rep->ud = NULL;
	rep->waiting = false;
}

/* The reply moves (from a stack copy into a pending or the transfer): a waiting caller must
 * follow it. */
void hub_reply_move(struct hub_reply *to, struct hub_reply *from)
{
	*to = *from;
	memset(from, 0, sizeof *from);
	if (to->caller && to->waiting)
		to->caller->wait(to->ud, to);
}
