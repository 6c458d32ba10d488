#include "config.h"
#include "catalog/catalog.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base62.h"
#include "server.h"
#include "http/urlenc.h"

const char *catalog_market(struct req *r, bool *bad)
{
	const char *m = req_arg(r, "market");

	*bad = false;
	if (!m || !*m)
		return NULL;
	if (!strcmp(m, "from_token"))
		return r->user.country;
	if (strlen(m) != 2 || m[0] < 'A' || m[0] > 'Z' || m[1] < 'A' || m[1] > 'Z') {
		reply_error(r, 400, "invalid market code \"%.16s\": use an ISO 3166-1 alpha-2 code or from_token", m);
		*bad = true;
		return NULL;
	}
	return m;
}

int catalog_int_arg(struct req *r, const char *name, int def, int min, int max, int *out)
{
	const char *v = req_arg(r, name);
	char *end;
	long n;

	if (!v) {
		*out = def;
		return 0;
	}
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || !*v || *end || n < min || n > max) {
		reply_error(r, 400, "invalid %s: expected a whole number from %d to %d", name, min, max);
		return -1;
	}
	*out = (int)n;
	return 0;
}

void catalog_free_ids(char **ids, int n)
{
	for (int i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
}

int catalog_ids_arg(struct req *r, int max, char ***out, int *n)
{
	const char *v = req_arg(r, "ids");
	char **ids;
	int count = 1;

	if (!v || !*v) {
		reply_error(r, 400, "the ids parameter is required");
		return -1;
	}
	for (const char *p = v; *p; p++)
		if (*p == ',')
			count++;
	if (count > max) {
		reply_error(r, 400, "too many ids: at most %d per request", max);
		return -1;
	}
	ids = calloc((size_t)count, sizeof *ids);
	if (!ids) {
		reply_error(r, 500, "out of memory");
		return -1;
	}
	*n = 0;
	for (const char *p = v;; ) {
		const char *c = strchrnul(p, ',');
		char *id = strndup(p, (size_t)(c - p));

		if (!id || !base62_is_id(id)) {
			reply_error(r, 400, "invalid id \"%.40s\"", id ? id : "");
			free(id);
			catalog_free_ids(ids, *n);
			return -1;
		}
		ids[(*n)++] = id;
		if (!*c)
			break;
		p = c + 1;
	}
	*out = ids;
	return 0;
}

bool catalog_exists(struct req *r, const char *kind, const char *id)
{
	sqlite3_stmt *st = store_stmt(&r->srv->store,
		!strcmp(kind, "track") ? "SELECT 1 FROM tracks WHERE id = ?" :
		!strcmp(kind, "album") ? "SELECT 1 FROM albums WHERE id = ?" : "SELECT 1 FROM artists WHERE id = ?");
	bool found;

	if (!st)
		return false;
	store_bind_text(st, 1, id);
	found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_reset(st);
	return found;
}

json_t *catalog_time(long long ms, bool millis)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char buf[32];

	gmtime_r(&t, &tm);
	strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
	return millis ? json_sprintf("%s.%03lldZ", buf, ms % 1000) : json_sprintf("%sZ", buf);
}

bool catalog_check_id(struct req *r, const char *id, const char *kind)
{
	if (base62_is_id(id))
		return true;
	reply_error(r, 400, "invalid %s id \"%.40s\"", kind, id);
	return false;
}

json_t *catalog_paging(struct req *r, json_t *items, int limit, int offset, long long total)
{
	char base[512];
	struct buf link = BUF_INIT;
	json_t *page, *next = json_null(), *prev = json_null(), *href = NULL;

	req_base_url(r, base, sizeof base);
	/* The links keep every other parameter of the request. */
	for (int which = 0; which < 3; which++) {
		long long off = which == 0 ? offset : which == 1 ? offset + limit : offset - limit;

		if (which == 1 && off >= total)
			continue;
		if (which == 2 && offset == 0)
			continue;
		if (off < 0)
			off = 0;
		buf_reset(&link);
		buf_printf(&link, "%s%s?", base, r->path);
		for (int i = 0; i < r->nargs; i++) {
			if (!strcmp(r->args[i].name, "offset") || !strcmp(r->args[i].name, "limit"))
				continue;
			url_encode(&link, r->args[i].name);
			buf_puts(&link, "=");
			url_encode(&link, r->args[i].value);
			buf_puts(&link, "&");
		}
		buf_printf(&link, "offset=%lld&limit=%d", off, limit);
		if (which == 0)
			href = json_string(link.p);
		else if (which == 1)
			next = json_string(link.p);
		else
			prev = json_string(link.p);
	}
	page = json_pack("{s:o,s:o,s:i,s:o,s:i,s:o,s:I}", "href", href, "items", items, "limit", limit,
	                 "next", next, "offset", offset, "previous", prev, "total", (json_int_t)total);
	buf_free(&link);
	return page;
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

bool catalog_available(struct req *r, const char *markets, const char *market)
{
	if (!markets || !*markets)
		markets = r->srv->cfg.markets;
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

static json_t *markets_array(struct req *r, const char *markets)
{
	return split_array(markets && *markets ? markets : r->srv->cfg.markets, ',');
}

#define GENRES_OF(col) \
	"(SELECT group_concat(g, char(31)) FROM (SELECT DISTINCT genre g FROM tracks" \
	" WHERE " col " = ?1 AND genre <> '' ORDER BY genre))"

static json_t *href(struct req *r, const char *kind, const char *id)
{
	char base[512];

	req_base_url(r, base, sizeof base);
	return json_sprintf("%s/v1/%s/%s", base, kind, id);
}

json_t *catalog_artist_simple(struct req *r, const char *id, const char *name)
{
	return json_pack("{s:{},s:o,s:s,s:s,s:s,s:o}", "external_urls", "href", href(r, "artists", id),
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

static json_t *album_object(struct req *r, const char *id, const char *market, bool full)
{
	struct store *s = &r->srv->store;
	sqlite3_stmt *st = store_stmt(s,
		"SELECT al.name, al.release_date, al.artist_id, ar.name,"
		" (SELECT count(*) FROM tracks t WHERE t.album_id = al.id)"
		" FROM albums al JOIN artists ar ON ar.id = al.artist_id WHERE al.id = ?");
	json_t *o;
	long long total;

	if (!st)
		return NULL;
	store_bind_text(st, 1, id);
	if (sqlite3_step(st) != SQLITE_ROW)
		return NULL;
	total = sqlite3_column_int64(st, 4);
	o = json_pack("{s:s,s:I,s:{},s:o,s:s,s:[],s:s,s:s,s:s,s:s,s:o,s:[o]}",
	              "album_type", album_type(store_col_text(st, 3), total),
	              "total_tracks", (json_int_t)total, "external_urls",
	              "href", href(r, "albums", id), "id", id, "images",
	              "name", store_col_text(st, 0), "release_date", store_col_text(st, 1),
	              "release_date_precision", precision(store_col_text(st, 1)),
	              "type", "album", "uri", json_sprintf("segue:album:%s", id),
	              "artists", catalog_artist_simple(r, store_col_text(st, 2), store_col_text(st, 3)));
	sqlite3_reset(st);
	if (!o)
		return NULL;
	if (full || !market) {
		/* An album is available wherever one of its tracks is. */
		sqlite3_stmt *mt = store_stmt(s, "SELECT DISTINCT markets FROM tracks WHERE album_id = ?");
		json_t *all = json_array();
		char seen[4096] = "";

		store_bind_text(mt, 1, id);
		while (mt && sqlite3_step(mt) == SQLITE_ROW) {
			json_t *m = markets_array(r, sqlite3_column_text(mt, 0) ? store_col_text(mt, 0) : NULL);
			size_t i;
			json_t *v;

			json_array_foreach(m, i, v) {
				const char *cc = json_string_value(v);

				if (!csv_has(seen, cc) && strlen(seen) + 4 < sizeof seen) {
					if (seen[0])
						strcat(seen, ",");
					strcat(seen, cc);
					json_array_append(all, v);
				}
			}
			json_decref(m);
		}
		if (mt)
			sqlite3_reset(mt);
		if (market) {
			json_object_set_new(o, "is_playable", json_boolean(csv_has(seen, market)));
			json_decref(all);
		} else {
			json_object_set_new(o, "available_markets", all);
		}
	}
	return o;
}

json_t *catalog_album_simple(struct req *r, const char *album_id, const char *market)
{
	return album_object(r, album_id, market, false);
}

#define TRACK_COLUMNS \
	"t.id, t.name, t.disc_number, t.track_number, t.duration_ms, t.explicit, t.markets," \
	" t.popularity, t.album_id, t.artist_id, ar.name"

json_t *catalog_track_from_row(struct req *r, void *stmt, const char *market, bool with_album)
{
	sqlite3_stmt *st = stmt;
	const char *id = store_col_text(st, 0);
	const char *markets = sqlite3_column_text(st, 6) ? store_col_text(st, 6) : NULL;
	json_t *o = json_pack("{s:[o],s:i,s:I,s:b,s:{},s:{},s:o,s:s,s:b,s:s,s:n,s:i,s:s,s:o}",
		"artists", catalog_artist_simple(r, store_col_text(st, 9), store_col_text(st, 10)),
		"disc_number", sqlite3_column_int(st, 2),
		"duration_ms", (json_int_t)sqlite3_column_int64(st, 4),
		"explicit", sqlite3_column_int(st, 5),
		"external_ids", "external_urls",
		"href", href(r, "tracks", id), "id", id, "is_local", 0,
		"name", store_col_text(st, 1), "preview_url",
		"track_number", sqlite3_column_int(st, 3), "type", "track",
		"uri", json_sprintf("segue:track:%s", id));

	if (!o)
		return NULL;
	if (market) {
		bool ok = catalog_available(r, markets, market);

		json_object_set_new(o, "is_playable", json_boolean(ok));
		if (!ok)
			json_object_set_new(o, "restrictions", json_pack("{s:s}", "reason", "market"));
	} else {
		json_object_set_new(o, "available_markets", markets_array(r, markets));
	}
	if (with_album) {
		char album_id[BASE62_ID_LEN + 1];
		json_t *album;

		json_object_set_new(o, "popularity", json_integer(sqlite3_column_int(st, 7)));
		snprintf(album_id, sizeof album_id, "%s", store_col_text(st, 8));
		album = album_object(r, album_id, market, false);
		json_object_set_new(o, "album", album ? album : json_null());
	}
	return o;
}

json_t *catalog_track(struct req *r, const char *id, const char *market)
{
	sqlite3_stmt *st = store_stmt(&r->srv->store,
		"SELECT " TRACK_COLUMNS " FROM tracks t JOIN artists ar ON ar.id = t.artist_id WHERE t.id = ?");
	json_t *o = NULL;

	if (!st)
		return NULL;
	store_bind_text(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW)
		o = catalog_track_from_row(r, st, market, true);
	sqlite3_reset(st);
	return o;
}

json_t *catalog_album(struct req *r, const char *id, const char *market)
{
	json_t *o = album_object(r, id, market, true);
	sqlite3_stmt *st;
	json_t *items;

	if (!o)
		return NULL;
	/* The embedded first page of tracks, as Spotify sends it (50 at most). */
	st = store_stmt(&r->srv->store,
		"SELECT " TRACK_COLUMNS " FROM tracks t JOIN artists ar ON ar.id = t.artist_id"
		" WHERE t.album_id = ? ORDER BY t.disc_number, t.track_number, t.name LIMIT 50");
	items = json_array();
	if (st) {
		store_bind_text(st, 1, id);
		while (sqlite3_step(st) == SQLITE_ROW) {
			json_array_append_new(items, catalog_track_from_row(r, st, market, false));
		}
		sqlite3_reset(st);
	}
	json_object_set_new(o, "tracks", catalog_paging(r, items, 50, 0,
	                    json_integer_value(json_object_get(o, "total_tracks"))));
	json_object_set_new(o, "copyrights", json_array());
	json_object_set_new(o, "external_ids", json_object());
	json_object_set_new(o, "label", json_string(""));
	st = store_stmt(&r->srv->store, "SELECT max(popularity), " GENRES_OF("album_id")
	                " FROM tracks WHERE album_id = ?1");
	if (st) {
		store_bind_text(st, 1, id);
		if (sqlite3_step(st) == SQLITE_ROW) {
			json_object_set_new(o, "popularity", json_integer(sqlite3_column_int(st, 0)));
			json_object_set_new(o, "genres", split_array(store_col_text(st, 1), '\x1f'));
		}
		sqlite3_reset(st);
	}
	return o;
}

json_t *catalog_artist(struct req *r, const char *id)
{
	sqlite3_stmt *st = store_stmt(&r->srv->store,
		/* An artist can have a hundred thousand tracks: read only the most played (the
		 * index gives them in order), which carry the popularity and the main genres. */
		"SELECT ar.name, (SELECT max(popularity) FROM (SELECT popularity FROM tracks"
		"  WHERE artist_id = ar.id ORDER BY play_count DESC LIMIT 50)),"
		" (SELECT group_concat(g, char(31)) FROM (SELECT DISTINCT genre g FROM"
		"  (SELECT genre FROM tracks WHERE artist_id = ?1 ORDER BY play_count DESC LIMIT 200)"
		"  WHERE genre <> '' ORDER BY genre)),"
		" (SELECT count(*) FROM followed_artists f WHERE f.artist_id = ar.id)"
		" FROM artists ar WHERE ar.id = ?1");
	json_t *o, *genres;

	if (!st)
		return NULL;
	store_bind_text(st, 1, id);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return NULL;
	}
	genres = split_array(store_col_text(st, 2), '\x1f');
	o = catalog_artist_simple(r, id, store_col_text(st, 0));
	json_object_set_new(o, "followers", json_pack("{s:n,s:I}", "href", "total",
	                                              (json_int_t)sqlite3_column_int64(st, 3)));
	json_object_set_new(o, "genres", genres);
	json_object_set_new(o, "images", json_array());
	json_object_set_new(o, "popularity", json_integer(sqlite3_column_int(st, 1)));
	sqlite3_reset(st);
	return o;
}
