/* lyrics: a track's lyrics from the server (GET /v1/segue/lyrics/ID), timed or not. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "api.h"
#include "cmd.h"
#include "player.h"
#include "resolve.h"

/* The id of the track that plays: this daemon's, or, with no daemon here, what Connect knows
 * another device of the account plays. */
static enum seg_err playing(struct seg *s, char id[32])
{
	json_t *st = NULL;
	long status = 0;
	const char *item_id;
	enum seg_err e = SEG_OK;

	if (s->player)
		st = player_state(s->player);
	else if (!seg_api(s))
		return seg_fail(SEG_EFAIL, "%s", seg_errmsg());
	else if ((e = api_request(s->api, "GET", "/v1/me/player", NULL, &st, &status)))
		return e;
	item_id = json_string_value(json_object_get(json_object_get(st, "item"), "id"));
	if (item_id && strlen(item_id) < 32)
		snprintf(id, 32, "%s", item_id);
	else
		e = seg_fail(SEG_ENOPLAYER, "nothing is playing: name a track (segue lyrics URI)");
	json_decref(st);
	return e;
}

static enum seg_err lyrics_exec(struct seg *s, struct cmd_args *a, json_t **out)
{
	char kind[16], id[32], path[80];
	enum seg_err e;

	if (a->argc) {
		if (!uri_parse(a->argv[0], "track", kind, id) || strcmp(kind, "track"))
			return seg_fail(SEG_EUSAGE, "\"%s\" is not a track URI or id", a->argv[0]);
	} else if ((e = playing(s, id))) {
		return e;
	}
	if (!seg_api(s))
		return seg_fail(SEG_EFAIL, "%s", seg_errmsg());
	snprintf(path, sizeof path, "/v1/segue/lyrics/%s", id);
	return api_get(s->api, path, out);
}

/* The text as it came, but for control characters: the server sends none, and a terminal
 * must not take any from a server that would. */
static void put_text(FILE *f, const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x20 && *s != 0x7F)
			fputc(*s, f);
	fputc('\n', f);
}

static void print_lyrics(json_t *o, FILE *f)
{
	bool synced = json_is_true(json_object_get(o, "synced"));
	json_t *line;
	size_t i;

	json_array_foreach(json_object_get(o, "lines"), i, line) {
		json_int_t ms = json_integer_value(json_object_get(line, "start_ms"));

		if (synced)
			fprintf(f, "[%02lld:%02lld.%02lld] ", (long long)(ms / 60000),
			        (long long)(ms / 1000 % 60), (long long)(ms % 1000 / 10));
		put_text(f, json_string_value(json_object_get(line, "text")) ?: "");
	}
}

const struct cmd_entry cmd_lyrics = {
	"lyrics", "[URI]", "Shows a track's lyrics, each line with its time ([01:23.45]) when they "
	"are synced; without a URI, those of the track that plays. With --json, the server's "
	"lyrics object. A track without lyrics is not found (exit status 4).",
	NULL, 0, 1, CMD_PLAYER, CMD_NO_PLAYER_OK, lyrics_exec, print_lyrics, NULL
};
