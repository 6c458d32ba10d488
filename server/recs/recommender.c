#include "config.h"
#include "recs/recommender.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "store/recs.h"

#define POLL_SECONDS 2
/* An ingest adds its tracks one at a time: retrain for new tracks at most this often. */
#define CATALOG_DEBOUNCE_S 600

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void train(struct recommender *rc, struct store *s, bool catalog_only)
{
	char err[256];
	struct recs_model *m, *old;
	struct recs_params p = rc->params;

	p.catalog_only = catalog_only;
	log_info(catalog_only ? "recommendations: loading the catalog" : "recommendations: training");
	m = recs_model_build(s, &p, NULL, &rc->w.stop, err, sizeof err);
	if (!m) {
		if (rc->w.stop)
			return;
		log_err("recommendations: training failed, keeping the previous model: %s", err);
		pthread_mutex_lock(&rc->w.lock);
		snprintf(rc->last_error, sizeof rc->last_error, "%s", err);
		rc->failures++;
		pthread_mutex_unlock(&rc->w.lock);
		store_recs_failed(s, store_now_ms());
		return;
	}
	log_info("recommendations: %d tracks, %lld listeners, %lld plays, %lld pairs; k=%d;"
	         " %.2f s (ALS %.2f s)", m->n_items, m->users, m->plays, m->interactions, m->k,
	         m->seconds, m->als_seconds);
	pthread_mutex_lock(&rc->w.lock);
	old = rc->current;
	rc->current = m;
	rc->trainings++;
	rc->last_error[0] = '\0';
	pthread_mutex_unlock(&rc->w.lock);
	recs_model_unref(old);
	if (catalog_only)
		return;
	store_recs_trained(s, m->built_at_ms, (long long)(m->seconds * 1000));
}

static void *worker(void *arg)
{
	struct recommender *rc = arg;
	struct store s;
	char err[512];
	long long handled = -1, catalog = -1;
	double due = 0, last = -CATALOG_DEBOUNCE_S;

	if (store_open(&s, rc->database, err, sizeof err) < 0) {
		log_err("recommendations: %s", err);
		return NULL;
	}
	pthread_mutex_lock(&rc->w.lock);
	while (!rc->w.stop) {
		struct recs_training t;
		long long requested, version;

		pthread_mutex_unlock(&rc->w.lock);
		/* A failed read is no request. */
		requested = store_recs_training(&s, &t) < 0 ? handled : t.requested;
		version = store_tracks_version(&s);
		if (handled < 0)
			handled = requested;   /* a request older than this start is served by it */
		if (mono_s() >= due || requested != handled ||
		    (version != catalog && mono_s() >= last + CATALOG_DEBOUNCE_S)) {
			handled = requested;
			catalog = version;
			last = mono_s();
			/* Training on millions of plays takes minutes: serve from the catalog meanwhile. */
			if (!rc->current)
				train(rc, &s, true);
			train(rc, &s, false);
			due = mono_s() + (double)rc->interval;
		}
		pthread_mutex_lock(&rc->w.lock);
		worker_wait(&rc->w, POLL_SECONDS * 1000L);
	}
	pthread_mutex_unlock(&rc->w.lock);
	store_close(&s);
	return NULL;
}

int recommender_start(struct recommender *rc, const struct settings *cfg)
{
	memset(rc, 0, sizeof *rc);
	recs_params_default(&rc->params);
	rc->params.factors = (int)cfg->recs_factors;
	rc->params.iterations = (int)cfg->recs_iterations;
	rc->params.reg = (float)cfg->recs_regularization;
	rc->params.alpha = (float)cfg->recs_alpha;
	rc->params.skip_weight = (float)cfg->recs_skip_weight;
	rc->params.threads = (int)cfg->recs_threads;
	rc->interval = cfg->recs_interval;
	snprintf(rc->database, sizeof rc->database, "%s", settings_database(cfg));
	return worker_start(&rc->w, 1, worker, rc);
}

struct recs_model *recommender_get(struct recommender *rc)
{
	struct recs_model *m;

	pthread_mutex_lock(&rc->w.lock);
	m = recs_model_ref(rc->current);
	pthread_mutex_unlock(&rc->w.lock);
	return m;
}

void recommender_stop(struct recommender *rc)
{
	if (!rc->w.ready)
		return;
	worker_stop(&rc->w);
	recs_model_unref(rc->current);
	rc->current = NULL;
}
