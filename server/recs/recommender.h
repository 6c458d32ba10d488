/* Keeps a recommendation model current: a worker thread with its own database connection
 * trains one at start, then every recs_interval seconds, when the catalog changes, and when an
 * administrator asks (`segue-server recs train`, which leaves a request in the store's meta
 * table that the worker looks for every few seconds). A finished model replaces the previous
 * one atomically; requests hold a reference to the model they started with, so an old model
 * lives until its last reader lets go. Until the first model exists, recommender_get returns
 * NULL and every surface falls back to the catalog (genre and popularity).
 *
 * Several instances over one PostgreSQL database train one at a time (the store's training
 * lock). With shared_dir (a folder every instance sees) the one that trains writes its model
 * there (recs/model_file.h) before it records the training, and the others, seeing a
 * training newer than their model, load that file instead of training; without it each
 * instance trains its own model, waiting for its turn. */
#ifndef SEGUE_RECOMMENDER_H
#define SEGUE_RECOMMENDER_H

#include <stdbool.h>

#include "buf.h"
#include "recs/model.h"
#include "settings.h"
#include "worker.h"

struct recommender {
	struct worker w;              /* one thread; its stop flag is polled by training */
	char database[1024]; /* what store_open opens */
	char model_path[1100]; /* SHARED_DIR/recs.model, or "" */
	bool shared;          /* the worker's: several instances may share the database */
	struct recs_params params;
	long interval;
	struct recs_model *current;   /* under lock */
	long long trainings, failures; /* under lock: models installed, trainings failed */
	bool training;                 /* under lock: a model is being built */
	char last_error[256];          /* under lock */
};

int recommender_start(struct recommender *rc, const struct settings *cfg);
/* The newest model with a reference the caller drops with recs_model_unref, or NULL. */
struct recs_model *recommender_get(struct recommender *rc);
void recommender_stop(struct recommender *rc);
/* The trainer's state in Prometheus' text format (GET /metrics): whether it is training, how
 * many models it made or failed to, and when the one served was built. */
void recommender_metrics(struct recommender *rc, struct buf *out);

#endif
