/* Lookup, argument parsing and dispatch for the command table. The table itself is the
 * commands' (src/cmd/table.c): nothing here names a command. */
#include "config.h"
#include "cmd.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

const struct cmd_entry *cmd_find(int argc, char **argv, int *used)
{
	const struct cmd_entry *one = NULL;

	if (argc < 1)
		return NULL;
	for (size_t i = 0; cmd_table[i]; i++) {
		const char *n = cmd_table[i]->name, *sp = strchr(n, ' ');

		if (sp) {
			/* A two-word name wins over its one-word stem ("queue add" over "queue"). */
			if (argc >= 2 && !strncmp(n, argv[0], (size_t)(sp - n)) &&
			    argv[0][sp - n] == '\0' && !strcmp(sp + 1, argv[1])) {
				*used = 2;
				return cmd_table[i];
			}
		} else if (!strcmp(n, argv[0])) {
			one = cmd_table[i];
		}
	}
	*used = 1;
	return one;
}

/* Whether spec ("type=,limit=,all") has name; *value says whether it takes a value. */
static bool spec_has(const char *spec, const char *name, size_t len, bool *value)
{
	const char *p = spec;

	while (p && *p) {
		const char *end = strchr(p, ','), *stop = end ? end : p + strlen(p);
		size_t n = (size_t)(stop - p);
		bool v = n > 0 && p[n - 1] == '=';

		if (v)
			n--;
		if (n == len && !strncmp(p, name, len)) {
			*value = v;
			return true;
		}
		p = end ? end + 1 : NULL;
	}
	return false;
}

enum seg_err cmd_parse(const struct cmd_entry *c, int argc, char **argv, struct cmd_args *a)
{
	enum seg_err e;
	bool dashdash = false;

	a->argc = 0;
	a->argv = NULL;
	if (!(a->flags = json_object()) || !(a->argv = calloc((size_t)argc + 1, sizeof *a->argv))) {
		e = seg_fail(SEG_ENOMEM, "out of memory");
		goto fail;
	}
	for (int i = 0; i < argc; i++) {
		const char *arg = argv[i], *name, *eq;
		size_t len;
		bool takes;

		/* "seek -10" and "volume -5" are arguments: only "--" introduces a flag. */
		if (dashdash || strncmp(arg, "--", 2) != 0) {
			a->argv[a->argc++] = argv[i];
			continue;
		}
		if (arg[2] == '\0') {
			dashdash = true;
			continue;
		}
		name = arg + 2;
		eq = strchr(name, '=');
		len = eq ? (size_t)(eq - name) : strlen(name);
		if ((c->opts & CMD_REMOTE) && len == 6 && !strncmp(name, "device", 6)) {
			takes = true; /* every remote-capable command takes --device NAME */
		} else if (!c->flags || !spec_has(c->flags, name, len, &takes)) {
			e = seg_fail(SEG_EUSAGE, "%s: unknown option --%.*s", c->name, (int)len, name);
			goto fail;
		}
		char key[64];

		snprintf(key, sizeof key, "%.*s", (int)len, name);
		if (!takes) {
			if (eq) {
				e = seg_fail(SEG_EUSAGE, "%s: --%s takes no value", c->name, key);
				goto fail;
			}
			json_object_set_new(a->flags, key, json_true());
		} else if (eq) {
			json_object_set_new(a->flags, key, json_string(eq + 1));
		} else if (i + 1 < argc) {
			json_object_set_new(a->flags, key, json_string(argv[++i]));
		} else {
			e = seg_fail(SEG_EUSAGE, "%s: --%s needs a value", c->name, key);
			goto fail;
		}
	}
	if (a->argc < c->min_args || (c->max_args >= 0 && a->argc > c->max_args)) {
		e = seg_fail(SEG_EUSAGE, "usage: segue %s %s", c->name, c->usage);
		goto fail;
	}
	return SEG_OK;
fail:
	cmd_args_free(a);
	return e;
}

void cmd_args_free(struct cmd_args *a)
{
	json_decref(a->flags);
	free(a->argv);
	a->flags = NULL;
	a->argv = NULL;
	a->argc = 0;
}

enum seg_err cmd_check_followless(const struct cmd_entry *c, const struct cmd_args *a)
{
	if (c->where == CMD_FACE)
		return seg_fail(SEG_EUSAGE, "%s works only from the command line", c->name);
	if ((c->opts & CMD_FOLLOW_FLAG) && cmd_has(a, "follow"))
		return seg_fail(SEG_EUSAGE, "%s --follow works only from the command line, which prints "
		                "as it goes", c->name);
	return SEG_OK;
}

enum seg_err cmd_run_argv(struct seg *s, int argc, char **argv, json_t **out)
{
	const struct cmd_entry *c;
	struct cmd_args a;
	enum seg_err e;
	int used;

	*out = NULL;
	if (!(c = cmd_find(argc, argv, &used)))
		return seg_fail(SEG_EUSAGE, "unknown command \"%s\" (segue help lists them)",
		                argc ? argv[0] : "");
	if (c->where == CMD_FACE)
		return seg_fail(SEG_EUSAGE, "%s works only from the command line", c->name);
	if ((e = cmd_parse(c, argc - used, argv + used, &a)))
		return e;
	e = cmd_route(s, c, &a, argc, argv, NULL, out);
	cmd_args_free(&a);
	return e;
}

const char *cmd_flag(const struct cmd_args *a, const char *name)
{
	return json_string_value(json_object_get(a->flags, name));
}

bool cmd_has(const struct cmd_args *a, const char *name)
{
	return json_object_get(a->flags, name) != NULL;
}

enum seg_err cmd_flag_int(const struct cmd_args *a, const char *name, long min, long max,
                          long def, long *out)
{
	const char *v = cmd_flag(a, name);
	char *end;
	long n;

	if (!v) {
		*out = def;
		return SEG_OK;
	}
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || end == v || *end || n < min || n > max)
		return seg_fail(SEG_EUSAGE, "--%s must be a whole number from %ld to %ld", name, min, max);
	*out = n;
	return SEG_OK;
}

char *cmd_join_args(const struct cmd_args *a)
{
	size_t len = 1;
	char *s, *p;

	for (int i = 0; i < a->argc; i++)
		len += strlen(a->argv[i]) + 1;
	if (!(s = p = malloc(len)))
		return NULL;
	*p = '\0';
	for (int i = 0; i < a->argc; i++)
		p += sprintf(p, "%s%s", i ? " " : "", a->argv[i]);
	return s;
}

void cmd_print_usage(const struct cmd_entry *c, FILE *f)
{
	fprintf(f, "usage: segue %s%s%s%s\n\n", c->name, c->opts & CMD_REMOTE ? " [--device NAME]" : "",
	        c->usage[0] ? " " : "", c->usage);
	/* The help text is one paragraph: wrap it at 78 columns. */
	const char *p = c->help;
	while (*p) {
		const char *line = p, *brk = NULL;
		size_t col = 0;

		while (*p && col < 76) {
			if (*p == ' ')
				brk = p;
			p++, col++;
		}
		if (*p && brk) {
			p = brk + 1;
			fprintf(f, "  %.*s\n", (int)(brk - line), line);
		} else {
			fprintf(f, "  %.*s\n", (int)(p - line), line);
		}
	}
}

enum seg_err cmd_position(const char *s, long long *ms, bool *relative)
{
	int sign = 1;
	double total = 0;
	const char *p = s;

	*relative = false;
	if (*p == '+' || *p == '-') {
		*relative = true;
		sign = *p == '-' ? -1 : 1;
		p++;
	}
	for (int parts = 0; ; parts++) {
		char *end;
		double v;

		errno = 0;
		v = strtod(p, &end);
		if (errno || end == p || v < 0 || parts > 2)
			return seg_fail(SEG_EUSAGE, "\"%s\" is not a position: SECONDS, M:SS or H:MM:SS, "
			                "with + or - to move", s);
		total = total * 60 + v;
		if (*end == '\0')
			break;
		if (*end != ':')
			return seg_fail(SEG_EUSAGE, "\"%s\" is not a position", s);
		p = end + 1;
	}
	/* Rounded: 12.34 s is 12340 ms, though 12.34 * 1000 comes out a hair under it. */
	*ms = (long long)(total * 1000 + 0.5) * sign;
	return SEG_OK;
}

enum seg_err cmd_volume_arg(const char *s, int *n, bool *relative)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < -100 || v > 100 || (v < 0 && s[0] != '-'))
		return seg_fail(SEG_EUSAGE, "volume takes a percentage (0 to 100), or +N / -N");
	*n = (int)v;
	*relative = s[0] == '+' || s[0] == '-';
	return SEG_OK;
}
