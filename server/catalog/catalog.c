/* Catalog objects. See catalog/catalog.h. */
#include "config.h"
#include "catalog/catalog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base62.h"
#include "buf.h"
#include "images/images.h"
#include "store/images.h"
#include "store/lyrics.h"

json_t *catalog_time(long long ms, bool millis)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char buf[32];

	gmtime_r(&t, &tm);
	strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
	return millis ? json_sprintf("%s.%03lldZ", buf, ms % 1000) : json_sprintf("%sZ", buf);
}

json_t *catalog_paging(const char *href, json_t *items, int limit, int offset, long long total)
{
	const char *sep = strchr(href, '?') ? "&" : "?";
	json_t *next = json_null(), *prev = json_null();

	if (offset + limit < total)
		next = json_sprintf("%s%soffset=%lld&limit=%d", href, sep, (long long)offset + limit, limit);
	if (offset > 0)
		prev = json_sprintf("%s%soffset=%d&limit=%d", href, sep, offset > limit ? offset - limit : 0, limit);
	return json_pack("{s:o,s:o,s:i,s:o,s:i,s:o,s:I}", "href",
	                 json_sprintf("%s%soffset=%d&limit=%d", href, sep, offset, limit), "items", items,
	                 "limit", limit, "next", next, "offset", offset, "previous", prev,
	                 "total", (json_int_t)total);
}

static bool csv_has(const char *csv, const char *item)
{
	size_t n = strlen(item);

	for (const char *p = csv; *p; ) {
		const char *c = strchrnul(p, ',');

		if ((size_t)(c - p) == n && !memcmp(p, item, n))
			return true;
		if (!*c)
			break;
		p = c + 1;
	}
	return false;
}

bool catalog_available(const struct catalog_view *v, const char *markets, const char *market)
{
	if (!markets || !*markets)
		markets = v->markets;
	return csv_has(markets, market);
}

/* Splits a sep-separated list into a JSON array of strings, skipping empty items. */
static json_t *split_array(const char *list, char sep)
{
	json_t *a = json_array();

	for (const char *p = list; *p; ) {
		const char *c = strchr(p, sep);

		if (!c)
			c = p + strlen(p);
		if (c > p)
			json_array_append_new(a, json_stringn(p, (size_t)(c - p)));
		if (!*c)
			break;
		p = c + 1;
	}
	return a;
}

static json_t *markets_array(const struct catalog_view *v, const char *markets)
{
	return split_array(markets && *markets ? markets : v->markets, ',');
}

static json_t *href(const struct catalog_view *v, const char *kind, const char *id)
{
	return json_sprintf("%s/v1/%s/%s", v->base_url, kind, id);
}

json_t *catalog_artist_simple(const struct catalog_view *v, const char *id, const char *name)
{
	return json_pack("{s:{},s:o,s:s,s:s,s:s,s:o}", "external_urls", "href", href(v, "artists", id),
	                 "id", id, "name", name, "type", "artist", "uri",
	                 json_sprintf("segue:artist:%s", id));
}

/* An album's or artist's image objects; none when the store has no picture or fails. */
static json_t *pictures(const struct catalog_view *v, int (*get)(struct store *, const char *, char *),
                        const char *id)
{
	char hash[STORE_IMAGE_MAX];

	return images_json(v->base_url, get(v->store, id, hash) > 0 ? hash : NULL);
}

static const char *precision(const char *date)
{
	size_t n = strlen(date);

	return n >= 10 ? "day" : n >= 7 ? "month" : "year";
}

/* The Web API's album_type: what the release type tag says when it says one of its three,
 * else Spotify's own rule (one to three tracks under 30 minutes make a single; an EP is shown
 * as a single, as Spotify does). */
static const char *album_type(const struct album_row *al)
{
	const char *t = al->release_type;

	if (al->compilation || !strcmp(t, "compilation"))
		return "compilation";
	if (!strcmp(t, "single") || !strcmp(t, "ep"))
		return "single";
	if (!strcmp(t, "album"))
		return "album";
	return al->total_tracks >= 1 && al->total_tracks <= 3 && al->duration_ms < 30 * 60 * 1000
	       ? "single" : "album";
}

/* Gathers an artist list into simplified artist objects. */
struct artist_list {
	const struct catalog_view *v;
	json_t *a;
};

static int add_artist(void *ud, const char *id, const char *name)
{
	struct artist_list *l = ud;

	json_array_append_new(l->a, catalog_artist_simple(l->v, id, name));
	return 0;
}

/* A track's or an album's artists; on a database error (logged) the one artist its row
 * names, so no object goes out without one. */
static json_t *artists_of(const struct catalog_view *v, bool album, const char *id,
                          const char *first_id, const char *first_name)
{
	struct artist_list l = { v, json_array() };
	int rc = album ? store_album_artists(v->store, id, add_artist, &l)
	               : store_track_artists(v->store, id, add_artist, &l);

	if (rc < 0 || !json_array_size(l.a)) {
		json_array_clear(l.a);
		json_array_append_new(l.a, catalog_artist_simple(v, first_id, first_name));
	}
	return l.a;
}

/* Collects an album's markets: every one any of its tracks plays in, once. */
struct album_markets {
	const struct catalog_view *v;
	char seen[4096];
	json_t *all;
};

static void add_markets(void *ud, const char *markets)
{
	struct album_markets *am = ud;
	json_t *m = markets_array(am->v, markets), *x;
	size_t i;

	json_array_foreach(m, i, x) {
		const char *cc = json_string_value(x);

		if (!csv_has(am->seen, cc) && strlen(am->seen) + 4 < sizeof am->seen) {
			if (am->seen[0])
				strcat(am->seen, ",");
			strcat(am->seen, cc);
			json_array_append(am->all, x);
		}
	}
	json_decref(m);
}

static json_t *album_object(const struct catalog_view *v, const char *id, const char *market, bool full)
{
	struct album_row *al = malloc(sizeof *al); /* a few KiB: not on a worker's stack */
	json_t *o = NULL;

	if (!al || store_album_row(v->store, id, al) <= 0)
		goto out;
	o = json_pack("{s:s,s:I,s:{},s:o,s:s,s:[],s:s,s:s,s:s,s:s,s:o,s:o}",
	              "album_type", album_type(al),
	              "total_tracks", (json_int_t)al->total_tracks, "external_urls",
	              "href", href(v, "albums", id), "id", id, "images",
	              "name", al->name, "release_date", al->release_date,
	              "release_date_precision", precision(al->release_date),
	              "type", "album", "uri", json_sprintf("segue:album:%s", id),
	              "artists", artists_of(v, true, id, al->artist_id, al->artist_name));
	if (!o)
		goto out;
	json_object_set_new(o, "images", pictures(v, store_album_image, id));
	if (full)
		json_object_set_new(o, "label", json_string(al->label));
	if (full || !market) {
		/* An album is available wherever one of its tracks is. */
		struct album_markets am = { .v = v, .all = json_array() };

		store_album_markets(v->store, id, add_markets, &am);
		if (market) {
			json_object_set_new(o, "is_playable", json_boolean(csv_has(am.seen, market)));
			json_decref(am.all);
		} else {
			json_object_set_new(o, "available_markets", am.all);
		}
	}
out:
	free(al);
	return o;
}

json_t *catalog_album_simple(const struct catalog_view *v, const char *album_id, const char *market)
{
	return album_object(v, album_id, market, false);
}

/* The object's "segue" extension (Segue's own fields beside the Web API's), made when new. */
static json_t *segue_ext(json_t *o)
{
	json_t *x = json_object_get(o, "segue");

	if (!x)
		json_object_set_new(o, "segue", x = json_object());
	return x;
}

/* The "segue" extension's path: where the file sits under the library folder it came from,
 * which playlists exported as M3U name it by. A path that is not UTF-8 cannot be told in
 * JSON and is left out. */
static void add_library_path(const struct catalog_view *v, const char *id, json_t *o)
{
	char *path = NULL;
	json_t *p;

	if (store_track_library_path(v->store, id, &path) > 0 && (p = json_string(path)))
		json_object_set_new(segue_ext(o), "path", p);
	free(path);
}

json_t *catalog_track_from_row(const struct catalog_view *v, const struct track_row *t,
                               const char *market, bool with_album)
{
	const char *markets = t->has_markets ? t->markets : NULL;
	json_t *o = json_pack("{s:o,s:i,s:I,s:b,s:o,s:{},s:o,s:s,s:b,s:s,s:n,s:i,s:s,s:o}",
		"artists", artists_of(v, false, t->id, t->artist_id, t->artist_name),
		"disc_number", t->disc_number,
		"duration_ms", (json_int_t)t->duration_ms,
		"explicit", t->explicit_,
		"external_ids", t->isrc[0] ? json_pack("{s:s}", "isrc", t->isrc) : json_object(),
		"external_urls",
		"href", href(v, "tracks", t->id), "id", t->id, "is_local", 0,
		"name", t->name, "preview_url",
		"track_number", t->track_number, "type", "track",
		"uri", json_sprintf("segue:track:%s", t->id));

	if (!o)
		return NULL;
	/* A withdrawn track keeps its object (history, playlists and saved tracks show it) but
	 * plays nowhere. */
	if (market) {
		bool ok = t->available && catalog_available(v, markets, market);

		json_object_set_new(o, "is_playable", json_boolean(ok));
		if (!ok)
			json_object_set_new(o, "restrictions", json_pack("{s:s}", "reason",
			                                                 t->available ? "market" : "unavailable"));
	} else {
		json_object_set_new(o, "available_markets", t->available ? markets_array(v, markets) : json_array());
	}
	add_library_path(v, t->id, o);
	if (with_album) {
		json_t *album = album_object(v, t->album_id, market, false);

		json_object_set_new(o, "popularity", json_integer(t->popularity));
		json_object_set_new(o, "album", album ? album : json_null());
	}
	json_object_set_new(segue_ext(o), "has_lyrics", json_boolean(t->has_lyrics));
	return o;
}

json_t *catalog_track(const struct catalog_view *v, const char *id, const char *market)
{
	struct track_row *t = malloc(sizeof *t); /* rows are a few KiB: not on a worker's stack */
	json_t *o = NULL;

	if (t && store_track_row(v->store, id, t) > 0)
		o = catalog_track_from_row(v, t, market, true);
	free(t);
	return o;
}

#define ALBUM_PAGE 50

json_t *catalog_album(const struct catalog_view *v, const char *id, const char *market)
{
	json_t *o = album_object(v, id, market, true), *items, *page;
	struct track_row *rows;
	char genres[CATALOG_NAME_MAX] = "", *link;
	int n, popularity = 0;

	if (!o)
		return NULL;
	/* The embedded first page of tracks, as Spotify sends it (50 at most). */
	items = json_array();
	if ((rows = malloc(ALBUM_PAGE * sizeof *rows))) {
		n = store_album_tracks(v->store, id, 0, rows, ALBUM_PAGE);
		for (int i = 0; i < n; i++)
			json_array_append_new(items, catalog_track_from_row(v, &rows[i], market, false));
		free(rows);
	}
	if (asprintf(&link, "%s/v1/albums/%s/tracks%s%s", v->base_url, id, market ? "?market=" : "",
	             market ? market : "") < 0)
		link = NULL;
	page = catalog_paging(link ? link : "", items, ALBUM_PAGE, 0,
	                      json_integer_value(json_object_get(o, "total_tracks")));
	free(link);
	json_object_set_new(o, "tracks", page);
	json_object_set_new(o, "copyrights", json_array());
	json_object_set_new(o, "external_ids", json_object());
	if (store_album_stats(v->store, id, &popularity, genres) >= 0) {
		json_object_set_new(o, "popularity", json_integer(popularity));
		json_object_set_new(o, "genres", split_array(genres, '\x1f'));
	}
	return o;
}

json_t *catalog_artist(const struct catalog_view *v, const char *id)
{
	struct artist_row *a = malloc(sizeof *a);
	json_t *o = NULL;

	if (!a || store_artist_row(v->store, id, a) <= 0) {
		free(a);
		return NULL;
	}
	o = catalog_artist_simple(v, id, a->name);
	json_object_set_new(o, "followers", json_pack("{s:n,s:I}", "href", "total", (json_int_t)a->followers));
	json_object_set_new(o, "genres", split_array(a->genres, '\x1f'));
	json_object_set_new(o, "images", pictures(v, store_artist_image, id));
	json_object_set_new(o, "popularity", json_integer(a->popularity));
	free(a);
	return o;
}
