/* segue: the command line face. It reads the global flags, finds the command in the table,
 * and has the core run it where it belongs (cmd_route: here, or in the daemon over the
 * control socket when it needs the player, starting a daemon first for `play`, or on
 * another device). Output is for people unless --json asks for one JSON document; the exit
 * status says what kind of failure it was (segue(1)). */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "daemon.h"
#include "log.h"
#include "offline.h"
#include "seg.h"
#include "text.h"
#include "tui.h"

struct globals {
	const char *server, *config, *audio_output;
	bool json, help, version, daemon;
};

/* Takes the global flags out of argv wherever they appear before "--", so that both
 * "segue --json status" and "segue status --json" work. Returns the new argc, or -1. */
static int take_globals(int argc, char **argv, struct globals *g)
{
	int out = 0;
	bool dashdash = false;

	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		const char **target = NULL;

		if (dashdash || strncmp(a, "-", 1) != 0) {
			argv[out++] = argv[i];
			continue;
		}
		if (!strcmp(a, "--")) {
			dashdash = true;
			argv[out++] = argv[i];
			continue;
		}
		if (!strcmp(a, "--json"))
			g->json = true;
		else if (!strcmp(a, "--help") || !strcmp(a, "-h"))
			g->help = true;
		else if (!strcmp(a, "--version"))
			g->version = true;
		else if (!strcmp(a, "--daemon"))
			g->daemon = true;
		else if (!strncmp(a, "--server", 8) && (a[8] == '\0' || a[8] == '='))
			target = &g->server;
		else if (!strncmp(a, "--config", 8) && (a[8] == '\0' || a[8] == '='))
			target = &g->config;
		else if (!strncmp(a, "--audio-output", 14) && (a[14] == '\0' || a[14] == '='))
			target = &g->audio_output;
		else {
			argv[out++] = argv[i]; /* the command's own flag, or a negative number */
			continue;
		}
		if (target) {
			const char *eq = strchr(a, '=');

			if (eq) {
				*target = eq + 1;
			} else if (i + 1 < argc) {
				*target = argv[++i];
			} else {
				fprintf(stderr, "segue: %s needs a value\n", a);
				return -1;
			}
		}
	}
	argv[out] = NULL;
	return out;
}

static void print_result(const struct cmd_entry *c, json_t *out, bool json)
{
	if (json) {
		json_dumpf(out ? out : json_null(), stdout, JSON_INDENT(2) | JSON_ENCODE_ANY);
		fputc('\n', stdout);
	} else if (c->print && out) {
		c->print(out, stdout);
	}
}

static int fail(enum seg_err e, bool json)
{
	if (json) {
		json_t *j = json_pack("{s:{s:s,s:i,s:s}}", "error", "code", seg_err_name(e),
		                      "exit_status", seg_exit_status(e), "message", seg_errmsg());

		json_dumpf(j, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
		json_decref(j);
	}
	fprintf(stderr, "segue: %s\n", seg_errmsg()[0] ? seg_errmsg() : seg_err_name(e));
	return seg_exit_status(e);
}

/* Before the terminal interface takes the screen: with no session, or no server and nothing
 * to play without one (no daemon running, no downloads), one line says what to run instead
 * of a screen that can do nothing. */
static enum seg_err tui_preflight(struct seg *s)
{
	struct api *api = seg_api(s);
	struct store *st;
	char token[16], why[512];
	json_t *me = NULL;
	enum seg_err e;
	int old, fd;

	if (!api)
		return SEG_ENOMEM;
	if (!api_logged_in(api))
		return api_access_token(api, false, token, sizeof token) ?: SEG_EAUTH;
	old = api_set_retries(api, 0);
	e = api_get(api, "/v1/me", &me);
	api_set_retries(api, old);
	json_decref(me);
	if (e != SEG_EUNREACHABLE)
		return e == SEG_EAUTH ? e : SEG_OK;
	snprintf(why, sizeof why, "%s", seg_errmsg());
	if (daemon_connect(s, s->config, false, &fd, NULL) == SEG_OK) {
		close(fd);
		return SEG_OK;
	}
	if ((st = seg_store(s)) && offline_used(st) > 0)
		return SEG_OK;
	return seg_fail(SEG_EUNREACHABLE, "%s", why);
}

int main(int argc, char **argv)
{
	struct globals g = { 0 };
	struct seg s;
	const struct cmd_entry *c;
	struct cmd_args a = { 0 };
	json_t *out = NULL;
	enum seg_err e;
	int n, used, status;

	/* A closed pipe (segue ... | head) or a dropped connection is an error to handle, not a
	 * reason to die. */
	signal(SIGPIPE, SIG_IGN);
	/* Tables measure names in cells, which needs a UTF-8 LC_CTYPE whatever LANG says. */
	text_init();
	if ((n = take_globals(argc - 1, argv + 1, &g)) < 0)
		return 2;
	argv++;
	if (g.version) {
		printf("segue %s\n", PACKAGE_VERSION);
		return 0;
	}
	if (n == 0 && !g.daemon && (g.help || !isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))) {
		cmd_print_help(g.help ? stdout : stderr);
		return g.help ? 0 : 2;
	}
	if ((e = seg_init(&s, g.config)))
		return fail(e, g.json);
	if ((g.server && (e = options_set(&s.opt, "server", g.server))) ||
	    (g.audio_output && (e = options_set(&s.opt, "audio_output", g.audio_output))))
		goto done;
	/* log_level's choices are listed in enum log_level's order. */
	log_set_level((enum log_level)opt_enum(&s.opt, OPT_LOG_LEVEL));
	s.config = g.config;
	s.run_tui = tui_run;
	if (g.daemon && n == 0) {
		status = daemon_run(&s, false);
		seg_free(&s);
		return status;
	}
	if (n == 0) {
		/* segue alone, in a terminal: the terminal interface. */
		if ((e = tui_preflight(&s)))
			goto done;
		status = tui_run(&s, g.config);
		seg_free(&s);
		return status;
	}
	if (!(c = cmd_find(n, argv, &used))) {
		e = seg_fail(SEG_EUSAGE, "unknown command \"%s\" (segue help lists them)", argv[0]);
		goto done;
	}
	if (g.help) {
		cmd_print_usage(c, stdout);
		seg_free(&s);
		return 0;
	}
	if ((e = cmd_parse(c, n - used, argv + used, &a)))
		goto done;
	s.json = g.json;
	s.tty = !g.json && isatty(STDOUT_FILENO);
	/* Here, in the daemon (started for it if need be) or on another device: cmd_route says. */
	e = cmd_route(&s, c, &a, n, argv, NULL, &out);
	if (!e && !(c->opts & CMD_STREAMS))
		print_result(c, out, g.json);
done:
	status = e ? fail(e, g.json) : 0;
	json_decref(out);
	cmd_args_free(&a);
	seg_free(&s);
	return status;
}
