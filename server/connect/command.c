/* The Connect hub's commands: a device or a REST request commanding a device, checked and
 * routed, and the hub's pending commands, answered when the device acknowledges or times out. */
#include "config.h"
#include "connect/hub_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base62.h"
#include "http/http.h"
#include "server.h"

#define URIS_MAX 1000

/* ---- pending commands ---- */

void hub_pending_free(struct pending *p)
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

static void pending_expired(lws_sorted_usec_list_t *sul)
{
	struct pending *p = (struct pending *)sul;

	pending_unlink(p);
	hub_pending_finish(p, false, "timed_out", "the device did not answer in time", NULL);
}

/* Sends cmd (stolen) to target as a command the hub waits for. */
struct pending *hub_pending_send(struct hub *h, struct hub_user *u, struct hub_conn *target,
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
	hub_send_json(target, cmd);
	json_decref(cmd);
	lws_sul_schedule(h->srv->lws, 0, &p->sul, pending_expired,
	                 (lws_usec_t)h->srv->cfg.connect_timeout_ms * LWS_US_PER_MS);
	return p;
}

/* Tells a device to stop without waiting for it (another device has taken over). */
void hub_send_stop(struct hub *h, struct hub_conn *c)
{
	char id[24];
	json_t *m;

	snprintf(id, sizeof id, "s%llu", ++h->seq);
	m = json_pack("{s:s,s:s,s:s,s:s}", "type", "command", "id", id, "command", "stop", "from", "hub");
	hub_send_json(c, m);
	json_decref(m);
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
json_t *hub_command_clean(json_t *in, const char **why)
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

/* Routes a clean command (stolen) from `from` to the device named (or the active one). */
void hub_route_command(struct hub *h, struct hub_user *u, const char *device_id, json_t *cmd,
                       struct hub_reply *rep, const char *from)
{
	struct hub_conn *target = device_id ? hub_device_find(u, device_id) : u->active;
	const char *name = json_string_value(json_object_get(cmd, "command"));
	struct pending *p;

	if (!target) {
		json_decref(cmd);
		if (device_id)
			hub_reply_done(rep, false, "device_not_found", "no connected device has that id");
		else
			hub_reply_done(rep, false, "no_active_device", "no device is playing: name one, or transfer first");
		return;
	}
	/* "play" with nothing to play, aimed at another device, moves playback there. */
	if (!strcmp(name, "play") && target != u->active && !json_object_get(cmd, "context_uri") &&
	    !json_object_get(cmd, "uris")) {
		json_decref(cmd);
		hub_xfer_start(h, u, target, 1, rep);
		return;
	}
	p = hub_pending_send(h, u, target, P_COMMAND, cmd, from);
	if (!p) {
		hub_reply_done(rep, false, "failed", "out of memory");
		return;
	}
	hub_reply_move(&p->reply, rep);
	hub_reply_wait(&p->reply);
}

void hub_on_command(struct hub *h, struct hub_conn *c, json_t *m)
{
	const char *id = json_string_value(json_object_get(m, "id"));
	json_t *dev = json_object_get(m, "device_id");
	struct hub_reply rep = { .conn = c };
	const char *why;
	json_t *cmd;

	if (!id || !*id || strlen(id) > CMD_ID_MAX) {
		hub_send_error(c, "bad_request", "command needs an id: a string of 1 to 64 characters");
		return;
	}
	snprintf(rep.id, sizeof rep.id, "%s", id);
	if (dev && !json_is_null(dev) && !hub_device_id_ok(json_string_value(dev))) {
		hub_reply_done(&rep, false, "bad_request", "device_id is not a device id");
		return;
	}
	if (!(cmd = hub_command_clean(m, &why))) {
		hub_reply_done(&rep, false, "bad_request", why);
		return;
	}
	hub_route_command(h, c->user, json_string_value(dev), cmd, &rep,
	                  c->observer ? "observer" : c->device_id);
}

void hub_on_result(struct hub *h, struct hub_conn *c, json_t *m)
{
	const char *id = json_string_value(json_object_get(m, "id"));
	json_t *ok = json_object_get(m, "ok"), *err = json_object_get(m, "error");
	const char *message = json_string_value(json_object_get(err, "message"));
	struct pending *p;

	(void)h;
	if (!id || !json_is_boolean(ok)) {
		hub_send_error(c, "bad_request", "result needs the command's id and ok (bool)");
		return;
	}
	for (p = c->user->pending; p; p = p->next)
		if (p->target == c && !strcmp(p->id, id))
			break;
	if (!p)
		return; /* timed out already, or an answer to a "stop" */
	pending_unlink(p);
	hub_pending_finish(p, json_is_true(ok), "failed", message ? message : "the device could not do it", m);
}
