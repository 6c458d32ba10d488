/* The desktop face: the daemon as an MPRIS2 media player on the session bus
 * (org.mpris.MediaPlayer2.segue, or .instance<PID> beside another), so media keys, desktop
 * shells and playerctl show and control what plays, and, when asked, a desktop notification
 * for each new track.
 *
 * It lives on the daemon's loop (sd-bus, no thread): mpris_poll() fills the descriptors to
 * wait on (the bus's, and the notifier's cover worker's) and says the timeout, and
 * mpris_dispatch() runs once poll returns. Idle, the bus asks for no timeout, so a paused
 * daemon still sleeps in poll for good. What it shows is what
 * the TUI shows: the daemon's own player, or the hub's state when another device of the
 * account plays; what it is told to do runs through the command table (cmd_run_argv), the
 * path the control socket's requests take, so it reaches that other device too. */
#ifndef SEGUE_MPRIS_H
#define SEGUE_MPRIS_H

#include <poll.h>

#include "seg.h"

struct mpris;

/* Connects to the session bus and takes the name. NULL when the mpris setting is off, or
 * when there is no session bus (said once in the log): the daemon then runs without it. */
struct mpris *mpris_start(struct seg *s);
void mpris_free(struct mpris *m);

#define MPRIS_NFDS 2
/* Fills pfd[0 .. MPRIS_NFDS - 1] (fd -1 where there is nothing; all of them for NULL) and
 * returns the milliseconds poll may sleep at most (-1: for good). */
long mpris_poll(struct mpris *m, struct pollfd *pfd);
/* After poll, with what it said of those descriptors: reads and answers the bus. */
void mpris_dispatch(struct mpris *m, const struct pollfd *pfd);
/* The player or the hub changed: sends PropertiesChanged and Seeked for what differs from
 * what was last signalled, and a notification when the track changed. */
void mpris_update(struct mpris *m);

#endif
