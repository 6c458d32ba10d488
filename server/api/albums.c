#include "config.h"
#include "api/handlers.h"

#include <stdlib.h>

#include "catalog/catalog.h"
#include "server.h"

void h_album(struct req *r)
{
	api_reply_one(r, "album", api_album);
}

/* The full objects, each with its first page of tracks: one by one. */
static int albums_full(struct req *r, const char *const *ids, int n, const char *market, json_t **out)
{
	for (int i = 0; i < n; i++)
		out[i] = api_album(r, ids[i], market);
	return 0;
}

/* At most 20, as the Web API allows. */
void h_albums(struct req *r)
{
	api_reply_several(r, "albums", 20, albums_full);
}

void h_album_tracks(struct req *r)
{
	const char *id = r->params[0];
	struct track_row *rows;
	struct album_row al;
	const char *market;
	int limit, offset, found;
	json_t *items;
	bool bad;

	if (!api_check_id(r, id, "album"))
		return;
	market = api_market(r, &bad);
	if (bad || api_int_arg(r, "limit", 20, 1, 50, &limit) < 0 ||
	    api_int_arg(r, "offset", 0, 0, 1000000, &offset) < 0)
		return;
	if ((found = store_album_row(&r->srv->store, id, &al)) < 0) {
		reply_error(r, 500, "database error");
		return;
	}
	if (!found) {
		reply_error(r, 404, "no album with id %s", id);
		return;
	}
	items = json_array();
	if ((rows = malloc((size_t)limit * sizeof *rows))) {
		struct api_view v;
		json_t *objs[50];
		int n = store_album_tracks(&r->srv->store, id, offset, rows, limit);

		if (n > 0)
			catalog_tracks_from_rows(api_view(r, &v), rows, n, market, false, objs);
		for (int i = 0; i < n; i++)
			json_array_append_new(items, objs[i]);
		free(rows);
	}
	reply_json(r, 200, api_paging(r, items, limit, offset, al.total_tracks));
}
