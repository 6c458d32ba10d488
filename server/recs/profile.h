/* Where the recommendation model meets the store: a user's profile (recent plays, saved
 * tracks, onboarding picks), profiles made of seeds (a track, artist, album or playlist URI),
 * the market filter, and the JSON of a ranked list. What it all depends on besides the model
 * -- the catalog as the caller sees it, the listener, the market, the time -- comes in a
 * recs_ctx, so this module knows nothing of requests. */
#ifndef SEGUE_RECS_PROFILE_H
#define SEGUE_RECS_PROFILE_H

#include <jansson.h>

#include "types/user.h"
#include "catalog/catalog.h"
#include "recs/rank.h"

#define RECS_RECENT_PLAYS 500

/* What a surface is computed for. Everything is borrowed for the calls that take it. */
struct recs_ctx {
	const struct catalog_view *view; /* the store, links, the server's markets */
	const struct recs_model *m;
	const struct user *user;         /* whose taste; who may read a playlist seed */
	const char *market;              /* where tracks must play; NULL: anywhere */
	long long now;                   /* ms since 1970 (store_now_ms): the day, the week */
};

/* The user's taste: their latest plays aggregated per track (listening and skips), saved
 * tracks, and the genres and artists picked at onboarding. Recently played tracks and saved
 * ones are excluded; with all_heard, every track the user ever played is. -1 on error. */
int recs_user_profile(const struct recs_ctx *c, struct recs_profile *p, bool all_heard);

/* Adds a seed (segue:track|artist|album|playlist:ID or a bare track id) to a profile with
 * the given weight: a track counts as listened, an artist adds its best tracks and itself,
 * an album or playlist its tracks. Seeds are excluded from the results. A track or artist
 * newer than the model is placed by its artist and genre. 0; 1 when the seed names nothing
 * c->user may see; -1 on a store or memory failure. */
int recs_profile_seed(const struct recs_ctx *c, struct recs_profile *p, const char *uri, float weight);

/* A keep callback for recs_query, its ctx a struct recs_ctx: the track plays in c->market. */
bool recs_keep_market(void *ctx, int item);

/* Full track objects for items in c->market, skipping any that vanished since the model was
 * built. */
json_t *recs_tracks_json(const struct recs_ctx *c, const int32_t *items, int n);

/* Days since 1970 at c->now. */
int recs_today(const struct recs_ctx *c);

#endif
