/* The Connect hub's REST doors: the entry points of the /v1/me/player endpoints
 * (server/api/player.c), where a caller (struct hub_caller) stands in for a session. */
#include "config.h"
#include "connect/hub_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connect_proto.h"
#include "store/store.h"

/* ---- REST doors ---- */

/* The user a door asks about. With several instances it may be one this process has not
 * seen, whose devices are on the others: they are read in, as a session's hello would. */
static struct hub_user *rest_user(struct hub *h, const char *user_id)
{
	return h->bus ? hub_user_get(h, user_id) : hub_user_find(h, user_id);
}

json_t *hub_player_state(struct hub *h, const char *user_id)
{
	return hub_render_state(rest_user(h, user_id));
}

json_t *hub_devices(struct hub *h, const char *user_id)
{
	return json_pack("{s:o}", "devices", hub_devices_array(rest_user(h, user_id)));
}

json_t *hub_queue_snapshot(struct hub *h, const char *user_id)
{
	struct hub_user *u = rest_user(h, user_id);

	return u ? u->queue : NULL;
}

int hub_rest_command(struct hub *h, const char *user_id, const char *device_id, json_t *cmd,
                     const struct hub_caller *caller, void *ud)
{
	struct hub_reply rep = { .caller = caller, .ud = ud };
	struct hub_user *u = hub_user_get(h, user_id);
	const char *why;
	json_t *clean = connect_command_clean(cmd, &why);

	json_decref(cmd);
	if (!u) {
		json_decref(clean);
		return -1;
	}
	if (!clean) {
		hub_reply_done(&rep, false, "bad_request", why);
		return 0;
	}
	hub_route_command(h, u, device_id, clean, &rep, "web-api");
	return 0;
}

int hub_rest_transfer(struct hub *h, const char *user_id, const char *device_id, int play,
                      const struct hub_caller *caller, void *ud)
{
	struct hub_reply rep = { .caller = caller, .ud = ud };
	struct hub_user *u = hub_user_get(h, user_id);
	struct hub_conn *target;

	if (!u)
		return -1;
	if (!(target = hub_device_find(u, device_id))) {
		hub_reply_done(&rep, false, "device_not_found", "no connected device has that id");
		return 0;
	}
	hub_xfer_start(h, u, target, play, &rep);
	return 0;
}

/* ---- the play queue of players outside Connect ---- */

int hub_play_queue(struct hub *h, const char *user_id, struct hub_play_queue *q)
{
	struct hub_user *u = rest_user(h, user_id);
	json_t *st = hub_render_state(u);

	if (!st)
		return 0;
	q->state = st;
	q->queue = u->queue ? json_deep_copy(u->queue) : NULL;
	q->changed_at = u->changed_at;
	snprintf(q->changed_by, sizeof q->changed_by, "%s", u->changed_by ? u->changed_by : "");
	return 1;
}

int hub_play_queue_save(struct hub *h, const char *user_id, json_t *state, json_t *queue,
                        const char *by)
{
	struct hub_user *u = hub_user_get(h, user_id);
	struct hub_conn *was;

	if (!u || !state || !queue) {
		json_decref(state);
		json_decref(queue);
		return -1;
	}
	if (u->xfer.busy) {
		/* A handoff between devices is settling who plays: it goes first. */
		json_decref(state);
		json_decref(queue);
		return 1;
	}
	hub_bus_note(u, HC_SAVE, NULL);
	if ((was = u->active)) {
		hub_send_stop(h, was);
		u->active = NULL;
		hub_devices_changed(u, was, NULL);
	}
	json_object_del(state, "device");
	json_object_set_new(state, "is_playing", json_false());
	json_object_set_new(state, "timestamp", json_integer(store_now_ms()));
	json_decref(u->state);
	u->state = state;
	json_decref(u->queue);
	u->queue = queue;
	hub_state_changed_by(u, by);
	hub_broadcast_player(u, true);
	return 0;
}

int hub_play_queue_clear(struct hub *h, const char *user_id, const char *by)
{
	struct hub_user *u = rest_user(h, user_id);

	if (!u || !u->state || u->active || u->xfer.busy)
		return 0;
	hub_bus_note(u, HC_REPORT, NULL); /* it holds while nothing plays */
	json_decref(u->state);
	json_decref(u->queue);
	u->state = u->queue = NULL;
	hub_state_changed_by(u, by);
	hub_broadcast_player(u, false);
	return 0;
}

/* ---- now playing ---- */

int hub_now_playing_set(struct hub *h, const char *user_id, const char *track_id, const char *by,
                        long long until)
{
	struct hub_user *u = hub_user_get(h, user_id);
	char *name = strdup(by);

	if (!u || !name) {
		free(name);
		return -1;
	}
	snprintf(u->now_track, sizeof u->now_track, "%s", track_id);
	free(u->now_by);
	u->now_by = name;
	u->now_at = store_now_ms();
	u->now_until = until;
	return 0;
}

int hub_now_playing(struct hub *h, const char *user_id, struct hub_now_playing out[2])
{
	struct hub_user *u = rest_user(h, user_id);
	const char *track;
	int n = 0;

	if (!u)
		return 0;
	track = json_string_value(json_object_get(json_object_get(u->state, "item"), "id"));
	if (u->active && json_is_true(json_object_get(u->state, "is_playing")) && track) {
		snprintf(out[n].track, sizeof out[n].track, "%s", track);
		snprintf(out[n].by, sizeof out[n].by, "%s",
		         u->active->name ? u->active->name : u->active->device_id);
		out[n].at = u->changed_at;
		out[n++].device = true;
	}
	if (u->now_track[0] && store_now_ms() < u->now_until) {
		snprintf(out[n].track, sizeof out[n].track, "%s", u->now_track);
		snprintf(out[n].by, sizeof out[n].by, "%s", u->now_by);
		out[n].at = u->now_at;
		out[n++].device = false;
	}
	return n;
}
