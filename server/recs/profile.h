/* Where the recommendation model meets a request: a user's profile read from the store
 * (recent plays, saved tracks, onboarding picks), profiles made of seeds (a track, artist,
 * album or playlist URI), the market filter, and the JSON of a ranked list. */
#ifndef SEGUE_RECS_STORE_H
#define SEGUE_RECS_STORE_H

#include <jansson.h>

#include "http/http.h"
#include "recs/rank.h"

#define RECS_RECENT_PLAYS 500

/* The user's taste: their latest plays aggregated per track (listening and skips), saved
 * tracks, and the genres and artists picked at onboarding. Recently played tracks and saved
 * ones are excluded; with all_heard, every track the user ever played is. -1 on error. */
int recs_user_profile(struct req *r, const struct recs_model *m, struct recs_profile *p, bool all_heard);

/* Adds a seed (segue:track|artist|album|playlist:ID or a bare track id) to a profile with
 * the given weight: a track counts as listened, an artist adds its best tracks and itself,
 * an album or playlist its tracks. Seeds are excluded from the results. A track or artist
 * newer than the model is placed by its artist and genre. 0; 1 when the seed names nothing
 * the user may see; -1 on a store or memory failure. r is not answered either way. */
int recs_profile_seed(struct req *r, const struct recs_model *m, struct recs_profile *p, const char *uri,
                      float weight);

/* A keep callback for recs_query: the track plays in ctx's market. */
struct recs_market {
	struct req *r;
	const struct recs_model *m;
	const char *market;
};
bool recs_keep_market(void *ctx, int item);

/* Full track objects for items, skipping any that vanished since the model was built. */
json_t *recs_tracks_json(struct req *r, const struct recs_model *m, const int32_t *items, int n,
                         const char *market);

/* Days since 1970, now. */
int recs_today(void);

#endif
