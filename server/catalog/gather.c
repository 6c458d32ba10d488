/* Gathering a list's rows in a few statements. See catalog/gather.h. */
#include "config.h"
#include "catalog/gather.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"

struct gather *gather_new(const struct catalog_view *v, int tracks, int albums, int artists)
{
	struct gather *g = calloc(1, sizeof *g);

	/* calloc(0) may give NULL: room for one at least. */
	if (!g || !(g->track_ids = calloc((size_t)tracks + 1, sizeof *g->track_ids)) ||
	    !(g->tracks = calloc((size_t)tracks + 1, sizeof *g->tracks)) ||
	    !(g->album_ids = calloc((size_t)albums + 1, sizeof *g->album_ids)) ||
	    !(g->albums = calloc((size_t)albums + 1, sizeof *g->albums)) ||
	    !(g->artist_ids = calloc((size_t)artists + 1, sizeof *g->artist_ids)) ||
	    !(g->artists = calloc((size_t)artists + 1, sizeof *g->artists))) {
		log_err("catalog: a list's rows: out of memory");
		gather_free(g);
		return NULL;
	}
	g->v = v;
	g->cap_tracks = tracks < STORE_BATCH_MAX ? tracks : STORE_BATCH_MAX;
	g->cap_albums = albums < STORE_BATCH_MAX ? albums : STORE_BATCH_MAX;
	g->cap_artists = artists < STORE_BATCH_MAX ? artists : STORE_BATCH_MAX;
	return g;
}

void gather_free(struct gather *g)
{
	if (!g)
		return;
	for (int i = 0; i < g->ntracks; i++) {
		free(g->tracks[i].library_path);
		json_decref(g->tracks[i].artists);
	}
	for (int i = 0; i < g->nalbums; i++) {
		json_decref(g->albums[i].artists);
		json_decref(g->albums[i].markets);
		json_decref(g->albums[i].object);
	}
	free(g->track_ids);
	free(g->tracks);
	free(g->album_ids);
	free(g->albums);
	free(g->artist_ids);
	free(g->artists);
	free(g);
}

static int find(const char *const *ids, int n, const char *id)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(ids[i], id))
			return i;
	return -1;
}

int gather_add_track(struct gather *g, const char *id, const struct track_row *row)
{
	int i = find(g->track_ids, g->ntracks, id);

	if (i >= 0 || g->ntracks == g->cap_tracks)
		return i;
	i = g->ntracks++;
	g->tracks[i].row = row;
	g->track_ids[i] = row ? row->id : id;
	return i;
}

int gather_add_album(struct gather *g, const char *id)
{
	int i = find(g->album_ids, g->nalbums, id);

	if (i >= 0 || g->nalbums == g->cap_albums)
		return i;
	i = g->nalbums++;
	snprintf(g->albums[i].id, sizeof g->albums[i].id, "%s", id);
	g->album_ids[i] = g->albums[i].id;
	return i;
}

int gather_add_artist(struct gather *g, const char *id)
{
	int i = find(g->artist_ids, g->nartists, id);

	if (i >= 0 || g->nartists == g->cap_artists)
		return i;
	i = g->nartists++;
	snprintf(g->artists[i].id, sizeof g->artists[i].id, "%s", id);
	g->artist_ids[i] = g->artists[i].id;
	return i;
}

bool gather_csv_has(const char *csv, const char *item)
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

json_t *gather_markets_array(const struct catalog_view *v, const char *markets)
{
	const char *list = markets && *markets ? markets : v->markets;
	json_t *a = json_array();

	for (const char *p = list; *p; ) {
		const char *c = strchrnul(p, ',');

		if (c > p)
			json_array_append_new(a, json_stringn(p, (size_t)(c - p)));
		if (!*c)
			break;
		p = c + 1;
	}
	return a;
}

json_t *gather_artist_list(const struct catalog_view *v, json_t *artists, const char *first_id,
                           const char *first_name)
{
	json_t *a;

	if (artists && json_array_size(artists))
		return json_deep_copy(artists);
	a = json_array();
	json_array_append_new(a, catalog_artist_simple(v, first_id, first_name));
	return a;
}

/* The rows of the tracks added without one, with their library paths. */
struct track_pass {
	struct gather *g;
	const char *ids[STORE_BATCH_MAX];
};

static int set_path(struct gather_track *t, const char *path)
{
	free(t->library_path);
	t->library_path = NULL;
	if (path && !(t->library_path = strdup(path))) {
		log_err("catalog: a track's library path: out of memory");
		return -1;
	}
	return 0;
}

static int on_track(void *ud, const struct track_row *row, const char *path)
{
	struct gather *g = ud;
	int i = find(g->track_ids, g->ntracks, row->id);

	if (i < 0 || g->tracks[i].row)
		return 0;
	g->tracks[i].own = *row;
	g->tracks[i].row = &g->tracks[i].own;
	return set_path(&g->tracks[i], path);
}

static int on_path(void *ud, const char *id, const char *path)
{
	struct gather *g = ud;
	int i = find(g->track_ids, g->ntracks, id);

	return i < 0 ? 0 : set_path(&g->tracks[i], path);
}

/* Appends an owner's artist to its list, made when first met. */
static int add_owned(const struct catalog_view *v, json_t **list, const char *id, const char *name)
{
	if (!*list)
		*list = json_array();
	return json_array_append_new(*list, catalog_artist_simple(v, id, name)) ? -1 : 0;
}

static int on_track_artist(void *ud, const char *owner, const char *id, const char *name)
{
	struct gather *g = ud;
	int i = find(g->track_ids, g->ntracks, owner);

	return i < 0 ? 0 : add_owned(g->v, &g->tracks[i].artists, id, name);
}

int gather_tracks(struct gather *g)
{
	static const struct store_batch_with artists = { .artist = on_track_artist };
	const char *ask[STORE_BATCH_MAX], *given[STORE_BATCH_MAX];
	int nask = 0, ngiven = 0, rc = 0;

	for (int i = 0; i < g->ntracks; i++) {
		if (g->tracks[i].row)
			given[ngiven++] = g->track_ids[i];
		else
			ask[nask++] = g->track_ids[i];
	}
	if (nask && store_tracks_rows(g->v->store, ask, nask, on_track, &artists, g) < 0)
		rc = -1;
	if (ngiven && store_tracks_library_paths(g->v->store, given, ngiven, on_path, &artists, g) < 0)
		rc = -1;
	return rc;
}

static int on_album(void *ud, const char *id, const struct album_row *row, const char *image)
{
	struct gather *g = ud;
	int i = find(g->album_ids, g->nalbums, id);

	if (i >= 0) {
		g->albums[i].row = *row;
		g->albums[i].found = true;
		snprintf(g->albums[i].image, sizeof g->albums[i].image, "%s", image);
	}
	return 0;
}

static int on_album_artist(void *ud, const char *owner, const char *id, const char *name)
{
	struct gather *g = ud;
	int i = find(g->album_ids, g->nalbums, owner);

	return i < 0 ? 0 : add_owned(g->v, &g->albums[i].artists, id, name);
}

/* An album is available wherever one of its tracks is: each market once, in the order met. */
static void on_markets(void *ud, const char *album_id, const char *markets)
{
	struct gather *g = ud;
	int i = find(g->album_ids, g->nalbums, album_id);
	struct gather_album *al;
	json_t *m, *x;
	size_t k;

	if (i < 0)
		return;
	al = &g->albums[i];
	m = gather_markets_array(g->v, markets);
	json_array_foreach(m, k, x) {
		const char *cc = json_string_value(x);

		if (!gather_csv_has(al->seen, cc) && strlen(al->seen) + 4 < sizeof al->seen) {
			if (al->seen[0])
				strcat(al->seen, ",");
			strcat(al->seen, cc);
			json_array_append(al->markets, x);
		}
	}
	json_decref(m);
}

int gather_albums(struct gather *g, bool with_markets)
{
	static const struct store_batch_with artists = { .artist = on_album_artist };
	static const struct store_batch_with artists_markets = { .artist = on_album_artist,
	                                                         .markets = on_markets };

	if (!g->nalbums)
		return 0;
	if (with_markets)
		for (int i = 0; i < g->nalbums; i++)
			g->albums[i].markets = json_array();
	return store_albums_rows(g->v->store, g->album_ids, g->nalbums, on_album,
	                         with_markets ? &artists_markets : &artists, g);
}

static int on_artist(void *ud, const char *id, const struct artist_row *row, const char *image)
{
	struct gather *g = ud;
	int i = find(g->artist_ids, g->nartists, id);

	if (i >= 0) {
		g->artists[i].row = *row;
		g->artists[i].found = true;
		snprintf(g->artists[i].image, sizeof g->artists[i].image, "%s", image);
	}
	return 0;
}

int gather_artists(struct gather *g)
{
	if (!g->nartists)
		return 0;
	return store_artists_rows(g->v->store, g->artist_ids, g->nartists, on_artist, g);
}
