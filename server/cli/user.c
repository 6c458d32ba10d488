/* segue-server user: accounts from the command line. Passwords come from standard input
 * (one line), never from argv, where other users could read them in the process list. */
#include "config.h"
#include "cli/cli.h"

#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "accounts/invites.h"
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

/* "90s", "30m", "12h", "7d" (a bare number is days) into seconds; -1 when malformed or out
 * of range. */
static long parse_duration(const char *s)
{
	static const struct { char unit; long seconds; } units[] = {
		{ 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 }, { '\0', 86400 },
	};
	char *end;
	long n = strtol(s, &end, 10);

	if (end == s || n <= 0 || (*end && end[1]))
		return -1;
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
		if (*end == units[i].unit)
			return n > INVITE_TTL_MAX / units[i].seconds ? -1 : n * units[i].seconds;
	return -1;
}

static void print_time(FILE *f, long long ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char text[32];

	strftime(text, sizeof text, "%Y-%m-%d %H:%M UTC", gmtime_r(&t, &tm));
	fputs(text, f);
}

static int invite_new(struct store *s, int argc, char **argv)
{
	char code[INVITE_CODE_LEN + 1], id[INVITE_ID_LEN + 1];
	long ttl = 7 * 86400L, uses = 1;
	long long expires;

	for (int i = 0; i < argc; i++) {
		char *end;

		if (!strcmp(argv[i], "--expires") && i + 1 < argc) {
			if ((ttl = parse_duration(argv[++i])) < 0 || ttl < 60) {
				fprintf(stderr, "segue-server user invite: --expires takes 60s to 365d"
				                " (a number with s, m, h or d), not \"%s\"\n", argv[i]);
				return EXIT_USAGE;
			}
		} else if (!strcmp(argv[i], "--uses") && i + 1 < argc) {
			uses = strtol(argv[++i], &end, 10);
			if (end == argv[i] || *end || uses < 1 || uses > INVITE_USES_MAX) {
				fprintf(stderr, "segue-server user invite: --uses takes 1 to %d, not \"%s\"\n",
				        INVITE_USES_MAX, argv[i]);
				return EXIT_USAGE;
			}
		} else {
			fprintf(stderr, "segue-server user invite: unexpected \"%s\"\n", argv[i]);
			return EXIT_USAGE;
		}
	}
	if (invite_create(s, ttl, (int)uses, code, id, &expires) < 0) {
		fprintf(stderr, "segue-server: the invite could not be stored\n");
		return EXIT_FAILURE_;
	}
	/* The code alone on standard output, for scripts; what it is good for beside it. */
	printf("%s\n", code);
	fprintf(stderr, "invite %s: %ld sign-up%s until ", id, uses, uses == 1 ? "" : "s");
	print_time(stderr, expires);
	fprintf(stderr, " (the code is shown only now)\n");
	sodium_memzero(code, sizeof code);
	return EXIT_OK;
}

static int invite_list(struct store *s)
{
	long long now = store_now_ms();
	struct invite_row *v;
	size_t n;

	if (store_invites_list(s, &v, &n) < 0)
		return EXIT_FAILURE_;
	for (size_t i = 0; i < n; i++) {
		const char *state = v[i].uses_left <= 0 ? "used" : v[i].expires_at <= now ? "expired" : "open";

		printf("%-8s %-7s %d/%d left  expires ", v[i].id, state, v[i].uses_left, v[i].uses);
		print_time(stdout, v[i].expires_at);
		putchar('\n');
	}
	free(v);
	return EXIT_OK;
}

static int cmd_invite(struct store *s, int argc, char **argv)
{
	if (argc >= 1 && !strcmp(argv[0], "list")) {
		if (argc == 1)
			return invite_list(s);
	} else if (argc >= 1 && !strcmp(argv[0], "revoke")) {
		if (argc == 2) {
			int rc = strlen(argv[1]) == INVITE_ID_LEN ? store_invite_delete(s, argv[1]) : 0;

			if (rc < 0)
				return EXIT_FAILURE_;
			if (rc == 0) {
				fprintf(stderr, "segue-server: no invite with the id \"%s\"\n", argv[1]);
				return EXIT_NOT_FOUND;
			}
			printf("revoked invite %s\n", argv[1]);
			return EXIT_OK;
		}
	} else {
		return invite_new(s, argc, argv);
	}
	fprintf(stderr, "usage: segue-server user invite [--expires DURATION] [--uses N] | invite list |"
	                " invite revoke ID\n");
	return EXIT_USAGE;
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
		fprintf(stderr, "usage: segue-server user add|list|set|del|invite ...\n");
		return EXIT_USAGE;
	}
	if (store_open(&s, settings_database(&cfg), err, sizeof err) < 0) {
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
	} else if (!strcmp(argv[1], "invite")) {
		rc = cmd_invite(&s, argc - 2, argv + 2);
	} else if (!strcmp(argv[1], "del") && argc == 3) {
		rc = status_of(user_delete(&s, argv[2]));
		if (rc == EXIT_NOT_FOUND)
			fprintf(stderr, "segue-server: no user named \"%s\"\n", argv[2]);
	} else {
		fprintf(stderr, "usage: segue-server user add NAME [--premium] [--country CC] | list |"
		                " set NAME tier|country|display_name VALUE | set NAME password | del NAME |"
		                " invite [--expires DURATION] [--uses N] | invite list | invite revoke ID\n");
		rc = EXIT_USAGE;
	}
out:
	store_close(&s);
	return rc;
}
