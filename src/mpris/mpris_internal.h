/* What the desktop face's files share (mpris.c: the bus and change signals; mpris_props.c:
 * properties and metadata; mpris_control.c: methods and writable properties;
 * mpris_notify.c: desktop notifications). */
#ifndef SEGUE_MPRIS_INTERNAL_H
#define SEGUE_MPRIS_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#include "mpris.h"

#define MPRIS_PATH "/org/mpris/MediaPlayer2"
#define MPRIS_ROOT_IFACE "org.mpris.MediaPlayer2"
#define MPRIS_PLAYER_IFACE "org.mpris.MediaPlayer2.Player"
#define MPRIS_NO_TRACK "/org/mpris/MediaPlayer2/TrackList/NoTrack"
/* Track ids are base62, so a track's object path is this prefix and its id. */
#define MPRIS_TRACK_PREFIX "/org/segue/track/"
#define MPRIS_PATH_MAX 96

struct mpris_notify;

/* What was last signalled, to tell what changed. */
struct mpris_seen {
	char status[16], loop[16];
	bool shuffle, can_play, can_seek, can_go;
	int volume;
	json_t *item;          /* the shown track's object (a reference), or NULL */
	long long pos_ms;      /* the position at at_ms */
	long long at_ms;       /* monotonic */
	bool playing;
};

struct mpris {
	struct seg *s;
	sd_bus *bus;
	sd_bus_slot *root_slot, *player_slot;
	char name[96];
	struct mpris_seen seen;
	bool seen_once;
	bool gone;         /* the bus went away: nothing more is sent */
	/* Stop leaves the player paused at 0; shown as Stopped until it plays or moves on. */
	bool stopped;
	/* A seek asked here: the next update sends Seeked even when the jump is small. */
	bool seek_asked;
	struct mpris_notify *notify; /* NULL: notifications are off */
};

/* The state shown (the Web API's player-state object): the hub's while another device
 * plays, else the daemon's player's. A new reference, never NULL but when memory runs out. */
json_t *mpris_state(struct mpris *m);
/* Its position now, in ms, counting the time since it was taken while it plays. */
long long mpris_position_ms(json_t *state);
/* The PlaybackStatus for a state: Playing, Paused or Stopped. */
const char *mpris_status(struct mpris *m, json_t *state);
const char *mpris_loop(json_t *state);
/* The object path of a track object's id into path (MPRIS_PATH_MAX); NoTrack for none. */
void mpris_track_path(json_t *item, char *path);

/* Runs a command line (NULL-terminated) as the control socket would; on failure fills err
 * with the command's message and returns a negative errno for sd-bus. */
int mpris_run(struct mpris *m, sd_bus_error *err, const char *const *argv);

extern const sd_bus_vtable mpris_root_vtable[];
extern const sd_bus_vtable mpris_player_vtable[];
/* The methods and writable properties (mpris_control.c). */
int mpris_method_raise(sd_bus_message *msg, void *ud, sd_bus_error *err);
int mpris_method_quit(sd_bus_message *msg, void *ud, sd_bus_error *err);
int mpris_method_next(sd_bus_message *msg, void *ud, sd_bus_error *err);
int mpris_method_previous(sd_bus_message *msg, void *ud, sd_bus_error *err);
int mpris_method_pause(sd_bus_message *msg, void *ud, sd_bus_error *err);
int mpris_method_play_pause(sd_bus_message *msg, void *ud, sd_bus_error *err);
int mpris_method_stop(sd_bus_message *msg, void *ud, sd_bus_error *err);
int mpris_method_play(sd_bus_message *msg, void *ud, sd_bus_error *err);
int mpris_method_seek(sd_bus_message *msg, void *ud, sd_bus_error *err);
int mpris_method_set_position(sd_bus_message *msg, void *ud, sd_bus_error *err);
int mpris_method_open_uri(sd_bus_message *msg, void *ud, sd_bus_error *err);
#define MPRIS_SETTER(name) int name(sd_bus *bus, const char *path, const char *iface, \
	const char *prop, sd_bus_message *value, void *ud, sd_bus_error *err)
MPRIS_SETTER(mpris_set_loop);
MPRIS_SETTER(mpris_set_rate);
MPRIS_SETTER(mpris_set_shuffle);
MPRIS_SETTER(mpris_set_volume);
/* Metadata (a{sv}) of a track object, appended to a message being built. */
int mpris_append_metadata(sd_bus_message *msg, json_t *item);

/* Notifications (mpris_notify.c). */
struct mpris_notify *mpris_notify_new(struct mpris *m);
void mpris_notify_free(struct mpris_notify *n);
/* The shown track changed to item (borrowed): shows it, replacing the previous one. */
void mpris_notify_track(struct mpris_notify *n, json_t *item);
/* The descriptor the notifier's cover worker wakes the loop with; -1 when none. */
int mpris_notify_fd(struct mpris_notify *n);
/* It is readable: sends what the worker made ready. */
void mpris_notify_dispatch(struct mpris_notify *n);

#endif
