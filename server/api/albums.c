#include "config.h"
#include "api/handlers.h"

#include "catalog/catalog.h"
#include "server.h"

void h_album(struct req *r)
{
	const char *id = r->params[0];
	const char *market;
	bool bad;
	json_t *o;

	if (!catalog_check_id(r, id, "album"))
		return;
	market = catalog_market(r, &bad);
	if (bad)
		return;
	if (!(o = catalog_album(r, id, market))) {
		reply_error(r, 404, "no album with id %s", id);
		return;
	}
	reply_json(r, 200, o);
}

void h_albums(struct req *r)
{
	const char *market;
	char **ids;
	int n;
	bool bad;
	json_t *list;

	market = catalog_market(r, &bad);
	if (bad || catalog_ids_arg(r, 20, &ids, &n) < 0)
		return;
	list = json_array();
	for (int i = 0; i < n; i++) {
		json_t *o = catalog_album(r, ids[i], market);

		json_array_append_new(list, o ? o : json_null());
	}
	catalog_free_ids(ids, n);
	reply_json(r, 200, json_pack("{s:o}", "albums", list));
}

void h_album_tracks(struct req *r)
{
	const char *id = r->params[0];
	struct store *s = &r->srv->store;
	const char *market;
	int limit, offset;
	long long total = 0;
	sqlite3_stmt *st;
	json_t *items;
	bool bad;

	if (!catalog_check_id(r, id, "album"))
		return;
	market = catalog_market(r, &bad);
	if (bad || catalog_int_arg(r, "limit", 20, 1, 50, &limit) < 0 ||
	    catalog_int_arg(r, "offset", 0, 0, 1000000, &offset) < 0)
		return;
	st = store_stmt(s, "SELECT count(*) FROM albums al JOIN tracks t ON t.album_id = al.id WHERE al.id = ?");
	if (!st || (store_bind_text(st, 1, id), sqlite3_step(st)) != SQLITE_ROW) {
		reply_error(r, 500, "database error");
		return;
	}
	total = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (!total) {
		st = store_stmt(s, "SELECT 1 FROM albums WHERE id = ?");
		store_bind_text(st, 1, id);
		if (!st || sqlite3_step(st) != SQLITE_ROW) {
			if (st)
				sqlite3_reset(st);
			reply_error(r, 404, "no album with id %s", id);
			return;
		}
		sqlite3_reset(st);
	}
	st = store_stmt(s, "SELECT t.id, t.name, t.disc_number, t.track_number, t.duration_ms,"
	                   " t.explicit, t.markets, t.popularity, t.album_id, t.artist_id, ar.name"
	                   " FROM tracks t JOIN artists ar ON ar.id = t.artist_id WHERE t.album_id = ?"
	                   " ORDER BY t.disc_number, t.track_number, t.name LIMIT ? OFFSET ?");
	items = json_array();
	if (st) {
		store_bind_text(st, 1, id);
		sqlite3_bind_int(st, 2, limit);
		sqlite3_bind_int(st, 3, offset);
		while (sqlite3_step(st) == SQLITE_ROW)
			json_array_append_new(items, catalog_track_from_row(r, st, market, false));
		sqlite3_reset(st);
	}
	reply_json(r, 200, catalog_paging(r, items, limit, offset, total));
}
