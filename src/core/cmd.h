/* The command table, after tmux's cmd_entry: every command the client understands is one
 * entry (name, usage, help, flags, where it runs, exec, and how to print its result for
 * people), defined in its own file under src/cmd/ and listed in cmd_table[] beside them
 * (src/cmd/table.c). The core parses and dispatches over that table without naming a
 * command. The command line, the daemon's control socket and the TUI's ':' line all
 * dispatch through this table, so the three faces cannot drift apart.
 *
 * exec produces a JSON document (the --json output and the control socket's result); print,
 * if any, renders that document for people. A command that must run where the player lives
 * (CMD_PLAYER) is forwarded to the daemon (cmd_route), whose exec produces the same
 * document, so the output is the same whichever process ran it. */
#ifndef SEGUE_CMD_H
#define SEGUE_CMD_H

#include <jansson.h>
#include <stdio.h>

#include "err.h"
#include "seg.h"

enum cmd_where {
	CMD_ANY,      /* runs in whichever process has it: command line, daemon, TUI */
	CMD_PLAYER,   /* needs the player: a face without one forwards it to the daemon */
	CMD_FACE,     /* only in the command line itself (reads a terminal, starts a daemon) */
};

enum {
	CMD_STARTS_DAEMON = 1 << 0, /* the command line starts a daemon when none runs */
	CMD_NO_PLAYER_OK = 1 << 1,  /* without a daemon, exec runs locally with no player */
	CMD_REMOTE = 1 << 2,        /* can be aimed at another device (--device NAME, or whichever
	                             * device plays): cmd_route hands it to remote.h */
	CMD_STREAMS = 1 << 3,       /* prints as it goes (one line or document each); nothing at the end */
	CMD_FOLLOW_FLAG = 1 << 4,   /* with --follow, all it prints is follow's (lyrics --follow): a
	                             * face that runs no follow (the TUI) refuses the flag */
};

struct cmd_args {
	int argc;        /* positional arguments, after the command's name */
	char **argv;     /* borrowed from the caller */
	json_t *flags;   /* "--name value" as {"name": "value"}, "--name" alone as {"name": true} */
};

struct cmd_entry {
	const char *name;     /* one or two words: "pause", "queue add" */
	const char *usage;    /* arguments, e.g. "[--type TYPE] [--limit N] QUERY" */
	const char *help;     /* one paragraph for --help and the man page */
	const char *flags;    /* accepted flags: "type=,limit=,all" ('=': takes a value) */
	int min_args, max_args; /* max -1: any number */
	enum cmd_where where;
	unsigned opts;        /* CMD_STARTS_DAEMON, ... */
	enum seg_err (*exec)(struct seg *s, struct cmd_args *a, json_t **out);
	void (*print)(json_t *out, FILE *f); /* NULL: nothing to show but success */
	/* CMD_PLAYER only, may be NULL: what the command line does after the daemon answered,
	 * with the control connection still open (following a download's progress). It may
	 * replace *out. */
	enum seg_err (*follow)(struct seg *s, int fd, struct cmd_args *a, json_t **out);
};

/* Every command, NULL-terminated, in the order `segue help` lists them (src/cmd/table.c). */
extern const struct cmd_entry *const cmd_table[];

/* Finds the command named by the first one or two words of argv; *used receives how many
 * words the name took. NULL when there is none. */
const struct cmd_entry *cmd_find(int argc, char **argv, int *used);
/* Parses the arguments after the name. SEG_EUSAGE with a message on unknown flags or a wrong
 * number of arguments. a->flags is owned by a (cmd_args_free). */
enum seg_err cmd_parse(const struct cmd_entry *c, int argc, char **argv, struct cmd_args *a);
void cmd_args_free(struct cmd_args *a);
/* Whether a face that runs no follow (the TUI) can run c as a asks: not a CMD_FACE command,
 * nor --follow of a CMD_FOLLOW_FLAG one. SEG_EUSAGE with a message saying so when not. */
enum seg_err cmd_check_followless(const struct cmd_entry *c, const struct cmd_args *a);
/* Runs c where it belongs (cmd_route.c); the one place that decides where that is, for all
 * three faces. argc/argv are the whole command line, the name first (what cmd_find took),
 * sent as they are when the daemon runs it; a was parsed from them. *out is a new reference.
 *
 * Here, in this process: a command that needs no player (CMD_ANY, CMD_FACE); every command
 * in the process that has the player (the daemon, which never forwards to itself); a
 * CMD_REMOTE command aimed with --device. Run here, a CMD_REMOTE command aimed at another
 * device (by name, or the active one) goes there through the server (remote.h).
 * Otherwise in the daemon, over its control socket; one that is starting is waited for.
 * ctl_fd says how the face reaches the daemon:
 *  - NULL (the command line): a connection for this command alone, closed after it, on which
 *    c->follow runs after the answer. When no daemon runs, a CMD_REMOTE command goes to the
 *    device that plays, if one does; a CMD_STARTS_DAEMON command that names something to
 *    play starts a daemon; a CMD_NO_PLAYER_OK command runs here without a player; the rest
 *    fail with SEG_ENOPLAYER.
 *  - not NULL (the TUI): *ctl_fd is the connection kept between calls (-1: none yet). A call
 *    that fails on it is made once more on a fresh one; with no daemon the command fails
 *    (SEG_ENOPLAYER), since such a face starts and subscribes to the daemon itself. No
 *    follow: the connection is not the command's to subscribe. */
enum seg_err cmd_route(struct seg *s, const struct cmd_entry *c, struct cmd_args *a, int argc,
                       char **argv, int *ctl_fd, json_t **out);
/* Looks up, parses and routes a whole command line (the control socket's requests). */
enum seg_err cmd_run_argv(struct seg *s, int argc, char **argv, json_t **out);

/* Flag accessors. */
const char *cmd_flag(const struct cmd_args *a, const char *name);
bool cmd_has(const struct cmd_args *a, const char *name);
/* An integer flag in [min, max], or def when absent; SEG_EUSAGE when malformed. */
enum seg_err cmd_flag_int(const struct cmd_args *a, const char *name, long min, long max,
                          long def, long *out);

/* A position typed by a user: "90", "1:30", "1:02:03" (seconds); with a leading + or -,
 * relative. SEG_EUSAGE with a message when it is none. */
enum seg_err cmd_position(const char *s, long long *ms, bool *relative);

/* A volume typed by a user: N (0 to 100) or +N / -N (relative). */
enum seg_err cmd_volume_arg(const char *s, int *n, bool *relative);

/* The positional arguments joined by single spaces (a query typed without quotes); the
 * caller frees it. NULL when memory runs out. */
char *cmd_join_args(const struct cmd_args *a);

void cmd_print_usage(const struct cmd_entry *c, FILE *f);
/* segue's synopsis and the list of commands (src/cmd/table.c). */
void cmd_print_help(FILE *f);

#endif
