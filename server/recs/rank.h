/* The hybrid ranker: from a profile (a user's listening, their onboarding picks, or a radio's
 * seeds and feedback) to a list of items. Candidates come from the ALS index, co-occurrence
 * neighbours, the profile's genres and artists, and the catalog's popular tracks; each is
 * scored by a blend whose personal part grows with the listening behind the profile; then
 * the rules: nothing excluded, nothing the caller's filter refuses (market, feature bounds),
 * at most two tracks per artist in thirty, and on discovery surfaces no genre above half the
 * list while others are available. Pure: reads the model, allocates, never touches the store. */
#ifndef SEGUE_RECS_RANK_H
#define SEGUE_RECS_RANK_H

#include "recs/model.h"

#define RECS_PROFILE_TAGS 16

enum recs_surface {
	RECS_SEEDED,     /* /v1/recommendations */
	RECS_DISCOVER,   /* Discover Weekly: only what the profile has not heard */
	RECS_MIX,        /* Daily Mix: familiar tracks among new ones */
	RECS_RADIO,      /* a seed and the session's feedback */
};

struct recs_profile {
	/* Listening per item: net plays (completion-weighted, skips take half a play each) when
	 * positive; minus the number of skips for an item only ever skipped. */
	int n;
	int32_t *item;
	float *listen;
	int history;                       /* counted plays behind it: how far to trust it */
	int32_t genres[RECS_PROFILE_TAGS]; /* chosen at onboarding or given as seeds */
	int n_genres;
	int32_t artists[RECS_PROFILE_TAGS];
	int n_artists;
	int32_t *exclude;                  /* sorted */
	int n_exclude;
	float target[RECS_NFEAT];          /* target_* of /v1/recommendations */
	bool has_target[RECS_NFEAT];
};

struct recs_weights {
	float als, cooc, content, pop, fresh;
};

struct recs_query {
	enum recs_surface surface;
	int limit;
	struct recs_weights w;                 /* all zero: the surface's defaults */
	bool (*keep)(void *ctx, int item);     /* optional: market, feature bounds */
	void *ctx;
	int today;                             /* days since 1970, for freshness */
	bool exact_als;                        /* evaluation: score every item, not the index's */
	bool no_rules;                         /* evaluation: the bare signal, no caps */
};

/* Fills out[] (room for q->limit) and returns how many; -1 when out of memory. */
int recs_rank(const struct recs_model *m, const struct recs_profile *p, const struct recs_query *q,
              int32_t *out);

/* The default blend of a surface. */
struct recs_weights recs_default_weights(enum recs_surface s);

/* The profile's user vector folded into the model (false when there is no ALS part or no
 * listening the model knows). u has room for m->k. */
bool recs_fold_in(const struct recs_model *m, const struct recs_profile *p, float *u);

/* Adds an item's listening to a profile being built; -1 when out of memory. */
int recs_profile_add(struct recs_profile *p, int item, float listen);
/* Sorts the exclusions so recs_rank can search them. */
void recs_profile_seal(struct recs_profile *p);
int recs_profile_exclude(struct recs_profile *p, int item);
bool recs_profile_excludes(const struct recs_profile *p, int item);
void recs_profile_free(struct recs_profile *p);

#endif
