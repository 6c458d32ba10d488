/* The Connect hub's commands: a device or a REST request commanding a device, checked and
 * routed, and the hub's pending commands, answered when the device acknowledges or times out. */
#include "config.h"
#include "connect/hub_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base62.h"
#include "connect_proto.h"

/* ---- pending commands ---- */

void hub_pending_free(struct pending *p)
{
	lws_sul_cancel(&p->sul);
	if (p->reply.caller && p->reply.waiting)
		p->reply.caller->wait(p->reply.ud, NULL); /* unanswered: the hub is going */
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
	snprintf(p->id, sizeof p->id, "h%llu%s", ++h->seq, hub_bus_id_suffix(h));
	p->next = u->pending;
	u->pending = p;
	json_object_set_new(cmd, "type", json_string("command"));
	json_object_set_new(cmd, "id", json_string(p->id));
	json_object_set_new(cmd, "from", json_string(from));
	hub_send_json(target, cmd);
	json_decref(cmd);
	lws_sul_schedule(h->cfg.lws, 0, &p->sul, pending_expired,
	                 (lws_usec_t)h->cfg.timeout_ms * LWS_US_PER_MS);
	return p;
}

/* Tells a device to stop without waiting for it (another device has taken over). */
void hub_send_stop(struct hub *h, struct hub_conn *c)
{
	char id[24];
	json_t *m;

	snprintf(id, sizeof id, "s%llu", ++h->seq);
	m = json_pack("{s:s,s:s,s:s,s:s}", "type", "command", "id", id, "command",
	              connect_commands[CC_STOP].name, "from", "hub");
	hub_send_json(c, m);
	json_decref(m);
}

/* ---- commands ---- */

/* Routes a clean command (stolen) from `from` to the device named (or the active one). */
void hub_route_command(struct hub *h, struct hub_user *u, const char *device_id, json_t *cmd,
                       struct hub_reply *rep, const char *from)
{
	const char *name = json_string_value(json_object_get(cmd, "command"));
	struct hub_conn *target;
	struct pending *p;

	if (!device_id)
		hub_bus_refresh(h, u); /* the device playing now, as the database says */
	target = device_id ? hub_device_find(u, device_id) : u->active;
	if (!target) {
		json_decref(cmd);
		if (device_id)
			hub_reply_done(rep, false, "device_not_found", "no connected device has that id");
		else
			hub_reply_done(rep, false, "no_active_device", "no device is playing: name one, or transfer first");
		return;
	}
	/* "play" with nothing to play, aimed at another device, moves playback there. */
	if (connect_command_find(name) == &connect_commands[CC_PLAY] && target != u->active && !json_object_get(cmd, "context_uri") &&
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
	if (!(cmd = connect_command_clean(m, &why))) {
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

	if (!id || !json_is_boolean(ok)) {
		hub_send_error(c, "bad_request", "result needs the command's id and ok (bool)");
		return;
	}
	for (p = c->user->pending; p; p = p->next)
		if (p->target == c && !strcmp(p->id, id))
			break;
	if (!p) {
		/* Another instance's command (its id says which) is answered there; else it
		 * timed out already, or it answers a "stop". */
		if (!c->remote)
			hub_bus_result(h, c, m);
		return;
	}
	pending_unlink(p);
	hub_pending_finish(p, json_is_true(ok), "failed", message ? message : "the device could not do it", m);
}
