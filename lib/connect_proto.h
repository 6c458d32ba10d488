/* The Connect protocol's commands (doc/connect.md, Commands) as one table: each command's
 * name on the wire, its argument and the check on it, who may send it, and its door in the
 * Web API. The hub checks what clients send against it, the device dispatches on it, and the
 * command line's remote control sends through its doors: the three cannot drift apart. */
#ifndef SEGUE_CONNECT_PROTO_H
#define SEGUE_CONNECT_PROTO_H

#include <jansson.h>
#include <stdbool.h>

enum cc {
	CC_PLAY, CC_PAUSE, CC_RESUME, CC_NEXT, CC_PREVIOUS, CC_SEEK, CC_VOLUME, CC_SHUFFLE, CC_REPEAT,
	CC_QUEUE_ADD, CC_STOP, CC_TRANSFER_OUT, CC_TRANSFER_IN, CC_COUNT
};

/* The kinds of argument a command takes, each with its check. */
enum cc_arg {
	CA_NONE,
	CA_PLAY,        /* context_uri or uris, offset, position_ms: see connect_command_clean */
	CA_MS,          /* a whole number of milliseconds, 0 or more */
	CA_PERCENT,     /* 0 to 100 */
	CA_BOOL,        /* true or false */
	CA_REPEAT,      /* "off", "context" or "track" */
	CA_TRACK_URI,   /* segue:track:ID */
	CA_HUB,         /* the hub's own arguments (transfers): never from a client */
};

struct connect_command {
	const char *name;    /* on the wire */
	enum cc_arg arg;
	const char *field;   /* the argument's field, for the one-argument kinds */
	bool from_clients;   /* false: the hub alone sends it (stop and the transfers) */
	const char *method;  /* its door in the Web API, under /v1/me/player (NULL: none) */
	const char *path;
};

extern const struct connect_command connect_commands[CC_COUNT];

/* The command called name, or NULL. */
const struct connect_command *connect_command_find(const char *name);
/* Checks a command a client sent ({"command": name, arguments...}) and copies the arguments
 * that belong to it into a fresh object (the caller's), so that devices never see fields a
 * client made up. NULL with *why set when it is not acceptable. */
json_t *connect_command_clean(json_t *in, const char **why);

bool connect_track_uri_ok(const char *s);   /* segue:track:ID */
bool connect_context_uri_ok(const char *s); /* an album, playlist or artist URI */

#endif
