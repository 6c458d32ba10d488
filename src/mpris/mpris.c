/* The desktop face's bus: the connection and its name, its place in the daemon's poll, and
 * the signals that tell clients what changed (see mpris.h). */
#include "config.h"
#include "mpris_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "cmd.h"
#include "device.h"
#include "log.h"
#include "player.h"

#define MPRIS_NAME "org.mpris.MediaPlayer2.segue"
/* A position that moved this far from where the clock says it should be jumped. */
#define JUMP_MS 1500

/* --- what is shown ---------------------------------------------------------------------- */

json_t *mpris_state(struct mpris *m)
{
	struct seg *s = m->s;
	char other[65];

	if (s->device && device_remote_active(s->device, other)) {
		json_t *hub = device_hub_state(s->device);

		if (hub)
			return json_incref(hub);
	}
	return s->player ? player_state(s->player) : json_object();
}

long long mpris_position_ms(json_t *st)
{
	long long pos = json_integer_value(json_object_get(st, "progress_ms"));
	long long dur = json_integer_value(json_object_get(json_object_get(st, "item"), "duration_ms"));

	/* The hub's state is as of its timestamp; the player's own is as of now. */
	if (json_is_true(json_object_get(st, "is_playing")))
		pos += clock_wall_ms() - json_integer_value(json_object_get(st, "timestamp"));
	if (dur > 0 && pos > dur)
		pos = dur;
	return pos < 0 ? 0 : pos;
}

const char *mpris_status(struct mpris *m, json_t *st)
{
	if (!json_is_object(json_object_get(st, "item")))
		return "Stopped";
	if (json_is_true(json_object_get(st, "is_playing")))
		return "Playing";
	return m->stopped ? "Stopped" : "Paused";
}

const char *mpris_loop(json_t *st)
{
	const char *r = json_string_value(json_object_get(st, "repeat_state")) ?: "off";

	if (!strcmp(r, "track"))
		return "Track";
	return !strcmp(r, "context") ? "Playlist" : "None";
}

void mpris_track_path(json_t *item, char *path)
{
	const char *id = json_string_value(json_object_get(item, "id"));

	snprintf(path, MPRIS_PATH_MAX, "%s%s", MPRIS_TRACK_PREFIX, id ? id : "");
	/* An id the server made is base62; anything else is no track we can name. */
	if (!id || !id[0] || strlen(id) > 64 || !sd_bus_object_path_is_valid(path))
		snprintf(path, MPRIS_PATH_MAX, "%s", MPRIS_NO_TRACK);
}

/* --- running commands ------------------------------------------------------------------- */

int mpris_run(struct mpris *m, sd_bus_error *err, const char *const *argv)
{
	json_t *out = NULL;
	int argc = 0;
	enum seg_err e;

	while (argv[argc])
		argc++;
	/* The control socket's path: the daemon has the player, so cmd_route runs the command
	 * here, or hands it to the device that plays; it never connects back to ourselves. */
	e = cmd_run_argv(m->s, argc, (char **)argv, &out);
	json_decref(out);
	if (!e)
		return 0;
	log_info("mpris: %s: %s", argv[0], seg_errmsg());
	return sd_bus_error_setf(err, "org.mpris.MediaPlayer2.segue.Error", "%s", seg_errmsg());
}

/* --- change signals --------------------------------------------------------------------- */

/* What st shows, as it would be signalled; now->item is a new reference. */
static void seen_take(struct mpris *m, struct mpris_seen *now, json_t *st)
{
	json_t *item = json_object_get(st, "item");

	*now = (struct mpris_seen){ 0 };
	snprintf(now->status, sizeof now->status, "%s", mpris_status(m, st));
	snprintf(now->loop, sizeof now->loop, "%s", mpris_loop(st));
	now->shuffle = json_is_true(json_object_get(st, "shuffle_state"));
	now->volume = (int)json_integer_value(json_object_get(json_object_get(st, "device"),
	                                                      "volume_percent"));
	now->item = json_is_object(item) ? json_incref(item) : NULL;
	now->can_go = now->can_play = now->item != NULL;
	now->can_seek = now->item && json_integer_value(json_object_get(item, "duration_ms")) > 0;
	now->playing = json_is_true(json_object_get(st, "is_playing"));
	now->pos_ms = mpris_position_ms(st);
	now->at_ms = clock_mono_ms();
}

static bool same_track(json_t *a, json_t *b)
{
	const char *x = json_string_value(json_object_get(a, "id"));
	const char *y = json_string_value(json_object_get(b, "id"));

	return x && y && !strcmp(x, y);
}

/* notify may be changed while the daemon runs (segue set notify yes): the notifier is made
 * or let go as the setting now says. */
static void notify_follow_option(struct mpris *m)
{
	bool want = opt_bool(&m->s->opt, OPT_NOTIFY);

	if (want && !m->notify) {
		m->notify = mpris_notify_new(m);
	} else if (!want && m->notify) {
		mpris_notify_free(m->notify);
		m->notify = NULL;
	}
}

void mpris_update(struct mpris *m)
{
	struct mpris_seen was, now;
	const char *changed[16];
	json_t *st;
	int n = 0;
	long long expected;

	if (!m || m->gone || !(st = mpris_state(m)))
		return;
	/* Stopped lasts until something plays, the track changes or the position leaves the
	 * start (a seek from another face). */
	if (m->stopped && (json_is_true(json_object_get(st, "is_playing")) ||
	                   !same_track(m->seen.item, json_object_get(st, "item")) ||
	                   mpris_position_ms(st) > JUMP_MS))
		m->stopped = false;
	was = m->seen;
	m->seen.item = NULL; /* moved into was */
	seen_take(m, &now, st);
	m->seen = now;
	if (!m->seen_once) {
		/* Clients read the first state themselves. */
		m->seen_once = true;
		goto out;
	}
	if (strcmp(was.status, now.status))
		changed[n++] = "PlaybackStatus";
	if (strcmp(was.loop, now.loop))
		changed[n++] = "LoopStatus";
	if (was.shuffle != now.shuffle)
		changed[n++] = "Shuffle";
	if (was.volume != now.volume)
		changed[n++] = "Volume";
	if (!json_equal(was.item, now.item) && (was.item || now.item))
		changed[n++] = "Metadata";
	if (was.can_go != now.can_go) {
		changed[n++] = "CanGoNext";
		changed[n++] = "CanGoPrevious";
	}
	if (was.can_play != now.can_play) {
		changed[n++] = "CanPlay";
		changed[n++] = "CanPause";
	}
	if (was.can_seek != now.can_seek)
		changed[n++] = "CanSeek";
	changed[n] = NULL;
	if (n && sd_bus_emit_properties_changed_strv(m->bus, MPRIS_PATH, MPRIS_PLAYER_IFACE,
	                                             (char **)changed) < 0)
		log_warn("mpris: cannot signal a change");
	/* Position is never in PropertiesChanged: a client extrapolates it while playing and is
	 * told with Seeked when it jumps (a seek, a restart, a stall, another device's seek). */
	expected = was.pos_ms + (was.playing ? now.at_ms - was.at_ms : 0);
	if (now.item && same_track(was.item, now.item) &&
	    (m->seek_asked || llabs(now.pos_ms - expected) > JUMP_MS))
		sd_bus_emit_signal(m->bus, MPRIS_PATH, MPRIS_PLAYER_IFACE, "Seeked", "x",
		                   (int64_t)now.pos_ms * 1000);
	m->seek_asked = false;
	notify_follow_option(m);
	if (m->notify && now.item && !same_track(was.item, now.item))
		mpris_notify_track(m->notify, now.item);
out:
	json_decref(was.item);
	json_decref(st);
}

/* --- the bus ---------------------------------------------------------------------------- */

/* The well-known name, or the instance one when another player holds it (spec: the name
 * plus ".instance" and the pid). */
static int take_name(struct mpris *m)
{
	int r = sd_bus_request_name(m->bus, MPRIS_NAME, 0);

	if (r == -EEXIST) {
		snprintf(m->name, sizeof m->name, "%s.instance%ld", MPRIS_NAME, (long)getpid());
		r = sd_bus_request_name(m->bus, m->name, 0);
	} else {
		snprintf(m->name, sizeof m->name, "%s", MPRIS_NAME);
	}
	return r;
}

struct mpris *mpris_start(struct seg *s)
{
	struct mpris *m;
	int r;

	if (!opt_bool(&s->opt, OPT_MPRIS))
		return NULL;
	if (!(m = calloc(1, sizeof *m)))
		return NULL;
	m->s = s;
	if ((r = sd_bus_open_user(&m->bus)) < 0) {
		log_info("mpris: no session bus (%s): running without media keys and desktop "
		         "controls", strerror(-r));
		goto fail;
	}
	/* sd_bus_open_user only connects when first used: an unreachable bus shows here. */
	if ((r = sd_bus_add_object_vtable(m->bus, &m->root_slot, MPRIS_PATH, MPRIS_ROOT_IFACE,
	                                  mpris_root_vtable, m)) < 0 ||
	    (r = sd_bus_add_object_vtable(m->bus, &m->player_slot, MPRIS_PATH, MPRIS_PLAYER_IFACE,
	                                  mpris_player_vtable, m)) < 0) {
		log_warn("mpris: cannot publish the player: %s", strerror(-r));
		goto fail;
	}
	if ((r = take_name(m)) < 0) {
		log_info("mpris: no session bus (cannot take %s: %s): running without media keys "
		         "and desktop controls", m->name, strerror(-r));
		goto fail;
	}
	notify_follow_option(m);
	log_info("mpris: on the session bus as %s", m->name);
	mpris_update(m);
	return m;
fail:
	mpris_free(m);
	return NULL;
}

void mpris_free(struct mpris *m)
{
	if (!m)
		return;
	mpris_notify_free(m->notify);
	sd_bus_slot_unref(m->root_slot);
	sd_bus_slot_unref(m->player_slot);
	if (m->bus) {
		sd_bus_flush(m->bus);
		sd_bus_flush_close_unref(m->bus);
	}
	json_decref(m->seen.item);
	free(m);
}

long mpris_poll(struct mpris *m, struct pollfd *pfd)
{
	uint64_t due, now;
	int ev;

	for (int i = 0; i < MPRIS_NFDS; i++)
		pfd[i] = (struct pollfd){ .fd = -1 };
	if (!m || m->gone)
		return -1;
	pfd[0].fd = sd_bus_get_fd(m->bus);
	ev = sd_bus_get_events(m->bus);
	pfd[0].events = ev > 0 ? (short)ev : POLLIN;
	pfd[1] = (struct pollfd){ .fd = mpris_notify_fd(m->notify), .events = POLLIN };
	/* A deadline only while a call of ours waits for its answer. */
	if (sd_bus_get_timeout(m->bus, &due) < 0 || due == UINT64_MAX)
		return -1;
	now = (uint64_t)clock_mono_us();
	return due <= now ? 0 : (long)((due - now + 999) / 1000);
}

void mpris_dispatch(struct mpris *m, const struct pollfd *pfd)
{
	uint64_t due;
	int r;

	if (!m || m->gone)
		return;
	if (pfd[1].revents & POLLIN)
		mpris_notify_dispatch(m->notify);
	/* Only when the bus has something, or a call of ours has timed out: the loop also turns
	 * for the player, and each look costs a read. */
	if (!pfd[0].revents && (sd_bus_get_timeout(m->bus, &due) < 0 || due > (uint64_t)clock_mono_us()))
		return;
	/* Everything the bus has for us: sd_bus_process handles one message a call. The
	 * timeouts of our own calls are also run here. */
	while ((r = sd_bus_process(m->bus, NULL)) > 0)
		;
	if (r < 0 && r != -EINTR) {
		/* The bus went away (the session ended): carry on without it, silently after
		 * this one line. */
		log_warn("mpris: the session bus is gone (%s)", strerror(-r));
		sd_bus_slot_unref(m->root_slot);
		sd_bus_slot_unref(m->player_slot);
		m->root_slot = m->player_slot = NULL;
		sd_bus_close(m->bus);
		m->gone = true;
	}
}
