/* Catalog objects. See catalog/catalog.h. */
#include "config.h"
#include "catalog/catalog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base62.h"
#include "buf.h"

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

static const char *precision(const char *date)
{
	size_t n = strlen(date);

	return n >= 10 ? "day" : n >= 7 ? "month" : "year";
}

static const char *album_type(const char *artist, long long total)
{
	if (!strcmp(artist, "Various Artists"))
		return "compilation";
	return total <= 3 ? "single" : "album";
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
	struct album_row al;
	json_t *o;

	if (store_album_row(v->store, id, &al) <= 0)
		return NULL;
	o = json_pack("{s:s,s:I,s:{},s:o,s:s,s:[],s:s,s:s,s:s,s:s,s:o,s:[o]}",
	              "album_type", album_type(al.artist_name, al.total_tracks),
	              "total_tracks", (json_int_t)al.total_tracks, "external_urls",
	              "href", href(v, "albums", id), "id", id, "images",
	              "name", al.name, "release_date", al.release_date,
	              "release_date_precision", precision(al.release_date),
	              "type", "album", "uri", json_sprintf("segue:album:%s", id),
	              "artists", catalog_artist_simple(v, al.artist_id, al.artist_name));
	if (!o)
		return NULL;
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
	return o;
}

json_t *catalog_album_simple(const struct catalog_view *v, const char *album_id, const char *market)
{
	return album_object(v, album_id, market, false);
}

json_t *catalog_track_from_row(const struct catalog_view *v, const struct track_row *t,
                               const char *market, bool with_album)
{
	const char *markets = t->has_markets ? t->markets : NULL;
	json_t *o = json_pack("{s:[o],s:i,s:I,s:b,s:{},s:{},s:o,s:s,s:b,s:s,s:n,s:i,s:s,s:o}",
		"artists", catalog_artist_simple(v, t->artist_id, t->artist_name),
		"disc_number", t->disc_number,
		"duration_ms", (json_int_t)t->duration_ms,
		"explicit", t->explicit_,
		"external_ids", "external_urls",
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
	if (with_album) {
		json_t *album = album_object(v, t->album_id, market, false);

		json_object_set_new(o, "popularity", json_integer(t->popularity));
		json_object_set_new(o, "album", album ? album : json_null());
	}
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
	json_object_set_new(o, "label", json_string(""));
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
	json_object_set_new(o, "images", json_array());
	json_object_set_new(o, "popularity", json_integer(a->popularity));
	free(a);
	return o;
}
