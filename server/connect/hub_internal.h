/* What the Connect hub's files (server/connect/) share and no one else sees: the hub, its users,
 * their pending commands and transfer, and the functions one part calls in another. The public
 * API is server/connect/hub.h. */
#ifndef SEGUE_HUB_INTERNAL_H
#define SEGUE_HUB_INTERNAL_H

#include <libwebsockets.h>
#include <stdbool.h>

#include "connect/hub.h"

struct ws_payload;

#define USER_BUCKETS 4096
#define CMD_ID_MAX 64

enum pending_kind { P_COMMAND, P_XFER_OUT, P_XFER_IN, P_ROLLBACK };

struct pending {
	lws_sorted_usec_list_t sul; /* first: the timer callback finds the pending from it */
	struct hub_user *user;
	enum pending_kind kind;
	char id[24];                /* the hub's id, sent to the device */
	struct hub_conn *target;
	struct hub_reply reply;     /* P_COMMAND only */
	struct pending *next;
};

struct transfer {
	bool busy;
	struct hub_conn *source, *target;
	int play;                   /* 1, 0, or -1: as the source was */
	struct hub_reply reply;
	json_t *state, *queue;      /* what the target is given */
};

struct hub_user {
	char id[72];
	struct hub_conn *conns;
	struct hub_conn *active;
	json_t *state;              /* the last state of the active device, without "device" */
	json_t *queue;              /* the last queue snapshot */
	long long changed_at;       /* when state was last set (ms) */
	char *changed_by;           /* and by which player: a device's name, or a client's */
	char now_track[23];         /* what a player outside Connect plays now ("": none) */
	char *now_by;               /* that player's name */
	long long now_at, now_until;
	struct pending *pending;
	struct transfer xfer;
	unsigned mark;              /* playlist fan-out: told already in this round */
	struct hub_user *next;      /* in the bucket */
};

struct hub {
	struct hub_config cfg;
	struct hub_user *buckets[USER_BUCKETS];
	unsigned long long seq;
	unsigned mark;
	long nconns;
	struct hub_conn **watchers;
	size_t nwatchers, capwatchers;
	struct ws_payload *pong;    /* the heartbeat's answer, rendered once for every session */
};

/* hub.c: the hub, its users, sending, answering whoever asked. */
struct hub_user *hub_user_find(struct hub *h, const char *id);  /* NULL: never seen */
struct hub_user *hub_user_get(struct hub *h, const char *id);   /* NULL: out of memory */
struct hub *hub_of(struct hub_conn *c);
void hub_send_json(struct hub_conn *c, json_t *msg);
struct ws_payload *hub_payload(json_t *msg);
void hub_broadcast(struct hub_user *u, json_t *msg, struct hub_conn *skip);
void hub_send_error(struct hub_conn *c, const char *reason, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void hub_reply_done(struct hub_reply *rep, bool ok, const char *reason, const char *message);
void hub_reply_wait(struct hub_reply *rep);
void hub_reply_move(struct hub_reply *to, struct hub_reply *from);

/* devices.c: the device list, in arrival order, and its changes told as changes (to the
 * sessions that asked for deltas; the whole list to the others). Each hub_devices_* tells
 * every session of u that said hello but skip (may be NULL). */
bool hub_device_id_ok(const char *s);
json_t *hub_device_object(const struct hub_user *u, const struct hub_conn *c);
json_t *hub_devices_array(const struct hub_user *u);
struct hub_conn *hub_device_find(struct hub_user *u, const char *id);
void hub_device_link(struct hub_user *u, struct hub_conn *c, struct hub_conn *in_place_of);
void hub_devices_added(struct hub_user *u, struct hub_conn *c, struct hub_conn *skip);
void hub_devices_changed(struct hub_user *u, struct hub_conn *c, struct hub_conn *skip);
void hub_devices_removed(struct hub_user *u, const struct hub_conn *gone);
void hub_active_set(struct hub_user *u, struct hub_conn *c);

/* state.c: the player state. */
long long hub_int_member(json_t *o, const char *name, long long def);
json_t *hub_render_state(const struct hub_user *u);
void hub_broadcast_player(struct hub_user *u, bool with_queue);
long long hub_now_position(json_t *state);
bool hub_state_set(struct hub_user *u, struct hub_conn *c, json_t *state, json_t *queue);
bool hub_state_ok(json_t *state);
/* Notes that who (a device's name, or an outside player's) set u's state just now. */
void hub_state_changed_by(struct hub_user *u, const char *who);
void hub_on_state(struct hub *h, struct hub_conn *c, json_t *m);

/* command.c: pending commands, and commands checked and routed. */
void hub_pending_free(struct pending *p);
struct pending *hub_pending_send(struct hub *h, struct hub_user *u, struct hub_conn *target,
                                 enum pending_kind kind, json_t *cmd, const char *from);
void hub_send_stop(struct hub *h, struct hub_conn *c);
void hub_route_command(struct hub *h, struct hub_user *u, const char *device_id, json_t *cmd,
                       struct hub_reply *rep, const char *from);
void hub_on_command(struct hub *h, struct hub_conn *c, json_t *m);
void hub_on_result(struct hub *h, struct hub_conn *c, json_t *m);

/* transfer.c: transfers, and the end of every pending command. */
void hub_xfer_start(struct hub *h, struct hub_user *u, struct hub_conn *target, int play,
                    struct hub_reply *rep);
void hub_pending_finish(struct pending *p, bool ok, const char *reason, const char *message,
                        json_t *result);
void hub_on_transfer(struct hub *h, struct hub_conn *c, json_t *m);

/* watch.c: live playlists. */
void hub_watchers_drop(struct hub *h, struct hub_conn *c);
void hub_on_watch(struct hub *h, struct hub_conn *c, json_t *m, bool on);

#endif
