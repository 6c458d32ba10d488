/* GET /v1/me/top/{artists|tracks}: the user's most played, from their counted plays over
 * the Web API's time ranges -- short_term about the last 4 weeks, medium_term about the
 * last 6 months (the default), long_term all of them. An artist counts the plays of the
 * tracks it leads. */
#include "config.h"

#include <string.h>

#include "api/handlers.h"
#include "server.h"
#include "store/history.h"

#define TOP_PAGE_MAX 50
#define DAY_MS (24LL * 3600 * 1000)

static const struct { const char *name; long long days; } ranges[] = {
	{ "short_term", 28 }, { "medium_term", 183 }, { "long_term", 0 },
};

void h_my_top(struct req *r)
{
	const char *type = r->params[0], *range = req_arg(r, "time_range");
	struct top_row rows[TOP_PAGE_MAX];
	const char *ids[TOP_PAGE_MAX];
	json_t *objs[TOP_PAGE_MAX];
	enum top_kind k;
	long long since = -1, total;
	int limit, offset, n;
	json_t *items;

	if (!strcmp(type, "tracks"))
		k = TOP_TRACKS;
	else if (!strcmp(type, "artists"))
		k = TOP_ARTISTS;
	else {
		reply_error(r, 404, "no such resource: top %.20s (artists or tracks)", type);
		return;
	}
	if (!range)
		range = "medium_term";
	for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++)
		if (!strcmp(range, ranges[i].name))
			since = ranges[i].days ? store_now_ms() - ranges[i].days * DAY_MS : 0;
	if (since < 0) {
		reply_error(r, 400, "time_range must be short_term, medium_term or long_term");
		return;
	}
	if (api_int_arg(r, "limit", 20, 1, TOP_PAGE_MAX, &limit) < 0 ||
	    api_int_arg(r, "offset", 0, 0, 100000, &offset) < 0)
		return;
	if ((n = store_user_top(&r->srv->store, r->user.id, k, since, offset, rows, limit)) < 0 ||
	    (total = store_user_top_count(&r->srv->store, r->user.id, k, since)) < 0) {
		reply_error(r, 500, "database error");
		return;
	}
	for (int i = 0; i < n; i++)
		ids[i] = rows[i].id;
	if ((k == TOP_TRACKS ? api_tracks(r, ids, n, NULL, objs) : api_artists(r, ids, n, objs)) < 0) {
		reply_error(r, 500, "the catalog could not be read");
		return;
	}
	items = json_array();
	for (int i = 0; i < n; i++)
		if (objs[i])
			json_array_append_new(items, objs[i]);
	reply_json(r, 200, api_paging(r, items, limit, offset, total));
}
