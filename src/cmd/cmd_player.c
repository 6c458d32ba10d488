/* Playback commands: they run where the player is (the daemon), and answer with the player
 * state, so `segue pause --json` shows what pausing did. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "clock.h"
#include "cmd.h"
#include "daemon.h"
#include "player.h"
#include "render.h"
#include "resolve.h"

static enum seg_err state(struct seg *s, json_t **out)
{
	*out = player_state(s->player);
	return *out ? SEG_OK : seg_fail(SEG_ENOMEM, "out of memory");
}


/* Every argument is a track URI. */
static bool all_tracks(const struct cmd_args *a)
{
	char kind[16], id[32];

	for (int i = 0; i < a->argc; i++)
		if (strncmp(a->argv[i], "segue:track:", 12) || !uri_parse(a->argv[i], "track", kind, id))
			return false;
	return true;
}

static enum seg_err play_exec(struct seg *s, struct cmd_args *a, json_t **out)
{
	json_t *tracks = NULL;
	char *context = NULL, *what = NULL;
	size_t n;
	long from;
	enum seg_err e;

	if (a->argc == 0) {
		if ((e = player_pause(s->player, false)))
			return seg_fail(e, "nothing to resume: segue play URI or QUERY");
		return state(s, out);
	}
	if ((e = cmd_flag_int(a, "from", 1, CONTEXT_TRACKS_MAX, 1, &from)))
		return e;
	if (!(what = cmd_join_args(a)))
		return seg_fail(SEG_ENOMEM, "out of memory");
	if (a->argc > 1 && all_tracks(a)) {
		/* A list of tracks (a face playing Liked Songs or search results): no context. */
		json_t *uris = json_array();

		for (int k = 0; k < a->argc; k++)
			json_array_append_new(uris, json_string(a->argv[k]));
		e = resolve_uris(s, uris, &tracks);
		json_decref(uris);
	} else {
		e = resolve_tracks(s, what, &tracks, &context);
	}
	if (e)
		goto out;
	n = json_array_size(tracks);
	if ((size_t)from > n) {
		e = seg_fail(SEG_ENOTFOUND, "%s has %zu tracks, not %ld", what, n, from);
		goto out;
	}
	if (cmd_has(a, "shuffle"))
		player_shuffle(s->player, true);
	if ((e = player_play_tracks(s->player, context, tracks, (size_t)from - 1)))
		goto out;
	e = state(s, out);
out:
	free(context);
	free(what);
	json_decref(tracks);
	return e;
}

const struct cmd_entry cmd_play = {
	"play", "[--from N] [--shuffle] [URI... | QUERY]",
	"Plays a track, album, playlist or artist (segue:KIND:ID), a list of track URIs, or the "
	"tracks a search for QUERY finds; --from N starts at the Nth track of the context and --shuffle turns shuffle on. "
	"Without an argument, resumes. Starts the daemon when none runs.",
	"from=,shuffle", 0, -1, CMD_PLAYER, CMD_STARTS_DAEMON | CMD_REMOTE, play_exec, render_state, NULL
};

static enum seg_err pause_exec(struct seg *s, struct cmd_args *a, json_t **out)
{
	enum seg_err e = player_pause(s->player, true);

	return e ? e : state(s, out);
}

static enum seg_err resume_exec(struct seg *s, struct cmd_args *a, json_t **out)
{
	enum seg_err e = player_pause(s->player, false);

	return e ? e : state(s, out);
}

static enum seg_err toggle_exec(struct seg *s, struct cmd_args *a, json_t **out)
{
	enum seg_err e = player_toggle(s->player);

	return e ? e : state(s, out);
}

static enum seg_err next_exec(struct seg *s, struct cmd_args *a, json_t **out)
{
	enum seg_err e = player_next(s->player);

	return e ? e : state(s, out);
}

static enum seg_err prev_exec(struct seg *s, struct cmd_args *a, json_t **out)
{
	enum seg_err e = player_prev(s->player);

	return e ? e : state(s, out);
}

const struct cmd_entry cmd_pause = {
	"pause", "", "Pauses playback.", NULL, 0, 0, CMD_PLAYER, CMD_REMOTE, pause_exec, render_state, NULL
};
const struct cmd_entry cmd_resume = {
	"resume", "", "Resumes playback.", NULL, 0, 0, CMD_PLAYER, CMD_REMOTE, resume_exec, render_state, NULL
};
const struct cmd_entry cmd_toggle = {
	"toggle", "", "Pauses when playing, resumes when paused.", NULL, 0, 0, CMD_PLAYER, CMD_REMOTE,
	toggle_exec, render_state, NULL
};
const struct cmd_entry cmd_next = {
	"next", "", "Skips to the next track: the queue's first, else the context's next.", NULL,
	0, 0, CMD_PLAYER, CMD_REMOTE, next_exec, render_state, NULL
};
const struct cmd_entry cmd_prev = {
	"prev", "", "Goes back to the previous track, or to the start of this one when more than "
	"three seconds of it have played.", NULL, 0, 0, CMD_PLAYER, CMD_REMOTE, prev_exec, render_state, NULL
};

static enum seg_err seek_exec(struct seg *s, struct cmd_args *a, json_t **out)
{
	long long ms = 0;
	bool rel;
	enum seg_err e;

	if ((e = cmd_position(a->argv[0], &ms, &rel)) || (e = player_seek(s->player, ms, rel)))
		return e;
	return state(s, out);
}

const struct cmd_entry cmd_seek = {
	"seek", "[+|-]POSITION",
	"Jumps to POSITION in the track (seconds, M:SS or H:MM:SS), or moves by it with + or -.",
	NULL, 1, 1, CMD_PLAYER, CMD_REMOTE, seek_exec, render_state, NULL
};

static enum seg_err volume_exec(struct seg *s, struct cmd_args *a, json_t **out)
{
	int n, now;
	bool rel;
	enum seg_err e;

	if ((e = cmd_volume_arg(a->argv[0], &n, &rel)) || (e = player_volume(s->player, n, rel, &now)))
		return e;
	return state(s, out);
}

const struct cmd_entry cmd_volume = {
	"volume", "[+|-]N", "Sets the volume to N percent, or changes it by N.", NULL, 1, 1,
	CMD_PLAYER, CMD_REMOTE, volume_exec, render_state, NULL
};

static enum seg_err onoff(const char *v, bool *on)
{
	if (!strcmp(v, "on") || !strcmp(v, "true"))
		*on = true;
	else if (!strcmp(v, "off") || !strcmp(v, "false"))
		*on = false;
	else
		return seg_fail(SEG_EUSAGE, "say on or off, not \"%s\"", v);
	return SEG_OK;
}

static enum seg_err shuffle_exec(struct seg *s, struct cmd_args *a, json_t **out)
{
	bool on = false;
	enum seg_err e;

	if ((e = onoff(a->argv[0], &on)) || (e = player_shuffle(s->player, on)))
		return e;
	return state(s, out);
}

const struct cmd_entry cmd_shuffle = {
	"shuffle", "on|off", "Turns shuffle on or off. Shuffle plays every track of the context "
	"once, in random order, before any plays again.", NULL, 1, 1, CMD_PLAYER, CMD_REMOTE, shuffle_exec,
	render_state, NULL
};

static enum seg_err repeat_exec(struct seg *s, struct cmd_args *a, json_t **out)
{
	int r = repeat_from_name(a->argv[0]);
	enum seg_err e;

	if (r < 0)
		return seg_fail(SEG_EUSAGE, "repeat takes off, context or track");
	if ((e = player_repeat(s->player, (enum repeat)r)))
		return e;
	return state(s, out);
}

const struct cmd_entry cmd_repeat = {
	"repeat", "off|context|track", "Sets the repeat mode: off, the whole context, or the "
	"current track.", NULL, 1, 1, CMD_PLAYER, CMD_REMOTE, repeat_exec, render_state, NULL
};

static enum seg_err status_exec(struct seg *s, struct cmd_args *a, json_t **out)
{
	long status = 0;

	if (s->player)
		return state(s, out);
	/* No daemon here: what Connect last knew (paused with no device, when the one that
	 * played has gone), else nothing plays, which is an answer, not an error. */
	if (seg_api(s) && api_logged_in(s->api) &&
	    api_request(s->api, "GET", "/v1/me/player", NULL, out, &status) == SEG_OK && status == 200 && *out)
		return SEG_OK;
	json_decref(*out);
	seg_clear_error();
	*out = json_pack("{s:n,s:b,s:s,s:I,s:n,s:b,s:n,s:n,s:s}", "device", "shuffle_state", 0,
	                 "repeat_state", "off", "timestamp",
	                 (json_int_t)clock_wall_ms(), "progress_ms",
	                 "is_playing", 0, "item", "context", "currently_playing_type", "track");
	return *out ? SEG_OK : seg_fail(SEG_ENOMEM, "out of memory");
}

const struct cmd_entry cmd_status = {
	"status", "", "Shows what plays: track, position, context, shuffle, repeat, volume and "
	"quality. With --json, the Web API's player-state object.", NULL, 0, 0, CMD_PLAYER,
	CMD_NO_PLAYER_OK | CMD_REMOTE, status_exec, render_state, NULL
};

static enum seg_err set_exec(struct seg *s, struct cmd_args *a, json_t **out)
{
	enum seg_err e;
	int i;

	if (a->argc == 1)
		return seg_fail(SEG_EUSAGE, "usage: segue set [NAME VALUE]");
	if (a->argc == 2) {
		if ((e = options_set(&s->opt, a->argv[0], a->argv[1])))
			return e;
		i = options_find(a->argv[0]);
		if (s->player && (e = player_option_changed(s->player, i)))
			return e;
	}
	*out = options_json(&s->opt);
	return SEG_OK;
}

static void print_settings(json_t *o, FILE *f)
{
	const char *k;
	json_t *v;

	json_object_foreach(o, k, v) {
		char *text = json_dumps(v, JSON_ENCODE_ANY);

		fprintf(f, "%-16s %s\n", k, text ? text : "?");
		free(text);
	}
}

const struct cmd_entry cmd_set = {
	"set", "[NAME VALUE]", "Changes a setting of the running player until it stops (segue.conf(5) "
	"lists them; the file keeps them for good). Without arguments, lists the settings.",
	NULL, 0, 2, CMD_PLAYER, CMD_NO_PLAYER_OK, set_exec, print_settings, NULL
};

static enum seg_err quit_exec(struct seg *s, struct cmd_args *a, json_t **out)
{
	daemon_request_quit(s);
	*out = json_pack("{s:b}", "stopped", 1);
	return SEG_OK;
}

const struct cmd_entry cmd_quit = {
	"quit", "", "Stops the daemon: the current play is recorded and finished plays are "
	"delivered first.", NULL, 0, 0, CMD_PLAYER, 0, quit_exec, NULL, NULL
};
