/* The session: register, login, logout, whoami; and the daemon and help commands of the
 * face. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cmd.h"
#include "daemon.h"
#include "prompt.h"

#define SECRET_MAX 512

/* One line from f without its newline; false at EOF or when too long. */
static bool read_line(FILE *f, char *buf, size_t len)
{
	size_t n;

	if (!fgets(buf, (int)len, f))
		return false;
	n = strlen(buf);
	if (n && buf[n - 1] == '\n')
		buf[--n] = '\0';
	else if (!feof(f))
		return false;
	if (n && buf[n - 1] == '\r')
		buf[--n] = '\0';
	return true;
}

enum seg_err cmd_read_password(const char *prompt, char *pw, size_t len)
{
	struct termios old, quiet;
	FILE *tty;
	bool ok;

	if (!isatty(STDIN_FILENO)) {
		if (!read_line(stdin, pw, len) || !pw[0])
			return seg_fail(SEG_EUSAGE, "no password on standard input");
		return SEG_OK;
	}
	if (!(tty = fopen("/dev/tty", "r+")))
		return seg_fail(SEG_EUSAGE, "no terminal to read the password from");
	fputs(prompt, tty);
	fflush(tty);
	tcgetattr(fileno(tty), &old);
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	tcsetattr(fileno(tty), TCSAFLUSH, &quiet);
	ok = read_line(tty, pw, len);
	tcsetattr(fileno(tty), TCSAFLUSH, &old);
	fputc('\n', tty);
	fclose(tty);
	return ok && pw[0] ? SEG_OK : seg_fail(SEG_EUSAGE, "no password given");
}

enum seg_err cmd_read_new_password(const char *prompt, char *pw, size_t len)
{
	char again[SECRET_MAX];
	enum seg_err e;

	if (len > sizeof again)
		len = sizeof again; /* (every caller's buffer is smaller) */
	if ((e = cmd_read_password(prompt, pw, len)) || !isatty(STDIN_FILENO))
		return e;
	/* Typed blind: a second time, so a typo does not become the password. */
	e = cmd_read_password("the same again: ", again, sizeof again);
	if (!e && strcmp(pw, again))
		e = seg_fail(SEG_EUSAGE, "the two passwords differ");
	explicit_bzero(again, sizeof again);
	if (e)
		explicit_bzero(pw, len);
	return e;
}

static enum seg_err login_exec(struct seg *s, struct cmd_args *a, json_t **out)
{
	char name[128], pw[SECRET_MAX];
	struct api *api = seg_api(s);
	enum seg_err e;

	if (!api)
		return SEG_ENOMEM;
	if (a->argc == 1) {
		snprintf(name, sizeof name, "%s", a->argv[0]);
	} else if (isatty(STDIN_FILENO)) {
		fputs("user: ", stderr);
		if (!read_line(stdin, name, sizeof name) || !name[0])
			return seg_fail(SEG_EUSAGE, "no user name given");
	} else {
		return seg_fail(SEG_EUSAGE, "usage: segue login NAME (the password on standard input)");
	}
	if ((e = cmd_read_password("password: ", pw, sizeof pw)))
		return e;
	e = api_login(api, name, pw);
	explicit_bzero(pw, sizeof pw);
	if (e)
		return e;
	*out = json_pack("{s:s,s:s}", "user", api_user(api), "server", api_server(api));
	return SEG_OK;
}

static void print_login(json_t *o, FILE *f)
{
	fprintf(f, "logged in as %s at %s\n", json_string_value(json_object_get(o, "user")),
	        json_string_value(json_object_get(o, "server")));
}

const struct cmd_entry cmd_login = {
	"login", "[NAME]", "Logs in to the server. The password is read from the terminal, or "
	"from the first line of standard input when that is not a terminal. The session is kept "
	"(mode 0600) until logout.", NULL, 0, 1, CMD_FACE, 0, login_exec, print_login, NULL
};

/* A new account, then a login to it, so that what follows a sign-up is what follows a login. */
static enum seg_err register_exec(struct seg *s, struct cmd_args *a, json_t **out)
{
	char pw[SECRET_MAX];
	struct api *api = seg_api(s);
	json_t *account = NULL;
	enum seg_err e;

	if (!api)
		return SEG_ENOMEM;
	if ((e = cmd_read_new_password("password for the new account: ", pw, sizeof pw)))
		return e;
	if ((e = api_register(api, a->argv[0], pw, cmd_flag(a, "country"), cmd_flag(a, "invite"),
	                      &account)))
		goto out;
	if ((e = api_login(api, a->argv[0], pw))) {
		char why[256];

		snprintf(why, sizeof why, "%s", seg_errmsg());
		seg_fail(e, "the account %s was made, but the login to it failed: %s", a->argv[0], why);
		goto out;
	}
	*out = json_pack("{s:s,s:s,s:s}", "user", api_user(api), "server", api_server(api),
	                 "country", json_string_value(json_object_get(account, "country")) ?: "");
out:
	explicit_bzero(pw, sizeof pw);
	json_decref(account);
	return e;
}

static void print_register(json_t *o, FILE *f)
{
	fprintf(f, "signed up and logged in as %s at %s\n", json_string_value(json_object_get(o, "user")),
	        json_string_value(json_object_get(o, "server")));
}

const struct cmd_entry cmd_register = {
	"register", "NAME [--invite CODE] [--country CC]", "Signs up for a new account on the "
	"server, then logs in to it. The password is read as login reads it (on a terminal twice). "
	"A server whose registration is invite takes the code its administrator made with "
	"segue-server user invite; one whose registration is closed takes no one. The country "
	"(two letters, default the server's US) decides which tracks the account may play.",
	"invite=,country=", 1, 1, CMD_FACE, 0, register_exec, print_register, NULL
};

static enum seg_err logout_exec(struct seg *s, struct cmd_args *a, json_t **out)
{
	struct api *api = seg_api(s);
	enum seg_err e;

	if (!api)
		return SEG_ENOMEM;
	if ((e = api_logout(api)))
		return e;
	*out = json_pack("{s:b}", "logged_out", 1);
	return SEG_OK;
}

static void print_logout(json_t *o, FILE *f)
{
	fputs("logged out\n", f);
}

const struct cmd_entry cmd_logout = {
	"logout", "", "Ends the session at the server and forgets it here.", NULL, 0, 0, CMD_ANY,
	0, logout_exec, print_logout, NULL
};

static enum seg_err whoami_exec(struct seg *s, struct cmd_args *a, json_t **out)
{
	struct api *api = seg_api(s);

	if (!api)
		return SEG_ENOMEM;
	return api_get(api, "/v1/me", out);
}

static void print_me(json_t *me, FILE *f)
{
	fprintf(f, "%s (%s, %s)\n", json_string_value(json_object_get(me, "id")),
	        json_string_value(json_object_get(me, "product")) ?: "?",
	        json_string_value(json_object_get(me, "country")) ?: "?");
}

const struct cmd_entry cmd_whoami = {
	"whoami", "", "Shows the logged-in user: name, product (free or premium) and country.",
	NULL, 0, 0, CMD_ANY, 0, whoami_exec, print_me, NULL
};

static enum seg_err daemon_exec(struct seg *s, struct cmd_args *a, json_t **out)
{
	const char *name = cmd_flag(a, "name");
	enum seg_err e;
	int status;

	if (name && (e = options_set(&s->opt, "device_name", name)))
		return e;
	status = daemon_run(s, cmd_has(a, "detach"));

	if (status)
		return seg_fail(SEG_EFAIL, "the daemon stopped with an error");
	return SEG_OK;
}

const struct cmd_entry cmd_daemon = {
	"daemon", "[--detach] [--name NAME]", "Runs the player without a screen, controlled through "
	"the control socket ($XDG_RUNTIME_DIR/segue/control) by the other commands or by scripts, "
	"and through Connect by the user's other devices, which list it as NAME (default: "
	"device_name, else the host name). In the foreground with logs on standard error; --detach "
	"moves it to the background (logs in $XDG_DATA_HOME/segue/daemon.log).", "detach,name=", 0, 0,
	CMD_FACE, 0, daemon_exec, NULL, NULL
};

static enum seg_err tui_exec(struct seg *s, struct cmd_args *a, json_t **out)
{
	if (!s->run_tui)
		return seg_fail(SEG_EUSAGE, "this program has no terminal interface");
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
		return seg_fail(SEG_EUSAGE, "the terminal interface needs a terminal");
	return s->run_tui(s, s->config) ? seg_fail(SEG_EFAIL, "the terminal interface stopped with an error") : SEG_OK;
}

const struct cmd_entry cmd_tui = {
	"tui", "", "Opens the terminal interface (what segue alone opens in a terminal): the catalog, "
	"your library, the queue and your devices, with the keys listed by ? and in segue(1). It "
	"attaches to the daemon, or starts one that it stops again when it quits.", NULL, 0, 0,
	CMD_FACE, CMD_STREAMS, tui_exec, NULL, NULL
};

static enum seg_err help_exec(struct seg *s, struct cmd_args *a, json_t **out)
{
	json_t *list = json_array();
	int used;
	const struct cmd_entry *only = a->argc ? cmd_find(a->argc, a->argv, &used) : NULL;

	if (a->argc && !only) {
		json_decref(list);
		return seg_fail(SEG_EUSAGE, "there is no command \"%s\"", a->argv[0]);
	}
	for (size_t i = 0; cmd_table[i]; i++)
		if (!only || only == cmd_table[i])
			json_array_append_new(list, json_pack("{s:s,s:s,s:s}", "name", cmd_table[i]->name,
			                                      "usage", cmd_table[i]->usage, "help",
			                                      cmd_table[i]->help));
	*out = json_pack("{s:o}", "commands", list);
	return SEG_OK;
}

static void print_help(json_t *o, FILE *f)
{
	json_t *list = json_object_get(o, "commands");
	int used;

	if (json_array_size(list) == 1) {
		char *name = strdup(json_string_value(json_object_get(json_array_get(list, 0), "name")));
		char *words[2] = { name, NULL };
		const struct cmd_entry *c;

		if (name && (words[1] = strchr(name, ' ')))
			*words[1]++ = '\0';
		if (name && (c = cmd_find(words[1] ? 2 : 1, words, &used)))
			cmd_print_usage(c, f);
		free(name);
		return;
	}
	cmd_print_help(f);
}

const struct cmd_entry cmd_help = {
	"help", "[COMMAND]", "Lists the commands, or describes one.", NULL, 0, 2, CMD_ANY, 0,
	help_exec, print_help, NULL
};
