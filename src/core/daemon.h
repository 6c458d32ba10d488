/* The headless daemon: the core with no screen, playing audio and controlled over the control
 * socket (ctl.h). One per user session: a second one finds the pid file locked and refuses.
 * SIGTERM and SIGINT stop it cleanly: the current play is closed and the outbox flushed. */
#ifndef SEGUE_DAEMON_H
#define SEGUE_DAEMON_H

#include <stdbool.h>

#include "seg.h"

/* Runs until told to quit. With detach, forks into the background first and returns in the
 * parent once the child listens (or has failed); logs then go to paths.log. Returns the
 * process exit status. */
int daemon_run(struct seg *s, bool detach);
/* Connects to this user's daemon (*fd, the caller's to close). A daemon that is starting, or
 * stopping, is waited for up to 5 s; with start and none left, one is started (`segue daemon
 * --detach`, this executable, with s's server and audio output and the config file given,
 * NULL: the default) and *started (may be NULL) says so. When two processes start one at the
 * same moment, one daemon runs and both are connected to it. SEG_ENOPLAYER, at once, when
 * none runs or starts and start is false. */
enum seg_err daemon_connect(struct seg *s, const char *config, bool start, int *fd, bool *started);
/* Asks the running loop (from a command's exec) to stop after the current request. */
void daemon_request_quit(struct seg *s);

#endif
