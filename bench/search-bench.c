/* The search function alone: builds the index of a catalog once (time and memory), then runs
 * every query of a file through search_run and prints p50/p99/max per class, for tracks only
 * and for tracks, artists and albums together. Built and run by bench/search.sh:
 *
 *   search-bench [--seconds S] [--raw FILE] [--delta N] DATA_DIR QUERIES
 *
 * QUERIES: one query a line, CLASS <TAB> QUERY (bench/search-queries.py). Classes whose name
 * begins with "prefix" count as typeahead, the others as full search. --raw writes one line a
 * timed query: TYPESET <TAB> CLASS <TAB> MS <TAB> HITS <TAB> ERROR(0/1), then the same with each
 * query's best of three runs under "TYPESET best of 3". Each type set runs the whole file once
 * untimed (warm-up), once measured and twice more for the best times; every pass stops after S
 * seconds.
 *
 * --delta N then changes the catalog in DATA_DIR (so give it a copy): N/2 new tracks (each an
 * existing title with a new word) and N/2 existing tracks with a new popularity. It times the
 * delta that takes them in (search_build_delta), and runs the queries again over the base and
 * the delta together, as the server does until its next full build. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "search/search.h"
#include <sqlite3.h>

#include "store/store_db.h" /* the delta pass changes the catalog with SQL of its own */

#define MAX_CLASSES 32
#define PASSES 4 /* a warm-up, the measurement, two more for each query's best time */

struct query {
	int cls;
	char *text;
};

struct sample {
	double ms;
	int cls, hits, err, query;
};

static char classes[MAX_CLASSES][32];
static int nclasses;

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static long status_kb(const char *field)
{
	char line[256];
	size_t n = strlen(field);
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof line, f))
		if (!strncmp(line, field, n) && line[n] == ':') {
			kb = strtol(line + n + 1, NULL, 10);
			break;
		}
	fclose(f);
	return kb;
}

static int class_of(const char *name)
{
	for (int i = 0; i < nclasses; i++)
		if (!strcmp(classes[i], name))
			return i;
	if (nclasses == MAX_CLASSES)
		return -1;
	snprintf(classes[nclasses], sizeof classes[0], "%s", name);
	return nclasses++;
}

static struct query *read_queries(const char *path, int *n)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	struct query *q = NULL;
	int nq = 0, alloc = 0;

	if (!f) {
		perror(path);
		exit(1);
	}
	while ((len = getline(&line, &cap, f)) > 0) {
		char *tab, *end;
		int cls;

		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = 0;
		if (!(tab = strchr(line, '\t')))
			continue;
		*tab = 0;
		if ((end = strchr(tab + 1, '\t')))
			*end = 0;
		if ((cls = class_of(line)) < 0)
			continue;
		if (nq == alloc) {
			alloc = alloc ? alloc * 2 : 1024;
			if (!(q = realloc(q, alloc * sizeof *q)))
				abort();
		}
		q[nq].cls = cls;
		if (!(q[nq].text = strdup(tab + 1)))
			abort();
		nq++;
	}
	free(line);
	fclose(f);
	*n = nq;
	return q;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Nearest rank: the smallest value with at least p of the samples at or below it. */
static double pct(const double *sorted, int n, double p)
{
	int i = (int)ceil(p * n) - 1;

	if (n == 0)
		return NAN;
	return sorted[i < 0 ? 0 : i >= n ? n - 1 : i];
}

/* group: -1 all, -2 typeahead, -3 full search, else one class. */
static void report_row(const char *label, const struct sample *s, int n, int group)
{
	double *v = malloc((n ? n : 1) * sizeof *v), sum = 0;
	int m = 0, empty = 0, errs = 0;

	if (!v)
		abort();
	for (int i = 0; i < n; i++) {
		bool typeahead = !strncmp(classes[s[i].cls], "prefix", 6);

		if (group == -2 ? !typeahead : group == -3 ? typeahead : group >= 0 && s[i].cls != group)
			continue;
		v[m++] = s[i].ms;
		sum += s[i].ms;
		empty += !s[i].err && s[i].hits == 0;
		errs += s[i].err;
	}
	qsort(v, m, sizeof *v, cmp_double);
	if (m)
		printf("  %-14s %5d %9.3f %9.3f %9.3f %9.3f %6d %5d\n", label, m, pct(v, m, 0.5),
		       pct(v, m, 0.99), v[m - 1], sum / m, empty, errs);
	free(v);
}

static int cmp_slower(const void *a, const void *b)
{
	double x = ((const struct sample *)a)->ms, y = ((const struct sample *)b)->ms;

	return (x < y) - (x > y);
}

static void print_slowest(const struct sample *s, int n, const struct query *qs)
{
	struct sample *v = malloc((n ? n : 1) * sizeof *v);

	if (!v)
		abort();
	memcpy(v, s, n * sizeof *v);
	qsort(v, n, sizeof *v, cmp_slower);
	printf("  slowest (best of %d):", PASSES - 1);
	for (int i = 0; i < n && i < 5; i++)
		printf("%s %.1f ms %s \"%s\"", i ? "," : "", v[i].ms, classes[v[i].cls], qs[v[i].query].text);
	printf("\n");
	free(v);
}

static const struct {
	const char *name;
	unsigned types;
} sets[] = {
	{ "track", 1u << ST_TRACK },
	{ "track,artist,album", 1u << ST_TRACK | 1u << ST_ARTIST | 1u << ST_ALBUM },
};

/* One type set: a warm-up pass, the measurement, two more for each query's best time. */
static void run_set(const struct search_index *ix, const struct search_index *delta, size_t t,
                    const struct query *qs, int nq, double seconds, FILE *raw)
{
	struct sample *samples = malloc(nq * sizeof *samples), *best = malloc(nq * sizeof *best);
	int n = 0, nbest = nq, nerr = 0;

	if (!samples || !best)
		abort();
	/* Pass 0 warms up; pass 1 is the measurement; passes 2 and 3 only lower each query's
	 * best time, which separates a query's own cost from the machine's scheduling noise. */
	for (int pass = 0; pass < PASSES; pass++) {
		double start = now_ms();
		int i;

		for (i = 0; i < nq && now_ms() - start < seconds * 1e3; i++) {
			struct search_query q = {
				.q = qs[i].text, .types = sets[t].types, .market = "US",
				.limit = 20, .offset = 0, .affinity = NULL,
			};
			struct search_result res;
			double a, b;
			int rc, hits = 0;

			memset(&res, 0, sizeof res);
			a = now_ms();
			rc = search_run(ix, delta, &q, &res);
			b = now_ms();
			for (int k = 0; k < ST_NTYPES; k++)
				hits += res.nhits[k];
			if (rc && pass == 1 && nerr++ < 5)
				fprintf(stderr, "search-bench: \"%s\": %s\n", qs[i].text, res.error);
			search_result_free(&res);
			if (pass == 1) {
				samples[i] = (struct sample){ .ms = b - a, .cls = qs[i].cls, .hits = hits,
				                              .err = rc != 0, .query = i };
				best[i] = samples[i];
			} else if (pass > 1 && b - a < best[i].ms) {
				best[i].ms = b - a;
			}
		}
		if (pass == 1)
			n = i;
		if (pass >= 1 && i < nbest)
			nbest = i;
	}
	printf("\nin-function%s, types=%s, limit 20, market US: %d of %d queries (ms)\n",
	       delta ? " with the delta" : "", sets[t].name, n, nq);
	printf("  %-14s %5s %9s %9s %9s %9s %6s %5s\n", "class", "n", "p50", "p99", "max", "mean",
	       "empty", "error");
	for (int c = 0; c < nclasses; c++)
		report_row(classes[c], samples, n, c);
	report_row("TYPEAHEAD", samples, n, -2);
	report_row("SEARCH", samples, n, -3);
	report_row("ALL", samples, n, -1);
	printf("  best of %d runs of each query:\n", PASSES - 1);
	report_row("TYPEAHEAD", best, nbest, -2);
	report_row("SEARCH", best, nbest, -3);
	print_slowest(best, nbest, qs);
	if (raw) {
		for (int i = 0; i < n; i++)
			fprintf(raw, "%s\t%s\t%.4f\t%d\t%d\n", sets[t].name, classes[samples[i].cls],
			        samples[i].ms, samples[i].hits, samples[i].err);
		for (int i = 0; i < nbest; i++)
			fprintf(raw, "%s best of %d\t%s\t%.4f\t%d\t%d\n", sets[t].name, PASSES - 1,
			        classes[best[i].cls], best[i].ms, best[i].hits, best[i].err);
	}
	free(samples);
	free(best);
}

/* The changes of --delta, in one transaction; the change log's triggers record them. */
static int change_catalog(struct store *s, int n)
{
	char sql[512];

	snprintf(sql, sizeof sql,
	         "BEGIN;"
	         "INSERT OR IGNORE INTO tracks (id, name, album_id, artist_id, duration_ms, genre, markets,"
	         "  popularity, play_count, created_at)"
	         " SELECT 'Dx' || substr(id, 3), name || ' zenith', album_id, artist_id, duration_ms, genre,"
	         "  markets, popularity, play_count, created_at FROM tracks ORDER BY rowid LIMIT %d;"
	         "UPDATE tracks SET popularity = (popularity + 7) %% 101"
	         " WHERE rowid IN (SELECT rowid FROM tracks ORDER BY rowid DESC LIMIT %d);"
	         "COMMIT;", n / 2, n - n / 2);
	return store_exec(s, sql);
}

int main(int argc, char **argv)
{
	const char *dir = NULL, *qpath = NULL, *rawpath = NULL;
	double seconds = 60;
	char err[256];
	struct store s;
	struct search_index *ix;
	struct query *qs;
	FILE *raw = NULL;
	int nq, delta_n = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
			seconds = atof(argv[++i]);
		else if (!strcmp(argv[i], "--raw") && i + 1 < argc)
			rawpath = argv[++i];
		else if (!strcmp(argv[i], "--delta") && i + 1 < argc)
			delta_n = atoi(argv[++i]);
		else if (!dir)
			dir = argv[i];
		else if (!qpath)
			qpath = argv[i];
		else
			dir = NULL, i = argc;
	}
	if (!dir || !qpath) {
		fprintf(stderr, "usage: search-bench [--seconds S] [--raw FILE] [--delta N] DATA_DIR QUERIES\n");
		return 2;
	}
	/* The report's order; classes the file adds come after. */
	class_of("prefix-short");
	class_of("prefix-word");
	class_of("exact");
	class_of("two-words");
	class_of("typo");
	class_of("filter");
	qs = read_queries(qpath, &nq);
	if (!nq) {
		fprintf(stderr, "search-bench: no queries in %s\n", qpath);
		return 1;
	}
	if (rawpath && !(raw = fopen(rawpath, "w"))) {
		perror(rawpath);
		return 1;
	}
	if (store_open(&s, dir, err, sizeof err) < 0) {
		fprintf(stderr, "search-bench: %s\n", err);
		return 1;
	}

	long rss0 = status_kb("VmRSS");
	double t0 = now_ms();

	if (!(ix = search_build(&s, err, sizeof err))) {
		fprintf(stderr, "search-bench: search_build: %s\n", err);
		return 1;
	}
	double build = now_ms() - t0;
	long rss1 = status_kb("VmRSS"), hwm = status_kb("VmHWM");

	printf("index: %ld tracks, %ld artists, %ld albums, %ld playlists; built in %.2f s;"
	       " RSS %.0f MiB (+%.0f MiB for the index, peak %.0f MiB)\n",
	       search_count(ix, ST_TRACK), search_count(ix, ST_ARTIST), search_count(ix, ST_ALBUM),
	       search_count(ix, ST_PLAYLIST), build / 1e3, rss1 / 1024.0, (rss1 - rss0) / 1024.0,
	       hwm / 1024.0);

	for (size_t t = 0; t < sizeof sets / sizeof sets[0]; t++)
		run_set(ix, NULL, t, qs, nq, seconds, raw);
	if (delta_n > 0) {
		struct search_index *delta;
		double t1;

		t0 = now_ms();
		if (change_catalog(&s, delta_n) < 0) {
			fprintf(stderr, "search-bench: changing the catalog: %s\n", sqlite3_errmsg(s.db));
			return 1;
		}
		t1 = now_ms();
		if (!(delta = search_build_delta(&s, ix, err, sizeof err))) {
			fprintf(stderr, "search-bench: search_build_delta: %s\n", err);
			return 1;
		}
		printf("\ndelta: %d tracks changed (%lld change-log rows, written in %.0f ms); taken in by a delta"
		       " of %ld tracks, %ld artists, %ld albums superseding %ld base docs in %.0f ms\n",
		       delta_n, search_seq(delta) - search_seq(ix), t1 - t0, search_count(delta, ST_TRACK),
		       search_count(delta, ST_ARTIST), search_count(delta, ST_ALBUM), search_superseded(delta),
		       now_ms() - t1);
		for (size_t t = 0; t < sizeof sets / sizeof sets[0]; t++)
			run_set(ix, delta, t, qs, nq, seconds, NULL);
		search_free(delta);
	}
	if (raw)
		fclose(raw);
	search_free(ix);
	store_close(&s);
	for (int i = 0; i < nq; i++)
		free(qs[i].text);
	free(qs);
	return 0;
}
