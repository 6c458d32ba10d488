/* Connect from the command line: the user's devices, handing playback over, and following a
 * playlist's changes as they happen. */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "cmd.h"
#include "connect.h"
#include "log.h"
#include "remote.h"
#include "render.h"
#include "resolve.h"

static enum seg_err devices_exec(struct seg *s, struct cmd_args *a, json_t **out)
{
	enum seg_err e;

	(void)a;
	if (!seg_api(s))
		return seg_fail(SEG_EFAIL, "%s", seg_errmsg());
	if ((e = api_get(s->api, "/v1/me/player/devices", out)))
		return e;
	/* Which of them is this installation: a face shows it, and scripts can tell. */
	json_object_set_new(*out, "this_device", json_string(seg_device_id(s)));
	return SEG_OK;
}

static void print_devices(json_t *doc, FILE *f)
{
	const char *self = json_string_value(json_object_get(doc, "this_device")) ?: "";
	json_t *list = json_object_get(doc, "devices"), *d;
	size_t i;

	if (!json_array_size(list)) {
		fputs("no devices are connected (segue daemon makes this one available)\n", f);
		return;
	}
	json_array_foreach(list, i, d) {
		const char *id = json_string_value(json_object_get(d, "id")) ?: "";

		fprintf(f, "%s ", json_is_true(json_object_get(d, "is_active")) ? "*" : " ");
		render_column(f, json_string_value(json_object_get(d, "name")), 24);
		fprintf(f, " %-10s %3lld%%  %s%s\n", json_string_value(json_object_get(d, "type")) ?: "",
		        json_integer_value(json_object_get(d, "volume_percent")), id,
		        !strcmp(id, self) ? "  (this device)" : "");
	}
}

const struct cmd_entry cmd_devices = {
	"devices", "", "Lists the devices of this account that are connected now: daemons and TUIs "
	"on any machine. The active one (the one playing) is marked with *.", NULL, 0, 0, CMD_ANY,
	0, devices_exec, print_devices, NULL
};

static enum seg_err transfer_exec(struct seg *s, struct cmd_args *a, json_t **out)
{
	char id[65];
	json_t *body;
	long status = 0;
	enum seg_err e;

	if (!seg_api(s))
		return seg_fail(SEG_EFAIL, "%s", seg_errmsg());
	if ((e = remote_find_device(s, a->argv[0], id)))
		return e;
	body = json_pack("{s:[s]}", "device_ids", id);
	if (cmd_has(a, "play"))
		json_object_set_new(body, "play", json_true());
	/* Not repeated on a 5xx: the handoff may have happened even if the answer was lost. */
	int retries = api_set_retries(s->api, 0);

	e = api_request(s->api, "PUT", "/v1/me/player", body, NULL, NULL);
	api_set_retries(s->api, retries);
	json_decref(body);
	if (e)
		return e;
	if ((e = api_request(s->api, "GET", "/v1/me/player", NULL, out, &status)))
		return e;
	if (!*out)
		*out = json_pack("{s:n,s:b,s:n}", "device", "is_playing", 0, "item");
	return SEG_OK;
}

const struct cmd_entry cmd_transfer = {
	"transfer", "[--play] DEVICE", "Moves playback to DEVICE (its name or id, or an unambiguous "
	"beginning of either): it continues the same track at the same position with the same "
	"queue, and the device that played falls silent. --play starts it playing if it was paused.",
	"play", 1, 1, CMD_ANY, 0, transfer_exec, render_state, NULL
};

/* --- playlist watch ---------------------------------------------------------------------- */

static void print_change(struct seg *s, json_t *m)
{
	json_t *ch = json_object_get(m, "change");
	const char *kind = json_string_value(json_object_get(ch, "kind")) ?: "?";
	char when[16];
	time_t now = time(NULL);

	if (s->json) {
		json_t *doc = json_pack("{s:O,s:O,s:O}", "playlist_id", json_object_get(m, "playlist_id"),
		                        "snapshot_id", json_object_get(m, "snapshot_id"), "change", ch);

		json_dumpf(doc, stdout, JSON_COMPACT);
		fputc('\n', stdout);
		json_decref(doc);
	} else {
		strftime(when, sizeof when, "%H:%M:%S", localtime(&now));
		if (!strcmp(kind, "items"))
			printf("%s  %s: tracks changed (%s) from position %lld; %lld tracks now\n", when,
			       json_string_value(json_object_get(m, "snapshot_id")),
			       json_string_value(json_object_get(ch, "op")) ?: "?",
			       json_integer_value(json_object_get(ch, "from")) + 1,
			       json_integer_value(json_object_get(ch, "length")));
		else
			printf("%s  %s: %s changed\n", when, json_string_value(json_object_get(m, "snapshot_id")),
			       kind);
	}
	fflush(stdout);
}

static enum seg_err watch_exec(struct seg *s, struct cmd_args *a, json_t **out)
{
	struct connect *c = NULL;
	char id[32], token[512], *text;
	long count, seen = 0;
	json_t *pl = NULL;
	enum seg_err e;
	char path[64];

	*out = NULL;
	if ((e = uri_id(a->argv[0], "playlist", id)) || (e = cmd_flag_int(a, "count", 0, 1000000, 0, &count)))
		return e;
	if (!seg_api(s))
		return seg_fail(SEG_EFAIL, "%s", seg_errmsg());
	/* It must exist and be visible, which also proves the session is good. */
	snprintf(path, sizeof path, "/v1/playlists/%s?fields=id", id);
	if ((e = api_get(s->api, path, &pl)))
		return e;
	json_decref(pl);
	if ((e = api_access_token(s->api, false, token, sizeof token)) || (e = connect_new(api_server(s->api), &c)))
		return e;
	connect_set_token(c, token);
	if ((e = connect_start(c)))
		goto out;
	if (!s->json)
		fprintf(stderr, "watching %s (Ctrl-C stops)\n", id);
	while (!count || seen < count) {
		struct pollfd p = { .fd = connect_fd(c), .events = POLLIN };

		if (poll(&p, 1, -1) < 0 && errno != EINTR) {
			e = seg_fail(SEG_EFAIL, "poll: %s", strerror(errno));
			goto out;
		}
		while ((text = connect_next(c))) {
			json_t *m = json_loads(text, 0, NULL);
			const char *type = json_string_value(json_object_get(m, "type")) ?: "";

			free(text);
			if (!strcmp(type, "_connected")) {
				char hello[128];

				/* It reads no device list and no queue: a delta costs less than a list,
				 * and nothing less than a queue snapshot. */
				connect_hello(c, "{\"type\":\"hello\",\"observer\":true,\"capabilities\":"
				              "[\"device_deltas\",\"player_without_queue\"]}");
				snprintf(hello, sizeof hello, "{\"type\":\"watch\",\"playlist_id\":\"%s\"}", id);
				connect_send(c, hello);
			} else if (!strcmp(type, "_unauthorized")) {
				if ((e = api_access_token(s->api, true, token, sizeof token))) {
					json_decref(m);
					goto out;
				}
				connect_set_token(c, token);
			} else if (!strcmp(type, "error")) {
				e = seg_fail(SEG_ENOTFOUND, "%s", json_string_value(json_object_get(m, "message")) ?: "refused");
				json_decref(m);
				goto out;
			} else if (!strcmp(type, "playlist") &&
			           !strcmp(json_string_value(json_object_get(m, "playlist_id")) ?: "", id)) {
				print_change(s, m);
				seen++;
			}
			json_decref(m);
			if (count && seen >= count)
				break;
		}
	}
out:
	explicit_bzero(token, sizeof token);
	connect_free(c);
	return e;
}

const struct cmd_entry cmd_playlist_watch = {
	"playlist watch", "[--count N] PLAYLIST", "Follows a playlist's changes as they happen, made "
	"from any device by anyone who may edit it: one line per change (with --json, one JSON "
	"document per line: playlist_id, snapshot_id and what changed). Runs until interrupted, "
	"or until N changes have been shown.", "count=", 1, 1, CMD_FACE, CMD_STREAMS, watch_exec, NULL, NULL
};
