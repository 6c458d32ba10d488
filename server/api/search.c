/* GET /v1/search in the Web API's shape: one paging object per requested type, plus a
 * "did_you_mean" extension when a word was corrected. The user's own listening and saves
 * tilt the ranking; their affinity is cached briefly, as typeahead asks on every keystroke. */
#include "config.h"
#include "api/handlers.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "catalog/catalog.h"
#include "search/search.h"
#include "server.h"
#include "store/history.h"
#include "http/urlenc.h"

#define PAGE_MAX 50 /* hits of a type in one answer */
#define AFFINITY_SLOTS 64
#define AFFINITY_TTL_MS 60000
#define AFFINITY_MAX 2000

struct affinity_entry {
	char user[72];
	long long at;
	char (*ids)[23];
	float *weights;
	struct search_affinity a;
};

/* Service loop only. */
static struct affinity_entry cache[AFFINITY_SLOTS];

/* What the user's listening and library weigh. Only their ratios count: the heaviest sum
 * becomes 1. */
static const struct affinity_weights weights = {
	.play = 1.0, .played_artist = 0.5, .saved_track = 3.0, .followed_artist = 5.0,
};

static int cmp_row(const void *a, const void *b)
{
	return strcmp(((const struct affinity_row *)a)->id, ((const struct affinity_row *)b)->id);
}

/* Tracks and artists the user played in the last 90 days or saved or follows, weighted. */
static const struct search_affinity *user_affinity(struct req *r)
{
	long long now = store_now_ms();
	struct affinity_entry *e = &cache[0], *oldest = &cache[0];
	struct affinity_row *v;
	float top = 0;
	int n = 0;

	for (int i = 0; i < AFFINITY_SLOTS; i++) {
		if (!strcmp(cache[i].user, r->user.id) && now - cache[i].at < AFFINITY_TTL_MS)
			return &cache[i].a;
		if (cache[i].at < oldest->at)
			oldest = &cache[i];
	}
	e = oldest;
	free(e->ids);
	free(e->weights);
	memset(e, 0, sizeof *e);
	v = calloc(AFFINITY_MAX, sizeof *v);
	/* A database error (logged) leaves the user without affinity until the entry expires. */
	if (v && (n = store_user_affinity(&r->srv->store, r->user.id, now - 90LL * 86400 * 1000,
	                                  &weights, v, AFFINITY_MAX)) < 0)
		n = 0;
	for (int i = 0; i < n; i++)
		if ((float)v[i].weight > top)
			top = (float)v[i].weight;
	if (n > 1)
		qsort(v, (size_t)n, sizeof *v, cmp_row);
	e->ids = malloc((size_t)(n ? n : 1) * sizeof *e->ids);
	e->weights = malloc((size_t)(n ? n : 1) * sizeof *e->weights);
	if (!v || !e->ids || !e->weights) {
		free(v);
		return NULL;
	}
	for (int i = 0; i < n; i++) {
		memcpy(e->ids[i], v[i].id, 23);
		e->weights[i] = (float)v[i].weight / top; /* 0..1 */
	}
	free(v);
	snprintf(e->user, sizeof e->user, "%s", r->user.id);
	e->at = now;
	e->a.ids = (const char (*)[23])e->ids;
	e->a.weights = e->weights;
	e->a.n = n;
	return &e->a;
}

static const char *const type_names[ST_NTYPES] = { "track", "artist", "album", "playlist" };
static const char *const type_keys[ST_NTYPES] = { "tracks", "artists", "albums", "playlists" };

/* The hits of one type as objects, in their order; one whose object cannot be made (gone
 * since the index saw it) is left out. Tracks, artists and albums are each rendered in a
 * few statements for the whole page. NULL when the catalog could not be read. */
static json_t *render_hits(struct req *r, int ty, const struct search_hit *hits, int n,
                           const char *market)
{
	json_t *items, *objs[PAGE_MAX];
	const char *ids[PAGE_MAX];
	int rc = 0;

	if (n > PAGE_MAX)
		n = PAGE_MAX;
	for (int i = 0; i < n; i++)
		ids[i] = hits[i].id;
	if (ty == ST_TRACK)
		rc = api_tracks(r, ids, n, market, objs);
	else if (ty == ST_ARTIST)
		rc = api_artists(r, ids, n, objs);
	else if (ty == ST_ALBUM)
		rc = api_albums_simple(r, ids, n, market, objs);
	else
		for (int i = 0; i < n; i++)
			objs[i] = api_playlist_simple(r, ids[i]);
	if (rc < 0)
		return NULL;
	items = json_array();
	for (int i = 0; i < n; i++)
		if (objs[i])
			json_array_append_new(items, objs[i]);
	return items;
}

void h_search(struct req *r)
{
	const struct search_view *view = searcher_get(&r->srv->search);
	const char *q = req_arg(r, "q"), *types = req_arg(r, "type"), *market;
	struct search_query sq;
	struct search_result res;
	json_t *body;
	bool bad;
	int limit, offset;

	if (!q || !*q) {
		reply_error(r, 400, "q is required");
		return;
	}
	if (!types || !*types) {
		reply_error(r, 400, "type is required: track, artist, album or playlist (comma-separated)");
		return;
	}
	memset(&sq, 0, sizeof sq);
	for (const char *t = types;;) {
		size_t n = strcspn(t, ",");
		int found = -1;

		for (int i = 0; i < ST_NTYPES; i++)
			if (strlen(type_names[i]) == n && !strncmp(t, type_names[i], n))
				found = i;
		if (found < 0) {
			reply_error(r, 400, "unknown type \"%.*s\": track, artist, album or playlist", (int)(n < 20 ? n : 20), t);
			return;
		}
		sq.types |= 1u << found;
		if (!t[n])
			break;
		t += n + 1;
	}
	market = api_market(r, &bad);
	if (bad || api_int_arg(r, "limit", 20, 1, PAGE_MAX, &limit) < 0 ||
	    api_int_arg(r, "offset", 0, 0, SEARCH_MAX_OFFSET, &offset) < 0)
		return;
	if (!view) {
		reply_error(r, 503, "the search index is still being built; try again in a moment");
		reply_header(r, "retry-after:", "1");
		return;
	}
	sq.q = q;
	sq.market = market;
	sq.limit = limit;
	sq.offset = offset;
	sq.affinity = user_affinity(r);
	if (search_run(view->base, view->delta, &sq, &res) < 0) {
		reply_error(r, 400, "%s", res.error);
		search_result_free(&res);
		return;
	}
	body = json_object();
	for (int ty = 0; ty < ST_NTYPES; ty++) {
		json_t *items;

		if (!(sq.types & (1u << ty)))
			continue;
		if (!(items = render_hits(r, ty, res.hits[ty], res.nhits[ty], market))) {
			json_decref(body);
			search_result_free(&res);
			reply_error(r, 500, "the catalog could not be read");
			return;
		}
		long total = res.total[ty];
		if (total < offset + (long)json_array_size(items))
			total = offset + (long)json_array_size(items);
		json_object_set_new(body, type_keys[ty], api_paging(r, items, limit, offset, total));
	}
	if (res.did_you_mean[0])
		json_object_set_new(body, "did_you_mean", json_string(res.did_you_mean));
	search_result_free(&res);
	reply_json(r, 200, body);
}
