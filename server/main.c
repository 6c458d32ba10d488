#include "config.h"
#include "cli/cli.h"

#include <errno.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

static const struct subcommand commands[] = {
	{ "serve", "serve [--listen ADDR:PORT] [--data-dir DIR] [--config FILE] [--set NAME=VALUE]..."
	  " [--library DIR]...",
	  "run the server (and watch the library folders)", cmd_serve },
	{ "ingest", "ingest [--data-dir DIR] [--jobs N] [--quiet] [PATH...]",
	  "add audio files and folders to the catalog (by default the library folders)", cmd_ingest },
	{ "user", "user add NAME [--premium] [--country CC] | user list | user set NAME FIELD VALUE | user del NAME"
	  " | user invite [--expires DURATION] [--uses N] | user invite list | user invite revoke ID",
	  "manage accounts (passwords are read from standard input) and invites to sign up", cmd_user },
	{ "keys", "keys rotate | keys list", "manage the keys that sign audio links", cmd_keys },
	{ "recs", "recs train [--wait SECONDS] | recs status",
	  "train the recommendation model now, or show when it last was", cmd_recs },
	{ "backup", "backup [--force] FILE",
	  "copy the database while the server serves, and its keys beside it", cmd_backup },
	{ "copy-to", "copy-to postgresql://...",
	  "copy the data directory's SQLite database into an empty PostgreSQL one", cmd_copy_to },
	{ "tags", "tags [--json] FILE...",
	  "show the tags Segue reads from audio files, as ingest files them", cmd_tags },
};

#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *f)
{
	fprintf(f, "usage: segue-server COMMAND [OPTIONS]\n\ncommands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-8s %s\n           segue-server %s\n", commands[i].name, commands[i].help,
		        commands[i].usage);
	fprintf(f, "\ncommon options:\n"
	           "  --data-dir DIR      catalog, media, keys and database (default: $SEGUE_DATA_DIR,\n"
	           "                      else $XDG_DATA_HOME/segue-server)\n"
	           "  --database URL      a PostgreSQL database several servers share\n"
	           "                      (postgresql://...; default: SQLite in the data directory)\n"
	           "  --config FILE       settings file (default: $XDG_CONFIG_HOME/segue/segue-server.conf)\n"
	           "  --set NAME=VALUE    override one setting\n"
	           "  --version, --help\n\nsettings:\n");
	settings_print_help();
}

static int expect_value(int i, int argc, char **argv)
{
	if (i + 1 >= argc) {
		fprintf(stderr, "segue-server: %s needs a value\n", argv[i]);
		return -1;
	}
	return 0;
}

static int mkdir_p(const char *dir)
{
	char tmp[1024];

	if (snprintf(tmp, sizeof tmp, "%s", dir) >= (int)sizeof tmp)
		return -1;
	for (char *p = tmp + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			if (mkdir(tmp, 0700) < 0 && errno != EEXIST)
				return -1;
			*p = '/';
		}
	return mkdir(tmp, 0700) < 0 && errno != EEXIST ? -1 : 0;
}

int cli_settings(struct settings *cfg, int *argc, char **argv)
{
	const char *config = NULL;
	char err[512], path[1024];
	int out = 1;

	settings_defaults(cfg);
	for (int i = 1; i < *argc; i++)
		if (!strcmp(argv[i], "--config")) {
			if (expect_value(i, *argc, argv) < 0)
				return EXIT_USAGE;
			config = argv[i + 1];
		}
	if (!config) {
		const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");

		if (xdg && *xdg)
			snprintf(path, sizeof path, "%s/segue/segue-server.conf", xdg);
		else
			snprintf(path, sizeof path, "%s/.config/segue/segue-server.conf", home ? home : ".");
		if (access(path, R_OK) == 0)
			config = path;
	}
	if (config && settings_load(cfg, config, err, sizeof err) < 0) {
		fprintf(stderr, "segue-server: %s\n", err);
		return EXIT_FAILURE_;
	}
	if (!cfg->data_dir[0]) {
		const char *env = getenv("SEGUE_DATA_DIR"), *xdg = getenv("XDG_DATA_HOME");
		const char *home = getenv("HOME");

		if (env && *env)
			snprintf(cfg->data_dir, sizeof cfg->data_dir, "%s", env);
		else if (xdg && *xdg)
			snprintf(cfg->data_dir, sizeof cfg->data_dir, "%s/segue-server", xdg);
		else
			snprintf(cfg->data_dir, sizeof cfg->data_dir, "%s/.local/share/segue-server",
			         home ? home : ".");
	}
	/* Flags last: they override the file. Consumed flags are removed from argv. */
	for (int i = 1; i < *argc; i++) {
		const char *name = NULL, *value = NULL;
		char opt[128];

		if (!strcmp(argv[i], "--config")) {
			i++;
			continue;
		} else if (!strcmp(argv[i], "--data-dir") || !strcmp(argv[i], "--listen") ||
		           !strcmp(argv[i], "--database")) {
			if (expect_value(i, *argc, argv) < 0)
				return EXIT_USAGE;
			name = argv[i] + 2;
			if (!strcmp(name, "data-dir"))
				name = "data_dir";
			value = argv[++i];
		} else if (!strcmp(argv[i], "--set")) {
			const char *eq;

			if (expect_value(i, *argc, argv) < 0)
				return EXIT_USAGE;
			eq = strchr(argv[++i], '=');
			if (!eq || (size_t)(eq - argv[i]) >= sizeof opt) {
				fprintf(stderr, "segue-server: --set takes NAME=VALUE\n");
				return EXIT_USAGE;
			}
			memcpy(opt, argv[i], (size_t)(eq - argv[i]));
			opt[eq - argv[i]] = '\0';
			name = opt;
			value = eq + 1;
		} else {
			argv[out++] = argv[i];
			continue;
		}
		if (settings_set(cfg, name, value, err, sizeof err) < 0) {
			fprintf(stderr, "segue-server: %s\n", err);
			return EXIT_USAGE;
		}
	}
	*argc = out;
	argv[out] = NULL;
	if (!strcmp(cfg->log_level, "debug"))
		log_set_level(LOG_DEBUG);
	else if (!strcmp(cfg->log_level, "warning"))
		log_set_level(LOG_WARN);
	else if (!strcmp(cfg->log_level, "error"))
		log_set_level(LOG_ERR);
	if (mkdir_p(cfg->data_dir) < 0) {
		fprintf(stderr, "segue-server: cannot create %s: %s\n", cfg->data_dir, strerror(errno));
		return EXIT_FAILURE_;
	}
	return 0;
}

void cli_free_paths(char **paths, int n)
{
	for (int i = 0; paths && i < n; i++)
		free(paths[i]);
	free(paths);
}

/* Whether folder a holds folder b (or is it). */
static bool folder_holds(const char *a, const char *b)
{
	size_t n = strlen(a);

	return !strncmp(a, b, n) && (b[n] == '/' || !b[n] || (n == 1 && a[0] == '/'));
}

int cli_library_roots(const struct settings *cfg, char ***roots, int *n)
{
	char **r = calloc(SETTINGS_LIST_MAX, sizeof *r);
	int k = 0, kept = 0;

	*roots = NULL;
	*n = 0;
	if (!r)
		return EXIT_FAILURE_;
	for (int i = 0; i < cfg->library.n; i++) {
		struct stat st;
		char *real = realpath(cfg->library.v[i], NULL);

		if (!real || stat(real, &st) < 0 || !S_ISDIR(st.st_mode)) {
			fprintf(stderr, "segue-server: library folder %s: %s\n", cfg->library.v[i],
			        real ? "not a folder" : strerror(errno));
			free(real);
			cli_free_paths(r, k);
			return EXIT_FAILURE_;
		}
		r[k++] = real;
	}
	/* A folder inside another is walked with it: watched and scanned once. */
	for (int i = 0; i < k; i++) {
		bool inside = false;

		for (int j = 0; j < k && !inside; j++)
			inside = j != i && r[j] && folder_holds(r[j], r[i]) && (strcmp(r[i], r[j]) || j < i);
		if (inside) {
			free(r[i]);
			r[i] = NULL;
		}
	}
	for (int i = 0; i < k; i++)
		if (r[i])
			r[kept++] = r[i];
	*roots = r;
	*n = kept;
	return 0;
}

int main(int argc, char **argv)
{
	if (sodium_init() < 0) {
		fprintf(stderr, "segue-server: libsodium failed to initialise\n");
		return EXIT_FAILURE_;
	}
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("segue-server %s\n", PACKAGE_VERSION);
		return EXIT_OK;
	}
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (!strcmp(argv[1], commands[i].name)) {
			for (int j = 2; j < argc; j++)
				if (!strcmp(argv[j], "--help") || !strcmp(argv[j], "-h")) {
					printf("usage: segue-server %s\n%s\n", commands[i].usage, commands[i].help);
					return EXIT_OK;
				}
			return commands[i].run(argc - 1, argv + 1);
		}
	fprintf(stderr, "segue-server: unknown command \"%s\" (try segue-server --help)\n", argv[1]);
	return EXIT_USAGE;
}
