/* The Connect hub's transfers: handing playback from the active device to another mid-song
 * (transfer_out, then transfer_in), and rolling back when the handoff fails. */
#include "config.h"
#include "connect/hub_internal.h"

#include <stdio.h>
#include <string.h>

#include "connect_proto.h"
#include "log.h"
#include "store/store.h"

/* ---- transfers ---- */

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
		json_t *cmd = json_pack("{s:s,s:O,s:O,s:I,s:b}", "command", connect_commands[CC_TRANSFER_IN].name,
		                        "state", u->xfer.state, "queue", u->xfer.queue ? u->xfer.queue : json_null(),
		                        "position_ms", (json_int_t)hub_int_member(u->xfer.state, "progress_ms", 0),
		                        "play", json_is_true(json_object_get(u->xfer.state, "is_playing")));
		hub_pending_send(h, u, src, P_ROLLBACK, cmd, "hub");
	}
	hub_reply_done(&u->xfer.reply, false, reason, message);
	xfer_end(u);
}

/* Second half: the target is told to start from xfer.state. The target may have gone during
 * the first half (conn_detach left it NULL). */
static void xfer_in(struct hub *h, struct hub_user *u)
{
	struct transfer *x = &u->xfer;
	bool play = x->play >= 0 ? x->play : json_is_true(json_object_get(x->state, "is_playing"));
	json_t *cmd;

	if (!x->target) {
		/* It disconnected while the source was handing over: the source resumes. */
		xfer_fail(h, u, "device_gone", "the device to transfer to disconnected", true);
		return;
	}
	cmd = json_pack("{s:s,s:O,s:O,s:I,s:b}", "command", connect_commands[CC_TRANSFER_IN].name, "state", x->state,
	                "queue", x->queue ? x->queue : json_null(),
	                "position_ms", (json_int_t)hub_now_position(x->state), "play", play);
	if (!hub_pending_send(h, u, x->target, P_XFER_IN, cmd, "hub"))
		xfer_fail(h, u, "failed", "out of memory", true);
}

void hub_xfer_start(struct hub *h, struct hub_user *u, struct hub_conn *target, int play,
                    struct hub_reply *rep)
{
	struct transfer *x = &u->xfer;

	hub_bus_refresh(h, u); /* the device playing now, as the database says */
	if (x->busy) {
		hub_reply_done(rep, false, "busy", "a transfer is already under way");
		return;
	}
	if (target == u->active) {
		/* Already there: only "play" can still mean something. */
		if (play == 1 && !json_is_true(json_object_get(u->state, "is_playing"))) {
			json_t *cmd = json_pack("{s:s}", "command", "resume");
			struct pending *p = hub_pending_send(h, u, target, P_COMMAND, cmd, "hub");

			if (p) {
				hub_reply_move(&p->reply, rep);
				hub_reply_wait(&p->reply);
				return;
			}
		}
		hub_reply_done(rep, true, NULL, NULL);
		return;
	}
	x->busy = true;
	x->source = u->active;
	x->target = target;
	x->play = play;
	hub_reply_move(&x->reply, rep);
	hub_reply_wait(&x->reply);
	if (x->source) {
		json_t *cmd = json_pack("{s:s}", "command", connect_commands[CC_TRANSFER_OUT].name);

		if (!hub_pending_send(h, u, x->source, P_XFER_OUT, cmd, "hub"))
			xfer_fail(h, u, "failed", "out of memory", false);
		return;
	}
	if (!u->state) {
		/* Nothing to carry over: the target is simply the active device now. */
		hub_active_set(u, target);
		hub_reply_done(&x->reply, true, NULL, NULL);
		xfer_end(u);
		return;
	}
	x->state = json_incref(u->state);
	x->queue = json_incref(u->queue);
	xfer_in(h, u);
}

void hub_xfer_took_over(struct hub_user *u, struct hub_conn *c, json_t *result, json_t *queue)
{
	json_t *st = json_object_get(result, "state");

	/* A volume that came with the state: the other instances hear of it (a change of
	 * their mirrors of c), this one's sessions with c's activation below. */
	if (hub_state_ok(st) && hub_state_set(u, c, st, json_object_get(result, "queue")) && !c->remote)
		hub_bus_device_put(c->hub, c);
	if (!u->queue && queue)
		u->queue = json_incref(queue);
	hub_active_set(u, c); /* with its new volume, if the state changed that */
	/* With the queue: one the target reported before it confirmed was kept (hub_on_state)
	 * and not yet told to anyone. */
	hub_broadcast_player(u, true);
}

/* The target confirmed: it is the active device. result may carry its state (a device that
 * did not report one before confirming). Everyone hears of it before the sender's ok. */
static void xfer_done(struct hub *h, struct hub_user *u, json_t *result)
{
	struct transfer *x = &u->xfer;
	struct hub_conn *src = x->source;

	if (src && src != x->target)
		hub_send_stop(h, src);
	/* A target on another instance: that instance wrote the handover as it passed the
	 * confirmation on, and this one takes the row (one writer, doc/connect.md). */
	if (!hub_bus_handed_over(h, u, x->target))
		hub_xfer_took_over(u, x->target, result, x->queue);
	/* Written before the answer: whoever hears "ok" and then sends a command without a
	 * device_id, through any instance, reaches the new device (hub_bus_refresh). */
	hub_bus_flush(h);
	hub_reply_done(&x->reply, true, NULL, NULL);
	xfer_end(u);
}

/* A device answered (or failed to) one of the hub's commands; p is already unlinked. */
void hub_pending_finish(struct pending *p, bool ok, const char *reason, const char *message,
                        json_t *result)
{
	struct hub_user *u = p->user;
	struct hub *h = hub_of(p->target);
	struct transfer *x = &u->xfer;

	switch (p->kind) {
	case P_COMMAND:
		hub_reply_done(&p->reply, ok, reason, message);
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
	hub_pending_free(p);
}

void hub_on_transfer(struct hub *h, struct hub_conn *c, json_t *m)
{
	const char *id = json_string_value(json_object_get(m, "id"));
	const char *dev = json_string_value(json_object_get(m, "device_id"));
	json_t *play = json_object_get(m, "play");
	struct hub_reply rep = { .conn = c };
	struct hub_conn *target;

	if (!id || !*id || strlen(id) > CMD_ID_MAX) {
		hub_send_error(c, "bad_request", "transfer needs an id: a string of 1 to 64 characters");
		return;
	}
	snprintf(rep.id, sizeof rep.id, "%s", id);
	if (!hub_device_id_ok(dev) || (play && !json_is_boolean(play))) {
		hub_reply_done(&rep, false, "bad_request", "transfer needs device_id and, optionally, play (bool)");
		return;
	}
	if (!(target = hub_device_find(c->user, dev))) {
		hub_reply_done(&rep, false, "device_not_found", "no connected device has that id");
		return;
	}
	hub_xfer_start(h, c->user, target, play ? json_is_true(play) : -1, &rep);
}
