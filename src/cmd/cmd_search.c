/* search: the server's /v1/search, printed by type. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "render.h"

static const char *const types[] = { "track", "album", "artist", "playlist" };

static enum seg_err search_exec(struct seg *s, struct cmd_args *a, json_t **out)
{
	const char *type = cmd_flag(a, "type") ? cmd_flag(a, "type") : "track,album,artist,playlist";
	char *q = NULL, *t = NULL, *path = NULL, *query = NULL;
	long limit, offset;
	enum seg_err e;

	if ((e = cmd_flag_int(a, "limit", 1, 50, 10, &limit)) ||
	    (e = cmd_flag_int(a, "offset", 0, 1000, 0, &offset)))
		return e;
	if (!(query = cmd_join_args(a)))
		return seg_fail(SEG_ENOMEM, "out of memory");
	if (!(q = api_escape(query)) || !(t = api_escape(type)) ||
	    asprintf(&path, "/v1/search?q=%s&type=%s&limit=%ld&offset=%ld", q, t, limit, offset) < 0) {
		path = NULL;
		e = seg_fail(SEG_ENOMEM, "out of memory");
		goto out;
	}
	e = api_get(seg_api(s), path, out);
out:
	free(query);
	free(q);
	free(t);
	free(path);
	return e;
}

static void print_search(json_t *r, FILE *f)
{
	bool any = false;

	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
		char key[16];
		json_t *items;

		snprintf(key, sizeof key, "%ss", types[i]);
		items = json_object_get(json_object_get(r, key), "items");
		if (!json_array_size(items))
			continue;
		fprintf(f, "%s%s:\n", any ? "\n" : "", key);
		if (!strcmp(types[i], "track"))
			render_tracks(f, items, 1);
		else
			render_named(f, items, types[i]);
		any = true;
	}
	if (!any)
		fputs("nothing found\n", f);
	/* The server's "did you mean" suggestion. */
	const char *dym = json_string_value(json_object_get(r, "did_you_mean"));
	if (dym)
		fprintf(f, "did you mean: %s\n", dym);
}

const struct cmd_entry cmd_search = {
	"search", "[--type TYPES] [--limit N] [--offset N] QUERY",
	"Searches the catalog. TYPES is a comma-separated list of track, album, artist and "
	"playlist (default: all); field filters such as artist:NAME, album:NAME, year:1990-1999 "
	"and genre:NAME work as in the Web API; the last word matches as a prefix.",
	"type=,limit=,offset=", 1, -1, CMD_ANY, 0, search_exec, print_search, NULL
};
