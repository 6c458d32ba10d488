/* The Connect hub's player state: one per user, as the active device last reported it, rendered
 * for clients with the position brought forward, taken from `state` messages and broadcast. */
#include "config.h"
#include "connect/hub_internal.h"

#include <stdlib.h>
#include <string.h>

#include "connect/ws.h"
#include "store/store.h"

/* ---- rendering ---- */

long long hub_int_member(json_t *o, const char *name, long long def)
{
	json_t *v = json_object_get(o, name);

	return json_is_integer(v) ? json_integer_value(v) : def;
}

/* The state as it is now: the active device's object, and the position brought forward to
 * this moment when it is playing. NULL when there is no state. */
json_t *hub_render_state(const struct hub_user *u)
{
	json_t *o;
	long long now = store_now_ms();

	if (!u || !u->state)
		return NULL;
	o = json_copy(u->state);
	if (!o)
		return NULL;
	if (u->active) {
		json_object_set_new(o, "device", hub_device_object(u, u->active));
		if (json_is_true(json_object_get(o, "is_playing"))) {
			long long pos = hub_int_member(o, "progress_ms", 0) + now - hub_int_member(o, "timestamp", now);
			long long dur = hub_int_member(json_object_get(o, "item"), "duration_ms", -1);

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

/* The state to every session of u; with the queue snapshot when it changed (with_queue) to
 * those that did not ask to go without. A snapshot may hold 40,000 tracks: a device that
 * advances to its next track changes it, and sending it to every device of the user each time
 * cost more than everything else a playing device does. Each form is rendered once. */
void hub_broadcast_player(struct hub_user *u, bool with_queue)
{
	json_t *st = hub_render_state(u);
	json_t *m = json_pack("{s:s,s:o}", "type", "player", "player", st ? st : json_null());
	struct ws_payload *slim = NULL, *full = NULL;
	bool wants_queue = false;

	hub_bus_player_changed(u->hub, u);
	with_queue = with_queue && u->queue;
	for (struct hub_conn *c = with_queue ? u->conns : NULL; c; c = c->next)
		wants_queue |= hub_told(c) && !c->no_queue;
	if (wants_queue) {
		json_t *fm = json_copy(m); /* shallow: only "queue" is added */

		if (fm && json_object_set(fm, "queue", u->queue) == 0)
			full = hub_payload(fm);
		else
			json_decref(fm);
	}
	slim = hub_payload(m);
	for (struct hub_conn *c = u->conns; c; c = c->next)
		if (hub_told(c))
			ws_send_payload(c, with_queue && !c->no_queue ? full : slim);
	ws_payload_unref(slim);
	ws_payload_unref(full);
}

long long hub_now_position(json_t *state)
{
	long long pos = hub_int_member(state, "progress_ms", 0);

	if (json_is_true(json_object_get(state, "is_playing")))
		pos += store_now_ms() - hub_int_member(state, "timestamp", store_now_ms());
	return pos < 0 ? 0 : pos;
}

/* ---- a device's state ---- */

/* Takes a device's state: everything but the device object, which the hub renders. True when
 * the device's volume changed with it: its entry in the device list did too. */
bool hub_state_set(struct hub_user *u, struct hub_conn *c, json_t *state, json_t *queue)
{
	json_t *dev = json_object_get(state, "device");
	json_t *vol = dev ? json_object_get(dev, "volume_percent") : NULL;
	bool changed = false;

	if (json_is_integer(vol) && json_integer_value(vol) >= 0 && json_integer_value(vol) <= 100 &&
	    json_integer_value(vol) != c->volume) {
		c->volume = (int)json_integer_value(vol);
		changed = true;
	}
	json_decref(u->state);
	u->state = json_copy(state);
	json_object_del(u->state, "device");
	/* Positions are timed by the hub's clock: devices' clocks may disagree with it. */
	json_object_set_new(u->state, "timestamp", json_integer(store_now_ms()));
	hub_state_changed_by(u, c->name ? c->name : c->device_id);
	if (json_is_object(queue)) {
		json_decref(u->queue);
		u->queue = json_incref(queue);
	}
	return changed;
}

void hub_state_changed_by(struct hub_user *u, const char *who)
{
	/* Who changed it last is a label: when there is no memory for it, there is none. */
	if (!u->changed_by || strcmp(u->changed_by, who)) {
		free(u->changed_by);
		u->changed_by = strdup(who);
	}
	u->changed_at = store_now_ms();
}

bool hub_state_ok(json_t *state)
{
	return json_is_object(state) && json_is_boolean(json_object_get(state, "is_playing")) &&
	       json_is_integer(json_object_get(state, "progress_ms"));
}

void hub_on_state(struct hub *h, struct hub_conn *c, json_t *m)
{
	struct hub_user *u = c->user;
	json_t *state = json_object_get(m, "state"), *queue = json_object_get(m, "queue");
	bool playing, claim = false;

	if (c->observer) {
		hub_send_error(c, "bad_request", "an observer has no player state");
		return;
	}
	if (!hub_state_ok(state) || (queue && !json_is_object(queue) && !json_is_null(queue))) {
		hub_send_error(c, "bad_request", "state needs is_playing (bool) and progress_ms (integer); queue must be an object");
		return;
	}
	playing = json_is_true(json_object_get(state, "is_playing"));
	if (c != u->active) {
		if ((u->xfer.busy && c == u->xfer.target) || c == u->bus_xfer_in) {
			/* The transfer's target reports before it confirms: it is taking over (the
			 * transfer may be another instance's, which makes it active when it hears
			 * the confirmation). */
		} else if (playing && !u->xfer.busy) {
			claim = true; /* its user pressed play on it */
		} else {
			return; /* a device that is not playing has nothing to say about the state */
		}
	}
	if (!claim && c != u->active) {
		/* The transfer's target: xfer_done makes it active and tells everyone. */
		if (hub_state_set(u, c, state, queue))
			hub_devices_changed(u, c, NULL);
		return;
	}
	if (!claim)
		hub_bus_note(u, HC_REPORT, c); /* a claim is a move: hub_active_set notes it */
	if (claim && u->active)
		hub_send_stop(h, u->active);
	if (hub_state_set(u, c, state, queue) && !claim)
		hub_devices_changed(u, c, NULL);
	if (claim)
		hub_active_set(u, c); /* c's entry with its new volume, if that changed too */
	hub_broadcast_player(u, json_is_object(queue));
}
