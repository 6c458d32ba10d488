/* The terminal interface: the third face on the core, after the command line and the daemon.
 * It attaches to the daemon (starting one when none runs), shows the catalog, the library,
 * the queue and the user's Connect devices, and runs every command through the shared
 * command table, on a worker thread so the network never blocks a keystroke. */
#ifndef SEGUE_TUI_H
#define SEGUE_TUI_H

#include "seg.h"

/* Runs until the user quits; returns the process exit status. config is the --config file
 * (NULL: the default), passed on to a daemon it starts. */
int tui_run(struct seg *s, const char *config);

#endif
