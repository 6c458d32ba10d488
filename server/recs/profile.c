/* Profiles from the store, the market filter, JSON. See recs/profile.h. */
#include "config.h"
#include "recs/profile.h"

#include <stdio.h>
#include <string.h>

#include "base62.h"
#include "library/playlists.h"
#include "store/catalog.h"
#include "store/recs.h"

#define SAVED_TRACKS 200
#define SEED_ARTIST_TRACKS 5
#define SEED_LIST_TRACKS 100

int recs_today(const struct recs_ctx *c)
{
	return (int)(c->now / 86400000);
}

/* The store's rows into a profile being built: each with the model, the profile, and how a
 * track counts. */
struct fill {
	const struct recs_model *m;
	struct recs_profile *p;
	float weight;   /* what each track adds */
	bool add;       /* false: tracks are only excluded */
};

static int add_listening(void *ud, const struct recs_listening *l)
{
	struct fill *f = ud;
	struct recs_profile *p = f->p;
	int item = recs_item(f->m, l->track);
	double net = l->full - 0.5 * l->skips;

	if (item < 0)
		return 0;
	p->history += l->counted;
	if ((net > 0 && recs_profile_add(p, item, (float)net) < 0) ||
	    (net <= 0 && l->skips > 0 && recs_profile_add(p, item, (float)-l->skips) < 0) ||
	    recs_profile_exclude(p, item) < 0)
		return -1;
	return 0;
}

static int add_track(void *ud, const char *id)
{
	struct fill *f = ud;
	int item = recs_item(f->m, id);

	if (item >= 0 && ((f->add && recs_profile_add(f->p, item, f->weight) < 0) ||
	                  recs_profile_exclude(f->p, item) < 0))
		return -1;
	return 0;
}

static int add_pick(void *ud, bool genre, const char *value)
{
	struct fill *f = ud;
	struct recs_profile *p = f->p;
	int x = genre ? recs_genre(f->m, value) : recs_artist(f->m, value);

	if (x < 0)
		return 0;
	if (genre && p->n_genres < RECS_PROFILE_TAGS)
		p->genres[p->n_genres++] = x;
	else if (!genre && p->n_artists < RECS_PROFILE_TAGS)
		p->artists[p->n_artists++] = x;
	return 0;
}

int recs_user_profile(const struct recs_ctx *c, struct recs_profile *p, bool all_heard)
{
	struct store *s = c->view->store;
	struct fill f = { c->m, p, 1.0f, true };

	memset(p, 0, sizeof *p);
	/* Completion of counted plays, less half a play per skip: as training counts them; then
	 * saved tracks, each as good as a listen and never a discovery. */
	if (store_recs_recent_listening(s, c->user->id, RECS_RECENT_PLAYS, add_listening, &f) < 0 ||
	    store_recs_saved_tracks(s, c->user->id, SAVED_TRACKS, add_track, &f) < 0)
		goto fail;
	f.add = false;
	if (all_heard && store_recs_heard_tracks(s, c->user->id, add_track, &f) < 0)
		goto fail;
	if (store_taste(s, c->user->id, add_pick, &f) < 0)
		goto fail;
	recs_profile_seal(p);
	return 0;
fail:
	recs_profile_free(p);
	return -1;
}

/* A track or artist the catalog has but the model does not (ingested since it was built):
 * its artist and genre still place it, through the tags the ranker matches. */
static int seed_unmodelled(const struct recs_ctx *c, struct recs_profile *p, bool track, const char *id)
{
	char artist[BASE62_ID_LEN + 1], genre[CATALOG_NAME_MAX];
	int rc = store_recs_placing(c->view->store, id, !track, artist, genre);

	if (rc < 0)
		return -1;
	if (rc > 0) {
		int a = recs_artist(c->m, artist), g = recs_genre(c->m, genre);

		if (a >= 0 && p->n_artists < RECS_PROFILE_TAGS)
			p->artists[p->n_artists++] = a;
		if (g >= 0 && p->n_genres < RECS_PROFILE_TAGS)
			p->genres[p->n_genres++] = g;
		return 0;
	}
	if (track)
		return 1;
	/* an artist with no tracks yet: nothing to place it by */
	rc = store_catalog_exists(c->view->store, CATALOG_ARTIST, id);
	return rc < 0 ? -1 : rc ? 0 : 1;
}

int recs_profile_seed(const struct recs_ctx *c, struct recs_profile *p, const char *uri, float weight)
{
	const struct recs_model *m = c->m;
	struct store *s = c->view->store;
	struct fill f = { m, p, weight, true };
	const char *id = uri;
	char kind[16] = "track";

	if (!strncmp(uri, "segue:", 6)) {
		const char *colon = strchr(uri + 6, ':');
		size_t len = colon ? (size_t)(colon - uri - 6) : 0;

		if (!colon || len >= sizeof kind)
			return 1;
		memcpy(kind, uri + 6, len);
		kind[len] = '\0';
		id = colon + 1;
	}
	if (!base62_is_id(id))
		return 1;
	if (!strcmp(kind, "track")) {
		int item = recs_item(m, id);

		if (item < 0)
			return seed_unmodelled(c, p, true, id);
		return recs_profile_add(p, item, 3 * weight) < 0 || recs_profile_exclude(p, item) < 0 ? -1 : 0;
	}
	if (!strcmp(kind, "artist")) {
		int a = recs_artist(m, id);

		if (a < 0)
			return seed_unmodelled(c, p, false, id);
		if (p->n_artists < RECS_PROFILE_TAGS)
			p->artists[p->n_artists++] = a;
		for (int64_t j = m->artist_ptr[a]; j < m->artist_ptr[a + 1] && j < m->artist_ptr[a] + SEED_ARTIST_TRACKS; j++)
			if (recs_profile_add(p, m->artist_items[j], weight) < 0)
				return -1;
		return 0;
	}
	if (!strcmp(kind, "album")) {
		int rc = store_catalog_exists(s, CATALOG_ALBUM, id);

		if (rc <= 0)
			return rc < 0 ? -1 : 1;
		return store_recs_album_tracks(s, id, SEED_LIST_TRACKS, add_track, &f) < 0 ? -1 : 0;
	}
	if (!strcmp(kind, "playlist")) {
		struct playlist pl;

		if (playlist_load(s, id, &pl) != 0 || playlist_access(s, &pl, c->user->id) == PL_NONE)
			return 1;
		return store_recs_playlist_tracks(s, id, SEED_LIST_TRACKS, add_track, &f) < 0 ? -1 : 0;
	}
	return 1;
}

bool recs_keep_market(void *ctx, int item)
{
	const struct recs_ctx *c = ctx;
	struct track_playback t;

	if (!c->m->restricted[item])
		return !c->market || catalog_available(c->view, NULL, c->market);
	/* Restricted: it names its markets, or it was withdrawn when the model was made. */
	return store_track_playback(c->view->store, c->m->item_id[item], &t) > 0 && t.available &&
	       (!c->market || catalog_available(c->view, t.has_markets ? t.markets : NULL, c->market));
}

json_t *recs_tracks_json(const struct recs_ctx *c, const int32_t *items, int n)
{
	json_t *a = json_array();

	for (int i = 0; i < n; i++) {
		json_t *t = catalog_track(c->view, c->m->item_id[items[i]], c->market);

		if (t)
			json_array_append_new(a, t);
	}
	return a;
}
