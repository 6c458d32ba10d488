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

#include "store/recs.h"

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
	struct recs_training t;

	if (store_recs_training(s, &t) < 0)
		return EXIT_FAILURE_;
	print_when("trained", t.trained_at);
	if (t.trained_at > 0)
		printf("%-16s %.1f s\n", "took", (double)t.took_ms / 1000.0);
	if (t.failed_at > t.trained_at)
		print_when("last failure", t.failed_at);
	printf("%-16s %s\n", "requested", t.requested > t.trained_at ? "yes, pending" : "no");
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
	if (store_open(&s, settings_database(&cfg), err, sizeof err) < 0) {
		fprintf(stderr, "segue-server: %s\n", err);
		return EXIT_FAILURE_;
	}
	if (!strcmp(argv[1], "status")) {
		rc = status(&s);
		goto out;
	}
	{
		/* The request is a time: a model trained after it answers it. */
		long long now = store_now_ms(), before;
		struct recs_training t;

		if (store_recs_training(&s, &t) < 0 || store_recs_request_training(&s, now) < 0) {
			rc = EXIT_FAILURE_;
			goto out;
		}
		before = t.trained_at;
		if (wait < 0) {
			printf("training requested; a running server starts it within seconds\n");
			rc = EXIT_OK;
			goto out;
		}
		for (long i = 0; i <= wait * 10; i++) {
			if (store_recs_training(&s, &t) < 0) {
				rc = EXIT_FAILURE_;
				goto out;
			}
			if (t.trained_at > before && t.trained_at >= now - 1000) {
				rc = status(&s);
				goto out;
			}
			if (t.failed_at >= now) {
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
