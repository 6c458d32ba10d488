/* Where a command runs, decided in one place for the three faces (cmd.h, cmd_route): here, in
 * the daemon over its control socket, or on another device through the server (remote.h).
 * The command line, the TUI's worker and the daemon's control socket all come through here,
 * so a command goes to the same place whichever face it was typed into. */
#include "config.h"
#include "cmd.h"

#include <unistd.h>

#include "ctl.h"
#include "daemon.h"
#include "remote.h"

/* Runs c in this process, checking that it may run here (player or not). A CMD_REMOTE
 * command aimed at another device (--device NAME, or whichever device is the active one) is
 * carried there by the server instead. */
static enum seg_err run_here(struct seg *s, const struct cmd_entry *c, struct cmd_args *a,
                             json_t **out)
{
	char device[65];
	bool remote = false;
	enum seg_err e;

	*out = NULL;
	seg_clear_error();
	if ((c->opts & CMD_REMOTE) && (e = remote_target(s, a, device, &remote)))
		return e;
	if (remote)
		return remote_exec(s, c, a, device, out);
	if (c->where == CMD_PLAYER && !s->player && !(c->opts & CMD_NO_PLAYER_OK))
		return seg_fail(SEG_ENOPLAYER, "%s needs the player, and there is none here", c->name);
	return c->exec(s, a, out);
}

/* A face attached to the daemon keeps its connection between commands. The daemon may have
 * restarted since the last one: a call that fails on the connection is made once more on a
 * fresh one. With no daemon at all the command fails: the face started the one it attached
 * to, and starts the next itself, since it must subscribe to it as well. */
static enum seg_err via_kept(struct seg *s, int argc, char **argv, int *fd, json_t **out)
{
	enum seg_err e = SEG_OK;

	for (int attempt = 0; attempt < 2; attempt++) {
		if (*fd < 0 && (e = daemon_connect(s, s->config, false, fd, NULL)))
			break;
		e = ctl_call(*fd, argc, argv, 60000, out);
		if (e != SEG_EUNREACHABLE && e != SEG_EPROTO && e != SEG_ENOPLAYER)
			break;
		close(*fd);
		*fd = -1;
	}
	return e;
}

/* A face that runs one command (the command line) connects for it alone. With no daemon,
 * what the command is decides: another device that plays, a daemon started for it, or this
 * process without a player. */
static enum seg_err via_daemon(struct seg *s, const struct cmd_entry *c, struct cmd_args *a,
                               int argc, char **argv, json_t **out)
{
	enum seg_err e;
	char device[65];
	bool remote = false;
	int fd;

	/* One being started (segue daemon &, just before us) is waited for. */
	e = daemon_connect(s, s->config, false, &fd, NULL);
	/* No daemon here, but another device plays: that is the one to control. */
	if (e == SEG_ENOPLAYER && (c->opts & CMD_REMOTE) && !remote_target(s, a, device, &remote) && remote) {
		/* Straight there: run_here would ask the server again which device that is. */
		*out = NULL;
		seg_clear_error();
		return remote_exec(s, c, a, device, out);
	}
	/* Only something to play is worth starting a daemon for: "segue play" alone resumes, but
	 * a command that takes no arguments (segue discover) always names what it plays. */
	if (e == SEG_ENOPLAYER && (c->opts & CMD_STARTS_DAEMON) && (a->argc > 0 || c->max_args == 0))
		e = daemon_connect(s, s->config, true, &fd, NULL);
	if (e == SEG_ENOPLAYER && (c->opts & CMD_NO_PLAYER_OK))
		return run_here(s, c, a, out);
	if (e == SEG_ENOPLAYER)
		return seg_fail(SEG_ENOPLAYER, "nothing is playing: no segue daemon runs (segue play "
		                "starts one, or segue daemon)");
	if (e)
		return e;
	e = ctl_call(fd, argc, argv, 60000, out);
	/* The connection is this command's: follow may subscribe it to the daemon's events. */
	if (!e && c->follow)
		e = c->follow(s, fd, a, out);
	close(fd);
	return e;
}

enum seg_err cmd_route(struct seg *s, const struct cmd_entry *c, struct cmd_args *a, int argc,
                       char **argv, int *ctl_fd, json_t **out)
{
	*out = NULL;
	/* What needs no player runs where it was typed; and the process that has the player (the
	 * daemon, which serves only once its player runs) runs everything itself, never
	 * forwarding to itself. */
	if (c->where != CMD_PLAYER || s->player)
		return run_here(s, c, a, out);
	/* Aimed at a device by name: the server carries it there; no daemon needed here. */
	if ((c->opts & CMD_REMOTE) && cmd_flag(a, "device"))
		return run_here(s, c, a, out);
	if (ctl_fd)
		return via_kept(s, argc, argv, ctl_fd, out);
	return via_daemon(s, c, a, argc, argv, out);
}
