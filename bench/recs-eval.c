/* Offline evaluation of the recommenders on a server's database: each user's latest counted
 * plays are held out, the model is built from the rest (recs_model_build with holdout), and
 * four recommenders produce 30 tracks per user, none of them already heard in training:
 *   popularity   the most listened tracks in training
 *   co-occurrence  neighbours mined from sessions and playlists only
 *   ALS          the user's folded-in vector against every item factor (exact)
 *   hybrid       the server's ranker as it serves Discover Weekly: every signal, the index,
 *                and the rules (two per artist, genre variety)
 *   hybrid-norules  the same without the rules, to show what they cost in recall
 * For each: recall@30, NDCG@30, catalog coverage, distinct artists and genres per list; for
 * the hybrid also its time per call. Also prints the build's time and peak memory.
 *
 * With --train-only, builds the model from every play as the server does and prints the time,
 * the peak memory and its ratio to the factor matrices, and nothing else.
 *
 *   usage: recs-eval [--holdout N] [--users N] [--factors K] [--iterations N] [--threads N]
 *                    [--reg X] [--alpha X] [--train-only] DATA_DIR */
#include "config.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "recs/pfor.h"
#include "recs/model.h"
#include "recs/rank.h"
#include "store/store.h"

#define LIST 30

enum { M_POP, M_COOC, M_ALS, M_HYBRID, M_BARE, NMETHODS };
static const char *const names[NMETHODS] = { "popularity", "co-occurrence", "ALS", "hybrid", "hybrid-norules" };

struct tally {
	double recall, ndcg, artists, genres;
	long lists;
	uint8_t *seen;   /* items recommended to anyone */
	double *ms;
	long timed;
};

static double mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void score_list(const struct recs_model *m, struct tally *t, const int32_t *list, int n,
                       const int32_t *held, int nheld)
{
	double dcg = 0, idcg = 0;
	int hits = 0, artists = 0, genres = 0;

	for (int i = 0; i < n; i++) {
		bool hit = false, new_artist = true, new_genre = true;

		for (int j = 0; j < nheld && !hit; j++)
			hit = held[j] == list[i];
		if (hit) {
			hits++;
			dcg += 1.0 / log2(i + 2.0);
		}
		for (int j = 0; j < i; j++) {
			new_artist &= m->artist[list[j]] != m->artist[list[i]];
			new_genre &= m->genre[list[j]] != m->genre[list[i]];
		}
		artists += new_artist;
		genres += new_genre;
		t->seen[list[i]] = 1;
	}
	for (int i = 0; i < (nheld < LIST ? nheld : LIST); i++)
		idcg += 1.0 / log2(i + 2.0);
	t->recall += (double)hits / (nheld < LIST ? nheld : LIST);
	t->ndcg += idcg > 0 ? dcg / idcg : 0;
	t->artists += artists;
	t->genres += genres;
	t->lists++;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "holdout", required_argument, NULL, 'h' }, { "users", required_argument, NULL, 'u' },
		{ "factors", required_argument, NULL, 'k' }, { "iterations", required_argument, NULL, 'i' },
		{ "threads", required_argument, NULL, 't' }, { "reg", required_argument, NULL, 'r' },
		{ "alpha", required_argument, NULL, 'a' }, { "train-only", no_argument, NULL, 'T' },
		{ NULL, 0, NULL, 0 },
	};
	struct recs_params p;
	struct recs_heldout held;
	struct recs_model *m;
	struct store s;
	struct tally t[NMETHODS] = { 0 };
	char err[512];
	int max_users = 2000, c, evaluated = 0, step;
	bool train_only = false;
	int32_t list[LIST];
	struct rusage ru;

	recs_params_default(&p);
	p.holdout = 10;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'h': p.holdout = atoi(optarg); break;
		case 'u': max_users = atoi(optarg); break;
		case 'k': p.factors = atoi(optarg); break;
		case 'i': p.iterations = atoi(optarg); break;
		case 't': p.threads = atoi(optarg); break;
		case 'r': p.reg = (float)atof(optarg); break;
		case 'a': p.alpha = (float)atof(optarg); break;
		case 'T': train_only = true; break;
		default: return 2;
		}
	}
	if (optind != argc - 1 || p.holdout < 1 || max_users < 1) {
		fprintf(stderr, "usage: recs-eval [--holdout N] [--users N] [--factors K] [--iterations N]"
		                " [--threads N] [--reg X] [--alpha X] DATA_DIR\n");
		return 2;
	}
	if (store_open(&s, argv[optind], err, sizeof err) < 0) {
		fprintf(stderr, "recs-eval: %s\n", err);
		return 1;
	}
	if (train_only) {
		double factors_mib;

		p.holdout = 0;
		if (!(m = recs_model_build(&s, &p, NULL, NULL, err, sizeof err))) {
			fprintf(stderr, "recs-eval: %s\n", err);
			return 1;
		}
		getrusage(RUSAGE_SELF, &ru);
		/* what ALS must hold at once: both factor matrices */
		factors_mib = (double)(m->n_items + m->users) * m->k * sizeof(float) / 1048576.0;
		printf("train: %d tracks x %lld users x %lld plays (%lld user-track pairs), k=%d, %d iterations, %d threads\n",
		       m->n_items, m->users, m->plays, m->interactions, m->k, p.iterations,
		       p.threads > 0 ? p.threads : pfor_cpus());
		printf("train: %.1f s in all (ALS and its index %.1f s); peak RSS %.0f MiB = %.2fx the factor matrices (%.0f MiB)\n",
		       m->seconds, m->als_seconds, ru.ru_maxrss / 1024.0, factors_mib > 0 ? ru.ru_maxrss / 1024.0 / factors_mib : 0,
		       factors_mib);
		/* What the biggest phase holds, by part (sqlite's own cache aside). The sessions and the
		 * co-occurrence neighbours are not among them: the sessions wait on disk during ALS,
		 * and the neighbours are mined after it, with the item factors on disk. */
		printf("train: held during ALS: item factors %.0f MiB, user factors %.0f MiB, plays both ways %.0f MiB,"
		       " catalog %.0f MiB; then mining: co-occurrence neighbours %.0f MiB\n",
		       (double)m->n_items * m->k * 4 / 1048576.0, (double)m->users * m->k * 4 / 1048576.0,
		       (double)m->interactions * 16 / 1048576.0,
		       (double)m->n_items * (RECS_ID_LEN + 1 + 4 * 4 + RECS_NFEAT * 4 + 1 + 8) / 1048576.0,
		       (double)m->nb_ptr[m->n_items] * 8 / 1048576.0);
		recs_model_unref(m);
		store_close(&s);
		return 0;
	}
	if (!(m = recs_model_build(&s, &p, &held, NULL, err, sizeof err))) {
		fprintf(stderr, "recs-eval: %s\n", err);
		return 1;
	}
	getrusage(RUSAGE_SELF, &ru);
	printf("model: %d items, %lld users, %lld plays, %lld user-item pairs; k=%d, %d iterations, reg %.3g, alpha %.3g\n",
	       m->n_items, m->users, m->plays, m->interactions, m->k, p.iterations, p.reg, p.alpha);
	printf("build: %.1f s (ALS and its index %.1f s), peak RSS %.0f MiB\n", m->seconds, m->als_seconds,
	       ru.ru_maxrss / 1024.0);
	for (int k = 0; k < NMETHODS; k++) {
		t[k].seen = calloc((size_t)m->n_items + 1, 1);
		t[k].ms = malloc(((size_t)max_users + 1) * sizeof *t[k].ms);
		if (!t[k].seen || !t[k].ms)
			return 1;
	}
	/* The training popularity ranking, for the baseline. */
	step = held.users > max_users ? held.users / max_users : 1;
	for (int h = 0; h < held.users && evaluated < max_users; h += step) {
		const int32_t *hi = held.item + held.ptr[h];
		int nheld = (int)(held.ptr[h + 1] - held.ptr[h]), row = held.row[h];
		struct recs_profile prof = { 0 };
		int64_t a = held.train.ptr[row], b = held.train.ptr[row + 1];

		if (nheld == 0)
			continue;
		for (int64_t j = a; j < b; j++) {
			float conf = held.train.conf[j];
			/* back from the training confidence to the listening it came from */
			float listen = conf > 0 ? expm1f((conf - 1) / m->alpha) : -(-conf - 1) / m->skip_weight;

			recs_profile_add(&prof, held.train.col[j], listen);
			recs_profile_exclude(&prof, held.train.col[j]);
			prof.history += conf > 0;
		}
		recs_profile_seal(&prof);
		{
			int n = 0;

			for (int j = 0; j < m->n_popular && n < LIST; j++)
				if (!recs_profile_excludes(&prof, m->popular[j]))
					list[n++] = m->popular[j];
			score_list(m, &t[M_POP], list, n, hi, nheld);
		}
		for (int k = M_COOC; k < NMETHODS; k++) {
			struct recs_query q = { .surface = RECS_DISCOVER, .limit = LIST };
			double t0;
			int n;

			if (k == M_COOC)
				q.w = (struct recs_weights){ .cooc = 1 }, q.no_rules = true;
			else if (k == M_ALS)
				q.w = (struct recs_weights){ .als = 1 }, q.no_rules = true, q.exact_als = true;
			else if (k == M_BARE)
				q.no_rules = true;
			t0 = mono_ms();
			n = recs_rank(m, &prof, &q, list);
			t[k].ms[t[k].timed++] = mono_ms() - t0;
			if (n < 0) {
				fprintf(stderr, "recs-eval: out of memory ranking\n");
				return 1;
			}
			score_list(m, &t[k], list, n, hi, nheld);
		}
		recs_profile_free(&prof);
		evaluated++;
	}
	printf("evaluated %d of %d users with held-out plays (%d latest counted plays each)\n\n",
	       evaluated, held.users, p.holdout);
	printf("%-15s %10s %8s %9s %10s %9s %12s\n", "recommender", "recall@30", "NDCG@30", "coverage",
	       "artists/30", "genres/30", "p50/p99 ms");
	for (int k = 0; k < NMETHODS; k++) {
		long covered = 0;
		char lat[32] = "-";

		for (int i = 0; i < m->n_items; i++)
			covered += t[k].seen[i];
		if (k != M_POP && t[k].timed) {
			qsort(t[k].ms, (size_t)t[k].timed, sizeof *t[k].ms, cmp_double);
			snprintf(lat, sizeof lat, "%.2f/%.2f", t[k].ms[t[k].timed / 2], t[k].ms[(t[k].timed * 99) / 100]);
		}
		printf("%-15s %10.4f %8.4f %8.2f%% %10.1f %9.1f %12s\n", names[k], t[k].recall / (double)(t[k].lists ? t[k].lists : 1),
		       t[k].ndcg / (double)(t[k].lists ? t[k].lists : 1), 100.0 * (double)covered / m->n_items,
		       t[k].artists / (double)(t[k].lists ? t[k].lists : 1), t[k].genres / (double)(t[k].lists ? t[k].lists : 1), lat);
	}
	{
		double pop = t[M_POP].recall, hyb = t[M_HYBRID].recall, als = t[M_ALS].recall, co = t[M_COOC].recall;

		printf("\nhybrid / popularity recall@30: %.2fx (goal >= 2x); ALS / co-occurrence: %.2fx (goal >= 1x)\n",
		       pop > 0 ? hyb / pop : 0, co > 0 ? als / co : 0);
	}
	for (int k = 0; k < NMETHODS; k++) {
		free(t[k].seen);
		free(t[k].ms);
	}
	recs_heldout_free(&held);
	recs_model_unref(m);
	store_close(&s);
	return 0;
}
