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
#include "http/urlenc.h"

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

struct pair {
	char id[23];
	float w;
};

static int cmp_pair(const void *a, const void *b)
{
	return strcmp(((const struct pair *)a)->id, ((const struct pair *)b)->id);
}

/* Tracks and artists the user played in the last 90 days or saved or follows, weighted. */
static const struct search_affinity *user_affinity(struct req *r)
{
	long long now = store_now_ms();
	struct affinity_entry *e = &cache[0], *oldest = &cache[0];
	struct pair *v;
	int n = 0;
	sqlite3_stmt *st;

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
	st = store_stmt(&r->srv->store,
		"SELECT id, sum(w) FROM ("
		" SELECT track_id AS id, 1.0 AS w FROM plays WHERE user_id = ?1 AND counted AND started_at > ?2"
		" UNION ALL SELECT t.artist_id, 0.5 FROM plays p JOIN tracks t ON t.id = p.track_id"
		"  WHERE p.user_id = ?1 AND p.counted AND p.started_at > ?2"
		" UNION ALL SELECT track_id, 3.0 FROM saved_tracks WHERE user_id = ?1"
		" UNION ALL SELECT artist_id, 5.0 FROM followed_artists WHERE user_id = ?1)"
		" GROUP BY id ORDER BY sum(w) DESC LIMIT ?3");
	if (v && st) {
		float top = 0;

		store_bind_text(st, 1, r->user.id);
		sqlite3_bind_int64(st, 2, now - 90LL * 86400 * 1000);
		sqlite3_bind_int(st, 3, AFFINITY_MAX);
		while (sqlite3_step(st) == SQLITE_ROW && n < AFFINITY_MAX) {
			snprintf(v[n].id, sizeof v[n].id, "%s", store_col_text(st, 0));
			v[n].w = (float)sqlite3_column_double(st, 1);
			if (v[n].w > top)
				top = v[n].w;
			n++;
		}
		sqlite3_reset(st);
		for (int i = 0; i < n; i++)
			v[i].w /= top; /* 0..1 */
	}
	qsort(v, (size_t)n, sizeof *v, cmp_pair);
	e->ids = malloc((size_t)(n ? n : 1) * sizeof *e->ids);
	e->weights = malloc((size_t)(n ? n : 1) * sizeof *e->weights);
	if (!v || !e->ids || !e->weights) {
		free(v);
		return NULL;
	}
	for (int i = 0; i < n; i++) {
		memcpy(e->ids[i], v[i].id, 23);
		e->weights[i] = v[i].w;
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
	if (bad || api_int_arg(r, "limit", 20, 1, 50, &limit) < 0 ||
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
		items = json_array();
		for (int i = 0; i < res.nhits[ty]; i++) {
			const char *id = res.hits[ty][i].id;
			json_t *o = ty == ST_TRACK ? api_track(r, id, market) :
			            ty == ST_ARTIST ? api_artist(r, id) :
			            ty == ST_ALBUM ? api_album_simple(r, id, market) : api_playlist_simple(r, id);

			if (o)
				json_array_append_new(items, o);
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
