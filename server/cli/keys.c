/* segue-server keys: rotation of the keys that sign audio links. A running server notices
 * the new ring within a second (the file beside SQLite; on PostgreSQL the ring's row, which
 * every instance over the database reads); links signed with an older key keep working until
 * they expire. Only kids and dates are printed, never a key. */
#include "config.h"
#include "cli/cli.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "accounts/sign.h"
#include "store/store.h"

int cmd_keys(int argc, char **argv)
{
	struct settings cfg;
	struct store s = { 0 };
	struct keyring kr;
	char err[512];
	int rc;

	if ((rc = cli_settings(&cfg, &argc, argv)) != 0)
		return rc;
	if (argc != 2 || (strcmp(argv[1], "rotate") && strcmp(argv[1], "list"))) {
		fprintf(stderr, "usage: segue-server keys rotate | keys list\n");
		return EXIT_USAGE;
	}
	/* Beside SQLite the ring is a file: the database need not be opened for it. */
	if (cfg.database[0] && store_open(&s, settings_database(&cfg), err, sizeof err) < 0) {
		fprintf(stderr, "segue-server: %s\n", err);
		return EXIT_FAILURE_;
	}
	rc = EXIT_FAILURE_;
	if (keyring_open(&kr, cfg.database[0] ? &s : NULL, cfg.data_dir, err, sizeof err) < 0) {
		fprintf(stderr, "segue-server: %s\n", err);
		goto out;
	}
	/* A retired key must outlive the longest link it may have signed. */
	if (!strcmp(argv[1], "rotate") && keyring_rotate(&kr, cfg.url_ttl + 60, err, sizeof err) < 0) {
		fprintf(stderr, "segue-server: %s\n", err);
		keyring_wipe(&kr);
		goto out;
	}
	for (int i = 0; i < kr.nkeys; i++) {
		char when[32];
		struct tm tm;

		gmtime_r(&kr.keys[i].created, &tm);
		strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
		printf("%s  %s%s\n", kr.keys[i].kid, when, i == kr.nkeys - 1 ? "  (signing)" : "");
	}
	keyring_wipe(&kr);
	rc = EXIT_OK;
out:
	if (store_is_open(&s))
		store_close(&s);
	return rc;
}
