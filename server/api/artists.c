#include "config.h"
#include "api/handlers.h"

#include <string.h>

#include "catalog/catalog.h"
#include "server.h"
#include "store/catalog.h"

void h_artist(struct req *r)
{
	const char *id = r->params[0];
	json_t *o;

	if (!api_check_id(r, id, "artist"))
		return;
	if (!(o = api_artist(r, id))) {
		reply_error(r, 404, "no artist with id %s", id);
		return;
	}
	reply_json(r, 200, o);
}

/* An artist's albums of the wanted groups, playable in market when one is named, with their
 * group. */
struct albums {
	struct req *r;
	const char *market;
	bool want_album, want_single, want_comp;
	json_t *all;
};

static int take_album(void *ud, const char *album_id)
{
	struct albums *l = ud;
	json_t *a = api_album_simple(l->r, album_id, l->market);
	const char *type;

	if (!a)
		return 0;
	type = json_string_value(json_object_get(a, "album_type"));
	if ((l->market && !json_is_true(json_object_get(a, "is_playable"))) ||
	    (!strcmp(type, "album") && !l->want_album) ||
	    (!strcmp(type, "single") && !l->want_single) ||
	    (!strcmp(type, "compilation") && !l->want_comp)) {
		json_decref(a);
		return 0;
	}
	json_object_set_new(a, "album_group", json_string(type));
	json_array_append_new(l->all, a);
	return 0;
}

void h_artist_albums(struct req *r)
{
	const char *id = r->params[0];
	const char *groups = req_arg(r, "include_groups");
	struct albums l = { .r = r, .want_album = true, .want_single = true, .want_comp = true };
	int limit, offset;
	bool bad;
	json_t *items;
	size_t i;
	json_t *v;

	if (!api_check_id(r, id, "artist"))
		return;
	l.market = api_market(r, &bad);
	if (bad || api_int_arg(r, "limit", 20, 1, 50, &limit) < 0 ||
	    api_int_arg(r, "offset", 0, 0, 1000000, &offset) < 0)
		return;
	if (groups && *groups) {
		l.want_album = strstr(groups, "album") != NULL;
		l.want_single = strstr(groups, "single") != NULL;
		l.want_comp = strstr(groups, "compilation") != NULL;
		if (!l.want_album && !l.want_single && !l.want_comp && !strstr(groups, "appears_on")) {
			reply_error(r, 400, "include_groups takes album, single, appears_on and compilation");
			return;
		}
	}
	if (!api_exists(r, "artist", id)) {
		reply_error(r, 404, "no artist with id %s", id);
		return;
	}
	/* An artist's albums are few: build the filtered list, then page it. A database error
	 * (logged) leaves the list as far as it got. */
	l.all = json_array();
	store_artist_albums(&r->srv->store, id, take_album, &l);
	items = json_array();
	json_array_foreach(l.all, i, v)
		if ((int)i >= offset && (int)i < offset + limit)
			json_array_append(items, v);
	reply_json(r, 200, api_paging(r, items, limit, offset, (long long)json_array_size(l.all)));
	json_decref(l.all);
}

/* Collects the full objects of the tracks a list gives that are playable in market, in its
 * order: up to want of them in all, looking at no more than scan ids (-1: all) of the list. A
 * database error (logged) leaves them as far as they got. */
struct playable {
	struct req *r;
	const char *market;
	size_t want;
	int scan;
	json_t *tracks;
};

static int take_playable(void *ud, const char *track_id)
{
	struct playable *p = ud;
	json_t *t;

	if (json_array_size(p->tracks) >= p->want || p->scan-- == 0)
		return 1;
	t = api_track(p->r, track_id, p->market);
	if (t && json_is_true(json_object_get(t, "is_playable")))
		json_array_append_new(p->tracks, t);
	else
		json_decref(t);
	return json_array_size(p->tracks) >= p->want;
}

/* GET /v1/segue/popular: the catalog's most played tracks the user may play, for a Home
 * page before there is anything personal to show. A Segue extension: the Web API has none.
 * Tracks nobody has played yet (a new catalog is all of them) follow the played ones newest
 * release first, album by album in their order: in id order they read as noise. Both lists
 * walk an index (store/catalog.c), so a catalog of a million unplayed tracks is not sorted on
 * every request. */
void h_popular(struct req *r)
{
	struct playable p = { .r = r };
	int limit;
	bool bad;

	p.market = api_market(r, &bad);
	if (bad || api_int_arg(r, "limit", 20, 1, 50, &limit) < 0)
		return;
	if (!p.market)
		p.market = r->user.country;
	p.want = (size_t)limit;
	p.tracks = json_array();
	/* Bounded: a market that has few of the most played tracks does not scan the whole
	 * catalog. */
	p.scan = limit * 20;
	store_tracks_popular(&r->srv->store, take_playable, &p);
	if (json_array_size(p.tracks) < p.want) {
		p.scan = limit * 20;
		store_tracks_unplayed(&r->srv->store, take_playable, &p);
	}
	reply_json(r, 200, json_pack("{s:o}", "tracks", p.tracks));
}

void h_artist_top_tracks(struct req *r)
{
	const char *id = r->params[0];
	struct playable p = { .r = r, .want = 10, .scan = -1 };
	bool bad;

	if (!api_check_id(r, id, "artist"))
		return;
	p.market = api_market(r, &bad);
	if (bad)
		return;
	if (!p.market)
		p.market = r->user.country;
	if (!api_exists(r, "artist", id)) {
		reply_error(r, 404, "no artist with id %s", id);
		return;
	}
	p.tracks = json_array();
	store_artist_top_tracks(&r->srv->store, id, take_playable, &p);
	reply_json(r, 200, json_pack("{s:o}", "tracks", p.tracks));
}
