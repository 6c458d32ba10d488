/* The two interfaces' tables and their read side: the root's constants, and the player's
 * properties and track metadata taken from the shown state (mpris_state). */
#include "config.h"
#include "mpris_internal.h"

#include <errno.h>
#include <string.h>

/* --- metadata --------------------------------------------------------------------------- */

/* The picture to show: the album's 640-pixel one, else its largest. */
static const char *art_url(json_t *item)
{
	json_t *img, *best = NULL;
	size_t i;

	json_array_foreach(json_object_get(json_object_get(item, "album"), "images"), i, img) {
		json_int_t w = json_integer_value(json_object_get(img, "width"));

		if (w == 640)
			return json_string_value(json_object_get(img, "url"));
		if (!best || w > json_integer_value(json_object_get(best, "width")))
			best = img;
	}
	return json_string_value(json_object_get(best, "url"));
}

static int entry_string(sd_bus_message *msg, const char *key, const char *value)
{
	return value ? sd_bus_message_append(msg, "{sv}", key, "s", value) : 0;
}

/* key => the names of the artist objects in a (xesam's artist lists are arrays). */
static int entry_names(sd_bus_message *msg, const char *key, json_t *a)
{
	json_t *x;
	size_t i;
	int r;

	if (!json_array_size(a))
		return 0;
	if ((r = sd_bus_message_open_container(msg, 'e', "sv")) < 0 ||
	    (r = sd_bus_message_append(msg, "s", key)) < 0 ||
	    (r = sd_bus_message_open_container(msg, 'v', "as")) < 0 ||
	    (r = sd_bus_message_open_container(msg, 'a', "s")) < 0)
		return r;
	json_array_foreach(a, i, x) {
		const char *name = json_string_value(json_object_get(x, "name"));

		if (name && (r = sd_bus_message_append(msg, "s", name)) < 0)
			return r;
	}
	if ((r = sd_bus_message_close_container(msg)) < 0 || (r = sd_bus_message_close_container(msg)) < 0)
		return r;
	return sd_bus_message_close_container(msg);
}

int mpris_append_metadata(sd_bus_message *msg, json_t *item)
{
	json_t *album = json_object_get(item, "album");
	char path[MPRIS_PATH_MAX];
	int r;

	if ((r = sd_bus_message_open_container(msg, 'a', "{sv}")) < 0)
		return r;
	if (!json_is_object(item))
		return sd_bus_message_close_container(msg);
	mpris_track_path(item, path);
	if ((r = sd_bus_message_append(msg, "{sv}", "mpris:trackid", "o", path)) < 0 ||
	    (r = sd_bus_message_append(msg, "{sv}", "mpris:length", "x",
	                               (int64_t)json_integer_value(json_object_get(item, "duration_ms")) * 1000)) < 0 ||
	    (r = entry_string(msg, "mpris:artUrl", art_url(item))) < 0 ||
	    (r = entry_string(msg, "xesam:title", json_string_value(json_object_get(item, "name")))) < 0 ||
	    (r = entry_names(msg, "xesam:artist", json_object_get(item, "artists"))) < 0 ||
	    (r = entry_string(msg, "xesam:album", json_string_value(json_object_get(album, "name")))) < 0 ||
	    (r = entry_names(msg, "xesam:albumArtist", json_object_get(album, "artists"))) < 0 ||
	    (r = entry_string(msg, "xesam:url", json_string_value(json_object_get(item, "uri")))) < 0)
		return r;
	if (json_is_integer(json_object_get(item, "track_number")) &&
	    (r = sd_bus_message_append(msg, "{sv}", "xesam:trackNumber", "i",
	                               (int)json_integer_value(json_object_get(item, "track_number")))) < 0)
		return r;
	if (json_is_integer(json_object_get(item, "disc_number")) &&
	    (r = sd_bus_message_append(msg, "{sv}", "xesam:discNumber", "i",
	                               (int)json_integer_value(json_object_get(item, "disc_number")))) < 0)
		return r;
	return sd_bus_message_close_container(msg);
}

/* --- the root interface ----------------------------------------------------------------- */

static int get_root(sd_bus *bus, const char *path, const char *iface, const char *prop,
                    sd_bus_message *reply, void *ud, sd_bus_error *err)
{
	if (!strcmp(prop, "CanQuit"))
		return sd_bus_message_append(reply, "b", 1);
	if (!strcmp(prop, "CanRaise") || !strcmp(prop, "HasTrackList"))
		return sd_bus_message_append(reply, "b", 0);
	if (!strcmp(prop, "Identity"))
		return sd_bus_message_append(reply, "s", "Segue");
	if (!strcmp(prop, "DesktopEntry"))
		return sd_bus_message_append(reply, "s", "segue");
	/* segue:track:ID, segue:album:ID, ... through OpenUri. */
	if (!strcmp(prop, "SupportedUriSchemes"))
		return sd_bus_message_append(reply, "as", 1, "segue");
	/* No file is opened, only segue: URIs, which have no media type. */
	if (!strcmp(prop, "SupportedMimeTypes"))
		return sd_bus_message_append(reply, "as", 0);
	return sd_bus_error_setf(err, SD_BUS_ERROR_UNKNOWN_PROPERTY, "no property %s", prop);
}

const sd_bus_vtable mpris_root_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_METHOD("Raise", "", "", mpris_method_raise, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD("Quit", "", "", mpris_method_quit, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_PROPERTY("CanQuit", "b", get_root, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("CanRaise", "b", get_root, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("HasTrackList", "b", get_root, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Identity", "s", get_root, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("DesktopEntry", "s", get_root, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("SupportedUriSchemes", "as", get_root, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("SupportedMimeTypes", "as", get_root, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_VTABLE_END
};

/* --- the player interface --------------------------------------------------------------- */

static int get_player(sd_bus *bus, const char *path, const char *iface, const char *prop,
                      sd_bus_message *reply, void *ud, sd_bus_error *err)
{
	struct mpris *m = ud;
	json_t *st = mpris_state(m), *item = json_object_get(st, "item");
	bool has = json_is_object(item);
	int r;

	if (!st)
		return -ENOMEM;
	if (!strcmp(prop, "PlaybackStatus"))
		r = sd_bus_message_append(reply, "s", mpris_status(m, st));
	else if (!strcmp(prop, "LoopStatus"))
		r = sd_bus_message_append(reply, "s", mpris_loop(st));
	else if (!strcmp(prop, "Shuffle"))
		r = sd_bus_message_append(reply, "b", json_is_true(json_object_get(st, "shuffle_state")));
	else if (!strcmp(prop, "Volume"))
		r = sd_bus_message_append(reply, "d", json_integer_value(json_object_get(
		                          json_object_get(st, "device"), "volume_percent")) / 100.0);
	else if (!strcmp(prop, "Position"))
		r = sd_bus_message_append(reply, "x", has && !m->stopped ? (int64_t)mpris_position_ms(st) * 1000 : 0);
	else if (!strcmp(prop, "Metadata"))
		r = mpris_append_metadata(reply, item);
	else if (!strcmp(prop, "CanGoNext") || !strcmp(prop, "CanGoPrevious") ||
	         !strcmp(prop, "CanPlay") || !strcmp(prop, "CanPause"))
		r = sd_bus_message_append(reply, "b", has);
	else if (!strcmp(prop, "CanSeek"))
		r = sd_bus_message_append(reply, "b", has && json_integer_value(json_object_get(item, "duration_ms")) > 0);
	else
		r = sd_bus_error_setf(err, SD_BUS_ERROR_UNKNOWN_PROPERTY, "no property %s", prop);
	json_decref(st);
	return r;
}

/* Segue plays at one speed only. */
static int get_rate(sd_bus *bus, const char *path, const char *iface, const char *prop,
                    sd_bus_message *reply, void *ud, sd_bus_error *err)
{
	return sd_bus_message_append(reply, "d", 1.0);
}

static int get_true(sd_bus *bus, const char *path, const char *iface, const char *prop,
                    sd_bus_message *reply, void *ud, sd_bus_error *err)
{
	return sd_bus_message_append(reply, "b", 1);
}

#define CHANGES SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE

const sd_bus_vtable mpris_player_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_METHOD("Next", "", "", mpris_method_next, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD("Previous", "", "", mpris_method_previous, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD("Pause", "", "", mpris_method_pause, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD("PlayPause", "", "", mpris_method_play_pause, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD("Stop", "", "", mpris_method_stop, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD("Play", "", "", mpris_method_play, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_NAMES("Seek", "x", SD_BUS_PARAM(Offset), "", "", mpris_method_seek,
	                         SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_NAMES("SetPosition", "ox", SD_BUS_PARAM(TrackId) SD_BUS_PARAM(Position),
	                         "", "", mpris_method_set_position, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_NAMES("OpenUri", "s", SD_BUS_PARAM(Uri), "", "", mpris_method_open_uri,
	                         SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_SIGNAL_WITH_NAMES("Seeked", "x", SD_BUS_PARAM(Position), 0),
	SD_BUS_PROPERTY("PlaybackStatus", "s", get_player, 0, CHANGES),
	SD_BUS_WRITABLE_PROPERTY("LoopStatus", "s", get_player, mpris_set_loop, 0,
	                         CHANGES | SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_WRITABLE_PROPERTY("Rate", "d", get_rate, mpris_set_rate, 0,
	                         CHANGES | SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_WRITABLE_PROPERTY("Shuffle", "b", get_player, mpris_set_shuffle, 0,
	                         CHANGES | SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_PROPERTY("Metadata", "a{sv}", get_player, 0, CHANGES),
	SD_BUS_WRITABLE_PROPERTY("Volume", "d", get_player, mpris_set_volume, 0,
	                         CHANGES | SD_BUS_VTABLE_UNPRIVILEGED),
	/* Read when asked, never signalled: clients are told of jumps with Seeked. */
	SD_BUS_PROPERTY("Position", "x", get_player, 0, 0),
	SD_BUS_PROPERTY("MinimumRate", "d", get_rate, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("MaximumRate", "d", get_rate, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("CanGoNext", "b", get_player, 0, CHANGES),
	SD_BUS_PROPERTY("CanGoPrevious", "b", get_player, 0, CHANGES),
	SD_BUS_PROPERTY("CanPlay", "b", get_player, 0, CHANGES),
	SD_BUS_PROPERTY("CanPause", "b", get_player, 0, CHANGES),
	SD_BUS_PROPERTY("CanSeek", "b", get_player, 0, CHANGES),
	SD_BUS_PROPERTY("CanControl", "b", get_true, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_VTABLE_END
};
