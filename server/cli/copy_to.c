/* segue-server copy-to URL: the data directory's SQLite database copied into an empty
 * PostgreSQL one, to move a server onto a database several servers can share: the tables,
 * and the keys, which live in the database on PostgreSQL. Media and images stay in the
 * data directory. */
#include "config.h"
#include "cli/cli.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "store/copy.h"
#include "store/pg.h"

static void progress(void *ud, const char *table, long long rows)
{
	(void)ud;
	fprintf(stderr, "%-22s %lld rows\n", table, rows);
}

int cmd_copy_to(int argc, char **argv)
{
	struct settings cfg;
	struct store from, to;
	char err[512], path[1200];
	struct stat st;
	long long n;
	int rc;

	if ((rc = cli_settings(&cfg, &argc, argv)) != 0)
		return rc;
	if (argc != 2 || !pg_is_url(argv[1])) {
		fprintf(stderr, "usage: segue-server copy-to postgresql://...\n");
		return EXIT_USAGE;
	}
	/* Opening a missing file would make an empty database and copy nothing. */
	snprintf(path, sizeof path, "%s/segue.db", cfg.data_dir);
	if (stat(path, &st) < 0) {
		fprintf(stderr, "segue-server: %s: %s\n", path, strerror(errno));
		return EXIT_FAILURE_;
	}
	if (store_open(&from, cfg.data_dir, err, sizeof err) < 0) {
		fprintf(stderr, "segue-server: %s\n", err);
		return EXIT_FAILURE_;
	}
	if (store_open(&to, argv[1], err, sizeof err) < 0) {
		fprintf(stderr, "segue-server: %s\n", err);
		store_close(&from);
		return EXIT_FAILURE_;
	}
	n = store_copy(&from, cfg.data_dir, &to, progress, NULL, err, sizeof err);
	store_close(&to);
	store_close(&from);
	if (n < 0) {
		fprintf(stderr, "segue-server: %s; nothing was copied\n", err);
		return n == -2 ? EXIT_EXISTS : EXIT_FAILURE_;
	}
	fprintf(stderr, "copied %lld rows from %s; serve with --database (or database = ...) now\n",
	        n, path);
	return EXIT_OK;
}
