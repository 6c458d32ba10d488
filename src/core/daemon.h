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
/* Starts `segue daemon --detach` (this executable) with s's server and audio output and the
 * config file given (NULL: the default), and waits until it listens. */
enum seg_err daemon_spawn(struct seg *s, const char *config);
/* Asks the running loop (from a command's exec) to stop after the current request. */
void daemon_request_quit(struct seg *s);

#endif
