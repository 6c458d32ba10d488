/* This client as a Connect device (doc/connect.md): it says hello over the transport
 * (connect.h), reports the player's state while it is the active device (or starts playing
 * on its own), carries out the commands the hub sends it (play, pause, …, and both halves of
 * a transfer), and keeps what the hub says about the user's other devices so the faces can
 * show it and aim commands at the device that plays.
 *
 * It runs on its owner's loop: poll device_fd() and call device_dispatch() when it is
 * readable; feed it the player's events with device_player_event(). Without a session (not
 * logged in) it does nothing and device_fd() is -1. */
#ifndef SEGUE_DEVICE_H
#define SEGUE_DEVICE_H

#include <jansson.h>
#include <stdbool.h>

#include "err.h"
#include "seg.h"

struct device;
struct player;

/* Events for the face: "devices" ({"devices": [...]}), "player" (the hub's player state, or
 * null), "playlist" (the hub's playlist message). data is borrowed. */
typedef void (*device_listener)(void *ud, const char *event, json_t *data);

/* type: what the hub lists it as ("speaker" for the daemon, "computer" for the TUI). */
enum seg_err device_new(struct seg *s, struct player *p, const char *type, struct device **out);
void device_free(struct device *d);
void device_set_listener(struct device *d, device_listener fn, void *ud);

int device_fd(struct device *d);
void device_dispatch(struct device *d);
void device_player_event(struct device *d, const char *event, json_t *data);

/* The hub has said welcome and the session is up. */
bool device_online(const struct device *d);
/* Another device of this user is the active one: its id is copied into id (65 bytes). */
bool device_remote_active(const struct device *d, char *id);
/* The user's devices as the hub last listed them ({"devices": [...]}); a new reference. */
json_t *device_devices(const struct device *d);
/* The hub's player state (borrowed; NULL when it has none). */
json_t *device_hub_state(const struct device *d);

#endif
