/* The TUI's pages. See pages.h. */
#include "config.h"
#include "pages.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const sidebar_names[P_SIDEBAR_COUNT] = {
	[P_HOME] = "Home", [P_SEARCH] = "Search", [P_LIKED] = "Liked Songs", [P_ALBUMS] = "Albums",
	[P_ARTISTS] = "Artists", [P_PLAYLISTS] = "Playlists", [P_QUEUE] = "Queue",
	[P_DEVICES] = "Devices", [P_RECENT] = "Recently played",
};

struct page *page_new(enum page_kind kind, const char *uri, const char *title)
{
	struct page *p = calloc(1, sizeof *p);

	if (!p)
		return NULL;
	p->kind = kind;
	snprintf(p->uri, sizeof p->uri, "%s", uri ? uri : "");
	snprintf(p->title, sizeof p->title, "%s",
	         title ? title : kind < P_SIDEBAR_COUNT ? sidebar_names[kind] : "");
	return p;
}

void page_free(struct page *p)
{
	if (!p)
		return;
	json_decref(p->data);
	free(p->rows);
	free(p);
}

int page_argv(struct page *p, const char **argv, int max)
{
	static const char *const fixed[][6] = {
		[P_HOME] = { "home" },
		[P_LIKED] = { "library", "ls", "--type", "tracks", "--limit", "2000" },
		[P_ALBUMS] = { "library", "ls", "--type", "albums", "--limit", "2000" },
		[P_ARTISTS] = { "library", "ls", "--type", "artists", "--limit", "2000" },
		[P_PLAYLISTS] = { "playlist", "ls" },
		[P_QUEUE] = { "queue", "--limit", "500" },
		[P_DEVICES] = { "devices" },
		[P_RECENT] = { "recent", "--limit", "50" },
	};
	int n = 0;

	if (max < 6)
		return 0;
	switch (p->kind) {
	case P_SEARCH:
		if (!p->query[0])
			return 0;
		argv[n++] = "search";
		argv[n++] = "--limit";
		argv[n++] = "20";
		argv[n++] = "--";
		argv[n++] = p->query;
		return n;
	case P_ALBUM:
	case P_ARTIST:
		argv[n++] = "show";
		argv[n++] = p->uri;
		return n;
	case P_NOW:
		return 0;
	case P_PLAYLIST:
		argv[n++] = "playlist";
		argv[n++] = "show";
		argv[n++] = p->uri;
		return n;
	case P_LYRICS:
		if (!p->uri[0])
			return 0;
		argv[n++] = "lyrics";
		argv[n++] = p->uri;
		return n;
	default:
		for (; n < 6 && fixed[p->kind][n]; n++)
			argv[n] = fixed[p->kind][n];
		return n;
	}
}

static int add(struct page *p, int cap, enum row_kind kind, json_t *obj, int pos, const char *text)
{
	if (p->nrows == cap)
		return -1;
	p->rows[p->nrows++] = (struct row){ kind, obj, pos, text };
	return 0;
}

/* Rows for a list of objects (or of {track|album: ...} wrappers). */
static void add_list(struct page *p, int cap, enum row_kind kind, json_t *items, const char *wrap)
{
	json_t *it;
	size_t i;

	json_array_foreach(items, i, it) {
		json_t *o = wrap && json_object_get(it, wrap) ? json_object_get(it, wrap) : it;

		if (json_is_object(o))
			add(p, cap, kind, o, (int)i + 1, NULL);
	}
}

static size_t count(json_t *data)
{
	size_t n = 16;
	const char *k;
	json_t *v;

	/* Generous: every array anywhere in the answer, one level or two down. */
	json_object_foreach(data, k, v) {
		if (json_is_array(v))
			n += json_array_size(v);
		else if (json_is_object(v)) {
			const char *k2;
			json_t *v2;

			json_object_foreach(v, k2, v2)
				if (json_is_array(v2))
					n += json_array_size(v2);
		}
	}
	return n;
}

void page_take(struct page *p, json_t *data, const char *this_device)
{
	static const char *const kinds[] = { "tracks", "albums", "artists", "playlists" };
	static const enum row_kind rk[] = { R_TRACK, R_ALBUM, R_ARTIST, R_PLAYLIST };
	static const char *const heads[] = { "Songs", "Albums", "Artists", "Playlists" };
	int cap;

	json_decref(p->data);
	free(p->rows);
	p->data = data;
	p->nrows = 0;
	p->loaded = true;
	p->error[0] = '\0';
	p->none = false;
	cap = (int)count(data);
	if (!(p->rows = calloc((size_t)cap, sizeof *p->rows)))
		return;
	switch (p->kind) {
	case P_HOME:
		if (json_array_size(json_object_get(data, "made_for_you"))) {
			add(p, cap, R_HEADER, NULL, 0, "Made for you");
			add_list(p, cap, R_PLAYLIST, json_object_get(data, "made_for_you"), NULL);
		}
		if (json_array_size(json_object_get(data, "recently_played"))) {
			add(p, cap, R_HEADER, NULL, 0, "Recently played");
			add_list(p, cap, R_TRACK, json_object_get(data, "recently_played"), NULL);
		}
		add(p, cap, R_HEADER, NULL, 0, "Popular");
		add_list(p, cap, R_TRACK, json_object_get(data, "popular"), NULL);
		break;
	case P_RECENT:
		add_list(p, cap, R_TRACK, json_object_get(data, "items"), "track");
		break;
	case P_SEARCH:
		if (json_string_value(json_object_get(data, "did_you_mean")))
			add(p, cap, R_TEXT, NULL, 0, json_string_value(json_object_get(data, "did_you_mean")));
		for (size_t k = 0; k < 4; k++) {
			json_t *items = json_object_get(json_object_get(data, kinds[k]), "items");

			if (!json_array_size(items))
				continue;
			add(p, cap, R_HEADER, NULL, 0, heads[k]);
			add_list(p, cap, rk[k], items, NULL);
		}
		break;
	case P_LIKED:
		add_list(p, cap, R_TRACK, json_object_get(data, "items"), "track");
		break;
	case P_ALBUMS:
		add_list(p, cap, R_ALBUM, json_object_get(data, "items"), "album");
		break;
	case P_ARTISTS:
		add_list(p, cap, R_ARTIST, json_object_get(data, "items"), NULL);
		break;
	case P_PLAYLISTS:
		add_list(p, cap, R_PLAYLIST, json_object_get(data, "items"), NULL);
		break;
	case P_QUEUE:
		if (json_is_object(json_object_get(data, "currently_playing"))) {
			add(p, cap, R_HEADER, NULL, 0, "Now playing");
			add(p, cap, R_TRACK, json_object_get(data, "currently_playing"), 0, NULL);
		}
		add(p, cap, R_HEADER, NULL, 0, "Up next");
		add_list(p, cap, R_TRACK, json_object_get(data, "queue"), NULL);
		break;
	case P_DEVICES: {
		json_t *d;
		size_t i;

		json_array_foreach(json_object_get(data, "devices"), i, d)
			add(p, cap, R_DEVICE, d, (int)i + 1, NULL);
		(void)this_device;
		break;
	}
	case P_ALBUM:
		snprintf(p->title, sizeof p->title, "%s", json_string_value(json_object_get(data, "name")) ?: "Album");
		add_list(p, cap, R_TRACK, json_object_get(json_object_get(data, "tracks"), "items"), NULL);
		break;
	case P_ARTIST:
		snprintf(p->title, sizeof p->title, "%s",
		         json_string_value(json_object_get(json_object_get(data, "artist"), "name")) ?: "Artist");
		add(p, cap, R_HEADER, NULL, 0, "Popular");
		add_list(p, cap, R_TRACK, json_object_get(data, "top_tracks"), NULL);
		add(p, cap, R_HEADER, NULL, 0, "Albums");
		add_list(p, cap, R_ALBUM, json_object_get(data, "albums"), NULL);
		break;
	case P_PLAYLIST:
		snprintf(p->title, sizeof p->title, "%s", json_string_value(json_object_get(data, "name")) ?: "Playlist");
		add_list(p, cap, R_TRACK, json_object_get(json_object_get(data, "tracks"), "items"), "track");
		break;
	case P_LYRICS: {
		json_t *line;
		size_t i;

		json_array_foreach(json_object_get(data, "lines"), i, line)
			if (json_is_object(line))
				add(p, cap, R_LYRIC, line, (int)i + 1,
				    json_string_value(json_object_get(line, "text")) ?: "");
		break;
	}
	default:
		break;
	}
	if (p->sel >= p->nrows)
		p->sel = p->nrows ? p->nrows - 1 : 0;
	/* The cursor rests on something that can be acted on, not on a header. */
	while (p->sel < p->nrows - 1 && p->rows[p->sel].kind == R_HEADER)
		p->sel++;
}

int page_track_uris(const struct page *p, int i, const char **uris, int max, int *at)
{
	int n = 0, idx = -1, seen = 0, start;

	*at = -1;
	for (int k = 0; k < p->nrows && k <= i; k++)
		if (p->rows[k].kind == R_TRACK && row_uri(&p->rows[k]))
			idx = k == i ? seen : idx, seen++;
	if (idx < 0)
		return 0;
	/* A window that holds row i: from the first track when it fits, else from row i. */
	start = idx < max ? 0 : idx;
	seen = 0;
	for (int k = 0; k < p->nrows && n < max; k++) {
		if (p->rows[k].kind != R_TRACK || !row_uri(&p->rows[k]))
			continue;
		if (seen++ < start)
			continue;
		uris[n++] = row_uri(&p->rows[k]);
	}
	*at = idx - start;
	return n;
}

const char *row_uri(const struct row *r)
{
	if (r->kind == R_LYRIC)
		return NULL;
	if (r->kind == R_DEVICE)
		return json_string_value(json_object_get(r->obj, "id"));
	return r->obj ? json_string_value(json_object_get(r->obj, "uri")) : NULL;
}

const char *row_name(const struct row *r)
{
	if (r->kind == R_HEADER || r->kind == R_TEXT || r->kind == R_LYRIC)
		return r->text ? r->text : "";
	return json_string_value(json_object_get(r->obj, "name")) ?: "";
}
