/* segue-server recs: the recommendation model from the administrator's side. Training runs
 * in the server (its worker owns the model); this command leaves a request in the store that
 * the worker picks up within a couple of seconds, and can wait for the model it produces. */
#include "config.h"
#include "cli/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "recs/recommender.h"
#include "store/store.h"

static long long meta(struct store *s, const char *key)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT value FROM meta WHERE key = ?");
	long long v = 0;

	if (!st)
		return -1;
	store_bind_text(st, 1, key);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return v;
}

static void print_when(const char *what, long long ms)
{
	char when[32] = "never";
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms > 0) {
		gmtime_r(&t, &tm);
		strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	}
	printf("%-16s %s\n", what, when);
}

static int status(struct store *s)
{
	long long trained = meta(s, RECS_META_TRAINED), failed = meta(s, RECS_META_FAILED);

	print_when("trained", trained);
	if (trained > 0)
		printf("%-16s %.1f s\n", "took", (double)meta(s, RECS_META_SECONDS) / 1000.0);
	if (failed > trained)
		print_when("last failure", failed);
	printf("%-16s %s\n", "requested", meta(s, RECS_META_REQUESTED) > trained ? "yes, pending" : "no");
	return EXIT_OK;
}

int cmd_recs(int argc, char **argv)
{
	struct settings cfg;
	struct store s;
	char err[512];
	long wait = -1;
	int rc;

	if ((rc = cli_settings(&cfg, &argc, argv)) != 0)
		return rc;
	if (argc == 4 && !strcmp(argv[1], "train") && !strcmp(argv[2], "--wait")) {
		char *end;

		wait = strtol(argv[3], &end, 10);
		if (*end || wait < 0 || wait > 86400)
			wait = -2;
	}
	if (wait == -2 || !(argc == 2 || argc == 4) || (argc == 2 && strcmp(argv[1], "train") && strcmp(argv[1], "status")) ||
	    (argc == 4 && wait < 0)) {
		fprintf(stderr, "usage: segue-server recs train [--wait SECONDS] | recs status\n");
		return EXIT_USAGE;
	}
	if (store_open(&s, cfg.data_dir, err, sizeof err) < 0) {
		fprintf(stderr, "segue-server: %s\n", err);
		return EXIT_FAILURE_;
	}
	if (!strcmp(argv[1], "status")) {
		rc = status(&s);
		goto out;
	}
	{
		/* The request is a time: a model trained after it answers it. */
		long long now = store_now_ms(), before = meta(&s, RECS_META_TRAINED);
		sqlite3_stmt *st = store_stmt(&s, "UPDATE meta SET value = ? WHERE key = '" RECS_META_REQUESTED "'");

		if (!st) {
			rc = EXIT_FAILURE_;
			goto out;
		}
		sqlite3_bind_int64(st, 1, now);
		if (sqlite3_step(st) != SQLITE_DONE) {
			fprintf(stderr, "segue-server: %s\n", sqlite3_errmsg(s.db));
			sqlite3_reset(st);
			rc = EXIT_FAILURE_;
			goto out;
		}
		sqlite3_reset(st);
		if (wait < 0) {
			printf("training requested; a running server starts it within seconds\n");
			rc = EXIT_OK;
			goto out;
		}
		for (long i = 0; i <= wait * 10; i++) {
			long long t = meta(&s, RECS_META_TRAINED);

			if (t > before && t >= now - 1000) {
				rc = status(&s);
				goto out;
			}
			if (meta(&s, RECS_META_FAILED) >= now) {
				fprintf(stderr, "segue-server: training failed; the server's log says why\n");
				rc = EXIT_FAILURE_;
				goto out;
			}
			usleep(100000);
		}
		fprintf(stderr, "segue-server: no model within %ld s (is the server running?)\n", wait);
		rc = EXIT_FAILURE_;
	}
out:
	store_close(&s);
	return rc;
}
