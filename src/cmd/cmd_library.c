/* The user's library (saved tracks and albums, followed artists) and listening history. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "render.h"
#include "resolve.h"

#define IDS_MAX 50 /* the Web API's limit per request */

/* Saves or removes (method PUT or DELETE) tracks and albums, grouped by kind. */
static enum seg_err save(struct seg *s, struct cmd_args *a, const char *method, json_t **out)
{
	json_t *tracks = json_array(), *albums = json_array(), *body = NULL;
	char kind[16], id[32];
	enum seg_err e = SEG_OK;

	if (a->argc > IDS_MAX) {
		e = seg_fail(SEG_EUSAGE, "at most %d at a time", IDS_MAX);
		goto out;
	}
	for (int i = 0; i < a->argc; i++) {
		if (!uri_parse(a->argv[i], "track", kind, id) ||
		    (strcmp(kind, "track") && strcmp(kind, "album"))) {
			e = seg_fail(SEG_EUSAGE, "\"%s\" is not a track or album URI", a->argv[i]);
			goto out;
		}
		json_array_append_new(!strcmp(kind, "track") ? tracks : albums, json_string(id));
	}
	if (json_array_size(tracks)) {
		body = json_pack("{s:O}", "ids", tracks);
		if ((e = api_request(seg_api(s), method, "/v1/me/tracks", body, NULL, NULL)))
			goto out;
		json_decref(body);
		body = NULL;
	}
	if (json_array_size(albums)) {
		body = json_pack("{s:O}", "ids", albums);
		if ((e = api_request(seg_api(s), method, "/v1/me/albums", body, NULL, NULL)))
			goto out;
	}
	*out = json_pack("{s:O,s:O}", "tracks", tracks, "albums", albums);
out:
	json_decref(body);
	json_decref(tracks);
	json_decref(albums);
	return e;
}

static enum seg_err save_exec(struct seg *s, struct cmd_args *a, json_t **out)
{
	return save(s, a, "PUT", out);
}

static enum seg_err unsave_exec(struct seg *s, struct cmd_args *a, json_t **out)
{
	return save(s, a, "DELETE", out);
}

static void print_saved(json_t *o, FILE *f)
{
	fprintf(f, "%zu tracks, %zu albums\n", json_array_size(json_object_get(o, "tracks")),
	        json_array_size(json_object_get(o, "albums")));
}

const struct cmd_entry cmd_library_save = {
	"library save", "URI...", "Saves tracks and albums to your library.", NULL, 1, -1, CMD_ANY,
	0, save_exec, print_saved, NULL
};
const struct cmd_entry cmd_library_unsave = {
	"library unsave", "URI...", "Removes tracks and albums from your library.", NULL, 1, -1,
	CMD_ANY, 0, unsave_exec, print_saved, NULL
};

static enum seg_err ls_exec(struct seg *s, struct cmd_args *a, json_t **out)
{
	const char *type = cmd_flag(a, "type") ? cmd_flag(a, "type") : "tracks";
	json_t *items = NULL;
	long limit;
	enum seg_err e;

	if ((e = cmd_flag_int(a, "limit", 1, 10000, 1000, &limit)))
		return e;
	if (!strcmp(type, "tracks") || !strcmp(type, "albums")) {
		char path[64];

		snprintf(path, sizeof path, "/v1/me/%s?limit=50", type);
		e = fetch_all(s, path, (size_t)limit, &items);
	} else if (!strcmp(type, "artists")) {
		e = fetch_all_in(s, "/v1/me/following?type=artist&limit=50", "artists", (size_t)limit,
		                 &items);
	} else {
		return seg_fail(SEG_EUSAGE, "--type is tracks, albums or artists");
	}
	if (e) {
		json_decref(items);
		return e;
	}
	*out = json_pack("{s:s,s:o}", "type", type, "items", items);
	return SEG_OK;
}

static void print_ls(json_t *o, FILE *f)
{
	const char *type = json_string_value(json_object_get(o, "type"));
	json_t *items = json_object_get(o, "items"), *flat, *it;
	size_t i;

	if (!json_array_size(items)) {
		fprintf(f, "no saved %s\n", type);
		return;
	}
	if (!strcmp(type, "tracks")) {
		render_tracks(f, items, 1);
		return;
	}
	flat = json_array();
	json_array_foreach(items, i, it)
		json_array_append(flat, json_object_get(it, "album") ? json_object_get(it, "album") : it);
	render_named(f, flat, !strcmp(type, "albums") ? "album" : "artist");
	json_decref(flat);
}

const struct cmd_entry cmd_library_ls = {
	"library ls", "[--type tracks|albums|artists] [--limit N]",
	"Lists your saved tracks (newest first), saved albums, or followed artists.",
	"type=,limit=", 0, 0, CMD_ANY, 0, ls_exec, print_ls, NULL
};

static enum seg_err follow(struct seg *s, struct cmd_args *a, const char *method, json_t **out)
{
	json_t *ids = json_array(), *body;
	char id[32];
	enum seg_err e;

	for (int i = 0; i < a->argc; i++) {
		if ((e = uri_id(a->argv[i], "artist", id))) {
			json_decref(ids);
			return e;
		}
		json_array_append_new(ids, json_string(id));
	}
	body = json_pack("{s:O}", "ids", ids);
	e = api_request(seg_api(s), method, "/v1/me/following?type=artist", body, NULL, NULL);
	json_decref(body);
	if (e) {
		json_decref(ids);
		return e;
	}
	*out = json_pack("{s:o}", "artists", ids);
	return SEG_OK;
}

static enum seg_err follow_exec(struct seg *s, struct cmd_args *a, json_t **out)
{
	return follow(s, a, "PUT", out);
}

static enum seg_err unfollow_exec(struct seg *s, struct cmd_args *a, json_t **out)
{
	return follow(s, a, "DELETE", out);
}

const struct cmd_entry cmd_follow = {
	"follow", "ARTIST...", "Follows artists (segue:artist:ID).", NULL, 1, IDS_MAX, CMD_ANY, 0,
	follow_exec, NULL, NULL
};
const struct cmd_entry cmd_unfollow = {
	"unfollow", "ARTIST...", "Stops following artists.", NULL, 1, IDS_MAX, CMD_ANY, 0,
	unfollow_exec, NULL, NULL
};

static enum seg_err recent_exec(struct seg *s, struct cmd_args *a, json_t **out)
{
	char path[64];
	long limit;
	enum seg_err e;

	if ((e = cmd_flag_int(a, "limit", 1, 50, 20, &limit)))
		return e;
	snprintf(path, sizeof path, "/v1/me/player/recently-played?limit=%ld", limit);
	return api_get(seg_api(s), path, out);
}

static void print_recent(json_t *o, FILE *f)
{
	json_t *items = json_object_get(o, "items"), *it;
	size_t i;

	if (!json_array_size(items)) {
		fputs("nothing played yet\n", f);
		return;
	}
	json_array_foreach(items, i, it) {
		json_t *one = json_pack("[O]", json_object_get(it, "track"));

		fprintf(f, "%s\n", json_string_value(json_object_get(it, "played_at")) ?: "");
		render_tracks(f, one, i + 1);
		json_decref(one);
	}
}

const struct cmd_entry cmd_recent = {
	"recent", "[--limit N]", "Lists the tracks you played most recently (those that counted: "
	"30 seconds or more).", "limit=", 0, 0, CMD_ANY, 0, recent_exec, print_recent, NULL
};

/* home: what a Home page shows: the playlists made for you, what you played last (each track
 * once) and what is most played on this server. */
static enum seg_err home_exec(struct seg *s, struct cmd_args *a, json_t **out)
{
	json_t *recent = NULL, *popular = NULL, *mfy = NULL, *seen, *it, *list;
	enum seg_err e;
	size_t i;

	(void)a;
	if ((e = api_get(seg_api(s), "/v1/me/player/recently-played?limit=50", &recent)) ||
	    (e = api_get(seg_api(s), "/v1/segue/popular?limit=20", &popular)))
		goto out;
	/* An older server has no made-for-you playlists: Home shows the rest. */
	if (api_get(seg_api(s), "/v1/segue/made-for-you", &mfy) != SEG_OK)
		mfy = NULL;
	seen = json_object();
	list = json_array();
	json_array_foreach(json_object_get(recent, "items"), i, it) {
		const char *id = json_string_value(json_object_get(json_object_get(it, "track"), "id"));

		if (id && !json_object_get(seen, id) && json_array_size(list) < 20) {
			json_object_set_new(seen, id, json_true());
			json_array_append(list, json_object_get(it, "track"));
		}
	}
	json_decref(seen);
	*out = json_pack("{s:o,s:o,s:O}", "made_for_you",
	                 json_is_array(json_object_get(mfy, "items")) ? json_incref(json_object_get(mfy, "items")) : json_array(),
	                 "recently_played", list, "popular", json_object_get(popular, "tracks") ?: json_null());
out:
	json_decref(mfy);
	json_decref(recent);
	json_decref(popular);
	return e;
}

static void print_home(json_t *o, FILE *f)
{
	if (json_array_size(json_object_get(o, "made_for_you"))) {
		fputs("made for you:\n", f);
		render_named(f, json_object_get(o, "made_for_you"), "playlist");
		fputc('\n', f);
	}
	fputs("recently played:\n", f);
	if (json_array_size(json_object_get(o, "recently_played")))
		render_tracks(f, json_object_get(o, "recently_played"), 1);
	else
		fputs("  nothing yet\n", f);
	fputs("\npopular:\n", f);
	render_tracks(f, json_object_get(o, "popular"), 1);
}

const struct cmd_entry cmd_home = {
	"home", "", "Shows what the TUI's Home shows: the playlists made for you, the tracks you played "
	"last (each once) and the most played tracks on this server.", NULL, 0, 0, CMD_ANY, 0, home_exec, print_home, NULL
};
