/* Player commands carried out by another device, through the server. See remote.h. */
#include "config.h"
#include "remote.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api.h"
#include "connect_proto.h"
#include "device.h"
#include "queue.h"
#include "resolve.h"

enum seg_err remote_find_device(struct seg *s, const char *name, char id[65])
{
	json_t *doc = NULL, *d, *hit = NULL;
	size_t i, n = strlen(name);
	int prefix_hits = 0;
	enum seg_err e;

	if ((e = api_get(seg_api(s), "/v1/me/player/devices", &doc)))
		return e;
	json_array_foreach(json_object_get(doc, "devices"), i, d) {
		const char *did = json_string_value(json_object_get(d, "id")) ?: "";
		const char *dname = json_string_value(json_object_get(d, "name")) ?: "";

		if (!strcmp(did, name) || !strcasecmp(dname, name)) {
			hit = d;
			prefix_hits = 1;
			break;
		}
		if (!strncmp(did, name, n) || !strncasecmp(dname, name, n)) {
			hit = d;
			prefix_hits++;
		}
	}
	if (!hit || prefix_hits != 1) {
		e = seg_fail(SEG_ENOTFOUND, prefix_hits > 1 ? "\"%s\" names more than one device (segue devices lists them)"
		             : "no device \"%s\" is connected (segue devices lists them)", name);
	} else {
		snprintf(id, 65, "%s", json_string_value(json_object_get(hit, "id")));
	}
	json_decref(doc);
	return e;
}

enum seg_err remote_target(struct seg *s, const struct cmd_args *a, char id[65], bool *remote)
{
	const char *name = cmd_flag(a, "device");
	json_t *st = NULL;
	long status = 0;
	enum seg_err e;

	*remote = false;
	if (name) {
		if ((e = remote_find_device(s, name, id)))
			return e;
		/* Aimed at the device this process is: play here. */
		*remote = !(s->player && !strcmp(id, seg_device_id(s)));
		return SEG_OK;
	}
	if (s->player) {
		*remote = device_remote_active(s->device, id);
		return SEG_OK;
	}
	/* No player here: whatever device plays is the one to talk to. */
	if (!seg_api(s) || !api_logged_in(s->api))
		return SEG_OK;
	if (api_request(s->api, "GET", "/v1/me/player", NULL, &st, &status) == SEG_OK && status == 200) {
		const char *did = json_string_value(json_object_get(json_object_get(st, "device"), "id"));

		if (did) {
			snprintf(id, 65, "%s", did);
			*remote = true;
		}
	}
	json_decref(st);
	seg_clear_error();
	return SEG_OK;
}

/* One request to a player endpoint, aimed at the device. */
static enum seg_err call(struct seg *s, const char *method, const char *endpoint, const char *query,
                         const char *device, json_t *body)
{
	char path[512];
	int retries;
	enum seg_err e;

	snprintf(path, sizeof path, "/v1/me/player%s?%s%sdevice_id=%s", endpoint, query ? query : "",
	         query ? "&" : "", device);
	/* Not repeated on a 5xx: a device that answered late (504) may have acted, and a pause
	 * or a seek is not worth doing twice. */
	retries = api_set_retries(seg_api(s), 0);
	e = api_request(seg_api(s), method, path, body, NULL, NULL);
	api_set_retries(seg_api(s), retries);
	return e;
}

/* Connect command id, with its argument (stolen; NULL for none), through its door in the
 * Web API. The argument is checked as the hub checks it, so a bad one is refused here with
 * the hub's words. */
static enum seg_err send_cc(struct seg *s, enum cc id, json_t *arg, const char *device)
{
	const struct connect_command *c = &connect_commands[id];
	char query[256] = "";
	const char *why;
	json_t *cmd, *clean;
	enum seg_err e = SEG_OK;

	if (arg && c->field) {
		cmd = json_pack("{s:s,s:O}", "command", c->name, c->field, arg);
		clean = cmd ? connect_command_clean(cmd, &why) : NULL;
		json_decref(cmd);
		json_decref(clean);
		if (!clean) {
			e = seg_fail(SEG_EUSAGE, "%s", cmd ? why : "out of memory");
			goto out;
		}
		if (json_is_string(arg)) {
			char *v = api_escape(json_string_value(arg));

			if (!v) {
				e = seg_fail(SEG_ENOMEM, "out of memory");
				goto out;
			}
			snprintf(query, sizeof query, "%s=%s", c->field, v);
			free(v);
		} else if (json_is_boolean(arg)) {
			snprintf(query, sizeof query, "%s=%s", c->field, json_is_true(arg) ? "true" : "false");
		} else {
			snprintf(query, sizeof query, "%s=%" JSON_INTEGER_FORMAT, c->field, json_integer_value(arg));
		}
	}
	e = call(s, c->method, c->path, query[0] ? query : NULL, device, NULL);
out:
	json_decref(arg);
	return e;
}

static enum seg_err hub_state(struct seg *s, json_t **out)
{
	long status = 0;
	enum seg_err e = api_request(seg_api(s), "GET", "/v1/me/player", NULL, out, &status);

	if (!e && !*out)
		*out = json_pack("{s:n,s:b,s:n,s:n}", "device", "is_playing", 0, "item", "progress_ms");
	return e;
}

static enum seg_err play(struct seg *s, struct cmd_args *a, const char *device)
{
	json_t *tracks = NULL, *body = NULL, *t;
	char *context = NULL, *what = NULL;
	long from;
	size_t i;
	enum seg_err e;

	if (a->argc == 0)
		return send_cc(s, CC_RESUME, NULL, device);
	if ((e = cmd_flag_int(a, "from", 1, CONTEXT_TRACKS_MAX, 1, &from)))
		return e;
	if (!(what = cmd_join_args(a)))
		return seg_fail(SEG_ENOMEM, "out of memory");
	if ((e = resolve_tracks(s, what, &tracks, &context)))
		goto out;
	if ((size_t)from > json_array_size(tracks)) {
		e = seg_fail(SEG_ENOTFOUND, "%s has %zu tracks, not %ld", what, json_array_size(tracks), from);
		goto out;
	}
	body = json_pack("{s:{s:I}}", "offset", "position", (json_int_t)(from - 1));
	/* A search is no context the other device could look up: it gets the tracks. */
	if (context && strncmp(context, "segue:search:", 13)) {
		json_object_set_new(body, "context_uri", json_string(context));
	} else {
		json_t *uris = json_array();

		json_array_foreach(tracks, i, t)
			if (i < 1000)
				json_array_append_new(uris, json_string(json_string_value(json_object_get(t, "uri")) ?: ""));
		json_object_set_new(body, "uris", uris);
	}
	if (cmd_has(a, "shuffle") && (e = send_cc(s, CC_SHUFFLE, json_true(), device)))
		goto out;
	e = call(s, connect_commands[CC_PLAY].method, connect_commands[CC_PLAY].path, NULL, device, body);
out:
	json_decref(body);
	json_decref(tracks);
	free(context);
	free(what);
	return e;
}

/* seek and volume may be relative: to what the device reports now. */
static enum seg_err seek(struct seg *s, struct cmd_args *a, const char *device)
{
	long long ms;
	bool rel;
	enum seg_err e;

	if ((e = cmd_position(a->argv[0], &ms, &rel)))
		return e;
	if (rel) {
		json_t *st = NULL;

		if ((e = hub_state(s, &st)))
			return e;
		ms += json_integer_value(json_object_get(st, "progress_ms"));
		json_decref(st);
	}
	return send_cc(s, CC_SEEK, json_integer(ms < 0 ? 0 : ms), device);
}

static enum seg_err volume(struct seg *s, struct cmd_args *a, const char *device)
{
	int n;
	bool rel;
	enum seg_err e;

	if ((e = cmd_volume_arg(a->argv[0], &n, &rel)))
		return e;
	if (rel) {
		json_t *st = NULL;

		if ((e = hub_state(s, &st)))
			return e;
		n += json_integer_value(json_object_get(json_object_get(st, "device"), "volume_percent"));
		json_decref(st);
	}
	return send_cc(s, CC_VOLUME, json_integer(n < 0 ? 0 : n > 100 ? 100 : n), device);
}

static enum seg_err add_to_queue(struct seg *s, struct cmd_args *a, const char *device)
{
	char id[32], uri[64];
	enum seg_err e;

	for (int i = 0; i < a->argc; i++)
		if ((e = uri_id(a->argv[i], "track", id)))
			return e;
	for (int i = 0; i < a->argc; i++) {
		uri_id(a->argv[i], "track", id);
		snprintf(uri, sizeof uri, "segue:track:%s", id);
		if ((e = send_cc(s, CC_QUEUE_ADD, json_string(uri), device)))
			return e;
	}
	return SEG_OK;
}

enum seg_err remote_exec(struct seg *s, const struct cmd_entry *c, struct cmd_args *a,
                         const char *device, json_t **out)
{
	const char *n = c->name;
	enum seg_err e = SEG_OK;

	*out = NULL;
	if (!seg_api(s))
		return seg_fail(SEG_EFAIL, "%s", seg_errmsg());
	if (!strcmp(n, "play")) {
		e = play(s, a, device);
	} else if (!strcmp(n, "pause")) {
		e = send_cc(s, CC_PAUSE, NULL, device);
	} else if (!strcmp(n, "resume")) {
		e = send_cc(s, CC_RESUME, NULL, device);
	} else if (!strcmp(n, "toggle")) {
		json_t *st = NULL;

		if (!(e = hub_state(s, &st)))
			e = send_cc(s, json_is_true(json_object_get(st, "is_playing")) ? CC_PAUSE : CC_RESUME,
			            NULL, device);
		json_decref(st);
	} else if (!strcmp(n, "next")) {
		e = send_cc(s, CC_NEXT, NULL, device);
	} else if (!strcmp(n, "prev")) {
		e = send_cc(s, CC_PREVIOUS, NULL, device);
	} else if (!strcmp(n, "seek")) {
		e = seek(s, a, device);
	} else if (!strcmp(n, "volume")) {
		e = volume(s, a, device);
	} else if (!strcmp(n, "shuffle")) {
		const char *v = a->argv[0];

		if (strcmp(v, "on") && strcmp(v, "off") && strcmp(v, "true") && strcmp(v, "false"))
			return seg_fail(SEG_EUSAGE, "say on or off, not \"%s\"", v);
		e = send_cc(s, CC_SHUFFLE, json_boolean(!strcmp(v, "on") || !strcmp(v, "true")), device);
	} else if (!strcmp(n, "repeat")) {
		if (repeat_from_name(a->argv[0]) < 0)
			return seg_fail(SEG_EUSAGE, "repeat takes off, context or track");
		e = send_cc(s, CC_REPEAT, json_string(a->argv[0]), device);
	} else if (!strcmp(n, "queue add")) {
		e = add_to_queue(s, a, device);
	} else if (!strcmp(n, "status") || !strcmp(n, "queue")) {
		/* The server knows the state of the device that plays, not of the others. */
		json_t *st = NULL;
		const char *active;

		if ((e = hub_state(s, &st)))
			return e;
		active = json_string_value(json_object_get(json_object_get(st, "device"), "id"));
		if (!active || strcmp(active, device)) {
			json_decref(st);
			return seg_fail(SEG_ENOPLAYER, "that device is not the one playing (segue devices)");
		}
		json_decref(st);
	} else {
		return seg_fail(SEG_EUSAGE, "%s works only on this device", n);
	}
	if (e)
		return e;
	if (!strcmp(n, "queue") || !strcmp(n, "queue add"))
		return api_get(seg_api(s), "/v1/me/player/queue", out);
	return hub_state(s, out);
}
