/* The Web API's player endpoints: doors into the Connect hub (server/connect/hub.h). A command answers 204
 * once the device that plays has confirmed it, or with the status of the hub's reason. */
#include "config.h"

#include <limits.h>
#include <string.h>

#include "catalog/catalog.h"
#include "api/handlers.h"
#include "connect/hub.h"
#include "server.h"

#define QUEUE_SHOWN 20

/* ---- the hub's answers to a request (struct hub_caller) ---- */

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

static void rest_answer(void *ud, bool ok, const char *reason, const char *message)
{
	struct req *r = ud;

	if (ok)
		reply_empty(r, 204);
	else
		reply_error(r, reason_status(reason), "%s: %s", reason, message ? message : reason);
	if (r->pending)
		http_resume(r);
}

/* The request went away while the hub held it at rep. */
static void rest_gone(void *rep)
{
	hub_reply_orphan(rep);
}

/* The device will answer later: the request waits, held by the hub at rep. */
static void rest_wait(void *ud, struct hub_reply *rep)
{
	req_defer(ud, rep ? rest_gone : NULL, rep);
}

static const struct hub_caller caller = { rest_answer, rest_wait };


void h_player(struct req *r)
{
	json_t *st;
	json_t *body, *ids, *play;

	if (r->method != M_PUT) {
		st = hub_player_state(r->srv->hub, r->user.id);
		if (!st)
			reply_empty(r, 204);
		else
			reply_json(r, 200, st);
		return;
	}
	/* PUT: transfer playback. */
	if (!(body = req_json_body(r, false)))
		return;
	ids = json_object_get(body, "device_ids");
	play = json_object_get(body, "play");
	if (!json_is_array(ids) || json_array_size(ids) != 1 || !json_is_string(json_array_get(ids, 0))) {
		reply_error(r, 400, "device_ids must be an array holding one device id");
	} else if (play && !json_is_boolean(play)) {
		reply_error(r, 400, "play must be true or false");
	} else {
		if (hub_rest_transfer(r->srv->hub, r->user.id, json_string_value(json_array_get(ids, 0)),
		                      play ? json_is_true(play) : -1, &caller, r) < 0)
			reply_error(r, 500, "out of memory");
	}
	json_decref(body);
}

void h_player_currently_playing(struct req *r)
{
	json_t *st = hub_player_state(r->srv->hub, r->user.id);

	if (!st || json_is_null(json_object_get(st, "item"))) {
		json_decref(st);
		reply_empty(r, 204);
		return;
	}
	json_object_del(st, "device");
	reply_json(r, 200, st);
}

void h_player_devices(struct req *r)
{
	reply_json(r, 200, hub_devices(r->srv->hub, r->user.id));
}

/* Sends {"command": name} plus what the caller added to the device named by ?device_id. */
static void command(struct req *r, json_t *cmd)
{
	if (hub_rest_command(r->srv->hub, r->user.id, req_arg(r, "device_id"), cmd, &caller, r) < 0)
		reply_error(r, 500, "out of memory");
}

/* Spotify's URIs in a play body in Segue's form, which the hub and the devices speak. */
static void canon_play_body(json_t *body)
{
	json_t *uris = json_object_get(body, "uris"), *v;
	char buf[API_URI_MAX];
	size_t i;

	api_uri_canon_member(body, "context_uri");
	if (json_is_object(json_object_get(body, "offset")))
		api_uri_canon_member(json_object_get(body, "offset"), "uri");
	json_array_foreach(uris, i, v)
		if (json_is_string(v) && api_uri_canon(json_string_value(v), buf, sizeof buf))
			json_array_set_new(uris, i, json_string(buf));
}

void h_player_play(struct req *r)
{
	json_t *body = NULL;

	if (r->body.len && !(body = req_json_body(r, false)))
		return;
	if (!body)
		body = json_object();
	canon_play_body(body);
	json_object_set_new(body, "command", json_string("play"));
	command(r, body);
}

void h_player_pause(struct req *r)
{
	command(r, json_pack("{s:s}", "command", "pause"));
}

void h_player_next(struct req *r)
{
	command(r, json_pack("{s:s}", "command", "next"));
}

void h_player_previous(struct req *r)
{
	command(r, json_pack("{s:s}", "command", "previous"));
}

void h_player_seek(struct req *r)
{
	int ms;

	if (!req_arg(r, "position_ms")) {
		reply_error(r, 400, "position_ms is required");
		return;
	}
	if (api_int_arg(r, "position_ms", 0, 0, INT_MAX, &ms) < 0)
		return;
	command(r, json_pack("{s:s,s:i}", "command", "seek", "position_ms", ms));
}

void h_player_volume(struct req *r)
{
	int v;

	if (!req_arg(r, "volume_percent")) {
		reply_error(r, 400, "volume_percent is required");
		return;
	}
	if (api_int_arg(r, "volume_percent", 0, 0, 100, &v) < 0)
		return;
	command(r, json_pack("{s:s,s:i}", "command", "volume", "volume_percent", v));
}

void h_player_shuffle(struct req *r)
{
	const char *s = req_arg(r, "state");

	if (!s || (strcmp(s, "true") && strcmp(s, "false"))) {
		reply_error(r, 400, "state must be true or false");
		return;
	}
	command(r, json_pack("{s:s,s:b}", "command", "shuffle", "state", !strcmp(s, "true")));
}

void h_player_repeat(struct req *r)
{
	const char *s = req_arg(r, "state");

	if (!s) {
		reply_error(r, 400, "state must be track, context or off");
		return;
	}
	command(r, json_pack("{s:s,s:s}", "command", "repeat", "state", s));
}

/* The snapshot's "up next": the hand queue, then the rest of the context in play order. */
static void upnext(struct req *r, json_t *q, json_t *out, const char *market)
{
	json_t *user = json_object_get(q, "user"), *tracks = json_object_get(q, "tracks");
	json_t *order = json_object_get(q, "order"), *v;
	json_int_t pos = json_integer_value(json_object_get(q, "pos"));
	size_t i;

	json_array_foreach(user, i, v) {
		json_t *t;

		if (json_array_size(out) >= QUEUE_SHOWN)
			return;
		if (json_is_string(v) && (t = api_track(r, json_string_value(v), market)))
			json_array_append_new(out, t);
	}
	for (i = (size_t)pos + 1; i < json_array_size(order) && json_array_size(out) < QUEUE_SHOWN; i++) {
		json_t *ix = json_array_get(order, i), *t;
		const char *id;

		if (!json_is_integer(ix))
			continue;
		id = json_string_value(json_array_get(tracks, (size_t)json_integer_value(ix)));
		if (id && (t = api_track(r, id, market)))
			json_array_append_new(out, t);
	}
}

void h_player_queue(struct req *r)
{
	json_t *q, *cur = NULL, *list;
	const char *id, *uri;

	if (r->method == M_POST) {
		char canon[API_URI_MAX];

		uri = req_arg(r, "uri");
		if (!uri) {
			reply_error(r, 400, "uri is required");
			return;
		}
		if (!api_uri_canon(uri, canon, sizeof canon)) {
			reply_error(r, 400, "uri must be a track URI");
			return;
		}
		command(r, json_pack("{s:s,s:s}", "command", "queue_add", "uri", canon));
		return;
	}
	q = hub_queue_snapshot(r->srv->hub, r->user.id);
	list = json_array();
	if (q) {
		id = json_string_value(json_object_get(q, "current"));
		if (id)
			cur = api_track(r, id, r->user.country);
		upnext(r, q, list, r->user.country);
	}
	reply_json(r, 200, json_pack("{s:o,s:o}", "currently_playing", cur ? cur : json_null(), "queue", list));
}
