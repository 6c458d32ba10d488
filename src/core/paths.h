/* Where the client keeps things, after the XDG base directory specification, so that setting
 * XDG_CONFIG_HOME, XDG_DATA_HOME, XDG_CACHE_HOME and XDG_RUNTIME_DIR isolates one instance from
 * another completely (the tests run several side by side).
 *
 *   config   $XDG_CONFIG_HOME/segue/segue.conf      (or --config FILE)
 *   data     $XDG_DATA_HOME/segue/segue.db          state: outbox, metadata cache
 *            $XDG_DATA_HOME/segue/credentials       the session, mode 0600
 *   cache    $XDG_CACHE_HOME/segue/
 *   runtime  $XDG_RUNTIME_DIR/segue/control         the daemon's control socket, mode 0600
 *            $XDG_RUNTIME_DIR/segue/daemon.pid
 * Without XDG_RUNTIME_DIR the runtime directory is /tmp/segue-UID, created 0700 and refused
 * when another user owns it. */
#ifndef SEGUE_PATHS_H
#define SEGUE_PATHS_H

#include <limits.h>

#include "err.h"

struct paths {
	char conf[PATH_MAX];
	char data_dir[PATH_MAX];
	char db[PATH_MAX];
	char creds[PATH_MAX];
	char cache_dir[PATH_MAX];
	char runtime_dir[PATH_MAX];
	char sock[PATH_MAX];
	char pid[PATH_MAX];
	char log[PATH_MAX];
};

/* Fills p from the environment; conf_override (may be NULL) replaces the config path.
 * Creates nothing. SEG_EUSAGE when HOME is needed and unset or a path is too long. */
enum seg_err paths_init(struct paths *p, const char *conf_override);
/* mkdir -p with mode 0700 for the directories created. */
enum seg_err paths_mkdir(const char *dir);
/* Creates the runtime directory (0700) and checks that we own it. */
enum seg_err paths_runtime(const struct paths *p);

#endif
