/* The recommendation model: everything the ranker reads, built in one pass from the store
 * and never changed afterwards, so the service loop reads it without locks while a worker
 * builds the next one. It holds
 *   - the catalog's tracks as dense item numbers, with artist, genre, popularity, release
 *     day and normalised audio features (the content signal, which covers unplayed tracks);
 *   - item factors from implicit ALS over every user's plays (server/recs/als.h), their Gram matrix for
 *     folding a user in at request time, and an inverted-file index over them so a user's
 *     best items are found without scoring the whole catalog;
 *   - item neighbours mined from listening sessions and playlists (tracks that follow each
 *     other or share a playlist).
 * A model without plays still has the catalog part: surfaces then rank by content and
 * popularity alone. */
#ifndef SEGUE_RECS_MODEL_H
#define SEGUE_RECS_MODEL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "recs/als.h"
#include "store/store.h"

#define RECS_ID_LEN 22
#define RECS_NFEAT 6     /* tempo, energy, danceability, acousticness, brightness, loudness */
#define RECS_MAX_K 256

struct recs_params {
	int factors, iterations, cg_steps, threads;
	float reg;
	float alpha;          /* confidence per unit of log(1 + listening) */
	float skip_weight;    /* confidence of a track only skipped, per skip */
	int neighbours;       /* co-occurrence neighbours kept per item */
	int holdout;          /* evaluation only: hold out each user's latest N counted plays */
	long long now_ms;     /* evaluation: the clock; 0 = now */
	bool catalog_only;    /* no listening: the quick first model a server starts with */
};

void recs_params_default(struct recs_params *p);

/* The evaluation split: per user whose latest plays were held out, the items they went on to
 * play that training never saw, and the row of the training matrix they kept. */
struct recs_heldout {
	int users;
	char (*user)[64];
	int32_t *row;          /* row of train */
	int64_t *ptr;          /* users + 1 offsets into item */
	int32_t *item;
	struct als_matrix train;
};

struct recs_model {
	atomic_int refs;
	/* items, sorted by id */
	int n_items;
	char (*item_id)[RECS_ID_LEN + 1];
	int32_t *artist, *genre, *released;   /* released: days since 1970, 0 when unknown */
	float *pop;                           /* 0..1 */
	float (*feat)[RECS_NFEAT];            /* each in about [0, 1] */
	uint8_t *restricted;                  /* 1: the track names its markets, or is withdrawn */
	int n_artists;
	char (*artist_id)[RECS_ID_LEN + 1];
	int64_t *artist_ptr;                  /* per artist, its items by popularity */
	int32_t *artist_items;
	int n_genres;
	char (*genre_name)[48];
	int64_t *genre_ptr;                   /* per genre, its most popular items */
	int32_t *genre_items;
	int32_t *popular;                     /* the catalog's most popular items */
	int n_popular;
	/* collaborative filtering; k == 0 when nobody has listened yet */
	int k;
	float reg, alpha, skip_weight;
	/* Item factors, one row per played item in the inverted file's order (so a list is
	 * scanned sequentially), then one zero row that every unplayed item shares: see recs_vec. */
	float *V;
	int32_t *row;                         /* per item, its row of V */
	int32_t zero_row;
	float *G;                             /* V^T V */
	int nlist;                            /* inverted file over the played items */
	float *centroid;
	int64_t *list_ptr;                    /* list l is rows list_ptr[l] .. list_ptr[l + 1] - 1 */
	int32_t *list_items;                  /* the item of each of those rows */
	/* co-occurrence neighbours, best first */
	int64_t *nb_ptr;
	int32_t *nb_item;
	float *nb_sim;
	bool catalog_only;                    /* built without listening (recs_params) */
	/* what it was built from */
	long long built_at_ms, plays, users, interactions;
	double seconds, als_seconds;
};

/* Builds a model from the store (a connection of the calling thread). *stop ends it early.
 * With p->holdout, each user's latest counted plays are left out and returned in *held (the
 * evaluation split), and popularity is counted from the training plays rather than read from
 * the catalog, which knows the held-out plays too; pass NULL otherwise. NULL on failure,
 * with err. */
struct recs_model *recs_model_build(struct store *s, const struct recs_params *p, struct recs_heldout *held,
                                    const atomic_bool *stop, char *err, size_t errlen);
void recs_heldout_free(struct recs_heldout *h);

struct recs_model *recs_model_ref(struct recs_model *m);
void recs_model_unref(struct recs_model *m);

/* An item's factors (k of them; zeros for an item nobody played). Only when m->k > 0. */
static inline const float *recs_vec(const struct recs_model *m, int item)
{
	return m->V + (size_t)m->row[item] * (size_t)m->k;
}

/* The item number of a track id, or -1. */
int recs_item(const struct recs_model *m, const char *id);
int recs_artist(const struct recs_model *m, const char *id);
int recs_genre(const struct recs_model *m, const char *name);   /* case-insensitive */

/* The feature vector of a row of the tracks table, normalised as the model keeps it. */
void recs_features(double tempo, double energy, double danceability, double acousticness,
                   double brightness, double loudness, float out[RECS_NFEAT]);

#endif
