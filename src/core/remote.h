/* Player commands aimed at another device: through the server's player endpoints (the Web
 * API's /v1/me/player…, doors into the Connect hub), which answer once that device has acted.
 * cmd_route sends every command marked CMD_REMOTE here when it is aimed elsewhere: with
 * --device NAME, or when another device of the user is the active one. */
#ifndef SEGUE_REMOTE_H
#define SEGUE_REMOTE_H

#include <jansson.h>
#include <stdbool.h>

#include "cmd.h"
#include "seg.h"

/* Where a command should run: *remote false means here; true means the device id. */
enum seg_err remote_target(struct seg *s, const struct cmd_args *a, char id[65], bool *remote);
/* Runs c on the device id; *out is what the command would answer locally (the player state,
 * or the queue). */
enum seg_err remote_exec(struct seg *s, const struct cmd_entry *c, struct cmd_args *a,
                         const char *id, json_t **out);
/* The device named by name: its exact id, its exact name (case aside), or an unambiguous
 * prefix of either. */
enum seg_err remote_find_device(struct seg *s, const char *name, char id[65]);

#endif
