/* segue-server's subcommands: one table in main.c, one file each (cmd_*.c). Common options
 * (--data-dir, --config) are handled here so every subcommand reads them the same way. */
#ifndef SEGUE_CLI_H
#define SEGUE_CLI_H

#include "settings.h"

/* Exit statuses, documented in segue-server(1). */
enum {
	EXIT_OK = 0,
	EXIT_PARTIAL = 1,  /* ingest: some files failed; the rest went in (tags: some unreadable) */
	EXIT_USAGE = 2,
	EXIT_FAILURE_ = 3, /* could not start: bad configuration, database, keys, port */
	EXIT_NOT_FOUND = 4,
	EXIT_EXISTS = 5,
};

struct subcommand {
	const char *name;
	const char *usage;
	const char *help;
	int (*run)(int argc, char **argv);
};

/* Loads defaults, then the configuration file, then --config/--data-dir/--listen/--set from
 * argv (removing them from argv). Creates the data directory. Returns 0 or an exit status. */
int cli_settings(struct settings *cfg, int *argc, char **argv);
/* The library folders of cfg made real (absolute, links resolved) into *roots (n of them,
 * none below another, each freed with the array by cli_free_paths), so that ingest remembers
 * a file by one name however it was reached. Returns 0, or an exit status after a one-line
 * error naming a folder that is missing or not a folder. */
int cli_library_roots(const struct settings *cfg, char ***roots, int *n);
void cli_free_paths(char **paths, int n);

int cmd_serve(int argc, char **argv);
int cmd_ingest(int argc, char **argv);
int cmd_user(int argc, char **argv);
int cmd_keys(int argc, char **argv);
int cmd_recs(int argc, char **argv);
int cmd_tags(int argc, char **argv);
int cmd_backup(int argc, char **argv);
int cmd_copy_to(int argc, char **argv);

#endif
