/* What the TUI runs on: the daemon (attached to when one runs, started otherwise) and a
 * worker thread that runs commands from the shared command table, so no network call or
 * daemon round trip ever blocks the interface.
 *
 * Jobs are command lines, exactly as `segue` takes them; each comes back as a result with the
 * tag it was submitted with. Where each runs is the core's cmd_route to say: player commands
 * go to the daemon's control socket; the rest run in the worker with its own API client. The daemon's events (player state, devices, the
 * hub's state, playlist changes) arrive on a subscription. */
#ifndef SEGUE_TUI_BACKEND_H
#define SEGUE_TUI_BACKEND_H

#include <jansson.h>
#include <stdbool.h>

#include "err.h"
#include "seg.h"

struct backend;

struct job_result {
	int tag;
	enum seg_err err;
	char message[300];
	json_t *out;          /* owned by the receiver; NULL on error */
	char **argv;          /* the command line run (owned by the receiver: backend_result_free) */
	int argc;
};

/* Attaches to the daemon (starting one with config when none runs) and starts the worker. */
enum seg_err backend_open(struct seg *s, const char *config, struct backend **out);
/* Ends the worker; with stop_daemon, asks the daemon to quit too. */
void backend_close(struct backend *b, bool stop_daemon);
/* The TUI started the daemon it is attached to (so quitting it should stop it). */
bool backend_started_daemon(const struct backend *b);

/* Queues a command line (copied). Returns false, having queued nothing, out of memory: no
 * result will come for it. */
bool backend_submit(struct backend *b, int tag, int argc, const char *const *argv);
/* Readable when results wait. */
int backend_result_fd(struct backend *b);
bool backend_next_result(struct backend *b, struct job_result *r);
void backend_result_free(struct job_result *r);

/* The subscription: readable when events wait; backend_next_event hands them out one at a
 * time ({"event": ..., "data": ...}; the first is the state at subscription, as "state").
 * SEG_ENOPLAYER when the daemon went away. */
int backend_event_fd(struct backend *b);
enum seg_err backend_next_event(struct backend *b, json_t **event);
/* Tries to attach again (the daemon was restarted, or we start one). */
enum seg_err backend_reattach(struct backend *b);

#endif
