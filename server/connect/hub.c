/* The Connect hub. See server/connect/hub.h and doc/connect.md.
 *
 * Ownership: the hub owns its users (kept for the life of the process, so a state outlives its
 * devices), each user's pending commands and its one transfer. Sessions (struct hub_conn)
 * belong to server/http/ws.c; the hub links them into their user's list at hello and unlinks them in
 * hub_conn_closed. A pending command points at its target session and is failed before that
 * session goes away, so no pointer into a closed session survives. */
#include "config.h"
#include "connect/hub.h"

#include <libwebsockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base62.h"
#include "catalog/catalog.h"
#include "http/http.h"
#include "log.h"
#include "library/playlists.h"
#include "server.h"
#include "store/store.h"
#include "http/ws.h"

#define USER_BUCKETS 4096
#define CMD_ID_MAX 64
#define URIS_MAX 1000

enum pending_kind { P_COMMAND, P_XFER_OUT, P_XFER_IN, P_ROLLBACK };

struct pending {
	lws_sorted_usec_list_t sul; /* first: the timer callback finds the pending from it */
	struct hub_user *user;
	enum pending_kind kind;
	char id[24];                /* the hub's id, sent to the device */
	struct hub_conn *target;
	struct hub_reply reply;     /* P_COMMAND only */
	struct pending *next;
};

struct transfer {
	bool busy;
	struct hub_conn *source, *target;
	int play;                   /* 1, 0, or -1: as the source was */
	struct hub_reply reply;
	json_t *state, *queue;      /* what the target is given */
};

struct hub_user {
	char id[72];
	struct hub_conn *conns;
	struct hub_conn *active;
	json_t *state;              /* the last state of the active device, without "device" */
	json_t *queue;              /* the last queue snapshot */
	struct pending *pending;
	struct transfer xfer;
	unsigned mark;              /* playlist fan-out: told already in this round */
	struct hub_user *next;      /* in the bucket */
};

struct hub {
	struct server *srv;
	struct hub_user *buckets[USER_BUCKETS];
	unsigned long long seq;
	unsigned mark;
	long nconns;
	struct hub_conn **watchers;
	size_t nwatchers, capwatchers;
};

static const struct { const char *reason; int status; } reasons[] = {
	{ "no_active_device", 404 }, { "device_not_found", 404 }, { "device_gone", 502 },
	{ "timed_out", 504 }, { "bad_request", 400 }, { "busy", 409 }, { "failed", 502 },
};

static int reason_status(const char *reason)
{
	for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++)
		if (!strcmp(reasons[i].reason, reason))
			return reasons[i].status;
	return 502;
}

struct hub *hub_new(struct server *srv)
{
	struct hub *h = calloc(1, sizeof *h);

	if (h)
		h->srv = srv;
	return h;
}

static void pending_free(struct pending *p);

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
				pending_free(p);
			}
			json_decref(u->state);
			json_decref(u->queue);
			json_decref(u->xfer.state);
			json_decref(u->xfer.queue);
			free(u);
		}
	}
	free(h->watchers);
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

static struct hub_user *user_find(struct hub *h, const char *id)
{
	for (struct hub_user *u = h->buckets[user_bucket(id)]; u; u = u->next)
		if (!strcmp(u->id, id))
			return u;
	return NULL;
}

static struct hub_user *user_get(struct hub *h, const char *id)
{
	struct hub_user *u = user_find(h, id);
	unsigned b;

	if (u)
		return u;
	u = calloc(1, sizeof *u);
	if (!u)
		return NULL;
	snprintf(u->id, sizeof u->id, "%s", id);
	b = user_bucket(id);
	u->next = h->buckets[b];
	h->buckets[b] = u;
	return u;
}

static struct hub *hub_of(struct hub_conn *c)
{
	return c->hub;
}

/* ---- sending ---- */

static void send_json(struct hub_conn *c, json_t *msg)
{
	char *text = json_dumps(msg, JSON_COMPACT);

	if (text) {
		ws_send(c, text, strlen(text));
		free(text);
	}
}

/* Sends msg to every session of u that has said hello (except skip); steals msg. */
static void broadcast(struct hub_user *u, json_t *msg, struct hub_conn *skip)
{
	char *text = json_dumps(msg, JSON_COMPACT);
	struct ws_payload *p;

	json_decref(msg);
	if (!text)
		return;
	p = ws_payload_new(text, strlen(text));
	free(text);
	for (struct hub_conn *c = u->conns; c; c = c->next)
		if (c != skip && c->hello)
			ws_send_payload(c, p);
	ws_payload_unref(p);
}

static void send_error(struct hub_conn *c, const char *reason, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void send_error(struct hub_conn *c, const char *reason, const char *fmt, ...)
{
	char msg[300];
	va_list ap;
	int64_t now = store_now_ms();

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	json_t *m = json_pack("{s:s,s:s,s:s}", "type", "error", "reason", reason, "message", msg);
	send_json(c, m);
	json_decref(m);
	/* A client that keeps sending garbage is broken or hostile: a few strikes, then out. */
	if (now - c->strike_window > 60000) {
		c->strike_window = now;
		c->strikes = 0;
	}
	if (++c->strikes > 20)
		ws_close(c, WS_CLOSE_TOO_MANY_ERRORS, "too many refused messages");
}

/* ---- rendering ---- */

static json_t *device_object(const struct hub_user *u, const struct hub_conn *c)
{
	return json_pack("{s:s,s:b,s:b,s:b,s:s,s:s,s:i,s:b}", "id", c->device_id,
	                 "is_active", c == u->active, "is_private_session", 0, "is_restricted", 0,
	                 "name", c->name, "type", c->type, "volume_percent", c->volume,
	                 "supports_volume", 1);
}

static json_t *devices_array(const struct hub_user *u)
{
	json_t *a = json_array();

	for (const struct hub_conn *c = u ? u->conns : NULL; c; c = c->next)
		if (c->hello && !c->observer)
			json_array_append_new(a, device_object(u, c));
	return a;
}

static long long int_member(json_t *o, const char *name, long long def)
{
	json_t *v = json_object_get(o, name);

	return json_is_integer(v) ? json_integer_value(v) : def;
}

/* The state as it is now: the active device's object, and the position brought forward to
 * this moment when it is playing. NULL when there is no state. */
static json_t *render_state(const struct hub_user *u)
{
	json_t *o;
	long long now = store_now_ms();

	if (!u || !u->state)
		return NULL;
	o = json_copy(u->state);
	if (!o)
		return NULL;
	if (u->active) {
		json_object_set_new(o, "device", device_object(u, u->active));
		if (json_is_true(json_object_get(o, "is_playing"))) {
			long long pos = int_member(o, "progress_ms", 0) + now - int_member(o, "timestamp", now);
			long long dur = int_member(json_object_get(o, "item"), "duration_ms", -1);

			if (dur >= 0 && pos > dur)
				pos = dur;
			json_object_set_new(o, "progress_ms", json_integer(pos > 0 ? pos : 0));
		}
	} else {
		json_object_set_new(o, "device", json_null());
		json_object_set_new(o, "is_playing", json_false());
	}
	json_object_set_new(o, "timestamp", json_integer(now));
	return o;
}

static void broadcast_devices(struct hub_user *u)
{
	broadcast(u, json_pack("{s:s,s:o}", "type", "devices", "devices", devices_array(u)), NULL);
}

static void broadcast_player(struct hub_user *u, bool with_queue)
{
	json_t *st = render_state(u);
	json_t *m = json_pack("{s:s,s:o}", "type", "player", "player", st ? st : json_null());

	if (with_queue && u->queue)
		json_object_set(m, "queue", u->queue);
	broadcast(u, m, NULL);
}

/* ---- answering whoever asked ---- */

static void reply_done(struct hub_reply *rep, bool ok, const char *reason, const char *message)
{
	if (rep->conn) {
		json_t *m = json_pack("{s:s,s:s,s:b}", "type", "result", "id", rep->id, "ok", ok);

		if (!ok)
			json_object_set_new(m, "error", json_pack("{s:s,s:s}", "reason", reason,
			                                          "message", message ? message : reason));
		send_json(rep->conn, m);
		json_decref(m);
	}
	if (rep->req) {
		struct req *r = rep->req;

		r->hub_reply = NULL;
		if (ok)
			reply_empty(r, 204);
		else
			reply_error(r, reason_status(reason), "%s: %s", reason, message ? message : reason);
		if (r->pending)
			http_resume(r);
	}
	rep->conn = NULL;
	rep->req = NULL;
}

/* Makes rep wait: a REST request stays pending until reply_done. */
static void reply_wait(struct hub_reply *rep)
{
	if (rep->req) {
		rep->req->pending = true;
		rep->req->hub_reply = rep;
	}
}

void hub_reply_orphan(struct hub_reply *rep)
{
	rep->req = NULL;
}

/* The reply moves (from a stack copy into a pending or the transfer): a waiting request must
 * follow it. */
static void reply_move(struct hub_reply *to, struct hub_reply *from)
{
	*to = *from;
	memset(from, 0, sizeof *from);
	if (to->req && to->req->hub_reply == from)
		to->req->hub_reply = to;
}

/* ---- pending commands ---- */

static void pending_free(struct pending *p)
{
	lws_sul_cancel(&p->sul);
	if (p->reply.req && p->reply.req->hub_reply == &p->reply)
		p->reply.req->hub_reply = NULL;
	free(p);
}

static void pending_unlink(struct pending *p)
{
	for (struct pending **pp = &p->user->pending; *pp; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			return;
		}
}

static void pending_finish(struct pending *p, bool ok, const char *reason, const char *message,
                           json_t *result);

static void pending_expired(lws_sorted_usec_list_t *sul)
{
	struct pending *p = (struct pending *)sul;

	pending_unlink(p);
	pending_finish(p, false, "timed_out", "the device did not answer in time", NULL);
}

/* Sends cmd (stolen) to target as a command the hub waits for. */
static struct pending *pending_send(struct hub *h, struct hub_user *u, struct hub_conn *target,
                                    enum pending_kind kind, json_t *cmd, const char *from)
{
	struct pending *p = calloc(1, sizeof *p);

	if (!p) {
		json_decref(cmd);
		return NULL;
	}
	p->user = u;
	p->kind = kind;
	p->target = target;
	snprintf(p->id, sizeof p->id, "h%llu", ++h->seq);
	p->next = u->pending;
	u->pending = p;
	json_object_set_new(cmd, "type", json_string("command"));
	json_object_set_new(cmd, "id", json_string(p->id));
	json_object_set_new(cmd, "from", json_string(from));
	send_json(target, cmd);
	json_decref(cmd);
	lws_sul_schedule(h->srv->lws, 0, &p->sul, pending_expired,
	                 (lws_usec_t)h->srv->cfg.connect_timeout_ms * LWS_US_PER_MS);
	return p;
}

/* Tells a device to stop without waiting for it (another device has taken over). */
static void send_stop(struct hub *h, struct hub_conn *c)
{
	char id[24];
	json_t *m;

	snprintf(id, sizeof id, "s%llu", ++h->seq);
	m = json_pack("{s:s,s:s,s:s,s:s}", "type", "command", "id", id, "command", "stop", "from", "hub");
	send_json(c, m);
	json_decref(m);
}

/* ---- transfers ---- */

static long long now_position(json_t *state)
{
	long long pos = int_member(state, "progress_ms", 0);

	if (json_is_true(json_object_get(state, "is_playing")))
		pos += store_now_ms() - int_member(state, "timestamp", store_now_ms());
	return pos < 0 ? 0 : pos;
}

static void xfer_end(struct hub_user *u)
{
	json_decref(u->xfer.state);
	json_decref(u->xfer.queue);
	memset(&u->xfer, 0, sizeof u->xfer);
}

static void xfer_fail(struct hub *h, struct hub_user *u, const char *reason, const char *message,
                      bool rollback)
{
	struct hub_conn *src = u->xfer.source;

	/* The source paused for a handoff that did not happen: it resumes where it stopped. */
	if (rollback && src && u->xfer.state && src != u->xfer.target) {
		json_t *cmd = json_pack("{s:s,s:O,s:O,s:I,s:b}", "command", "transfer_in",
		                        "state", u->xfer.state, "queue", u->xfer.queue ? u->xfer.queue : json_null(),
		                        "position_ms", (json_int_t)int_member(u->xfer.state, "progress_ms", 0),
		                        "play", json_is_true(json_object_get(u->xfer.state, "is_playing")));
		pending_send(h, u, src, P_ROLLBACK, cmd, "hub");
	}
	reply_done(&u->xfer.reply, false, reason, message);
	xfer_end(u);
}

/* Second half: the target is told to start from xfer.state. */
static void xfer_in(struct hub *h, struct hub_user *u)
{
	struct transfer *x = &u->xfer;
	bool play = x->play >= 0 ? x->play : json_is_true(json_object_get(x->state, "is_playing"));
	json_t *cmd = json_pack("{s:s,s:O,s:O,s:I,s:b}", "command", "transfer_in", "state", x->state,
	                        "queue", x->queue ? x->queue : json_null(),
	                        "position_ms", (json_int_t)now_position(x->state), "play", play);

	if (!pending_send(h, u, x->target, P_XFER_IN, cmd, "hub"))
		xfer_fail(h, u, "failed", "out of memory", true);
}

static void xfer_start(struct hub *h, struct hub_user *u, struct hub_conn *target, int play,
                       struct hub_reply *rep)
{
	struct transfer *x = &u->xfer;

	if (x->busy) {
		reply_done(rep, false, "busy", "a transfer is already under way");
		return;
	}
	if (target == u->active) {
		/* Already there: only "play" can still mean something. */
		if (play == 1 && !json_is_true(json_object_get(u->state, "is_playing"))) {
			json_t *cmd = json_pack("{s:s}", "command", "resume");
			struct pending *p = pending_send(h, u, target, P_COMMAND, cmd, "hub");

			if (p) {
				reply_move(&p->reply, rep);
				reply_wait(&p->reply);
				return;
			}
		}
		reply_done(rep, true, NULL, NULL);
		return;
	}
	x->busy = true;
	x->source = u->active;
	x->target = target;
	x->play = play;
	reply_move(&x->reply, rep);
	reply_wait(&x->reply);
	if (x->source) {
		json_t *cmd = json_pack("{s:s}", "command", "transfer_out");

		if (!pending_send(h, u, x->source, P_XFER_OUT, cmd, "hub"))
			xfer_fail(h, u, "failed", "out of memory", false);
		return;
	}
	if (!u->state) {
		/* Nothing to carry over: the target is simply the active device now. */
		u->active = target;
		broadcast_devices(u);
		reply_done(&x->reply, true, NULL, NULL);
		xfer_end(u);
		return;
	}
	x->state = json_incref(u->state);
	x->queue = json_incref(u->queue);
	xfer_in(h, u);
}

static void state_set(struct hub_user *u, struct hub_conn *c, json_t *state, json_t *queue);
static bool state_ok(json_t *state);

/* The target confirmed: it is the active device. result may carry its state (a device that
 * did not report one before confirming). Everyone hears of it before the sender's ok. */
static void xfer_done(struct hub *h, struct hub_user *u, json_t *result)
{
	struct transfer *x = &u->xfer;
	struct hub_conn *src = x->source;
	json_t *st = json_object_get(result, "state");

	u->active = x->target;
	if (src && src != x->target)
		send_stop(h, src);
	if (state_ok(st))
		state_set(u, x->target, st, json_object_get(result, "queue"));
	if (!u->queue && x->queue)
		u->queue = json_incref(x->queue);
	broadcast_devices(u);
	broadcast_player(u, true);
	reply_done(&x->reply, true, NULL, NULL);
	xfer_end(u);
}

/* A device answered (or failed to) one of the hub's commands; p is already unlinked. */
static void pending_finish(struct pending *p, bool ok, const char *reason, const char *message,
                           json_t *result)
{
	struct hub_user *u = p->user;
	struct hub *h = hub_of(p->target);
	struct transfer *x = &u->xfer;

	switch (p->kind) {
	case P_COMMAND:
		reply_done(&p->reply, ok, reason, message);
		break;
	case P_XFER_OUT:
		if (ok && json_is_object(json_object_get(result, "state"))) {
			x->state = json_copy(json_object_get(result, "state"));
			json_object_set_new(x->state, "timestamp", json_integer(store_now_ms()));
			x->queue = json_incref(json_object_get(result, "queue"));
			if (json_is_null(x->queue)) {
				json_decref(x->queue);
				x->queue = NULL;
			}
			xfer_in(h, u);
		} else if (!ok && !strcmp(reason, "device_gone") && u->state) {
			/* The source died mid-handoff: go on from the last state it reported. */
			x->source = NULL;
			x->state = json_incref(u->state);
			x->queue = json_incref(u->queue);
			xfer_in(h, u);
		} else {
			xfer_fail(h, u, ok ? "failed" : reason,
			          ok ? "the playing device reported no state" : message, false);
		}
		break;
	case P_XFER_IN:
		if (ok)
			xfer_done(h, u, result);
		else
			xfer_fail(h, u, reason, message, true);
		break;
	case P_ROLLBACK:
		if (!ok)
			log_info("connect: %s could not resume after a failed transfer: %s",
			         p->target->device_id, message ? message : reason);
		break;
	}
	pending_free(p);
}

/* ---- commands ---- */

static bool track_uri_ok(const char *s)
{
	return s && !strncmp(s, "segue:track:", 12) && base62_is_id(s + 12);
}

static bool context_uri_ok(const char *s)
{
	static const char *kinds[] = { "segue:album:", "segue:playlist:", "segue:artist:" };

	if (!s)
		return false;
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (!strncmp(s, kinds[i], strlen(kinds[i])))
			return base62_is_id(s + strlen(kinds[i]));
	return false;
}

/* Checks a command and its arguments and copies the ones that belong to it into a fresh
 * object; NULL with *why set when it is not acceptable. Devices never see fields a client
 * made up. */
static json_t *command_clean(json_t *in, const char **why)
{
	const char *name = json_string_value(json_object_get(in, "command"));
	json_t *out, *v;

	*why = NULL;
	if (!name) {
		*why = "command must be a string";
		return NULL;
	}
	out = json_pack("{s:s}", "command", name);
	if (!strcmp(name, "pause") || !strcmp(name, "resume") || !strcmp(name, "next") ||
	    !strcmp(name, "previous"))
		return out;
	if (!strcmp(name, "play")) {
		json_t *uris = json_object_get(in, "uris"), *offset = json_object_get(in, "offset");
		const char *ctx = json_string_value(json_object_get(in, "context_uri"));
		size_t i;

		if (json_object_get(in, "context_uri") && !json_is_null(json_object_get(in, "context_uri"))) {
			if (!context_uri_ok(ctx)) {
				*why = "context_uri must be an album, playlist or artist URI";
				goto bad;
			}
			json_object_set_new(out, "context_uri", json_string(ctx));
		}
		if (uris && !json_is_null(uris)) {
			if (!json_is_array(uris) || !json_array_size(uris) || json_array_size(uris) > URIS_MAX) {
				*why = "uris must be an array of 1 to 1000 track URIs";
				goto bad;
			}
			json_array_foreach(uris, i, v)
				if (!track_uri_ok(json_string_value(v))) {
					*why = "uris must hold track URIs";
					goto bad;
				}
			if (ctx) {
				*why = "give context_uri or uris, not both";
				goto bad;
			}
			json_object_set(out, "uris", uris);
		}
		if (offset && !json_is_null(offset)) {
			json_t *pos = json_object_get(offset, "position");
			const char *uri = json_string_value(json_object_get(offset, "uri"));

			if (json_is_integer(pos) && json_integer_value(pos) >= 0 && json_integer_value(pos) < 100000) {
				json_object_set_new(out, "offset", json_pack("{s:O}", "position", pos));
			} else if (track_uri_ok(uri)) {
				json_object_set_new(out, "offset", json_pack("{s:s}", "uri", uri));
			} else {
				*why = "offset must be {\"position\": N} or {\"uri\": TRACK_URI}";
				goto bad;
			}
		}
		if ((v = json_object_get(in, "position_ms")) && !json_is_null(v)) {
			if (!json_is_integer(v) || json_integer_value(v) < 0) {
				*why = "position_ms must be a whole number of milliseconds, 0 or more";
				goto bad;
			}
			json_object_set(out, "position_ms", v);
		}
		return out;
	}
	if (!strcmp(name, "seek")) {
		v = json_object_get(in, "position_ms");
		if (!json_is_integer(v) || json_integer_value(v) < 0) {
			*why = "position_ms must be a whole number of milliseconds, 0 or more";
			goto bad;
		}
		json_object_set(out, "position_ms", v);
		return out;
	}
	if (!strcmp(name, "volume")) {
		v = json_object_get(in, "volume_percent");
		if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 100) {
			*why = "volume_percent must be from 0 to 100";
			goto bad;
		}
		json_object_set(out, "volume_percent", v);
		return out;
	}
	if (!strcmp(name, "shuffle")) {
		v = json_object_get(in, "state");
		if (!json_is_boolean(v)) {
			*why = "state must be true or false";
			goto bad;
		}
		json_object_set(out, "state", v);
		return out;
	}
	if (!strcmp(name, "repeat")) {
		const char *s = json_string_value(json_object_get(in, "state"));

		if (!s || (strcmp(s, "off") && strcmp(s, "context") && strcmp(s, "track"))) {
			*why = "state must be off, context or track";
			goto bad;
		}
		json_object_set_new(out, "state", json_string(s));
		return out;
	}
	if (!strcmp(name, "queue_add")) {
		const char *s = json_string_value(json_object_get(in, "uri"));

		if (!track_uri_ok(s)) {
			*why = "uri must be a track URI";
			goto bad;
		}
		json_object_set_new(out, "uri", json_string(s));
		return out;
	}
	*why = "unknown command";
bad:
	json_decref(out);
	return NULL;
}

static struct hub_conn *device_find(struct hub_user *u, const char *id)
{
	for (struct hub_conn *c = u ? u->conns : NULL; c; c = c->next)
		if (c->hello && !c->observer && !strcmp(c->device_id, id))
			return c;
	return NULL;
}

/* Routes a clean command (stolen) from `from` to the device named (or the active one). */
static void route_command(struct hub *h, struct hub_user *u, const char *device_id, json_t *cmd,
                          struct hub_reply *rep, const char *from)
{
	struct hub_conn *target = device_id ? device_find(u, device_id) : u->active;
	const char *name = json_string_value(json_object_get(cmd, "command"));
	struct pending *p;

	if (!target) {
		json_decref(cmd);
		if (device_id)
			reply_done(rep, false, "device_not_found", "no connected device has that id");
		else
			reply_done(rep, false, "no_active_device", "no device is playing: name one, or transfer first");
		return;
	}
	/* "play" with nothing to play, aimed at another device, moves playback there. */
	if (!strcmp(name, "play") && target != u->active && !json_object_get(cmd, "context_uri") &&
	    !json_object_get(cmd, "uris")) {
		json_decref(cmd);
		xfer_start(h, u, target, 1, rep);
		return;
	}
	p = pending_send(h, u, target, P_COMMAND, cmd, from);
	if (!p) {
		reply_done(rep, false, "failed", "out of memory");
		return;
	}
	reply_move(&p->reply, rep);
	reply_wait(&p->reply);
}

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

static void watchers_drop(struct hub *h, struct hub_conn *c)
{
	for (size_t i = 0; i < h->nwatchers; i++)
		if (h->watchers[i] == c) {
			h->watchers[i] = h->watchers[--h->nwatchers];
			return;
		}
}

/* c is leaving u (closed or replaced): nothing may wait on it or answer to it any more. */
static void conn_detach(struct hub *h, struct hub_conn *c, struct hub_conn *successor)
{
	struct hub_user *u = c->user;
	bool was_active;

	if (!u)
		return;
	conn_unlink(c);
	if (c->nwatch)
		watchers_drop(h, c);
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
		pending_finish(p, false, "device_gone", "the device disconnected", NULL);
		pp = &u->pending; /* pending_finish may have added and removed entries */
	}
	if (u->xfer.busy && u->xfer.source == c)
		u->xfer.source = NULL;
	was_active = u->active == c;
	if (was_active) {
		if (successor) {
			u->active = successor;
		} else {
			/* Paused where it was: the next command or transfer picks it up. */
			u->active = NULL;
			if (u->state) {
				json_object_set_new(u->state, "progress_ms", json_integer(now_position(u->state)));
				json_object_set_new(u->state, "timestamp", json_integer(store_now_ms()));
				json_object_set_new(u->state, "is_playing", json_false());
			}
		}
	}
	c->user = NULL;
	if (!c->observer && c->hello) {
		broadcast_devices(u);
		if (was_active && !successor)
			broadcast_player(u, false);
	}
}

void hub_conn_closed(struct hub_conn *c)
{
	struct hub *h = hub_of(c);

	conn_detach(h, c, NULL);
	h->nconns--;
}

void hub_tokens_revoked(struct hub *h, const char *user_id)
{
	struct hub_user *u = user_find(h, user_id);
	sqlite3_stmt *st;

	for (struct hub_conn *c = u ? u->conns : NULL; c; c = c->next) {
		bool valid = false;

		st = store_stmt(&h->srv->store, "SELECT revoked FROM tokens WHERE hash = ?");
		if (!st)
			continue;
		sqlite3_bind_blob(st, 1, c->token_hash, 32, SQLITE_TRANSIENT);
		if (sqlite3_step(st) == SQLITE_ROW)
			valid = !sqlite3_column_int(st, 0);
		sqlite3_reset(st);
		if (!valid)
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

static bool device_id_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n < 1 || n > HUB_DEVICE_ID_MAX)
		return false;
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

/* Takes a device's state: everything but the device object, which the hub renders. */
static void state_set(struct hub_user *u, struct hub_conn *c, json_t *state, json_t *queue)
{
	json_t *dev = json_object_get(state, "device");
	json_t *vol = dev ? json_object_get(dev, "volume_percent") : NULL;

	if (json_is_integer(vol) && json_integer_value(vol) >= 0 && json_integer_value(vol) <= 100)
		c->volume = (int)json_integer_value(vol);
	json_decref(u->state);
	u->state = json_copy(state);
	json_object_del(u->state, "device");
	/* Positions are timed by the hub's clock: devices' clocks may disagree with it. */
	json_object_set_new(u->state, "timestamp", json_integer(store_now_ms()));
	if (json_is_object(queue)) {
		json_decref(u->queue);
		u->queue = json_incref(queue);
	}
}

static bool state_ok(json_t *state)
{
	return json_is_object(state) && json_is_boolean(json_object_get(state, "is_playing")) &&
	       json_is_integer(json_object_get(state, "progress_ms"));
}

static void on_hello(struct hub *h, struct hub_conn *c, json_t *m)
{
	json_t *dev = json_object_get(m, "device"), *state = json_object_get(m, "state");
	json_t *queue = json_object_get(m, "queue");
	struct hub_user *u;
	struct hub_conn *old = NULL;
	bool took_state = false;

	c->observer = json_is_true(json_object_get(m, "observer"));
	if (!c->observer) {
		const char *id = json_string_value(json_object_get(dev, "id"));
		const char *name = json_string_value(json_object_get(dev, "name"));
		const char *type = json_string_value(json_object_get(dev, "type"));
		json_t *vol = json_object_get(dev, "volume_percent");

		if (!device_id_ok(id) || !text_ok(name, HUB_NAME_MAX) || !text_ok(type, HUB_TYPE_MAX) ||
		    (vol && (!json_is_integer(vol) || json_integer_value(vol) < 0 || json_integer_value(vol) > 100))) {
			send_error(c, "bad_request", "hello needs device {id: 1-64 of [A-Za-z0-9_-], name: 1-64 "
			           "characters, type: 1-32 characters, volume_percent: 0-100}");
			ws_close(c, WS_CLOSE_HELLO_FIRST, "a valid hello must come first");
			return;
		}
		snprintf(c->device_id, sizeof c->device_id, "%s", id);
		snprintf(c->name, sizeof c->name, "%s", name);
		snprintf(c->type, sizeof c->type, "%s", type);
		c->volume = vol ? (int)json_integer_value(vol) : 100;
	}
	u = user_get(h, c->user_id);
	if (!u) {
		ws_close(c, 1011, "out of memory");
		return;
	}
	if (!c->observer && (old = device_find(u, c->device_id)) != NULL) {
		/* The same device again (it reconnected before we noticed it had gone): the new
		 * session takes over, active or not. */
		conn_detach(h, old, c);
		ws_close(old, WS_CLOSE_REPLACED, "replaced by a newer session of this device");
	}
	c->user = u;
	c->hello = true;
	c->next = u->conns;
	u->conns = c;
	if (old && old == u->active)
		u->active = c;
	/* After a hub restart, the device that was playing says so and brings the state back. */
	if (!c->observer && !u->active && json_is_true(json_object_get(m, "active")) && state_ok(state)) {
		u->active = c;
		state_set(u, c, state, queue);
		took_state = true;
	}
	json_t *st = render_state(u);
	json_t *w = json_pack("{s:s,s:s,s:s,s:I,s:o,s:o}", "type", "welcome", "user_id", u->id,
	                      "device_id", c->device_id, "heartbeat_ms",
	                      (json_int_t)h->srv->cfg.connect_heartbeat_ms, "devices", devices_array(u),
	                      "player", st ? st : json_null());
	if (u->queue)
		json_object_set(w, "queue", u->queue);
	send_json(c, w);
	json_decref(w);
	if (!c->observer) {
		broadcast_devices(u);
		if (took_state)
			broadcast_player(u, true);
	}
}

static void on_state(struct hub *h, struct hub_conn *c, json_t *m)
{
	struct hub_user *u = c->user;
	json_t *state = json_object_get(m, "state"), *queue = json_object_get(m, "queue");
	bool playing, claim = false;

	if (c->observer) {
		send_error(c, "bad_request", "an observer has no player state");
		return;
	}
	if (!state_ok(state) || (queue && !json_is_object(queue) && !json_is_null(queue))) {
		send_error(c, "bad_request", "state needs is_playing (bool) and progress_ms (integer); queue must be an object");
		return;
	}
	playing = json_is_true(json_object_get(state, "is_playing"));
	if (c != u->active) {
		if (u->xfer.busy && c == u->xfer.target) {
			/* The transfer's target reports before it confirms: it is taking over. */
		} else if (playing && !u->xfer.busy) {
			claim = true; /* its user pressed play on it */
		} else {
			return; /* a device that is not playing has nothing to say about the state */
		}
	}
	if (!claim && c != u->active) {
		/* The transfer's target: xfer_done makes it active and tells everyone. */
		state_set(u, c, state, queue);
		return;
	}
	if (claim) {
		struct hub_conn *prev = u->active;

		u->active = c;
		if (prev)
			send_stop(h, prev);
	}
	state_set(u, c, state, queue);
	if (claim)
		broadcast_devices(u);
	broadcast_player(u, json_is_object(queue));
}

static void on_command(struct hub *h, struct hub_conn *c, json_t *m)
{
	const char *id = json_string_value(json_object_get(m, "id"));
	json_t *dev = json_object_get(m, "device_id");
	struct hub_reply rep = { .conn = c };
	const char *why;
	json_t *cmd;

	if (!id || !*id || strlen(id) > CMD_ID_MAX) {
		send_error(c, "bad_request", "command needs an id: a string of 1 to 64 characters");
		return;
	}
	snprintf(rep.id, sizeof rep.id, "%s", id);
	if (dev && !json_is_null(dev) && !device_id_ok(json_string_value(dev))) {
		reply_done(&rep, false, "bad_request", "device_id is not a device id");
		return;
	}
	if (!(cmd = command_clean(m, &why))) {
		reply_done(&rep, false, "bad_request", why);
		return;
	}
	route_command(h, c->user, json_string_value(dev), cmd, &rep,
	              c->observer ? "observer" : c->device_id);
}

static void on_transfer(struct hub *h, struct hub_conn *c, json_t *m)
{
	const char *id = json_string_value(json_object_get(m, "id"));
	const char *dev = json_string_value(json_object_get(m, "device_id"));
	json_t *play = json_object_get(m, "play");
	struct hub_reply rep = { .conn = c };
	struct hub_conn *target;

	if (!id || !*id || strlen(id) > CMD_ID_MAX) {
		send_error(c, "bad_request", "transfer needs an id: a string of 1 to 64 characters");
		return;
	}
	snprintf(rep.id, sizeof rep.id, "%s", id);
	if (!device_id_ok(dev) || (play && !json_is_boolean(play))) {
		reply_done(&rep, false, "bad_request", "transfer needs device_id and, optionally, play (bool)");
		return;
	}
	if (!(target = device_find(c->user, dev))) {
		reply_done(&rep, false, "device_not_found", "no connected device has that id");
		return;
	}
	xfer_start(h, c->user, target, play ? json_is_true(play) : -1, &rep);
}

static void on_result(struct hub *h, struct hub_conn *c, json_t *m)
{
	const char *id = json_string_value(json_object_get(m, "id"));
	json_t *ok = json_object_get(m, "ok"), *err = json_object_get(m, "error");
	const char *message = json_string_value(json_object_get(err, "message"));
	struct pending *p;

	(void)h;
	if (!id || !json_is_boolean(ok)) {
		send_error(c, "bad_request", "result needs the command's id and ok (bool)");
		return;
	}
	for (p = c->user->pending; p; p = p->next)
		if (p->target == c && !strcmp(p->id, id))
			break;
	if (!p)
		return; /* timed out already, or an answer to a "stop" */
	pending_unlink(p);
	pending_finish(p, json_is_true(ok), "failed", message ? message : "the device could not do it", m);
}

static void on_watch(struct hub *h, struct hub_conn *c, json_t *m, bool on)
{
	const char *pid = json_string_value(json_object_get(m, "playlist_id"));
	struct playlist pl;
	int i;

	if (!pid || !base62_is_id(pid)) {
		send_error(c, "bad_request", "playlist_id must be a playlist id");
		return;
	}
	for (i = 0; i < c->nwatch && strcmp(c->watch[i], pid); i++)
		;
	if (!on) {
		if (i < c->nwatch) {
			memmove(c->watch[i], c->watch[i + 1], (size_t)(c->nwatch - i - 1) * sizeof c->watch[0]);
			if (--c->nwatch == 0)
				watchers_drop(h, c);
		}
		return;
	}
	if (i < c->nwatch)
		return;
	if (playlist_load(&h->srv->store, pid, &pl) != 0 ||
	    playlist_access(&h->srv->store, &pl, c->user_id) == PL_NONE) {
		send_error(c, "not_found", "no playlist %s that you can see", pid);
		return;
	}
	if (c->nwatch == HUB_WATCH_MAX) {
		send_error(c, "bad_request", "a session watches at most %d playlists", HUB_WATCH_MAX);
		return;
	}
	if (c->nwatch == 0) {
		if (h->nwatchers == h->capwatchers) {
			size_t cap = h->capwatchers ? h->capwatchers * 2 : 16;
			struct hub_conn **w = realloc(h->watchers, cap * sizeof *w);

			if (!w) {
				send_error(c, "failed", "out of memory");
				return;
			}
			h->watchers = w;
			h->capwatchers = cap;
		}
		h->watchers[h->nwatchers++] = c;
	}
	snprintf(c->watch[c->nwatch++], sizeof c->watch[0], "%s", pid);
	json_t *ack = json_pack("{s:s,s:s}", "type", "watching", "playlist_id", pid);
	send_json(c, ack);
	json_decref(ack);
}

void hub_conn_message(struct hub_conn *c, const char *text, size_t len)
{
	struct hub *h = hub_of(c);
	json_error_t e;
	json_t *m = json_loadb(text, len, JSON_REJECT_DUPLICATES, &e);
	const char *type = json_string_value(json_object_get(m, "type"));

	if (!json_is_object(m) || !type) {
		if (!c->hello)
			ws_close(c, WS_CLOSE_HELLO_FIRST, "the first message must be a hello");
		else
			send_error(c, "bad_message", "a message must be a JSON object with a string \"type\"%s%s",
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
		json_t *pong = json_pack("{s:s}", "type", "pong");
		send_json(c, pong);
		json_decref(pong);
	} else if (!strcmp(type, "state")) {
		on_state(h, c, m);
	} else if (!strcmp(type, "command")) {
		on_command(h, c, m);
	} else if (!strcmp(type, "transfer")) {
		on_transfer(h, c, m);
	} else if (!strcmp(type, "result")) {
		on_result(h, c, m);
	} else if (!strcmp(type, "watch") || !strcmp(type, "unwatch")) {
		on_watch(h, c, m, type[0] == 'w');
	} else if (!strcmp(type, "hello")) {
		send_error(c, "bad_request", "hello was said already");
	} else {
		send_error(c, "bad_message", "unknown message type \"%.40s\"", type);
	}
out:
	json_decref(m);
}

/* ---- REST doors ---- */

json_t *hub_player_state(struct hub *h, const char *user_id)
{
	return render_state(user_find(h, user_id));
}

json_t *hub_devices(struct hub *h, const char *user_id)
{
	return json_pack("{s:o}", "devices", devices_array(user_find(h, user_id)));
}

json_t *hub_queue_snapshot(struct hub *h, const char *user_id)
{
	struct hub_user *u = user_find(h, user_id);

	return u ? u->queue : NULL;
}

void hub_rest_command(struct hub *h, struct req *r, const char *device_id, json_t *cmd)
{
	struct hub_reply rep = { .req = r };
	struct hub_user *u = user_get(h, r->user.id);
	const char *why;
	json_t *clean = command_clean(cmd, &why);

	json_decref(cmd);
	if (!u) {
		reply_error(r, 500, "out of memory");
		return;
	}
	if (!clean) {
		reply_done(&rep, false, "bad_request", why);
		return;
	}
	route_command(h, u, device_id, clean, &rep, "web-api");
}

void hub_rest_transfer(struct hub *h, struct req *r, const char *device_id, int play)
{
	struct hub_reply rep = { .req = r };
	struct hub_user *u = user_get(h, r->user.id);
	struct hub_conn *target;

	if (!u) {
		reply_error(r, 500, "out of memory");
		return;
	}
	if (!(target = device_find(u, device_id))) {
		reply_done(&rep, false, "device_not_found", "no connected device has that id");
		return;
	}
	xfer_start(h, u, target, play, &rep);
}

/* ---- live playlists ---- */

static void tell_user(struct hub *h, const char *user_id, struct ws_payload *text)
{
	struct hub_user *u = user_find(h, user_id);

	if (!u || u->mark == h->mark)
		return;
	u->mark = h->mark;
	for (struct hub_conn *c = u->conns; c; c = c->next)
		if (c->hello)
			ws_send_payload(c, text);
}

void hub_playlist_changed(struct hub *h, const char *playlist_id, const char *snapshot_id,
                          json_t *change)
{
	json_t *m = json_pack("{s:s,s:s,s:s,s:o}", "type", "playlist", "playlist_id", playlist_id,
	                      "snapshot_id", snapshot_id, "change", change);
	char *dumped = json_dumps(m, JSON_COMPACT);
	struct store *s = &h->srv->store;
	struct ws_payload *text;
	sqlite3_stmt *st;

	json_decref(m);
	if (!dumped)
		return;
	text = ws_payload_new(dumped, strlen(dumped));
	free(dumped);
	if (!text)
		return;
	h->mark++;
	st = store_stmt(s, "SELECT owner_id FROM playlists WHERE id = ?1"
	                   " UNION SELECT user_id FROM playlist_followers WHERE playlist_id = ?1");
	if (st) {
		store_bind_text(st, 1, playlist_id);
		while (sqlite3_step(st) == SQLITE_ROW)
			tell_user(h, store_col_text(st, 0), text);
		sqlite3_reset(st);
	}
	/* Sessions watching it without following it; each session once, even if it watches
	 * from a user already told. */
	for (size_t i = 0; i < h->nwatchers; i++) {
		struct hub_conn *c = h->watchers[i];

		if (!c->user || c->user->mark == h->mark)
			continue;
		for (int k = 0; k < c->nwatch; k++)
			if (!strcmp(c->watch[k], playlist_id)) {
				ws_send_payload(c, text);
				break;
			}
	}
	ws_payload_unref(text);
}
