/* The Connect command table. See connect_proto.h. */
#include "config.h"
#include "connect_proto.h"

#include <string.h>

#include "base62.h"

#define URIS_MAX 1000

const struct connect_command connect_commands[CC_COUNT] = {
	[CC_PLAY] = { "play", CA_PLAY, NULL, true, "PUT", "/play" },
	[CC_PAUSE] = { "pause", CA_NONE, NULL, true, "PUT", "/pause" },
	[CC_RESUME] = { "resume", CA_NONE, NULL, true, "PUT", "/play" },
	[CC_NEXT] = { "next", CA_NONE, NULL, true, "POST", "/next" },
	[CC_PREVIOUS] = { "previous", CA_NONE, NULL, true, "POST", "/previous" },
	[CC_SEEK] = { "seek", CA_MS, "position_ms", true, "PUT", "/seek" },
	[CC_VOLUME] = { "volume", CA_PERCENT, "volume_percent", true, "PUT", "/volume" },
	[CC_SHUFFLE] = { "shuffle", CA_BOOL, "state", true, "PUT", "/shuffle" },
	[CC_REPEAT] = { "repeat", CA_REPEAT, "state", true, "PUT", "/repeat" },
	[CC_QUEUE_ADD] = { "queue_add", CA_TRACK_URI, "uri", true, "POST", "/queue" },
	[CC_STOP] = { "stop", CA_NONE, NULL, false, NULL, NULL },
	[CC_TRANSFER_OUT] = { "transfer_out", CA_NONE, NULL, false, NULL, NULL },
	[CC_TRANSFER_IN] = { "transfer_in", CA_HUB, NULL, false, NULL, NULL },
};

const struct connect_command *connect_command_find(const char *name)
{
	for (int i = 0; name && i < CC_COUNT; i++)
		if (!strcmp(connect_commands[i].name, name))
			return &connect_commands[i];
	return NULL;
}

bool connect_track_uri_ok(const char *s)
{
	return s && !strncmp(s, "segue:track:", 12) && base62_is_id(s + 12);
}

bool connect_context_uri_ok(const char *s)
{
	static const char *const kinds[] = { "segue:album:", "segue:playlist:", "segue:artist:" };

	if (!s)
		return false;
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (!strncmp(s, kinds[i], strlen(kinds[i])))
			return base62_is_id(s + strlen(kinds[i]));
	return false;
}

/* play's arguments: a context or a list of tracks, where to start in it, and from when. */
static const char *clean_play(json_t *in, json_t *out)
{
	json_t *uris = json_object_get(in, "uris"), *offset = json_object_get(in, "offset"), *v;
	const char *ctx = json_string_value(json_object_get(in, "context_uri"));
	size_t i;

	if (json_object_get(in, "context_uri") && !json_is_null(json_object_get(in, "context_uri"))) {
		if (!connect_context_uri_ok(ctx))
			return "context_uri must be an album, playlist or artist URI";
		json_object_set_new(out, "context_uri", json_string(ctx));
	}
	if (uris && !json_is_null(uris)) {
		if (!json_is_array(uris) || !json_array_size(uris) || json_array_size(uris) > URIS_MAX)
			return "uris must be an array of 1 to 1000 track URIs";
		json_array_foreach(uris, i, v)
			if (!connect_track_uri_ok(json_string_value(v)))
				return "uris must hold track URIs";
		if (ctx)
			return "give context_uri or uris, not both";
		json_object_set(out, "uris", uris);
	}
	if (offset && !json_is_null(offset)) {
		json_t *pos = json_object_get(offset, "position");
		const char *uri = json_string_value(json_object_get(offset, "uri"));

		if (json_is_integer(pos) && json_integer_value(pos) >= 0 && json_integer_value(pos) < 100000)
			json_object_set_new(out, "offset", json_pack("{s:O}", "position", pos));
		else if (connect_track_uri_ok(uri))
			json_object_set_new(out, "offset", json_pack("{s:s}", "uri", uri));
		else
			return "offset must be {\"position\": N} or {\"uri\": TRACK_URI}";
	}
	if ((v = json_object_get(in, "position_ms")) && !json_is_null(v)) {
		if (!json_is_integer(v) || json_integer_value(v) < 0)
			return "position_ms must be a whole number of milliseconds, 0 or more";
		json_object_set(out, "position_ms", v);
	}
	return NULL;
}

/* The one argument of c in in, checked, copied into out; NULL or why it is refused. */
static const char *clean_arg(const struct connect_command *c, json_t *in, json_t *out)
{
	json_t *v = c->field ? json_object_get(in, c->field) : NULL;
	const char *s = json_string_value(v);

	switch (c->arg) {
	case CA_NONE:
		return NULL;
	case CA_PLAY:
		return clean_play(in, out);
	case CA_MS:
		if (!json_is_integer(v) || json_integer_value(v) < 0)
			return "position_ms must be a whole number of milliseconds, 0 or more";
		break;
	case CA_PERCENT:
		if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 100)
			return "volume_percent must be from 0 to 100";
		break;
	case CA_BOOL:
		if (!json_is_boolean(v))
			return "state must be true or false";
		break;
	case CA_REPEAT:
		if (!s || (strcmp(s, "off") && strcmp(s, "context") && strcmp(s, "track")))
			return "state must be off, context or track";
		break;
	case CA_TRACK_URI:
		if (!connect_track_uri_ok(s))
			return "uri must be a track URI";
		break;
	case CA_HUB:
		return "unknown command";
	}
	json_object_set(out, c->field, v);
	return NULL;
}

json_t *connect_command_clean(json_t *in, const char **why)
{
	const char *name = json_string_value(json_object_get(in, "command"));
	const struct connect_command *c = connect_command_find(name);
	json_t *out;

	*why = NULL;
	if (!name) {
		*why = "command must be a string";
		return NULL;
	}
	/* The hub's own commands are as unknown to a client as a made-up one. */
	if (!c || !c->from_clients) {
		*why = "unknown command";
		return NULL;
	}
	out = json_pack("{s:s}", "command", name);
	if (!out || (*why = clean_arg(c, in, out))) {
		json_decref(out);
		return NULL;
	}
	return out;
}
