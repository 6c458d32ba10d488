/* The Connect hub's REST doors: the entry points of the /v1/me/player endpoints
 * (server/api/player.c), where a pending request stands in for a session. */
#include "config.h"
#include "connect/hub_internal.h"

#include "connect_proto.h"
#include "http/http.h"

/* ---- REST doors ---- */

json_t *hub_player_state(struct hub *h, const char *user_id)
{
	return hub_render_state(hub_user_find(h, user_id));
}

json_t *hub_devices(struct hub *h, const char *user_id)
{
	return json_pack("{s:o}", "devices", hub_devices_array(hub_user_find(h, user_id)));
}

json_t *hub_queue_snapshot(struct hub *h, const char *user_id)
{
	struct hub_user *u = hub_user_find(h, user_id);

	return u ? u->queue : NULL;
}

void hub_rest_command(struct hub *h, struct req *r, const char *device_id, json_t *cmd)
{
	struct hub_reply rep = { .req = r };
	struct hub_user *u = hub_user_get(h, r->user.id);
	const char *why;
	json_t *clean = connect_command_clean(cmd, &why);

	json_decref(cmd);
	if (!u) {
		reply_error(r, 500, "out of memory");
		return;
	}
	if (!clean) {
		hub_reply_done(&rep, false, "bad_request", why);
		return;
	}
	hub_route_command(h, u, device_id, clean, &rep, "web-api");
}

void hub_rest_transfer(struct hub *h, struct req *r, const char *device_id, int play)
{
	struct hub_reply rep = { .req = r };
	struct hub_user *u = hub_user_get(h, r->user.id);
	struct hub_conn *target;

	if (!u) {
		reply_error(r, 500, "out of memory");
		return;
	}
	if (!(target = hub_device_find(u, device_id))) {
		hub_reply_done(&rep, false, "device_not_found", "no connected device has that id");
		return;
	}
	hub_xfer_start(h, u, target, play, &rep);
}
