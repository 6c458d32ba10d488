/* What the Connect hub of several instances shares through PostgreSQL (doc/connect.md,
 * Several instances): a channel every instance LISTENs to for small routing messages, the
 * instances alive (a heartbeat each), the devices each holds, each user's player state
 * (versioned), and parcels: the messages too big for a notification (PostgreSQL's limit is
 * 8000 bytes), which travel as a row whose id the notification carries.
 *
 * Everything but store_bus_listen works on the caller's store (the service loop's). The
 * listening connection is one of its own: a connection that LISTENs must not run the loop's
 * statements, whose results would come mixed with notifications. PostgreSQL only: on SQLite
 * there is one process and the hub stays in memory (migration 21 makes the tables on both, so
 * the two schemas stay alike). */
#ifndef SEGUE_STORE_BUS_H
#define SEGUE_STORE_BUS_H

#include <stdbool.h>
#include <stddef.h>

struct store;
struct store_bus;

/* The largest payload a notification takes here (PostgreSQL's limit is 8000 bytes). */
#define STORE_BUS_PAYLOAD_MAX 7800

/* ---- the listening connection ---- */

/* Connects to url and LISTENs to the Connect channel; NULL with err. */
struct store_bus *store_bus_listen(const char *url, char *err, size_t errlen);
void store_bus_close(struct store_bus *b);
/* The socket to watch for readability; it changes after store_bus_read returned 1. */
int store_bus_fd(struct store_bus *b);
/* Hands every notification that has arrived to fn, without blocking. 0; 1 when the
 * connection was lost and made again (the socket changed, and notifications may have been
 * missed meanwhile); -1 when it could not be made again (tried again at the next call). */
int store_bus_read(struct store_bus *b, void (*fn)(void *ud, const char *payload), void *ud);

/* ---- on the caller's store ---- */

/* Sends payload (at most STORE_BUS_PAYLOAD_MAX bytes) on the channel. 0 or -1 (logged). */
int store_bus_notify(struct store *s, const char *payload);

/* A message too big for a notification: kept as a row; *id names it. 0 or -1 (logged). */
int store_bus_parcel_put(struct store *s, const char *body, long long *id);
/* The parcel's body (malloc'd, the caller's) into *body. 1, 0 when there is none (purged),
 * -1 (logged). */
int store_bus_parcel_get(struct store *s, long long id, char **body);
/* Drops the parcels older than before (ms): they were read long ago. */
int store_bus_parcels_purge(struct store *s, long long before);

/* The instance's heartbeat, now (ms). 0 or -1 (logged). */
int store_bus_beat(struct store *s, const char *instance, long long now);
/* Instances silent since before (ms): each is dropped with its devices, and dead(ud, id)
 * called for it. Only one caller gets a given instance, however many look at once. 0 or -1. */
int store_bus_reap(struct store *s, long long before, void (*dead)(void *ud, const char *id),
                   void *ud);
/* An instance that stops: its row and its devices go. */
int store_bus_leave(struct store *s, const char *instance);

/* A device as an instance holds it. */
struct store_bus_device {
	const char *user_id, *device_id, *instance, *name, *type;
	int volume;
};
/* The device is held by d->instance from now on (it joined, or changed): its place in the
 * user's list is kept when it was there already. 0 or -1 (logged). */
int store_bus_device_put(struct store *s, const struct store_bus_device *d);
/* The device left instance (nothing happens when another instance holds it now). */
int store_bus_device_drop(struct store *s, const char *user_id, const char *device_id,
                          const char *instance);
/* user_id's devices held by instances other than instance, in the order they joined. */
int store_bus_devices_each(struct store *s, const char *user_id, const char *instance,
                           void (*fn)(void *ud, const struct store_bus_device *d), void *ud);

/* A user's player state as the hub keeps it: state and queue as JSON text (NULL: none). */
struct store_bus_player {
	long long version, queue_version;
	char *state, *queue;        /* malloc'd by store_bus_player_get */
	char active[72];            /* the active device's id, "" for none */
	long long changed_at;
	char changed_by[256];
};
/* Writes the state (and the queue when with_queue), bumping the version (and the queue's),
 * when the row is still at version `expected` (0: there is no row yet); p->version and
 * p->queue_version get the new ones. 1 written; 0 when the row is at another version (another
 * instance wrote it meanwhile: nothing was written); -1 (logged). */
int store_bus_player_put(struct store *s, const char *user_id, struct store_bus_player *p,
                         bool with_queue, long long expected);
/* Reads it when its version is above `after`; the queue only when its version is not
 * known_queue_version (else p->queue is NULL). 1, 0 when the user has none that new, -1
 * (logged). The caller frees p->state and p->queue. */
int store_bus_player_get(struct store *s, const char *user_id, long long after,
                         long long known_queue_version, struct store_bus_player *p);

#endif
