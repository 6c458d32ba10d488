#include "config.h"
#include "recs/recommender.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "recs/model_file.h"
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

static void install(struct recommender *rc, struct recs_model *m)
{
	struct recs_model *old;

	pthread_mutex_lock(&rc->w.lock);
	old = rc->current;
	rc->current = m;
	rc->trainings++;
	rc->last_error[0] = '\0';
	pthread_mutex_unlock(&rc->w.lock);
	recs_model_unref(old);
}

static void train(struct recommender *rc, struct store *s, bool catalog_only)
{
	char err[256];
	struct recs_model *m;
	struct recs_params p = rc->params;
	long long built, took;

	p.catalog_only = catalog_only;
	log_info(catalog_only ? "recommendations: loading the catalog" : "recommendations: training");
	pthread_mutex_lock(&rc->w.lock);
	rc->training = true;
	pthread_mutex_unlock(&rc->w.lock);
	m = recs_model_build(s, &p, NULL, &rc->w.stop, err, sizeof err);
	pthread_mutex_lock(&rc->w.lock);
	rc->training = false;
	pthread_mutex_unlock(&rc->w.lock);
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
	if (!catalog_only && rc->shared && recs_model_save(m, rc->model_path, err, sizeof err) < 0)
		log_err("recommendations: the other instances cannot have this model: %s", err);
	built = m->built_at_ms;
	took = (long long)(m->seconds * 1000);
	install(rc, m);
	if (catalog_only)
		return;
	/* Recorded after the file is in place: the other instances load it when they see this. */
	store_recs_trained(s, built, took);
}

/* Why a training is due, for an instance that shares the model: another instance may have
 * trained since, and then its model is what this one needs. */
struct due_for {
	bool request, schedule, catalog;
	long long requested, catalog_since;
};

static bool answered(const struct recommender *rc, const struct due_for *d, long long trained_at)
{
	return trained_at > 0 && (!d->request || trained_at >= d->requested) &&
	       (!d->schedule || store_now_ms() - trained_at < rc->interval * 1000LL) &&
	       (!d->catalog || trained_at >= d->catalog_since);
}

/* Several instances over PostgreSQL train one at a time. Returns false when another holds
 * the lock: with a shared folder this instance then loads that one's model (follow); without
 * one it tries again at its next look, so that it trains in its turn. Under the lock, a
 * sharing instance trains only if no other has trained for the same reason meanwhile. */
static bool train_locked(struct recommender *rc, struct store *s, const struct due_for *d)
{
	struct recs_training t;
	int lock = store_recs_train_lock(s);

	if (lock == 0) {
		log_info(rc->shared ? "recommendations: another instance is training; its model will be loaded"
		                    : "recommendations: another instance is training; this one waits its turn");
		return false;
	}
	if (rc->shared && store_recs_training(s, &t) == 0 && answered(rc, d, t.trained_at))
		log_info("recommendations: another instance has trained since; its model will be loaded");
	else
		train(rc, s, false);
	if (lock > 0)
		store_recs_train_unlock(s);
	return true;
}

/* The model another instance trained, once the store says it is newer than this one's. */
static void follow(struct recommender *rc, long long trained_at, long long *seen)
{
	struct recs_model *m;
	char err[512];
	long long have;

	pthread_mutex_lock(&rc->w.lock);
	have = rc->current && !rc->current->catalog_only ? rc->current->built_at_ms : 0;
	pthread_mutex_unlock(&rc->w.lock);
	if (trained_at <= have || trained_at == *seen)
		return;
	*seen = trained_at;   /* one try per training: a bad file is logged once */
	if (!(m = recs_model_load(rc->model_path, err, sizeof err))) {
		log_err("recommendations: cannot load the model another instance trained: %s", err);
		return;
	}
	/* The file is the training the store records, or a stale one (a training whose file
	 * could not be written, another deployment's folder): only the one recorded is used. */
	if (m->built_at_ms != trained_at) {
		log_err("recommendations: %s holds the model trained at %lld, not the one recorded"
		        " (%lld): keeping this instance's", rc->model_path, m->built_at_ms, trained_at);
		recs_model_unref(m);
		return;
	}
	log_info("recommendations: loaded the model trained at %lld by another instance (%d tracks,"
	         " k=%d)", m->built_at_ms, m->n_items, m->k);
	install(rc, m);
}

static void *worker(void *arg)
{
	struct recommender *rc = arg;
	struct store s;
	char err[512];
	long long handled = -1, catalog = -1, seen = 0, catalog_since = 0;
	double due = 0, last = -CATALOG_DEBOUNCE_S;
	bool postgres;

	if (store_open(&s, rc->database, err, sizeof err) < 0) {
		log_err("recommendations: %s", err);
		return NULL;
	}
	postgres = store_is_postgres(&s);
	rc->shared = postgres && rc->model_path[0];
	/* An instance that starts beside others serves their newest model rather than train at
	 * once; its turn to train comes when that model is recs_interval old. */
	if (rc->shared) {
		struct recs_training t;

		if (store_recs_training(&s, &t) == 0 && t.trained_at > 0) {
			follow(rc, t.trained_at, &seen);
			if (rc->current) {
				double age = (double)(store_now_ms() - rc->current->built_at_ms) / 1000;

				due = mono_s() + (age < (double)rc->interval ? (double)rc->interval - age : 0);
				/* That model saw the catalog; a change after it retrains where it was trained. */
				catalog = store_tracks_version(&s);
				last = mono_s();
			}
		}
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
		if (version == catalog)
			catalog_since = 0;
		else if (!catalog_since)
			catalog_since = store_now_ms();
		if (mono_s() >= due || requested != handled ||
		    (version != catalog && mono_s() >= last + CATALOG_DEBOUNCE_S)) {
			struct due_for d = { requested != handled, mono_s() >= due, version != catalog,
			                     requested, catalog_since };
			double started = mono_s();

			/* Training on millions of plays takes minutes: serve from the catalog meanwhile. */
			if (!rc->current)
				train(rc, &s, true);
			if (!postgres)
				train(rc, &s, false);
			else if (!train_locked(rc, &s, &d) && !rc->shared)
				goto wait;   /* its turn comes when the other has done */
			handled = requested;
			catalog = version;
			last = started;
			due = mono_s() + (double)rc->interval;
		}
		if (rc->shared && store_recs_training(&s, &t) == 0)
			follow(rc, t.trained_at, &seen);
wait:
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
	/* In the folder every instance sees, if there is one (PostgreSQL only). */
	if (cfg->shared_dir[0] &&
	    (size_t)snprintf(rc->model_path, sizeof rc->model_path, "%s/recs.model",
	                     cfg->shared_dir) >= sizeof rc->model_path) {
		log_err("recommendations: shared_dir is too long");
		return -1;
	}
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

void recommender_metrics(struct recommender *rc, struct buf *out)
{
	long long trainings, failures, built = 0;
	bool training;

	if (!rc->w.ready)
		return;
	pthread_mutex_lock(&rc->w.lock);
	trainings = rc->trainings;
	failures = rc->failures;
	training = rc->training;
	if (rc->current)
		built = rc->current->built_at_ms;
	pthread_mutex_unlock(&rc->w.lock);
	buf_printf(out, "# HELP segue_recs_training Whether a recommendation model is being built.\n"
	                "# TYPE segue_recs_training gauge\n"
	                "segue_recs_training %d\n"
	                "# HELP segue_recs_models_total Recommendation models installed (from the catalog"
	                " alone at start, trained, or loaded from another instance).\n"
	                "# TYPE segue_recs_models_total counter\n"
	                "segue_recs_models_total %lld\n"
	                "# HELP segue_recs_training_failures_total Trainings that failed (the previous"
	                " model is kept).\n"
	                "# TYPE segue_recs_training_failures_total counter\n"
	                "segue_recs_training_failures_total %lld\n",
	           training ? 1 : 0, trainings, failures);
	if (built)
		buf_printf(out, "# HELP segue_recs_model_built_seconds When the model served was built"
		                " (Unix time).\n"
		                "# TYPE segue_recs_model_built_seconds gauge\n"
		                "segue_recs_model_built_seconds %.3f\n", (double)built / 1000);
}

void recommender_stop(struct recommender *rc)
{
	if (!rc->w.ready)
		return;
	worker_stop(&rc->w);
	recs_model_unref(rc->current);
	rc->current = NULL;
}
