/* segue-server ingest [PATH...]: see server/catalog/ingest.h. Without a path, the library
 * folders of the configuration. Prints one summary line (unless --quiet) and exits 1 when
 * any file failed, so scripts can tell a partial import from a clean one. */
#include "config.h"
#include "cli/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog/ingest.h"

static void print_summary(const struct ingest_report *rep)
{
	double per_core = rep->cpu_seconds > 0 ? rep->audio_seconds / rep->cpu_seconds : 0;

	printf("ingested %d file%s: %d added, %d already known, %d updated, %d not audio, %d failed",
	       rep->files, rep->files == 1 ? "" : "s", rep->added, rep->known, rep->updated,
	       rep->not_audio, rep->failed);
	if (rep->forgotten || rep->withdrawn || rep->restored)
		printf(", %d gone, %d withdrawn, %d restored", rep->forgotten, rep->withdrawn, rep->restored);
	printf(" (%.0f s of audio in %.1f s, %.1fx real time per core)\n", rep->audio_seconds,
	       rep->wall_seconds, per_core);
}

int cmd_ingest(int argc, char **argv)
{
	struct settings cfg;
	struct ingest_report rep;
	bool quiet = false;
	int jobs, rc, npaths = 0;
	char **paths;

	if ((rc = cli_settings(&cfg, &argc, argv)) != 0)
		return rc;
	jobs = (int)cfg.ingest_jobs;
	paths = calloc((size_t)argc, sizeof *paths);
	if (!paths)
		return EXIT_FAILURE_;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quiet") || !strcmp(argv[i], "-q")) {
			quiet = true;
		} else if (!strcmp(argv[i], "--jobs") && i + 1 < argc) {
			jobs = atoi(argv[++i]);
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "segue-server ingest: unknown option \"%s\"\n", argv[i]);
			cli_free_paths(paths, npaths);
			return EXIT_USAGE;
		} else {
			/* Remembered by their real names, as the library's folders are (serve). A
			 * path that cannot be resolved is kept as given, for ingest to report. */
			char *real = realpath(argv[i], NULL);

			if (!(paths[npaths++] = real ? real : strdup(argv[i]))) {
				cli_free_paths(paths, npaths);
				return EXIT_FAILURE_;
			}
		}
	}
	if (!npaths && cfg.library.n) {
		free(paths);
		if ((rc = cli_library_roots(&cfg, &paths, &npaths)) != 0)
			return rc;
	}
	if (!npaths) {
		fprintf(stderr, "usage: segue-server ingest [--data-dir DIR] [--jobs N] [--quiet] [PATH...]\n"
		                "(without a PATH, the folders of the setting library)\n");
		free(paths);
		return EXIT_USAGE;
	}
	rc = ingest_run(&cfg, paths, npaths, jobs, isatty(STDERR_FILENO), quiet, &rep);
	cli_free_paths(paths, npaths);
	if (rc < 0)
		return EXIT_FAILURE_;
	if (!quiet)
		print_summary(&rep);
	return rep.failed ? EXIT_PARTIAL : EXIT_OK;
}
