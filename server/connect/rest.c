/* The Connect hub's REST doors: the entry points of the /v1/me/player endpoints
 * (server/api/player.c), where a caller (struct hub_caller) stands in for a session. */
#include "config.h"
#include "connect/hub_internal.h"

#include "connect_proto.h"

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
