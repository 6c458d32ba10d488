/* The daemon's control protocol, over a UNIX stream socket ($XDG_RUNTIME_DIR/segue/control,
 * mode 0600). Lines of JSON, one object per line, at most CTL_LINE_MAX bytes.
 *
 *   request   {"id": ANY, "argv": ["queue", "add", "segue:track:..."]}
 *             {"id": ANY, "subscribe": true}
 *   response  {"id": ANY, "ok": true, "result": ...}
 *             {"id": ANY, "ok": false, "error": {"code": "not_found", "exit_status": 4,
 *                                               "message": "..."}}
 *   event     {"event": "state" | "track" | "error", "data": ...}   (after subscribe)
 *
 * "argv" is a command line exactly as `segue` takes it (after the global flags), dispatched
 * through the same command table. Responses come in request order. */
#ifndef SEGUE_CTL_H
#define SEGUE_CTL_H

#include <jansson.h>

#include "err.h"

#define CTL_LINE_MAX (1 << 20)

/* Connects; SEG_ENOPLAYER when no daemon listens there. */
enum seg_err ctl_connect(const char *path, int *fd);
/* Sends argv as one request and waits (up to timeout_ms) for its response. On SEG_OK *result
 * is the result (new reference, may be JSON null); on failure the daemon's error code and
 * message are returned as ours. */
enum seg_err ctl_call(int fd, int argc, char **argv, long timeout_ms, json_t **result);
/* Reads one line-delimited JSON object (blocking up to timeout_ms; -1 forever). */
enum seg_err ctl_read(int fd, long timeout_ms, json_t **msg);
/* Writes one object as a line. */
enum seg_err ctl_write(int fd, json_t *msg);

#endif
