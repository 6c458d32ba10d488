/* The Connect hub (doc/connect.md): per user, the connected devices and one player state;
 * commands routed to the device that plays and answered when it confirms; transfers; live
 * playlist notices. It runs on the service loop only. The WebSocket framing lives in server/connect/ws.c,
 * which hands the hub whole messages and sends what the hub queues; the REST doors
 * (server/api/player.c) reach the same functions with a caller (struct hub_caller) as the
 * party to answer.
 *
 * On SQLite nothing here is kept across restarts: devices reconnect, and the device that was
 * active brings the state back in its hello. On PostgreSQL several instances answer as one
 * hub (server/connect/bus.c): each keeps its own sessions, mirrors the other instances'
 * devices of the users it serves, and keeps each user's player state in the database. */
#ifndef SEGUE_HUB_H
#define SEGUE_HUB_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct hub;
struct hub_reply;
struct hub_user;
struct lws;
struct lws_context;
struct store;
struct user;

#define HUB_DEVICE_ID_MAX 64
#define HUB_NAME_MAX 64   /* characters */
#define HUB_TYPE_MAX 32
#define HUB_WATCH_MAX 16  /* playlists one session may watch */

/* A REST caller of a command or transfer (server/api/player.c answers a request through
 * one). done runs once with the outcome (ok, or a reason of doc/connect.md and a message):
 * before the door returns, or later, when the device answers. wait tells where the hub keeps
 * the caller while the outcome is awaited -- rep, to hand to hub_reply_orphan if the caller
 * goes first -- and NULL when the hub drops it unanswered (freed as the process stops). */
struct hub_caller {
	void (*done)(void *ud, bool ok, const char *reason, const char *message);
	void (*wait)(void *ud, struct hub_reply *rep);
};

/* Who waits for the outcome of a command or transfer: a WebSocket session (with the id it
 * chose) or a REST caller. The caller is cleared by hub_reply_orphan if it goes away. */
struct hub_reply {
	struct hub_conn *conn;
	char id[HUB_DEVICE_ID_MAX + 1];
	const struct hub_caller *caller;
	void *ud;                       /* the caller's */
	bool waiting;                   /* the caller was told where (hub_caller.wait) */
};

/* One WebSocket session. server/connect/ws.c allocates it at the handshake and owns its buffers; the hub
 * owns its place in the user's list. */
struct hub_conn {
	struct lws *wsi;
	struct hub *hub;
	struct hub_user *user;
	char user_id[72];
	unsigned char token_hash[32];
	bool hello, observer;
	bool remote;                    /* a device held by another instance (connect/bus.c) */
	bool deltas;                    /* reads device-list changes (hello's capabilities) */
	bool no_queue;                  /* wants no queue snapshot in player messages (the same) */
	char device_id[HUB_DEVICE_ID_MAX + 1];
	/* A device's name and type, in one allocation (name owns it; type points into it):
	 * session memory is kept small, as a hub holds tens of thousands of idle sessions. */
	char *name, *type;
	int volume;
	char (*watch)[23];              /* HUB_WATCH_MAX of them, allocated at the first watch */
	int nwatch;
	struct hub_conn *next;          /* in the user's list */
	/* server/connect/ws.c's side */
	struct ws_msg *out_head, *out_tail;
	size_t out_bytes;
	unsigned char *rx;
	size_t rx_len, rx_cap;
	int close_code;                 /* nonzero: close with this after the queue drains */
	int64_t last_rx;                /* monotonic ms of the last message (liveness) */
	struct hub_conn *all_prev, *all_next; /* every session, least recently heard first */
	const char *close_reason;       /* a string literal (ws_close) */
	int strikes;                    /* refused messages in the current minute */
	int64_t strike_window, rate_window;
	int rate_count;
};

/* What the hub is given by its maker (cli/serve.c); it keeps a copy. */
struct hub_config {
	struct store *store;        /* the service loop's */
	struct lws_context *lws;    /* commands time out on its loop */
	long heartbeat_ms;          /* told to devices; silent for three, a session is closed */
	long timeout_ms;            /* how long a device has to answer a command */
	long max_message;           /* the largest WebSocket message, bytes */
	/* Checks a handshake's Authorization header (maybe empty): NULL with who filled, or why
	 * it is refused. */
	const char *(*authenticate)(void *ud, const char *authorization, struct user *who);
	void *auth_ud;
	/* Several instances over one PostgreSQL database (connect/bus.c): the database's URL
	 * (NULL: one process, the hub all in memory), how long an instance may be silent before
	 * the others drop its devices, and the service loop's watcher of a descriptor's input
	 * (NULL where the loop has none: the bus is then read on a short timer). */
	const char *bus_url;
	long instance_timeout_ms;
	void *loop;
	void *(*read_start)(void *loop, int fd, void (*fn)(void *arg), void *arg);
	void (*read_stop)(void *loop, void *io);
};

/* NULL when out of memory, or (with bus_url) when the database cannot be listened to. */
struct hub *hub_new(const struct hub_config *cfg);
/* The service loop is ending: the other instances are told this one leaves (its devices go
 * from their lists at once), and the sessions that close from here on tell them nothing
 * more. Before the lws context is destroyed. */
void hub_stop(struct hub *h);
void hub_free(struct hub *h);

/* server/connect/ws.c's entry points. */
void hub_conn_open(struct hub_conn *c);
void hub_conn_message(struct hub_conn *c, const char *text, size_t len);
void hub_conn_closed(struct hub_conn *c);
/* Tokens were revoked: close the sessions of user_id opened with a token no longer valid. */
void hub_tokens_revoked(struct hub *h, const char *user_id);

/* The REST doors. Each gives caller the outcome at once, or tells it to wait and gives it
 * the outcome when the device answers. */
json_t *hub_player_state(struct hub *h, const char *user_id);   /* NULL: none */
json_t *hub_devices(struct hub *h, const char *user_id);        /* {"devices": [...]} */
json_t *hub_queue_snapshot(struct hub *h, const char *user_id); /* borrowed; NULL: none */
/* cmd: {"command": "pause", ...arguments}; stolen. device_id may be NULL (the active one).
 * Both return -1, having told the caller nothing, when out of memory. */
int hub_rest_command(struct hub *h, const char *user_id, const char *device_id, json_t *cmd,
                     const struct hub_caller *caller, void *ud);
int hub_rest_transfer(struct hub *h, const char *user_id, const char *device_id, int play,
                      const struct hub_caller *caller, void *ud);

/* OpenSubsonic's play queue (getPlayQueue, savePlayQueue) is the user's Connect state, so a
 * phone picks up where a terminal stopped and the other way round. */
struct hub_play_queue {
	json_t *state;          /* as hub_player_state renders it; the caller's */
	json_t *queue;          /* the queue snapshot; the caller's; NULL when there is none */
	long long changed_at;   /* when the state was last set, Unix ms */
	char changed_by[256];   /* by which player: a device's name or an outside client's */
};
/* Returns 1 with q filled, 0 when the user has no state (q untouched). */
int hub_play_queue(struct hub *h, const char *user_id, struct hub_play_queue *q);
/* A player outside Connect (an OpenSubsonic client) saved where it is: state (a player state
 * without device, paused; stolen) and queue (a queue snapshot; stolen) become the user's; the
 * device that was active is told to stop, as that player has taken over; no device is active
 * until a transfer or a play picks it up; every session hears of it. by names the player.
 * Returns 0; 1 when a transfer is under way (nothing changed); -1 when out of memory. */
int hub_play_queue_save(struct hub *h, const char *user_id, json_t *state, json_t *queue,
                        const char *by);
/* That player cleared its queue: the state is dropped and every session hears of it, unless a
 * device is active (then its state is what plays, and stands). Returns 0. */
int hub_play_queue_clear(struct hub *h, const char *user_id, const char *by);

/* What a user plays now, for OpenSubsonic's getNowPlaying: the active device's track while it
 * plays, and what a player outside Connect said it plays (scrobble with submission=false),
 * until that song's end. */
struct hub_now_playing {
	char track[23];
	char by[256];       /* the device's or the player's name */
	long long at;       /* since when (ms) */
	bool device;        /* a Connect device's */
};
/* Notes that a player outside Connect, named by, plays track_id from now until `until` (ms).
 * Returns 0, -1 when out of memory. */
int hub_now_playing_set(struct hub *h, const char *user_id, const char *track_id, const char *by,
                        long long until);
/* Up to two entries into out (the device's first). Returns how many. */
int hub_now_playing(struct hub *h, const char *user_id, struct hub_now_playing out[2]);

/* A playlist changed (after the commit): tells everyone who can see it. change is stolen. */
void hub_playlist_changed(struct hub *h, const char *playlist_id, const char *snapshot_id,
                          json_t *change);

/* The caller waiting at rep is going away: the outcome goes nowhere. */
void hub_reply_orphan(struct hub_reply *rep);

/* Metrics. */
long hub_connections(const struct hub *h);

#endif
