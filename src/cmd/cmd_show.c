/* show: one album (with all its tracks), artist (top tracks and albums) or track; on a
 * terminal, its cover art above. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "api.h"
#include "art.h"
#include "artcache.h"
#include "cmd.h"
#include "render.h"
#include "resolve.h"

#define ART_COLS_MAX 40
#define ART_FETCH_MS 10000

/* The cover drawn on the command line's terminal before the details are printed. A picture
 * that cannot be had or drawn is a note on standard error: the details still follow. */
static void print_art(struct seg *s, json_t *images)
{
	enum art_mode mode = art_detect(opt_str(&s->opt, OPT_ART));
	const char *colorterm = getenv("COLORTERM"), *url;
	struct winsize ws;
	struct art_block b;
	char path[4200];
	int cols = ART_COLS_MAX, cw, ch;
	enum seg_err e;

	if (mode == ART_OFF || !json_array_size(images))
		return;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 && ws.ws_col - 1 < cols)
		cols = ws.ws_col - 1;
	if (cols < 4)
		return;
	art_cell_pixels(STDOUT_FILENO, &cw, &ch);
	url = artcache_pick(images, cols * (cw > 0 ? cw : 10));
	if ((e = artcache_fetch(s->paths.cache_dir, url, ART_FETCH_MS, opt_int(&s->opt, OPT_ART_CACHE_MAX_SIZE) * ARTCACHE_MB, path,
	                        sizeof path)) ||
	    (e = art_render(path, mode, ART_TEXT,
	                    colorterm && (!strcmp(colorterm, "truecolor") || !strcmp(colorterm, "24bit"))
	                    ? ART_COLORS_TRUE : ART_COLORS_240,
	                    cols, cols / 2, cw, ch, &b))) {
		fprintf(stderr, "segue: no cover art: %s\n", seg_errmsg());
		return;
	}
	fwrite(b.text, 1, b.text_len, stdout);
	fputs("\n\n", stdout);
	fflush(stdout);
	art_block_free(&b);
}

static enum seg_err show_exec(struct seg *s, struct cmd_args *a, json_t **out)
{
	char kind[16], id[32], path[128];
	json_t *obj = NULL, *tracks = NULL, *albums = NULL, *top = NULL;
	char *context = NULL;
	enum seg_err e;

	if (!uri_parse(a->argv[0], "track", kind, id))
		return seg_fail(SEG_EUSAGE, "\"%s\" is not a URI (segue:album:ID, segue:artist:ID, segue:track:ID)", a->argv[0]);
	if (!seg_api(s))
		return seg_fail(SEG_EFAIL, "%s", seg_errmsg());
	if (!strcmp(kind, "track")) {
		snprintf(path, sizeof path, "/v1/tracks/%s", id);
		if ((e = api_get(s->api, path, out)) == SEG_OK && s->tty)
			print_art(s, json_object_get(json_object_get(*out, "album"), "images"));
		return e;
	}
	if (!strcmp(kind, "album")) {
		snprintf(path, sizeof path, "/v1/albums/%s", id);
		if ((e = api_get(s->api, path, &obj)) || (e = resolve_tracks(s, a->argv[0], &tracks, &context)))
			goto out;
		json_object_set(json_object_get(obj, "tracks"), "items", tracks);
		json_object_set_new(json_object_get(obj, "tracks"), "next", json_null());
		if (s->tty)
			print_art(s, json_object_get(obj, "images"));
		*out = json_incref(obj);
		goto out;
	}
	if (!strcmp(kind, "artist")) {
		snprintf(path, sizeof path, "/v1/artists/%s", id);
		if ((e = api_get(s->api, path, &obj)))
			goto out;
		snprintf(path, sizeof path, "/v1/artists/%s/top-tracks", id);
		if ((e = api_get(s->api, path, &top)))
			goto out;
		snprintf(path, sizeof path, "/v1/artists/%s/albums?limit=50", id);
		if ((e = fetch_all(s, path, 500, &albums)))
			goto out;
		if (s->tty)
			print_art(s, json_object_get(obj, "images"));
		*out = json_pack("{s:O,s:O,s:O}", "artist", obj, "top_tracks",
		                 json_object_get(top, "tracks") ?: json_null(), "albums", albums);
		goto out;
	}
	return seg_fail(SEG_EUSAGE, "show takes an album, artist or track (playlist show shows playlists)");
out:
	json_decref(obj);
	json_decref(tracks);
	json_decref(top);
	json_decref(albums);
	free(context);
	return e;
}

static void print_show(json_t *o, FILE *f)
{
	char artists[256];
	const char *type = json_string_value(json_object_get(o, "type"));

	if (json_object_get(o, "artist")) {
		json_t *ar = json_object_get(o, "artist");

		fprintf(f, "%s  %s\n", json_string_value(json_object_get(ar, "name")) ?: "", render_uri(ar));
		fputs("\ntop tracks:\n", f);
		render_tracks(f, json_object_get(o, "top_tracks"), 1);
		fputs("\nalbums:\n", f);
		render_named(f, json_object_get(o, "albums"), "album");
		return;
	}
	render_artists(artists, sizeof artists, json_object_get(o, "artists"));
	if (type && !strcmp(type, "album")) {
		fprintf(f, "%s - %s  (%.4s)  %s\n", json_string_value(json_object_get(o, "name")) ?: "", artists,
		        json_string_value(json_object_get(o, "release_date")) ?: "", render_uri(o));
		render_tracks(f, json_object_get(json_object_get(o, "tracks"), "items"), 1);
		return;
	}
	json_t *one = json_pack("[O]", o);

	render_tracks(f, one, 1);
	json_decref(one);
}

const struct cmd_entry cmd_show = {
	"show", "URI", "Shows an album with all its tracks, an artist with their top tracks and "
	"albums, or a track; on a terminal, its cover above (the art setting).", NULL, 1, 1, CMD_ANY, 0, show_exec, print_show, NULL
};
