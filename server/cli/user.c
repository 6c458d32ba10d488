/* segue-server user: accounts from the command line. Passwords come from standard input
 * (one line), never from argv, where other users could read them in the process list. */
#include "config.h"
#include "cli/cli.h"

#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "accounts/users.h"
#include "store/accounts.h"

static int read_password(char *out, size_t len)
{
	size_t n;

	if (isatty(STDIN_FILENO))
		fprintf(stderr, "password: ");
	if (!fgets(out, (int)len, stdin))
		return -1;
	n = strlen(out);
	if (n && out[n - 1] == '\n')
		out[--n] = '\0';
	else if (n == len - 1)
		return -1; /* longer than we take */
	if (n && out[n - 1] == '\r')
		out[--n] = '\0';
	return 0;
}

static int status_of(enum user_result r)
{
	switch (r) {
	case USER_OK: return EXIT_OK;
	case USER_EXISTS: return EXIT_EXISTS;
	case USER_NOT_FOUND: return EXIT_NOT_FOUND;
	case USER_INVALID: return EXIT_USAGE;
	default: return EXIT_FAILURE_;
	}
}

static int user_add(struct store *s, int argc, char **argv)
{
	const char *name = NULL, *country = "US";
	char password[PASSWORD_MAX + 2], err[256];
	bool premium = false;
	enum user_result res;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--premium")) {
			premium = true;
		} else if (!strcmp(argv[i], "--country") && i + 1 < argc) {
			country = argv[++i];
		} else if (argv[i][0] != '-' && !name) {
			name = argv[i];
		} else {
			fprintf(stderr, "segue-server user add: unexpected \"%s\"\n", argv[i]);
			return EXIT_USAGE;
		}
	}
	if (!name) {
		fprintf(stderr, "usage: segue-server user add NAME [--premium] [--country CC]\n");
		return EXIT_USAGE;
	}
	if (read_password(password, sizeof password) < 0) {
		fprintf(stderr, "segue-server: no password on standard input (or longer than %d bytes)\n",
		        PASSWORD_MAX);
		return EXIT_USAGE;
	}
	res = user_create(s, name, password, premium, country, err, sizeof err);
	sodium_memzero(password, sizeof password);
	if (res != USER_OK) {
		fprintf(stderr, "segue-server: %s\n", err);
		return status_of(res);
	}
	printf("added %s (%s, %s)\n", name, premium ? "premium" : "free", country);
	return EXIT_OK;
}

static int user_list(struct store *s)
{
	struct user *users;
	size_t n;

	if (store_users_list(s, &users, &n) < 0)
		return EXIT_FAILURE_;
	for (size_t i = 0; i < n; i++)
		printf("%-24s %-8s %-3s %s\n", users[i].id, users[i].premium ? "premium" : "free",
		       users[i].country, users[i].display_name);
	free(users);
	return EXIT_OK;
}

int cmd_user(int argc, char **argv)
{
	struct settings cfg;
	struct store s;
	char err[512];
	int rc;

	if ((rc = cli_settings(&cfg, &argc, argv)) != 0)
		return rc;
	if (argc < 2) {
		fprintf(stderr, "usage: segue-server user add|list|set|del ...\n");
		return EXIT_USAGE;
	}
	if (store_open(&s, cfg.data_dir, err, sizeof err) < 0) {
		fprintf(stderr, "segue-server: %s\n", err);
		return EXIT_FAILURE_;
	}
	if (!strcmp(argv[1], "add")) {
		rc = user_add(&s, argc - 2, argv + 2);
	} else if (!strcmp(argv[1], "list") && argc == 2) {
		rc = user_list(&s);
	} else if (!strcmp(argv[1], "set") && (argc == 5 || (argc == 4 && !strcmp(argv[3], "password")))) {
		char password[PASSWORD_MAX + 2];
		const char *value = argc == 5 ? argv[4] : NULL;

		if (!value) {
			if (read_password(password, sizeof password) < 0) {
				fprintf(stderr, "segue-server: no password on standard input\n");
				rc = EXIT_USAGE;
				goto out;
			}
			value = password;
		}
		rc = status_of(user_set(&s, argv[2], argv[3], value, err, sizeof err));
		sodium_memzero(password, sizeof password);
		if (rc)
			fprintf(stderr, "segue-server: %s\n", err);
	} else if (!strcmp(argv[1], "del") && argc == 3) {
		rc = status_of(user_delete(&s, argv[2]));
		if (rc == EXIT_NOT_FOUND)
			fprintf(stderr, "segue-server: no user named \"%s\"\n", argv[2]);
	} else {
		fprintf(stderr, "usage: segue-server user add NAME [--premium] [--country CC] | list |"
		                " set NAME tier|country|display_name VALUE | set NAME password | del NAME\n");
		rc = EXIT_USAGE;
	}
out:
	store_close(&s);
	return rc;
}
