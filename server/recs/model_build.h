/* Building a model, private to its parts: model.c runs the build, model_catalog.c loads the
 * catalog, model_listening.c scans plays and playlists, model_cooccurrence.c mines neighbours,
 * model_ivf.c indexes the item factors. What they hand each other is declared here; callers use
 * recs/model.h. */
#ifndef SEGUE_RECS_MODEL_BUILD_H
#define SEGUE_RECS_MODEL_BUILD_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "recs/model.h"
#include "store/store.h"

/* A growable array of fixed-size elements. */
struct vec {
	void *p;
	size_t n, cap, size;
};

/* Track id -> item, for the scan of every play: open addressing over a power-of-two table. */
struct idmap {
	uint32_t mask;
	int32_t *slot;
};

/* The scan of plays and playlists: what it builds, for ALS and co-occurrence. */
struct scan {
	const struct recs_params *p;
	const struct recs_model *m;
	const int32_t *duration;
	struct vec ptr, col, conf;   /* the user x item matrix being built */
	struct vec seq;              /* sessions then playlists, -1 between them */
	struct vec held_user, held_row, held_ptr, held_item;
	long long plays, users;
};

/* Where a playlist's tracks sit in the sequence. */
struct list_range {
	char id[RECS_ID_LEN + 1];
	int64_t a, b;
};

/* model.c */
void *recs_vec_push(struct vec *v, size_t count);
void recs_give_back(void);

/* model_catalog.c */
int recs_load_catalog(struct store *s, struct recs_model *m, int32_t **duration, char *err, size_t errlen);
int recs_group_catalog(struct recs_model *m);
void recs_pop_from_rows(struct recs_model *m, const int32_t *col, const float *conf, size_t n);

/* model_listening.c */
int recs_idmap_build(struct idmap *im, const struct recs_model *m);
int recs_scan_plays(struct store *s, struct scan *sc, struct idmap *im, const atomic_bool *stop,
                    char *err, size_t errlen);
int recs_scan_playlists(struct store *s, struct scan *sc, struct idmap *im, int64_t *start,
                        struct vec *ranges);
int recs_scan_playlist_words(struct store *s, struct scan *sc, const struct vec *ranges);

/* model_cooccurrence.c */
int recs_build_neighbours(struct recs_model *m, struct scan *sc, int64_t playlists_at, int threads, int keep);

/* model_ivf.c */
int recs_build_ivf(struct recs_model *m, int threads);

#endif
