/* What clients ask of the player: MPRIS's methods and writable properties, each turned into
 * a command line of the one command table (pause, toggle, seek 90.5, repeat track, ...) and
 * run as the control socket runs it (mpris_run), so it does what `segue pause` does,
 * whichever device plays. */
#include "config.h"
#include "mpris_internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "resolve.h"

#define URI_MAX 200

/* Runs argv and answers the call: an empty reply, or the command's error. */
static int reply_run(struct mpris *m, sd_bus_message *msg, sd_bus_error *err,
                     const char *const *argv)
{
	int r = mpris_run(m, err, argv);

	return r < 0 ? r : sd_bus_reply_method_return(msg, "");
}

#define RUN(...) reply_run(ud, msg, err, (const char *const[]){ __VA_ARGS__, NULL })

/* No window to raise: CanRaise is false, and the call does nothing, as the spec allows. */
int mpris_method_raise(sd_bus_message *msg, void *ud, sd_bus_error *err)
{
	return sd_bus_reply_method_return(msg, "");
}

int mpris_method_quit(sd_bus_message *msg, void *ud, sd_bus_error *err)
{
	return RUN("quit");
}

int mpris_method_next(sd_bus_message *msg, void *ud, sd_bus_error *err)
{
	return RUN("next");
}

int mpris_method_previous(sd_bus_message *msg, void *ud, sd_bus_error *err)
{
	return RUN("prev");
}

int mpris_method_pause(sd_bus_message *msg, void *ud, sd_bus_error *err)
{
	return RUN("pause");
}

int mpris_method_play_pause(sd_bus_message *msg, void *ud, sd_bus_error *err)
{
	struct mpris *m = ud;

	m->stopped = false;
	return RUN("toggle");
}

int mpris_method_play(sd_bus_message *msg, void *ud, sd_bus_error *err)
{
	struct mpris *m = ud;

	m->stopped = false;
	return RUN("play");
}

/* Segue has no stopped state of its own: paused at the start of the track, shown as Stopped
 * until something plays or moves on. */
int mpris_method_stop(sd_bus_message *msg, void *ud, sd_bus_error *err)
{
	struct mpris *m = ud;
	int r;

	m->seek_asked = true;
	if ((r = mpris_run(m, err, (const char *const[]){ "pause", NULL })) < 0 ||
	    (r = mpris_run(m, err, (const char *const[]){ "seek", "0", NULL })) < 0)
		return r;
	/* Said once the player is there, or its own news would end it at once. */
	m->stopped = true;
	mpris_update(m);
	return sd_bus_reply_method_return(msg, "");
}

/* Seeks to ms in the shown track. */
static int seek_to(struct mpris *m, sd_bus_message *msg, sd_bus_error *err, long long ms)
{
	char pos[32];

	snprintf(pos, sizeof pos, "%lld.%03lld", ms / 1000, ms % 1000);
	m->seek_asked = true;
	return reply_run(m, msg, err, (const char *const[]){ "seek", pos, NULL });
}

/* Length of the shown track in ms; 0 when none or unknown (then nothing can seek). */
static long long shown_length(json_t *st)
{
	return json_integer_value(json_object_get(json_object_get(st, "item"), "duration_ms"));
}

int mpris_method_seek(sd_bus_message *msg, void *ud, sd_bus_error *err)
{
	struct mpris *m = ud;
	json_t *st;
	int64_t offset;
	long long len, to;
	int r;

	if ((r = sd_bus_message_read(msg, "x", &offset)) < 0)
		return r;
	if (!(st = mpris_state(m)))
		return -ENOMEM;
	len = shown_length(st);
	to = mpris_position_ms(st) + offset / 1000;
	json_decref(st);
	/* Nothing seekable: no effect, as the spec says. */
	if (len <= 0)
		return sd_bus_reply_method_return(msg, "");
	/* Past the end is the next track; before the start, the start. */
	if (to >= len)
		return RUN("next");
	return seek_to(m, msg, err, to < 0 ? 0 : to);
}

int mpris_method_set_position(sd_bus_message *msg, void *ud, sd_bus_error *err)
{
	struct mpris *m = ud;
	const char *track;
	char current[MPRIS_PATH_MAX];
	json_t *st;
	int64_t pos;
	long long len;
	int r;

	if ((r = sd_bus_message_read(msg, "ox", &track, &pos)) < 0)
		return r;
	if (!(st = mpris_state(m)))
		return -ENOMEM;
	mpris_track_path(json_object_get(st, "item"), current);
	len = shown_length(st);
	json_decref(st);
	/* A request about another track is stale, and one outside the track is ignored (spec). */
	if (strcmp(track, current) || !strcmp(current, MPRIS_NO_TRACK) || pos < 0 || pos / 1000 > len)
		return sd_bus_reply_method_return(msg, "");
	return seek_to(m, msg, err, pos / 1000);
}

int mpris_method_open_uri(sd_bus_message *msg, void *ud, sd_bus_error *err)
{
	struct mpris *m = ud;
	const char *uri;
	char kind[16], id[23];
	int r;

	if ((r = sd_bus_message_read(msg, "s", &uri)) < 0)
		return r;
	if (strlen(uri) > URI_MAX || strncmp(uri, "segue:", 6) || !uri_parse(uri, NULL, kind, id))
		return sd_bus_error_setf(err, SD_BUS_ERROR_INVALID_ARGS, "Segue opens segue:KIND:ID "
		                         "URIs (segue:track:ID, segue:album:ID, ...), not \"%.*s\"",
		                         URI_MAX, uri);
	m->stopped = false;
	return RUN("play", uri);
}

/* --- writable properties ---------------------------------------------------------------- */

MPRIS_SETTER(mpris_set_loop)
{
	const char *v, *mode;
	int r;

	if ((r = sd_bus_message_read(value, "s", &v)) < 0)
		return r;
	if (!strcmp(v, "None"))
		mode = "off";
	else if (!strcmp(v, "Track"))
		mode = "track";
	else if (!strcmp(v, "Playlist"))
		mode = "context";
	else
		return sd_bus_error_setf(err, SD_BUS_ERROR_INVALID_ARGS, "LoopStatus is None, Track or "
		                         "Playlist");
	return mpris_run(ud, err, (const char *const[]){ "repeat", mode, NULL });
}

/* Only 1.0 is offered; 0 means pause (spec); anything else is refused. */
MPRIS_SETTER(mpris_set_rate)
{
	double v;
	int r;

	if ((r = sd_bus_message_read(value, "d", &v)) < 0)
		return r;
	if (v == 0.0)
		return mpris_run(ud, err, (const char *const[]){ "pause", NULL });
	if (v != 1.0)
		return sd_bus_error_setf(err, SD_BUS_ERROR_INVALID_ARGS, "Segue plays at rate 1.0 only");
	return 0;
}

MPRIS_SETTER(mpris_set_shuffle)
{
	int on, r;

	if ((r = sd_bus_message_read(value, "b", &on)) < 0)
		return r;
	return mpris_run(ud, err, (const char *const[]){ "shuffle", on ? "on" : "off", NULL });
}

/* 0.0 to 1.0 onto 0 to 100 percent; below is silence, above is full (the player's most). */
MPRIS_SETTER(mpris_set_volume)
{
	char pct[8];
	double v;
	int r;

	if ((r = sd_bus_message_read(value, "d", &v)) < 0)
		return r;
	if (isnan(v))
		return sd_bus_error_setf(err, SD_BUS_ERROR_INVALID_ARGS, "Volume is a number");
	v = v < 0 ? 0 : v > 1 ? 1 : v;
	snprintf(pct, sizeof pct, "%d", (int)lround(v * 100));
	return mpris_run(ud, err, (const char *const[]){ "volume", pct, NULL });
}
