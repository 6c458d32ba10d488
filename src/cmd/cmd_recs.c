/* What the server recommends: radio stations, Discover Weekly and the other made-for-you
 * playlists, and the onboarding taste they start from. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "cmd.h"
#include "player.h"
#include "render.h"
#include "resolve.h"

static enum seg_err radio_exec(struct seg *s, struct cmd_args *a, json_t **out)
{
	char kind[16], id[32], seed[64];
	json_t *tracks = NULL;
	char *what = cmd_join_args(a), *context = NULL;
	enum seg_err e;

	if (!what)
		return seg_fail(SEG_ENOMEM, "out of memory");
	if (!strncmp(what, "segue:", 6)) {
		if (!uri_parse(what, "track", kind, id) || !strcmp(kind, "user")) {
			e = seg_fail(SEG_EUSAGE, "\"%s\" is not a track, artist, album or playlist URI", what);
			goto out;
		}
		snprintf(seed, sizeof seed, "segue:%s:%s", kind, id);
	} else {
		/* A query: the station of the best matching track. */
		if ((e = resolve_tracks(s, what, &tracks, &context)))
			goto out;
		if (!json_string_value(json_object_get(json_array_get(tracks, 0), "id"))) {
			e = seg_fail(SEG_ENOTFOUND, "nothing found for \"%s\"", what);
			goto out;
		}
		snprintf(seed, sizeof seed, "segue:track:%s", json_string_value(json_object_get(json_array_get(tracks, 0), "id")));
	}
	if (!(e = player_radio(s->player, seed)))
		*out = player_state(s->player);
out:
	free(what);
	free(context);
	json_decref(tracks);
	return e;
}

const struct cmd_entry cmd_radio = {
	"radio", "URI | QUERY",
	"Plays a radio station: an endless stream of tracks like the seed (a track, artist, album or "
	"playlist URI, or the best match of a search). It steers away from what you skip and never "
	"repeats itself. Starts the daemon when none runs.",
	NULL, 1, -1, CMD_PLAYER, CMD_STARTS_DAEMON, radio_exec, render_state, NULL
};

static enum seg_err made_for_you(struct seg *s, json_t **items)
{
	json_t *doc = NULL;
	enum seg_err e;

	*items = NULL;
	if (!seg_api(s))
		return seg_fail(SEG_EFAIL, "%s", seg_errmsg());
	if ((e = api_get(s->api, "/v1/segue/made-for-you", &doc)))
		return e;
	*items = json_incref(json_object_get(doc, "items"));
	json_decref(doc);
	return *items ? SEG_OK : seg_fail(SEG_EPROTO, "the server's answer has no items");
}

static enum seg_err mixes_exec(struct seg *s, struct cmd_args *a, json_t **out)
{
	json_t *items;
	enum seg_err e = made_for_you(s, &items);

	(void)a;
	if (!e)
		*out = json_pack("{s:o}", "items", items);
	return e;
}

static void print_mixes(json_t *o, FILE *f)
{
	json_t *items = json_object_get(o, "items"), *p;
	size_t i;

	if (!json_array_size(items)) {
		fputs("nothing made for you yet: play some music, or pick genres with `segue taste`\n", f);
		return;
	}
	render_named(f, items, "playlist");
	json_array_foreach(items, i, p) {
		const char *d = json_string_value(json_object_get(p, "description"));

		if (d && *d) {
			fputs(i ? "" : "\n", f);
			render_pad(f, json_string_value(json_object_get(p, "name")), 14);
			fprintf(f, " %s\n", d);
		}
	}
}

const struct cmd_entry cmd_mixes = {
	"mixes", "",
	"Lists the playlists made for you: Discover Weekly (new every week), your Daily Mixes (new "
	"every day) and Release Radar. Play one with `segue play URI`.",
	NULL, 0, 0, CMD_ANY, 0, mixes_exec, print_mixes, NULL
};

static enum seg_err discover_exec(struct seg *s, struct cmd_args *a, json_t **out)
{
	json_t *items, *p, *tracks = NULL;
	char *context = NULL, uri[64] = "";
	enum seg_err e;
	size_t i;

	(void)a;
	if ((e = made_for_you(s, &items)))
		return e;
	json_array_foreach(items, i, p)
		if (!strcmp(json_string_value(json_object_get(p, "name")) ?: "", "Discover Weekly"))
			snprintf(uri, sizeof uri, "%s", json_string_value(json_object_get(p, "uri")) ?: "");
	json_decref(items);
	if (!uri[0])
		return seg_fail(SEG_ENOTFOUND, "no Discover Weekly yet: the server has no recommendations");
	if ((e = resolve_tracks(s, uri, &tracks, &context)))
		goto out;
	if (!json_array_size(tracks)) {
		e = seg_fail(SEG_ENOTFOUND, "this week's Discover Weekly is empty");
		goto out;
	}
	if (!(e = player_play_tracks(s->player, context, tracks, 0)))
		*out = player_state(s->player);
out:
	free(context);
	json_decref(tracks);
	return e;
}

const struct cmd_entry cmd_discover = {
	"discover", "",
	"Plays this week's Discover Weekly: thirty tracks you have not heard, picked from what you "
	"and listeners like you play. Starts the daemon when none runs.",
	NULL, 0, 0, CMD_PLAYER, CMD_STARTS_DAEMON, discover_exec, render_state, NULL
};

/* "a,b" -> ["a", "b"] */
static json_t *split(const char *v)
{
	json_t *a = json_array();

	for (const char *p = v; p && *p;) {
		const char *c = strchrnul(p, ',');

		if (c > p)
			json_array_append_new(a, json_stringn(p, (size_t)(c - p)));
		p = *c ? c + 1 : c;
	}
	return a;
}

static enum seg_err taste_exec(struct seg *s, struct cmd_args *a, json_t **out)
{
	const char *genres = cmd_flag(a, "genres"), *artists = cmd_flag(a, "artists");
	enum seg_err e;

	if (!seg_api(s))
		return seg_fail(SEG_EFAIL, "%s", seg_errmsg());
	if (genres || artists) {
		json_t *body = json_object(), *ids = json_array();

		if (genres)
			json_object_set_new(body, "genres", split(genres));
		if (artists) {
			json_t *names = split(artists), *v;
			size_t i;

			/* artists by URI or bare id */
			json_array_foreach(names, i, v) {
				const char *x = json_string_value(v);
				char kind[16], id[32];

				if (!uri_parse(x, "artist", kind, id) || strcmp(kind, "artist")) {
					/* x lives in names: the message first, then the frees */
					e = seg_fail(SEG_EUSAGE, "\"%s\" is not an artist URI or id", x);
					json_decref(names);
					json_decref(ids);
					json_decref(body);
					return e;
				}
				json_array_append_new(ids, json_string(id));
			}
			json_decref(names);
			json_object_set(body, "artists", ids);
		}
		json_decref(ids);
		e = api_request(s->api, "PUT", "/v1/me/taste", body, NULL, NULL);
		json_decref(body);
		if (e)
			return e;
	}
	return api_get(s->api, "/v1/me/taste", out);
}

static void print_taste(json_t *o, FILE *f)
{
	json_t *v;
	size_t i;

	fputs("genres: ", f);
	json_array_foreach(json_object_get(o, "genres"), i, v)
		fprintf(f, "%s%s", i ? ", " : "", json_string_value(v));
	fputs(json_array_size(json_object_get(o, "genres")) ? "\nartists: " : "none\nartists: ", f);
	json_array_foreach(json_object_get(o, "artists"), i, v)
		fprintf(f, "%ssegue:artist:%s", i ? ", " : "", json_string_value(v));
	fputs(json_array_size(json_object_get(o, "artists")) ? "\n" : "none\n", f);
}

const struct cmd_entry cmd_taste = {
	"taste", "[--genres G1,G2,...] [--artists URI1,URI2,...]",
	"Shows or sets the genres and artists you like (at most ten each), which recommendations start "
	"from until you have listened enough for them to learn your taste. The genres are the "
	"server's (segue-server lists them at /v1/recommendations/available-genre-seeds).",
	"genres=,artists=", 0, 0, CMD_ANY, 0, taste_exec, print_taste, NULL
};
