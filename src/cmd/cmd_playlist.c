/* Playlists: list, show, create, rename, add, remove, move, delete. Positions are 1-based
 * as printed; changes by position carry the snapshot_id they were computed against, so a
 * playlist edited elsewhere in between is refused instead of losing the wrong track. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "playlist_make.h"
#include "render.h"
#include "resolve.h"

#define PLAYLIST_MAX 10000

static enum seg_err ls_exec(struct seg *s, struct cmd_args *a, json_t **out)
{
	json_t *items;
	enum seg_err e = fetch_all(s, "/v1/me/playlists?limit=50", PLAYLIST_MAX, &items);

	if (e)
		return e;
	*out = json_pack("{s:o}", "items", items);
	return SEG_OK;
}

static void print_ls(json_t *o, FILE *f)
{
	json_t *items = json_object_get(o, "items");

	if (!json_array_size(items))
		fputs("no playlists\n", f);
	render_named(f, items, "playlist");
}

const struct cmd_entry cmd_playlist_ls = {
	"playlist ls", "", "Lists your playlists and those you follow.", NULL, 0, 0, CMD_ANY, 0,
	ls_exec, print_ls, NULL
};

/* The playlist object with every item in tracks.items. */
static enum seg_err load(struct seg *s, const char *arg, char *id, json_t **pl)
{
	char path[128];
	json_t *items;
	enum seg_err e;

	*pl = NULL;
	if ((e = uri_id(arg, "playlist", id)))
		return e;
	snprintf(path, sizeof path, "/v1/playlists/%s", id);
	if ((e = api_get(seg_api(s), path, pl)))
		return e;
	snprintf(path, sizeof path, "/v1/playlists/%s/tracks?limit=100", id);
	if ((e = fetch_all(s, path, PLAYLIST_MAX, &items))) {
		json_decref(*pl);
		*pl = NULL;
		return e;
	}
	json_object_set_new(json_object_get(*pl, "tracks"), "items", items);
	return SEG_OK;
}

static enum seg_err show_exec(struct seg *s, struct cmd_args *a, json_t **out)
{
	char id[32];

	return load(s, a->argv[0], id, out);
}

static void print_show(json_t *pl, FILE *f)
{
	json_t *tracks = json_object_get(pl, "tracks");
	const char *desc = json_string_value(json_object_get(pl, "description"));

	fprintf(f, "%s  by %s  (%lld tracks)  %s\n", json_string_value(json_object_get(pl, "name")),
	        json_string_value(json_object_get(json_object_get(pl, "owner"), "id")) ?: "?",
	        json_integer_value(json_object_get(tracks, "total")), render_uri(pl));
	if (desc && *desc)
		fprintf(f, "%s\n", desc);
	render_tracks(f, json_object_get(tracks, "items"), 1);
}

const struct cmd_entry cmd_playlist_show = {
	"playlist show", "PLAYLIST", "Shows a playlist and its tracks, numbered as playlist rm and "
	"playlist mv take them.", NULL, 1, 1, CMD_ANY, 0, show_exec, print_show, NULL
};

static void print_one(json_t *pl, FILE *f)
{
	fprintf(f, "%s  %s\n", json_string_value(json_object_get(pl, "name")) ?: "", render_uri(pl));
}

static enum seg_err create_exec(struct seg *s, struct cmd_args *a, json_t **out)
{
	return playlist_make(seg_api(s), a->argv[0], cmd_flag(a, "description"),
	                     !cmd_has(a, "private"), false, out);
}

const struct cmd_entry cmd_playlist_create = {
	"playlist create", "[--description TEXT] [--private] NAME", "Creates a playlist.",
	"description=,private", 1, 1, CMD_ANY, 0, create_exec, print_one, NULL
};

static enum seg_err rename_exec(struct seg *s, struct cmd_args *a, json_t **out)
{
	char id[32], path[128];
	json_t *body;
	enum seg_err e;

	if ((e = uri_id(a->argv[0], "playlist", id)))
		return e;
	snprintf(path, sizeof path, "/v1/playlists/%s", id);
	body = json_pack("{s:s}", "name", a->argv[1]);
	e = api_request(seg_api(s), "PUT", path, body, NULL, NULL);
	json_decref(body);
	return e ? e : api_get(seg_api(s), path, out);
}

const struct cmd_entry cmd_playlist_rename = {
	"playlist rename", "PLAYLIST NAME", "Renames a playlist of yours.", NULL, 2, 2, CMD_ANY, 0,
	rename_exec, print_one, NULL
};

static enum seg_err add_exec(struct seg *s, struct cmd_args *a, json_t **out)
{
	char id[32], tid[32], path[128];
	json_t *uris = json_array(), *body = NULL;
	long pos;
	enum seg_err e;

	if ((e = uri_id(a->argv[0], "playlist", id)) ||
	    (e = cmd_flag_int(a, "position", 1, PLAYLIST_MAX + 1, 0, &pos)))
		goto out;
	for (int i = 1; i < a->argc; i++) {
		if ((e = uri_id(a->argv[i], "track", tid)))
			goto out;
		json_array_append_new(uris, json_sprintf("segue:track:%s", tid));
	}
	body = json_pack("{s:O}", "uris", uris);
	if (pos)
		json_object_set_new(body, "position", json_integer(pos - 1));
	snprintf(path, sizeof path, "/v1/playlists/%s/tracks", id);
	e = api_request(seg_api(s), "POST", path, body, out, NULL);
out:
	json_decref(uris);
	json_decref(body);
	return e;
}

static void print_snapshot(json_t *o, FILE *f)
{
	fprintf(f, "done (snapshot %s)\n", json_string_value(json_object_get(o, "snapshot_id")) ?: "?");
}

const struct cmd_entry cmd_playlist_add = {
	"playlist add", "[--position N] PLAYLIST URI...", "Adds tracks to a playlist, at the end "
	"or from position N.", "position=", 2, -1, CMD_ANY, 0, add_exec, print_snapshot, NULL
};

static bool is_number(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static enum seg_err rm_exec(struct seg *s, struct cmd_args *a, json_t **out)
{
	char id[32], tid[32], path[128];
	json_t *pl = NULL, *items, *tracks = json_array(), *body = NULL;
	bool positional = false;
	enum seg_err e;

	for (int i = 1; i < a->argc; i++)
		positional |= is_number(a->argv[i]);
	if (positional) {
		if ((e = load(s, a->argv[0], id, &pl)))
			goto out;
	} else if ((e = uri_id(a->argv[0], "playlist", id))) {
		goto out;
	}
	items = json_object_get(json_object_get(pl, "tracks"), "items");
	for (int i = 1; i < a->argc; i++) {
		if (is_number(a->argv[i])) {
			long n = strtol(a->argv[i], NULL, 10);
			json_t *t = json_object_get(json_array_get(items, (size_t)n - 1), "track");

			if (n < 1 || !json_is_object(t)) {
				e = seg_fail(SEG_ENOTFOUND, "the playlist has no track at position %s", a->argv[i]);
				goto out;
			}
			json_array_append_new(tracks, json_pack("{s:s,s:[i]}", "uri", render_uri(t),
			                                        "positions", (int)n - 1));
		} else {
			/* A URI removes every occurrence. */
			if ((e = uri_id(a->argv[i], "track", tid)))
				goto out;
			json_array_append_new(tracks, json_pack("{s:s++}", "uri", "segue:track:", tid));
		}
	}
	body = json_pack("{s:O}", "tracks", tracks);
	if (pl)
		json_object_set(body, "snapshot_id", json_object_get(pl, "snapshot_id"));
	snprintf(path, sizeof path, "/v1/playlists/%s/tracks", id);
	e = api_request(seg_api(s), "DELETE", path, body, out, NULL);
out:
	json_decref(pl);
	json_decref(tracks);
	json_decref(body);
	return e;
}

const struct cmd_entry cmd_playlist_rm = {
	"playlist rm", "PLAYLIST N|URI...", "Removes tracks from a playlist: by position (as "
	"playlist show numbers them), or every occurrence of a track URI.", NULL, 2, -1, CMD_ANY,
	0, rm_exec, print_snapshot, NULL
};

static enum seg_err mv_exec(struct seg *s, struct cmd_args *a, json_t **out)
{
	char id[32], path[128];
	json_t *pl = NULL, *body;
	long from, to, before;
	enum seg_err e;

	if (!is_number(a->argv[1]) || !is_number(a->argv[2]))
		return seg_fail(SEG_EUSAGE, "usage: segue playlist mv PLAYLIST N M");
	from = strtol(a->argv[1], NULL, 10);
	to = strtol(a->argv[2], NULL, 10);
	if ((e = load(s, a->argv[0], id, &pl)))
		return e;
	long total = (long)json_array_size(json_object_get(json_object_get(pl, "tracks"), "items"));
	if (from < 1 || from > total || to < 1 || to > total) {
		json_decref(pl);
		return seg_fail(SEG_ENOTFOUND, "positions run from 1 to %ld", total);
	}
	/* The Web API inserts before an index of the list as it was: moving down, that is one
	 * past the target. */
	before = to > from ? to : to - 1;
	body = json_pack("{s:i,s:i,s:i,s:O}", "range_start", (int)from - 1, "insert_before",
	                 (int)before, "range_length", 1, "snapshot_id",
	                 json_object_get(pl, "snapshot_id"));
	snprintf(path, sizeof path, "/v1/playlists/%s/tracks", id);
	e = api_request(seg_api(s), "PUT", path, body, out, NULL);
	json_decref(body);
	json_decref(pl);
	return e;
}

const struct cmd_entry cmd_playlist_mv = {
	"playlist mv", "PLAYLIST N M", "Moves the track at position N to position M.", NULL, 3, 3,
	CMD_ANY, 0, mv_exec, print_snapshot, NULL
};

static enum seg_err delete_exec(struct seg *s, struct cmd_args *a, json_t **out)
{
	char id[32], path[128];
	enum seg_err e;

	if ((e = uri_id(a->argv[0], "playlist", id)))
		return e;
	snprintf(path, sizeof path, "/v1/playlists/%s/followers", id);
	if ((e = api_request(seg_api(s), "DELETE", path, NULL, NULL, NULL)))
		return e;
	*out = json_pack("{s:s}", "deleted", id);
	return SEG_OK;
}

const struct cmd_entry cmd_playlist_delete = {
	"playlist delete", "PLAYLIST", "Deletes a playlist of yours (or unfollows someone else's).",
	NULL, 1, 1, CMD_ANY, 0, delete_exec, NULL, NULL
};
