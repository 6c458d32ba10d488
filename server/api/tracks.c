/* GET /v1/tracks/{id} and GET /v1/tracks?ids= (at most 50). */
#include "config.h"
#include "api/handlers.h"

#define SEVERAL_MAX 50

void h_track(struct req *r)
{
	api_reply_one(r, "track", api_track);
}

/* The list is rendered at once (a few statements for all of it); an unknown id is null. */
void h_tracks(struct req *r)
{
	const char *market;
	json_t *objs[SEVERAL_MAX], *list;
	char **ids;
	bool bad;
	int n;

	market = api_market(r, &bad);
	if (bad || api_ids_arg(r, SEVERAL_MAX, &ids, &n) < 0)
		return;
	api_tracks(r, (const char *const *)ids, n, market, objs);
	list = json_array();
	for (int i = 0; i < n; i++)
		json_array_append_new(list, objs[i] ? objs[i] : json_null());
	api_free_ids(ids, n);
	reply_json(r, 200, json_pack("{s:o}", "tracks", list));
}
