#include "config.h"
#include "api/handlers.h"

#include "catalog/catalog.h"

void h_track(struct req *r)
{
	const char *id = r->params[0];
	const char *market;
	bool bad;
	json_t *o;

	if (!api_check_id(r, id, "track"))
		return;
	market = api_market(r, &bad);
	if (bad)
		return;
	o = api_track(r, id, market);
	if (!o) {
		reply_error(r, 404, "no track with id %s", id);
		return;
	}
	reply_json(r, 200, o);
}

void h_tracks(struct req *r)
{
	const char *market;
	char **ids;
	int n;
	bool bad;
	json_t *list;

	market = api_market(r, &bad);
	if (bad || api_ids_arg(r, 50, &ids, &n) < 0)
		return;
	list = json_array();
	for (int i = 0; i < n; i++) {
		json_t *o = api_track(r, ids[i], market);

		json_array_append_new(list, o ? o : json_null());
	}
	api_free_ids(ids, n);
	reply_json(r, 200, json_pack("{s:o}", "tracks", list));
}
