/* Catalog objects. See catalog/catalog.h. */
#include "config.h"
#include "catalog/catalog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base62.h"
#include "buf.h"
#include "catalog/gather.h"
#include "images/images.h"

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


bool catalog_available(const struct catalog_view *v, const char *markets, const char *market)
{
	if (!markets || !*markets)
		markets = v->markets;
	return gather_csv_has(markets, market);
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

/* An album from its gathering: the simplified object, or with full its label too. Its
 * availability (full, or no market) needs its markets gathered. */
static json_t *album_object(const struct catalog_view *v, const struct gather_album *ga,
                            const char *market, bool full)
{
	const struct album_row *al = &ga->row;
	json_t *o;

	if (!ga->found)
		return NULL;
	o = json_pack("{s:s,s:I,s:{},s:o,s:s,s:[],s:s,s:s,s:s,s:s,s:o,s:o}",
	              "album_type", album_type(al),
	              "total_tracks", (json_int_t)al->total_tracks, "external_urls",
	              "href", href(v, "albums", ga->id), "id", ga->id, "images",
	              "name", al->name, "release_date", al->release_date,
	              "release_date_precision", precision(al->release_date),
	              "type", "album", "uri", json_sprintf("segue:album:%s", ga->id),
	              "artists", gather_artist_list(v, ga->artists, al->artist_id, al->artist_name));
	if (!o)
		return NULL;
	json_object_set_new(o, "images", images_json(v->base_url, ga->image[0] ? ga->image : NULL));
	if (full)
		json_object_set_new(o, "label", json_string(al->label));
	if (full || !market) {
		/* An album is available wherever one of its tracks is. */
		if (market)
			json_object_set_new(o, "is_playable", json_boolean(gather_csv_has(ga->seen, market)));
		else
			json_object_set_new(o, "available_markets",
			                    ga->markets ? json_copy(ga->markets) : json_array());
	}
	return o;
}

/* The object's "segue" extension (Segue's own fields beside the Web API's), made when new. */
static json_t *segue_ext(json_t *o)
{
	json_t *x = json_object_get(o, "segue");

	if (!x)
		json_object_set_new(o, "segue", x = json_object());
	return x;
}

/* A track from its gathering (its album's too, with_album). The "segue" extension's path is
 * where the file sits under the library folder it came from, which playlists exported as M3U
 * name it by; a path that is not UTF-8 cannot be told in JSON and is left out. */
static json_t *track_object(struct gather *g, const struct gather_track *gt, const char *market,
                            bool with_album)
{
	const struct catalog_view *v = g->v;
	const struct track_row *t = gt->row;
	const char *markets = t->has_markets ? t->markets : NULL;
	json_t *o = json_pack("{s:o,s:i,s:I,s:b,s:o,s:{},s:o,s:s,s:b,s:s,s:n,s:i,s:s,s:o}",
		"artists", gather_artist_list(v, gt->artists, t->artist_id, t->artist_name),
		"disc_number", t->disc_number,
		"duration_ms", (json_int_t)t->duration_ms,
		"explicit", t->explicit_,
		"external_ids", t->isrc[0] ? json_pack("{s:s}", "isrc", t->isrc) : json_object(),
		"external_urls",
		"href", href(v, "tracks", t->id), "id", t->id, "is_local", 0,
		"name", t->name, "preview_url",
		"track_number", t->track_number, "type", "track",
		"uri", json_sprintf("segue:track:%s", t->id));
	json_t *p;

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
		json_object_set_new(o, "available_markets",
		                    t->available ? gather_markets_array(v, markets) : json_array());
	}
	if (gt->library_path && (p = json_string(gt->library_path)))
		json_object_set_new(segue_ext(o), "path", p);
	if (with_album) {
		/* One object per album, however many of the page's tracks are on it (an album's
		 * page is 50 of them): nothing changes it once made. */
		int a = gather_add_album(g, t->album_id);
		struct gather_album *ga = a >= 0 ? &g->albums[a] : NULL;

		if (ga && !ga->object)
			ga->object = album_object(v, ga, market, false);
		json_object_set_new(o, "popularity", json_integer(t->popularity));
		json_object_set_new(o, "album", ga && ga->object ? json_incref(ga->object) : json_null());
	}
	json_object_set_new(segue_ext(o), "has_lyrics", json_boolean(t->has_lyrics));
	return o;
}

static int batch_len(int n, int from)
{
	return n - from < STORE_BATCH_MAX ? n - from : STORE_BATCH_MAX;
}

/* Up to STORE_BATCH_MAX tracks by id (rows NULL) or from their rows. */
static int tracks_batch(const struct catalog_view *v, const char *const *ids,
                        const struct track_row *rows, int n, const char *market, bool with_album,
                        json_t **out)
{
	struct gather *g = gather_new(v, n, with_album ? n : 0, 0);
	int at[STORE_BATCH_MAX], rc;

	for (int i = 0; i < n; i++)
		out[i] = NULL;
	if (!g)
		return -1;
	for (int i = 0; i < n; i++)
		at[i] = gather_add_track(g, rows ? rows[i].id : ids[i], rows ? &rows[i] : NULL);
	rc = gather_tracks(g);
	if (with_album) {
		for (int i = 0; i < g->ntracks; i++)
			if (g->tracks[i].row)
				gather_add_album(g, g->tracks[i].row->album_id);
		if (gather_albums(g, !market) < 0)
			rc = -1;
	}
	for (int i = 0; i < n; i++)
		if (at[i] >= 0 && g->tracks[at[i]].row)
			out[i] = track_object(g, &g->tracks[at[i]], market, with_album);
	gather_free(g);
	return rc;
}

int catalog_tracks(const struct catalog_view *v, const char *const *ids, int n, const char *market,
                   json_t **out)
{
	int rc = 0;

	for (int i = 0; i < n; i += STORE_BATCH_MAX)
		if (tracks_batch(v, ids + i, NULL, batch_len(n, i), market, true, out + i) < 0)
			rc = -1;
	return rc;
}

int catalog_tracks_from_rows(const struct catalog_view *v, const struct track_row *rows, int n,
                             const char *market, bool with_album, json_t **out)
{
	int rc = 0;

	for (int i = 0; i < n; i += STORE_BATCH_MAX)
		if (tracks_batch(v, NULL, rows + i, batch_len(n, i), market, with_album, out + i) < 0)
			rc = -1;
	return rc;
}

json_t *catalog_track(const struct catalog_view *v, const char *id, const char *market)
{
	json_t *o;

	catalog_tracks(v, &id, 1, market, &o);
	return o;
}

/* Up to STORE_BATCH_MAX albums, simplified or (full) with their labels and markets. */
static int albums_batch(const struct catalog_view *v, const char *const *ids, int n,
                        const char *market, bool full, json_t **out)
{
	struct gather *g = gather_new(v, 0, n, 0);
	int at[STORE_BATCH_MAX], rc;

	for (int i = 0; i < n; i++)
		out[i] = NULL;
	if (!g)
		return -1;
	for (int i = 0; i < n; i++)
		at[i] = gather_add_album(g, ids[i]);
	rc = gather_albums(g, full || !market);
	for (int i = 0; i < n; i++)
		if (at[i] >= 0)
			out[i] = album_object(v, &g->albums[at[i]], market, full);
	gather_free(g);
	return rc;
}

int catalog_albums_simple(const struct catalog_view *v, const char *const *ids, int n,
                          const char *market, json_t **out)
{
	int rc = 0;

	for (int i = 0; i < n; i += STORE_BATCH_MAX)
		if (albums_batch(v, ids + i, batch_len(n, i), market, false, out + i) < 0)
			rc = -1;
	return rc;
}

json_t *catalog_album_simple(const struct catalog_view *v, const char *album_id, const char *market)
{
	json_t *o;

	catalog_albums_simple(v, &album_id, 1, market, &o);
	return o;
}

#define ALBUM_PAGE 50

json_t *catalog_album(const struct catalog_view *v, const char *id, const char *market)
{
	json_t *o, *items, *page, *objs[ALBUM_PAGE];
	struct track_row *rows;
	char genres[CATALOG_NAME_MAX] = "", *link;
	int n, popularity = 0;

	albums_batch(v, &id, 1, market, true, &o);
	if (!o)
		return NULL;
	/* The embedded first page of tracks, as Spotify sends it (50 at most). */
	items = json_array();
	if ((rows = malloc(ALBUM_PAGE * sizeof *rows))) {
		n = store_album_tracks(v->store, id, 0, rows, ALBUM_PAGE);
		if (n > 0)
			catalog_tracks_from_rows(v, rows, n, market, false, objs);
		for (int i = 0; i < n; i++)
			json_array_append_new(items, objs[i]);
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

int catalog_artists(const struct catalog_view *v, const char *const *ids, int n, json_t **out)
{
	int rc = 0;

	for (int i = 0; i < n; i++)
		out[i] = NULL;
	for (int from = 0; from < n; from += STORE_BATCH_MAX) {
		int m = batch_len(n, from), at[STORE_BATCH_MAX];
		struct gather *g = gather_new(v, 0, 0, m);

		if (!g)
			return -1;
		for (int i = 0; i < m; i++)
			at[i] = gather_add_artist(g, ids[from + i]);
		if (gather_artists(g) < 0)
			rc = -1;
		for (int i = 0; i < m; i++) {
			const struct gather_artist *a = at[i] >= 0 ? &g->artists[at[i]] : NULL;
			json_t *o;

			if (!a || !a->found)
				continue;
			o = catalog_artist_simple(v, a->id, a->row.name);
			json_object_set_new(o, "followers", json_pack("{s:n,s:I}", "href", "total",
			                                              (json_int_t)a->row.followers));
			json_object_set_new(o, "genres", split_array(a->row.genres, '\x1f'));
			json_object_set_new(o, "images", images_json(v->base_url, a->image[0] ? a->image : NULL));
			json_object_set_new(o, "popularity", json_integer(a->row.popularity));
			out[from + i] = o;
		}
		gather_free(g);
	}
	return rc;
}

json_t *catalog_artist(const struct catalog_view *v, const char *id)
{
	json_t *o;

	catalog_artists(v, &id, 1, &o);
	return o;
}
