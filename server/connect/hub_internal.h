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
	char id[64];                /* the hub's id, sent to the device ("@instance" ends it
	                             * when several instances share the hub) */
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

/* What a change of a user's player state rests on, when several instances share it: bus.c
 * weighs it against a newer row another instance wrote meanwhile (doc/connect.md, Several
 * instances). In rising order: a change of one cycle that is several is the strongest. */
enum hub_change {
	HC_NONE,
	HC_REPORT,  /* speaks for the device active then (or for none): its state, its leaving */
	HC_MOVE,    /* chooses the device that plays: a device pressed play, a transfer run here */
	HC_SAVE,    /* a command's effect that holds whoever plays: a play queue saved */
};

struct hub_user {
	char id[72];
	struct hub *hub;
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
	/* connect/bus.c's: the versions of the database's row last seen or written, the queue
	 * written last (a reference: a queue is replaced, never changed in place), and whether
	 * the row is to be written (in the hub's list of such users). */
	long long bus_version, bus_queue_version;
	json_t *bus_queue_sent;
	/* A session of ours that another instance's transfer handed playback to and that has
	 * not answered yet: its `state` is that transfer's, not a device taking over. */
	struct hub_conn *bus_xfer_in;
	/* The version at which the instance holding a device of another instance wrote its
	 * taking over this instance's transfer (0: it did not), while its answer is handled. */
	long long bus_handed;
	bool bus_dirty;
	/* The row may be newer than the mirror although no other instance holds a device of
	 * the user as far as this one knows: another instance commanded one of its devices, or
	 * the row could not be read. Routing reads the row first (hub_bus_refresh). */
	bool bus_unsure;
	/* The device the row has active when this instance has not heard of it yet (its
	 * announcement on the way; "": none such): a move stops it by this id, and it is made
	 * the active device when it is announced. */
	char bus_unheard[72];
	struct hub_user *bus_next;
	/* The change waiting to be written: what it rests on, the device a report speaks for
	 * and the one a move displaced (told to stop already); "": none. */
	enum hub_change bus_change;
	char bus_about[72], bus_displaced[72];
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
	struct hub_bus *bus;        /* connect/bus.c's; NULL: one process */
};

/* A session of this process that said hello: the one the hub sends to itself. A device of
 * another instance (remote) is listed and commanded, but told nothing: its instance tells it. */
static inline bool hub_told(const struct hub_conn *c)
{
	return c->hello && !c->remote;
}

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

/* session.c: c leaves its user (closed, or replaced by successor, which may be NULL). */
void hub_conn_detach(struct hub *h, struct hub_conn *c, struct hub_conn *successor);
void hub_tokens_check(struct hub *h, const char *user_id);

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
/* c NULL: none. A device made active (not by another instance's row) is a move: the bus
 * weighs it as one against a newer row, and the device active before is the one it displaced. */
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
/* c confirmed a transfer_in (result: its answer, which may carry its state and queue): it is
 * the active device, and u's sessions are told. queue: the one the transfer carried, taken
 * when u has none (NULL: none known). The transfer's end and, when the transfer is another
 * instance's, the instance that holds c (bus.c) both come here. */
void hub_xfer_took_over(struct hub_user *u, struct hub_conn *c, json_t *result, json_t *queue);

/* watch.c: live playlists. */
void hub_watchers_drop(struct hub *h, struct hub_conn *c);
void hub_on_watch(struct hub *h, struct hub_conn *c, json_t *m, bool on);
/* Tells this process's sessions that can see the playlist: the message is rendered. */
void hub_playlist_tell(struct hub *h, const char *playlist_id, const char *text, size_t len);

/* bus.c: several instances as one hub, through PostgreSQL. Each does nothing when the hub
 * has no bus (one process). */
int hub_bus_start(struct hub *h);
void hub_bus_stop(struct hub *h);
void hub_bus_free(struct hub *h);
/* A user the hub had not seen: its devices on other instances and its player state. */
void hub_bus_user_load(struct hub *h, struct hub_user *u);
void hub_bus_user_free(struct hub_user *u);
/* A device of another instance, once detached from its user. */
void hub_bus_proxy_free(struct hub_conn *c);
/* A device of this process joined or changed (put), or left (drop). */
void hub_bus_device_put(struct hub *h, struct hub_conn *c);
void hub_bus_device_drop(struct hub *h, const struct hub_user *u, const struct hub_conn *c);
/* u's player state (or its active device) changed here: the row is written, and the other
 * instances told, when the loop comes back from what it is doing. */
void hub_bus_player_changed(struct hub *h, struct hub_user *u);
/* Said just before such a change is made: what it rests on (kind), and for HC_REPORT the
 * device it speaks for (the active one then; NULL: none). */
void hub_bus_note(struct hub_user *u, enum hub_change kind, const struct hub_conn *about);
/* Writes every change waiting to be written, now: before an answer that others may act on. */
void hub_bus_flush(struct hub *h);
/* Before routing by u's active device: reads u's row when another instance wrote it since
 * this one last read it (its notification may still be on the way); skipped while this
 * instance holds every device of u it knows of and is not unsure (bus_unsure). */
void hub_bus_refresh(struct hub *h, struct hub_user *u);
/* The transfer of u to target, a device of another instance, was confirmed: true when that
 * instance wrote the handover (the only writer of it), and u's mirror is brought to that
 * row; false: this instance is to write it. */
bool hub_bus_handed_over(struct hub *h, struct hub_user *u, const struct hub_conn *target);
/* A message (rendered) to a device of another instance; xfer_in: it is a transfer_in. */
void hub_bus_send(struct hub *h, struct hub_conn *remote, const char *text, bool xfer_in);
/* A device of this process answered a command of another instance (the id says which):
 * true when it was sent there. */
bool hub_bus_result(struct hub *h, struct hub_conn *c, json_t *m);
void hub_bus_playlist(struct hub *h, const char *text);
void hub_bus_revoked(struct hub *h, const char *user_id);
/* What ends the hub's ids for its commands ("" for one process). */
const char *hub_bus_id_suffix(const struct hub *h);

#endif
