/* The Connect hub's sessions: devices connecting and leaving, hello, the device list, revoked
 * tokens, and the dispatch of every message a session sends (ping, the heartbeat, answered here). */
#include "config.h"
#include "connect/hub_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connect/ws.h"
#include "store/accounts.h"

/* ---- sessions ---- */

void hub_conn_open(struct hub_conn *c)
{
	hub_of(c)->nconns++;
}

static void conn_unlink(struct hub_conn *c)
{
	struct hub_user *u = c->user;

	if (!u)
		return;
	for (struct hub_conn **pp = &u->conns; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	c->next = NULL;
}

/* c is leaving u (closed or replaced): nothing may wait on it or answer to it any more. */
void hub_conn_detach(struct hub *h, struct hub_conn *c, struct hub_conn *successor)
{
	struct hub_user *u = c->user;
	bool was_active;

	if (!u)
		return;
	conn_unlink(c);
	if (c->nwatch)
		hub_watchers_drop(h, c);
	c->nwatch = 0;
	/* Whoever asked through c gets no answer now; what waits on c fails. */
	for (struct pending *p = u->pending; p; p = p->next)
		if (p->reply.conn == c)
			p->reply.conn = NULL;
	if (u->xfer.reply.conn == c)
		u->xfer.reply.conn = NULL;
	for (struct pending **pp = &u->pending; *pp;) {
		struct pending *p = *pp;

		if (p->target != c) {
			pp = &p->next;
			continue;
		}
		*pp = p->next;
		hub_pending_finish(p, false, "device_gone", "the device disconnected", NULL);
		pp = &u->pending; /* hub_pending_finish may have added and removed entries */
	}
	if (u->xfer.busy && u->xfer.source == c)
		u->xfer.source = NULL;
	/* The device being handed to went (or reconnected): the handoff's second half goes to
	 * its new session, or fails (transfer.c, xfer_in), never to c. */
	if (u->xfer.busy && u->xfer.target == c)
		u->xfer.target = successor;
	if (u->bus_xfer_in == c)
		u->bus_xfer_in = NULL;
	was_active = u->active == c;
	if (was_active) {
		if (successor) {
			u->active = successor;
		} else {
			/* Paused where it was: the next command or transfer picks it up. */
			hub_bus_note(u, HC_REPORT, c);
			u->active = NULL;
			if (u->state) {
				json_object_set_new(u->state, "progress_ms", json_integer(hub_now_position(u->state)));
				json_object_set_new(u->state, "timestamp", json_integer(store_now_ms()));
				json_object_set_new(u->state, "is_playing", json_false());
			}
		}
	}
	c->user = NULL;
	/* A successor takes c's place in the list: its hello tells of it as a change. */
	if (!c->observer && c->hello && !successor) {
		hub_devices_removed(u, c);
		if (was_active)
			hub_broadcast_player(u, false);
	}
}

void hub_conn_closed(struct hub_conn *c)
{
	struct hub *h = hub_of(c);

	hub_conn_detach(h, c, NULL);
	h->nconns--;
}

void hub_tokens_revoked(struct hub *h, const char *user_id)
{
	hub_tokens_check(h, user_id);
	hub_bus_revoked(h, user_id); /* the other instances' sessions too */
}

void hub_tokens_check(struct hub *h, const char *user_id)
{
	struct hub_user *u = hub_user_find(h, user_id);

	for (struct hub_conn *c = u ? u->conns : NULL; c; c = c->next) {
		struct token_row t;

		if (c->remote)
			continue;
		/* A token the store cannot vouch for (gone, or a database error) closes too. */
		if (store_token_get(h->cfg.store, c->token_hash, &t) != 1 || t.revoked)
			ws_close(c, WS_CLOSE_REVOKED, "the access token was revoked");
	}
}

static bool text_ok(const char *s, size_t max_chars)
{
	size_t n = 0;

	if (!s || !*s)
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			return false;
		if ((*p & 0xc0) != 0x80)
			n++;
	}
	return n <= max_chars;
}

/* ---- hello and the messages ---- */

/* What a client may ask for in hello's "capabilities" (doc/connect.md, Versions); a name the
 * hub does not know is ignored, so that clients can ask before hubs offer. */
#define CAPS_MAX 16

static bool capabilities_take(struct hub_conn *c, json_t *caps)
{
	json_t *v;
	size_t i;

	if (!caps)
		return true;
	if (!json_is_array(caps) || json_array_size(caps) > CAPS_MAX)
		return false;
	json_array_foreach(caps, i, v) {
		const char *name = json_string_value(v);

		if (!name || strlen(name) > 32)
			return false;
		if (!strcmp(name, "device_deltas"))
			c->deltas = true;
		else if (!strcmp(name, "player_without_queue"))
			c->no_queue = true;
	}
	return true;
}

static void on_hello(struct hub *h, struct hub_conn *c, json_t *m)
{
	json_t *dev = json_object_get(m, "device"), *state = json_object_get(m, "state");
	json_t *queue = json_object_get(m, "queue");
	struct hub_user *u;
	struct hub_conn *old = NULL;
	bool took_state = false;

	c->observer = json_is_true(json_object_get(m, "observer"));
	if (!capabilities_take(c, json_object_get(m, "capabilities"))) {
		hub_send_error(c, "bad_request", "capabilities must be an array of at most %d names (strings of "
		               "at most 32 characters)", CAPS_MAX);
		ws_close(c, WS_CLOSE_HELLO_FIRST, "a valid hello must come first");
		return;
	}
	if (!c->observer) {
		const char *id = json_string_value(json_object_get(dev, "id"));
		const char *name = json_string_value(json_object_get(dev, "name"));
		const char *type = json_string_value(json_object_get(dev, "type"));
		json_t *vol = json_object_get(dev, "volume_percent");

		if (!hub_device_id_ok(id) || !text_ok(name, HUB_NAME_MAX) || !text_ok(type, HUB_TYPE_MAX) ||
		    (vol && (!json_is_integer(vol) || json_integer_value(vol) < 0 || json_integer_value(vol) > 100))) {
			hub_send_error(c, "bad_request", "hello needs device {id: 1-64 of [A-Za-z0-9_-], name: 1-64 "
			               "characters, type: 1-32 characters, volume_percent: 0-100}");
			ws_close(c, WS_CLOSE_HELLO_FIRST, "a valid hello must come first");
			return;
		}
		size_t nl = strlen(name), tl = strlen(type);

		if (!(c->name = malloc(nl + tl + 2))) {
			ws_close(c, 1011, "out of memory");
			return;
		}
		memcpy(c->name, name, nl + 1);
		c->type = c->name + nl + 1;
		memcpy(c->type, type, tl + 1);
		snprintf(c->device_id, sizeof c->device_id, "%s", id);
		c->volume = vol ? (int)json_integer_value(vol) : 100;
	}
	u = hub_user_get(h, c->user_id);
	if (!u) {
		ws_close(c, 1011, "out of memory");
		return;
	}
	old = c->observer ? NULL : hub_device_find(u, c->device_id);
	hub_device_link(u, c, old);
	if (old) {
		/* The same device again (it reconnected before we noticed it had gone): the new
		 * session takes over, active or not, in the old one's place. A session of it on
		 * another instance is closed there, when that instance hears of this one. */
		hub_conn_detach(h, old, c);
		if (old->remote)
			hub_bus_proxy_free(old);
		else
			ws_close(old, WS_CLOSE_REPLACED, "replaced by a newer session of this device");
	}
	c->user = u;
	c->hello = true;
	/* After a hub restart, the device that was playing says so and brings the state back. */
	if (!c->observer && !u->active && json_is_true(json_object_get(m, "active")) && hub_state_ok(state)) {
		hub_bus_note(u, HC_REPORT, NULL); /* it holds while nothing plays */
		u->active = c;
		hub_state_set(u, c, state, queue);
		took_state = true;
	}
	json_t *st = hub_render_state(u);
	json_t *w = json_pack("{s:s,s:s,s:s,s:I,s:o,s:o,s:[]}", "type", "welcome", "user_id", u->id,
	                      "device_id", c->device_id, "heartbeat_ms",
	                      (json_int_t)h->cfg.heartbeat_ms, "devices", hub_devices_array(u),
	                      "player", st ? st : json_null(), "capabilities");
	if (c->deltas)
		json_array_append_new(json_object_get(w, "capabilities"), json_string("device_deltas"));
	if (c->no_queue)
		json_array_append_new(json_object_get(w, "capabilities"), json_string("player_without_queue"));
	else if (u->queue)
		json_object_set(w, "queue", u->queue);
	hub_send_json(c, w);
	json_decref(w);
	/* The others hear of it; c has the whole list in its welcome. */
	if (!c->observer) {
		if (old)
			hub_devices_changed(u, c, c);
		else
			hub_devices_added(u, c, c);
		if (took_state)
			hub_broadcast_player(u, true);
	}
}

void hub_conn_message(struct hub_conn *c, const char *text, size_t len)
{
	static const char ping[] = "{\"type\":\"ping\"}";
	struct hub *h = hub_of(c);
	json_error_t e;
	json_t *m;
	const char *type;

	/* Heartbeats are nearly all a hub hears from idle devices: the usual spelling of one is
	 * answered without parsing it or rendering the answer (any other goes the long way). */
	if (c->user && len == sizeof ping - 1 && !memcmp(text, ping, len)) {
		ws_send_payload(c, h->pong);
		return;
	}
	m = json_loadb(text, len, JSON_REJECT_DUPLICATES, &e);
	type = json_string_value(json_object_get(m, "type"));

	if (!json_is_object(m) || !type) {
		if (!c->hello)
			ws_close(c, WS_CLOSE_HELLO_FIRST, "the first message must be a hello");
		else
			hub_send_error(c, "bad_message", "a message must be a JSON object with a string \"type\"%s%s",
			               m ? "" : ": ", m ? "" : e.text);
		goto out;
	}
	if (!c->hello) {
		if (strcmp(type, "hello"))
			ws_close(c, WS_CLOSE_HELLO_FIRST, "the first message must be a hello");
		else
			on_hello(h, c, m);
		goto out;
	}
	if (!c->user)
		goto out; /* replaced: closing */
	if (!strcmp(type, "ping")) {
		ws_send_payload(c, h->pong);
	} else if (!strcmp(type, "state")) {
		hub_on_state(h, c, m);
	} else if (!strcmp(type, "command")) {
		hub_on_command(h, c, m);
	} else if (!strcmp(type, "transfer")) {
		hub_on_transfer(h, c, m);
	} else if (!strcmp(type, "result")) {
		hub_on_result(h, c, m);
	} else if (!strcmp(type, "watch") || !strcmp(type, "unwatch")) {
		hub_on_watch(h, c, m, type[0] == 'w');
	} else if (!strcmp(type, "hello")) {
		hub_send_error(c, "bad_request", "hello was said already");
	} else {
		hub_send_error(c, "bad_message", "unknown message type \"%.40s\"", type);
	}
out:
	json_decref(m);
}
