#include "config.h"
#include "api/handlers.h"

#include <stdio.h>
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

static int artists_in(struct req *r, const char *const *ids, int n, const char *market, json_t **out)
{
	(void)market; /* an artist plays wherever its tracks do */
	return api_artists(r, ids, n, out);
}

/* GET /v1/artists?ids=: up to 50, null for an unknown id, in one batch. */
void h_artists(struct req *r)
{
	api_reply_several(r, "artists", 50, artists_in);
}

/* An artist's albums of the wanted groups, playable in market when one is named, each with
 * its album_group: its album_type on the artist's own releases, appears_on on others'. The
 * groups come in the Web API's order: album, single, compilation, appears_on. */
enum { G_ALBUM, G_SINGLE, G_COMPILATION, G_APPEARS_ON, G_COUNT };
static const char *const group_names[G_COUNT] = { "album", "single", "compilation", "appears_on" };

struct albums {
	struct req *r;
	const char *market;
	bool want[G_COUNT];
	json_t *groups[G_COUNT];
};

static int take_album(void *ud, const char *album_id, bool appears_on)
{
	struct albums *l = ud;
	/* A simplified album in a market says nothing of it: read its markets, then answer in
	 * the market's form. */
	json_t *a = api_album_simple(l->r, album_id, NULL), *v;
	bool playable = !l->market;
	size_t i;
	int g = G_APPEARS_ON;

	if (!a)
		return 0;
	if (l->market) {
		json_array_foreach(json_object_get(a, "available_markets"), i, v)
			playable |= !strcmp(json_string_value(v), l->market);
		json_object_del(a, "available_markets");
		json_object_set_new(a, "is_playable", json_boolean(playable));
	}
	if (!appears_on) {
		const char *type = json_string_value(json_object_get(a, "album_type"));

		for (g = 0; g < G_APPEARS_ON && strcmp(type, group_names[g]); g++)
			;
	}
	if (!playable || !l->want[g]) {
		json_decref(a);
		return 0;
	}
	json_object_set_new(a, "album_group", json_string(group_names[g]));
	json_array_append_new(l->groups[g], a);
	return 0;
}

/* include_groups: a comma-separated list of the four group names. Returns 0, or -1 (replied). */
static int parse_groups(struct req *r, const char *arg, bool want[G_COUNT])
{
	if (!arg || !*arg) {
		for (int g = 0; g < G_COUNT; g++)
			want[g] = true;
		return 0;
	}
	for (const char *p = arg; *p; ) {
		size_t n = strcspn(p, ",");
		int g;

		for (g = 0; g < G_COUNT; g++)
			if (strlen(group_names[g]) == n && !strncmp(p, group_names[g], n))
				break;
		if (g == G_COUNT) {
			reply_error(r, 400, "include_groups takes album, single, appears_on and compilation");
			return -1;
		}
		want[g] = true;
		p += n + (p[n] == ',');
	}
	return 0;
}

void h_artist_albums(struct req *r)
{
	const char *id = r->params[0];
	struct albums l = { .r = r };
	int limit, offset;
	bool bad;
	json_t *items, *all, *v;
	size_t i;

	if (!api_check_id(r, id, "artist"))
		return;
	l.market = api_market(r, &bad);
	if (bad || api_int_arg(r, "limit", 20, 1, 50, &limit) < 0 ||
	    api_int_arg(r, "offset", 0, 0, 1000000, &offset) < 0 ||
	    parse_groups(r, req_arg(r, "include_groups"), l.want) < 0)
		return;
	if (!api_exists(r, "artist", id)) {
		reply_error(r, 404, "no artist with id %s", id);
		return;
	}
	/* An artist's albums are few: build the filtered list, then page it. A database error
	 * (logged) leaves the list as far as it got. */
	for (int g = 0; g < G_COUNT; g++)
		l.groups[g] = json_array();
	store_artist_albums(&r->srv->store, id, take_album, &l);
	all = json_array();
	for (int g = 0; g < G_COUNT; g++) {
		json_array_extend(all, l.groups[g]);
		json_decref(l.groups[g]);
	}
	items = json_array();
	json_array_foreach(all, i, v)
		if ((int)i >= offset && (int)i < offset + limit)
			json_array_append(items, v);
	reply_json(r, 200, api_paging(r, items, limit, offset, (long long)json_array_size(all)));
	json_decref(all);
}

/* Collects the full objects of the tracks a list gives that are playable in market, in its
 * order: up to want of them in all, looking at no more than scan ids (-1: all) of the list. A
 * database error (logged) leaves them as far as they got. The ids are rendered a batch at a
 * time (as many as are still wanted, at most PLAYABLE_BATCH): a few statements each, not
 * several per track. */
#define PLAYABLE_BATCH 50

struct playable {
	struct req *r;
	const char *market;
	size_t want;
	int scan;
	json_t *tracks;
	char ids[PLAYABLE_BATCH][BASE62_ID_LEN + 1];
	int n;
};

/* Renders the ids held and keeps the playable ones. Returns whether enough are kept. */
static bool flush_playable(struct playable *p)
{
	const char *ids[PLAYABLE_BATCH];
	json_t *objs[PLAYABLE_BATCH];

	for (int i = 0; i < p->n; i++)
		ids[i] = p->ids[i];
	api_tracks(p->r, ids, p->n, p->market, objs);
	for (int i = 0; i < p->n; i++) {
		if (objs[i] && json_array_size(p->tracks) < p->want &&
		    json_is_true(json_object_get(objs[i], "is_playable")))
			json_array_append_new(p->tracks, objs[i]);
		else
			json_decref(objs[i]);
	}
	p->n = 0;
	return json_array_size(p->tracks) >= p->want;
}

static int take_playable(void *ud, const char *track_id)
{
	struct playable *p = ud;

	if (json_array_size(p->tracks) >= p->want || p->scan-- == 0)
		return 1;
	snprintf(p->ids[p->n++], sizeof p->ids[0], "%s", track_id);
	if ((size_t)p->n < p->want - json_array_size(p->tracks) && p->n < PLAYABLE_BATCH)
		return 0;
	return flush_playable(p);
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
	if (p.n)
		flush_playable(&p);
	if (json_array_size(p.tracks) < p.want) {
		p.scan = limit * 20;
		store_tracks_unplayed(&r->srv->store, take_playable, &p);
		if (p.n)
			flush_playable(&p);
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
	if (p.n)
		flush_playable(&p);
	reply_json(r, 200, json_pack("{s:o}", "tracks", p.tracks));
}
