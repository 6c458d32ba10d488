/* This client as a Connect device. See device.h and doc/connect.md. */
#include "config.h"
#include "device.h"

#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "connect.h"
#include "connect_proto.h"
#include "log.h"
#include "player.h"
#include "resolve.h"

struct device {
	struct seg *s;
	struct player *p;
	struct connect *conn;
	char type[16];
	device_listener fn;
	void *ud;
	bool online;       /* welcomed */
	bool active;       /* the hub says this device is the active one */
	char active_id[65];
	json_t *devices;   /* {"devices": [...]} */
	json_t *hub_state; /* the hub's player state; NULL: none */
	char *sent_queue;  /* the last queue snapshot sent, to send it only when it changes */
	unsigned sends;    /* state messages sent so far */
};

static void tell(struct device *d, const char *event, json_t *data)
{
	if (d->fn)
		d->fn(d->ud, event, data);
}

static void send_json(struct device *d, json_t *m)
{
	char *text = json_dumps(m, JSON_COMPACT);

	if (text) {
		connect_send(d->conn, text);
		free(text);
	}
}

static void fresh_token(struct device *d, bool force)
{
	char token[512];
	struct api *a = seg_api(d->s);

	if (a && api_access_token(a, force, token, sizeof token) == SEG_OK)
		connect_set_token(d->conn, token);
	else
		log_warn("connect: no access token (%s); Connect waits for a login", seg_errmsg());
	explicit_bzero(token, sizeof token);
}

enum seg_err device_new(struct seg *s, struct player *p, const char *type, struct device **out)
{
	struct device *d = calloc(1, sizeof *d);
	struct api *a = seg_api(s);
	enum seg_err e;

	*out = NULL;
	if (!d)
		return seg_fail(SEG_ENOMEM, "out of memory");
	d->s = s;
	d->p = p;
	snprintf(d->type, sizeof d->type, "%s", type);
	d->devices = json_pack("{s:[]}", "devices");
	*out = d;
	if (!a || !api_logged_in(a)) {
		log_info("connect: not logged in; this device is not offered to others");
		return SEG_OK;
	}
	if ((e = connect_new(api_server(a), &d->conn)))
		goto fail;
	fresh_token(d, false);
	if ((e = connect_start(d->conn)))
		goto fail;
	return SEG_OK;
fail:
	log_warn("connect: %s", seg_errmsg());
	connect_free(d->conn);
	d->conn = NULL;
	return SEG_OK; /* playing locally still works */
}

void device_free(struct device *d)
{
	if (!d)
		return;
	connect_free(d->conn);
	json_decref(d->devices);
	json_decref(d->hub_state);
	free(d->sent_queue);
	free(d);
}

void device_set_listener(struct device *d, device_listener fn, void *ud)
{
	d->fn = fn;
	d->ud = ud;
}

int device_fd(struct device *d)
{
	return d && d->conn ? connect_fd(d->conn) : -1;
}

bool device_online(const struct device *d)
{
	return d && d->online;
}

bool device_remote_active(const struct device *d, char *id)
{
	if (!d || !d->online || d->active || !d->active_id[0])
		return false;
	if (id)
		snprintf(id, 65, "%s", d->active_id);
	return true;
}

json_t *device_devices(const struct device *d)
{
	return d ? json_incref(d->devices) : json_pack("{s:[]}", "devices");
}

json_t *device_hub_state(const struct device *d)
{
	return d ? d->hub_state : NULL;
}

/* The state as the hub wants it: the Web API's object without our local extension, with a
 * position even when nothing plays. */
static json_t *state_for_hub(json_t *st)
{
	json_t *o = json_copy(st);

	json_object_del(o, "segue");
	if (!json_is_integer(json_object_get(o, "progress_ms")))
		json_object_set_new(o, "progress_ms", json_integer(0));
	return o;
}

static void send_state(struct device *d, json_t *st, bool force_queue)
{
	json_t *m = json_pack("{s:s,s:o}", "type", "state", "state", state_for_hub(st));
	json_t *snap = player_snapshot(d->p);
	char *text = json_dumps(snap, JSON_COMPACT | JSON_SORT_KEYS);

	if (text && (force_queue || !d->sent_queue || strcmp(text, d->sent_queue))) {
		json_object_set(m, "queue", snap);
		free(d->sent_queue);
		d->sent_queue = text;
		text = NULL;
	}
	free(text);
	json_decref(snap);
	d->sends++;
	send_json(d, m);
	json_decref(m);
}

void device_player_event(struct device *d, const char *event, json_t *data)
{
	if (!d || !d->conn || !d->online || strcmp(event, "state"))
		return;
	/* The hub listens to the active device, and to one that starts playing on its own. */
	if (d->active || json_is_true(json_object_get(data, "is_playing")))
		send_state(d, data, false);
}

/* The name as the hub takes it: at most 64 characters, no control characters. */
static void hub_name(const char *in, char *out, size_t len)
{
	size_t k = 0, chars = 0;

	for (const unsigned char *p = (const unsigned char *)in; *p && k + 1 < len; p++) {
		if ((*p & 0xc0) != 0x80 && ++chars > 64)
			break;
		out[k++] = *p < 0x20 || *p == 0x7f ? ' ' : (char)*p;
	}
	out[k] = '\0';
	if (!k)
		snprintf(out, len, "segue");
}

static void hello(struct device *d)
{
	json_t *st = player_state(d->p);
	char name[64 * 4 + 1];

	hub_name(seg_device_name(d->s), name, sizeof name);
	/* device_deltas: the list once in the welcome, then its changes; player_without_queue:
	 * this device reads no other's queue from the hub (doc/connect.md, Versions). */
	json_t *m = json_pack("{s:s,s:{s:s,s:s,s:s,s:I},s:[s,s]}", "type", "hello", "device",
	                      "id", seg_device_id(d->s), "name", name, "type", d->type,
	                      "volume_percent",
	                      json_integer_value(json_object_get(json_object_get(st, "device"), "volume_percent")),
	                      "capabilities", "device_deltas", "player_without_queue");
	char *text;

	/* After a hub restart, the device that was playing brings the state back. */
	if (d->active && json_is_object(json_object_get(st, "item"))) {
		json_object_set_new(m, "active", json_true());
		json_object_set_new(m, "state", state_for_hub(st));
		json_object_set_new(m, "queue", player_snapshot(d->p));
	}
	free(d->sent_queue);
	d->sent_queue = NULL;
	if ((text = json_dumps(m, JSON_COMPACT))) {
		connect_hello(d->conn, text);
		free(text);
	}
	json_decref(m);
	json_decref(st);
}

/* devices (stolen) is the list now: kept, read for the active device, and told to the face. */
static void take_devices(struct device *d, json_t *devices)
{
	const char *self = seg_device_id(d->s);
	json_t *v, *doc;
	size_t i;

	if (!json_is_array(devices)) {
		json_decref(devices);
		return;
	}
	if (!(doc = json_pack("{s:o}", "devices", devices))) /* took devices even so */
		return;
	json_decref(d->devices);
	d->devices = doc;
	d->active_id[0] = '\0';
	json_array_foreach(devices, i, v)
		if (json_is_true(json_object_get(v, "is_active")))
			snprintf(d->active_id, sizeof d->active_id, "%s",
			         json_string_value(json_object_get(v, "id")) ?: "");
	d->active = d->active_id[0] && !strcmp(d->active_id, self);
	tell(d, "devices", d->devices);
}

/* One change to the list (doc/connect.md, device_added, device_removed, device_changed),
 * applied to a copy: whoever holds the list the face was given keeps it as it was. An entry
 * is found by its id; an added device the list has already replaces it, and a change to one it
 * lacks adds it, so the list converges whatever a lost race did. */
static void take_device_delta(struct device *d, const char *type, json_t *m)
{
	json_t *dev = json_object_get(m, "device"), *list, *v;
	const char *id = json_string_value(strcmp(type, "device_removed") ? json_object_get(dev, "id")
	                                                                  : json_object_get(m, "id"));
	size_t i, at = (size_t)-1;

	if (!id || (strcmp(type, "device_removed") && !json_is_object(dev)))
		return;
	if (!(list = json_copy(json_object_get(d->devices, "devices"))))
		return;
	json_array_foreach(list, i, v)
		if (!strcmp(json_string_value(json_object_get(v, "id")) ?: "", id))
			at = i;
	if (!strcmp(type, "device_removed"))
		json_array_remove(list, at); /* nothing when it was not there */
	else if (at != (size_t)-1)
		json_array_set(list, at, dev);
	else
		json_array_append(list, dev);
	take_devices(d, list);
}

static void take_player(struct device *d, json_t *player)
{
	json_decref(d->hub_state);
	d->hub_state = json_is_object(player) ? json_incref(player) : NULL;
	tell(d, "player", player ? player : json_null());
}

/* --- commands from the hub ------------------------------------------------------------ */

static enum seg_err do_play(struct device *d, json_t *m)
{
	const char *ctx_uri = json_string_value(json_object_get(m, "context_uri"));
	json_t *uris = json_object_get(m, "uris"), *offset = json_object_get(m, "offset");
	const char *at_uri = json_string_value(json_object_get(offset, "uri"));
	json_t *tracks = NULL, *t;
	char *context = NULL;
	size_t n, i, start = 0;
	json_int_t pos_ms = json_integer_value(json_object_get(m, "position_ms"));
	enum seg_err e;

	if (!ctx_uri && !uris)
		return player_pause(d->p, false);
	if ((e = ctx_uri ? resolve_tracks(d->s, ctx_uri, &tracks, &context) : resolve_uris(d->s, uris, &tracks)))
		return e;
	n = json_array_size(tracks);
	if (json_is_integer(json_object_get(offset, "position"))) {
		start = (size_t)json_integer_value(json_object_get(offset, "position"));
	} else if (at_uri) {
		json_array_foreach(tracks, i, t)
			if (!strcmp(json_string_value(json_object_get(t, "uri")) ?: "", at_uri))
				break;
		start = i;
	}
	if (start >= n)
		e = seg_fail(SEG_ENOTFOUND, "the offset is past the end of what was asked to play");
	else if (!(e = player_play_tracks(d->p, context, tracks, start)) && pos_ms > 0)
		e = player_seek(d->p, pos_ms, false);
	free(context);
	json_decref(tracks);
	return e;
}

/* transfer_out: pause, and say exactly where and whether it was playing. */
static json_t *do_transfer_out(struct device *d)
{
	json_t *st = player_state(d->p), *r;
	bool was = json_is_true(json_object_get(st, "is_playing"));

	if (was)
		player_pause(d->p, true);
	json_decref(st);
	st = player_state(d->p);
	r = json_pack("{s:o,s:o}", "state", state_for_hub(st), "queue", player_snapshot(d->p));
	json_decref(st);
	json_object_set_new(json_object_get(r, "state"), "is_playing", json_boolean(was));
	return r;
}

static enum seg_err do_transfer_in(struct device *d, json_t *m)
{
	json_t *state = json_object_get(m, "state"), *queue = json_object_get(m, "queue");
	json_t *item = json_object_get(state, "item");
	json_int_t pos = json_integer_value(json_object_get(m, "position_ms"));
	bool play = json_is_true(json_object_get(m, "play"));
	const char *id = json_string_value(json_object_get(item, "id"));
	enum seg_err e;

	if (!json_is_object(queue)) {
		/* Only the state is known (the hub kept it when its device vanished): its track. */
		if (!id)
			return seg_fail(SEG_EUSAGE, "nothing to take over");
		queue = json_pack("{s:s?,s:[s],s:[i],s:i,s:[],s:s,s:b,s:b,s:s}", "context_uri", NULL,
		                  "tracks", id, "order", 0, "pos", 0, "user", "current", id,
		                  "current_is_user", 0, "shuffle", 0, "repeat", "off");
		e = player_restore(d->p, queue, item, pos, play);
		json_decref(queue);
		return e;
	}
	return player_restore(d->p, queue, item, pos, play);
}

static enum seg_err run_command(struct device *d, const struct connect_command *c, json_t *m,
                               json_t **extra)
{
	const char *u;
	char kind[16], id[32];
	int now, r;

	*extra = NULL;
	switch (c - connect_commands) {
	case CC_PLAY:
		return do_play(d, m);
	case CC_PAUSE:
		return player_pause(d->p, true);
	case CC_RESUME:
		return player_pause(d->p, false);
	case CC_NEXT:
		return player_next(d->p);
	case CC_PREVIOUS:
		return player_prev(d->p);
	case CC_SEEK:
		return player_seek(d->p, json_integer_value(json_object_get(m, c->field)), false);
	case CC_VOLUME:
		return player_volume(d->p, (int)json_integer_value(json_object_get(m, c->field)), false, &now);
	case CC_SHUFFLE:
		return player_shuffle(d->p, json_is_true(json_object_get(m, c->field)));
	case CC_REPEAT:
		r = repeat_from_name(json_string_value(json_object_get(m, c->field)) ?: "");
		return r < 0 ? seg_fail(SEG_EUSAGE, "unknown repeat mode") : player_repeat(d->p, (enum repeat)r);
	case CC_QUEUE_ADD:
		u = json_string_value(json_object_get(m, c->field));
		if (!u || !uri_parse(u, "track", kind, id) || strcmp(kind, "track"))
			return seg_fail(SEG_EUSAGE, "not a track URI");
		return player_queue_add(d->p, id, NULL);
	case CC_TRANSFER_OUT:
		*extra = do_transfer_out(d);
		return SEG_OK;
	case CC_TRANSFER_IN:
		return do_transfer_in(d, m);
	default:
		return seg_fail(SEG_EUSAGE, "this device does not run \"%s\" as a command", c->name);
	}
}

static void on_command(struct device *d, json_t *m)
{
	unsigned sends;
	const char *name = json_string_value(json_object_get(m, "command"));
	const struct connect_command *c = connect_command_find(name);
	const char *id = json_string_value(json_object_get(m, "id"));
	json_t *extra = NULL, *r, *st;
	enum seg_err e;

	if (!name || !id)
		return;
	if (c == &connect_commands[CC_STOP]) {
		/* Another device took over: this one ends its play and falls silent. */
		d->active = false;
		player_stop(d->p, "device_change");
		return;
	}
	log_info("connect: %s from %s", name, json_string_value(json_object_get(m, "from")) ?: "?");
	sends = d->sends;
	e = c ? run_command(d, c, m, &extra)
	      : seg_fail(SEG_EUSAGE, "this device does not know the command \"%s\"", name);
	/* The state that reflects the command goes first (doc/connect.md, Ordering), unless the
	 * player's own event already carried it while the command ran. */
	if (c != &connect_commands[CC_TRANSFER_OUT] && d->sends == sends &&
	    (d->active || c == &connect_commands[CC_TRANSFER_IN] || c == &connect_commands[CC_PLAY])) {
		st = player_state(d->p);
		send_state(d, st, c == &connect_commands[CC_TRANSFER_IN]);
		json_decref(st);
	}
	r = json_pack("{s:s,s:s,s:b}", "type", "result", "id", id, "ok", e == SEG_OK);
	if (e)
		json_object_set_new(r, "error", json_pack("{s:s,s:s}", "reason", "failed", "message",
		                                          seg_errmsg()));
	if (extra)
		json_object_update(r, extra);
	send_json(d, r);
	json_decref(r);
	json_decref(extra);
}

static void on_message(struct device *d, json_t *m)
{
	const char *type = json_string_value(json_object_get(m, "type"));

	if (!type)
		return;
	if (!strcmp(type, "_connected")) {
		hello(d);
	} else if (!strcmp(type, "_unauthorized")) {
		fresh_token(d, true);
	} else if (!strcmp(type, "_disconnected")) {
		if (d->online)
			log_info("connect: lost the hub; reconnecting");
		d->online = false;
		fresh_token(d, false);
	} else if (!strcmp(type, "welcome")) {
		if (!d->online)
			log_info("connect: online as \"%s\"", seg_device_name(d->s));
		d->online = true;
		take_devices(d, json_incref(json_object_get(m, "devices")));
		take_player(d, json_object_get(m, "player"));
	} else if (!strcmp(type, "devices")) {
		/* A hub older than the deltas: the whole list on every change. */
		take_devices(d, json_incref(json_object_get(m, "devices")));
	} else if (!strcmp(type, "device_added") || !strcmp(type, "device_removed") ||
	           !strcmp(type, "device_changed")) {
		take_device_delta(d, type, m);
	} else if (!strcmp(type, "player")) {
		take_player(d, json_object_get(m, "player"));
	} else if (!strcmp(type, "command")) {
		on_command(d, m);
	} else if (!strcmp(type, "playlist")) {
		tell(d, "playlist", m);
	} else if (!strcmp(type, "error")) {
		log_warn("connect: the hub refused a message: %s",
		         json_string_value(json_object_get(m, "message")) ?: "?");
	}
}

void device_dispatch(struct device *d)
{
	char *text;

	if (!d || !d->conn)
		return;
	/* A bounded batch: the loop's other work is not starved by a chatty hub. */
	for (int i = 0; i < 64 && (text = connect_next(d->conn)); i++) {
		json_t *m = json_loads(text, 0, NULL);

		free(text);
		if (json_is_object(m))
			on_message(d, m);
		json_decref(m);
	}
}
