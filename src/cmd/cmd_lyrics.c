/* lyrics: a track's lyrics from the server (GET /v1/segue/lyrics/ID), timed or not; with
 * --follow, each line of what plays as it is sung, for scripts and status bars.
 *
 * Following asks no one where the song is: the position is carried forward from the last
 * player state (its progress_ms at its timestamp, then our monotonic clock), and the process
 * sleeps until the next line's stamp or the next state, so it prints on time and does
 * nothing while the music is paused. The states come from the daemon's events on the
 * control connection (a seek, a pause, a new track each send one); with no daemon here,
 * from the server's view of whichever device plays (GET /v1/me/player, asked again every
 * FOLLOW_POLL_MS, and again before a line is printed on a view older than FOLLOW_FRESH_MS:
 * a seek made elsewhere reaches us only through the next answer, and a line is better late
 * by a round trip than printed at a time the song has left). */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "clock.h"
#include "cmd.h"
#include "ctl.h"
#include "player.h"
#include "resolve.h"

#define FOLLOW_POLL_MS 2000
#define FOLLOW_FRESH_MS 500

static void put_text(FILE *f, const char *s);
static enum seg_err follow_hub(struct seg *s);

/* The id of the track that plays: this daemon's, or, with no daemon here, what Connect knows
 * another device of the account plays. */
static enum seg_err playing(struct seg *s, char id[32])
{
	json_t *st = NULL;
	long status = 0;
	const char *item_id;
	enum seg_err e = SEG_OK;

	if (s->player)
		st = player_state(s->player);
	else if (!seg_api(s))
		return seg_fail(SEG_EFAIL, "%s", seg_errmsg());
	else if ((e = api_request(s->api, "GET", "/v1/me/player", NULL, &st, &status)))
		return e;
	item_id = json_string_value(json_object_get(json_object_get(st, "item"), "id"));
	if (item_id && strlen(item_id) < 32)
		snprintf(id, 32, "%s", item_id);
	else
		e = seg_fail(SEG_ENOPLAYER, "nothing is playing: name a track (segue lyrics URI)");
	json_decref(st);
	return e;
}

static enum seg_err lyrics_exec(struct seg *s, struct cmd_args *a, json_t **out)
{
	char kind[16], id[32], path[80];
	enum seg_err e;

	if (cmd_has(a, "follow")) {
		if (a->argc)
			return seg_fail(SEG_EUSAGE, "--follow follows the track that plays: name none");
		/* In the daemon: the state to start from, for the command line's follow below. */
		if (s->player) {
			*out = player_state(s->player);
			return SEG_OK;
		}
		return follow_hub(s);
	}
	if (a->argc) {
		if (!uri_parse(a->argv[0], "track", kind, id) || strcmp(kind, "track"))
			return seg_fail(SEG_EUSAGE, "\"%s\" is not a track URI or id", a->argv[0]);
	} else if ((e = playing(s, id))) {
		return e;
	}
	if (!seg_api(s))
		return seg_fail(SEG_EFAIL, "%s", seg_errmsg());
	snprintf(path, sizeof path, "/v1/segue/lyrics/%s", id);
	return api_get(s->api, path, out);
}

/* The text as it came, but for control characters: the server sends none, and a terminal
 * must not take any from a server that would. */
static void put_text(FILE *f, const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x20 && *s != 0x7F)
			fputc(*s, f);
	fputc('\n', f);
}

static void print_lyrics(json_t *o, FILE *f)
{
	bool synced = json_is_true(json_object_get(o, "synced"));
	json_t *line;
	size_t i;

	json_array_foreach(json_object_get(o, "lines"), i, line) {
		json_int_t ms = json_integer_value(json_object_get(line, "start_ms"));

		if (synced)
			fprintf(f, "[%02lld:%02lld.%02lld] ", (long long)(ms / 60000),
			        (long long)(ms / 1000 % 60), (long long)(ms % 1000 / 10));
		put_text(f, json_string_value(json_object_get(line, "text")) ?: "");
	}
}

/* --- following -------------------------------------------------------------------------- */

struct follower {
	struct seg *s;
	json_t *local, *hub;   /* the daemon's player state, the hub's (either may be NULL) */
	char id[32];           /* the track followed; "" for none */
	json_t *lyrics;        /* its timed lyrics, NULL when it has none */
	int printed;           /* the line printed last, -1 for none */
	bool any;              /* something was printed */
	long long pos_ms, mono_us;
	bool moving;
};

/* The state to follow: this daemon's while it has a track and plays (or nothing else
 * plays), else the hub's, when another device plays. */
static json_t *followed(struct follower *f)
{
	const char *self = seg_device_id(f->s);
	bool local_has = json_is_object(json_object_get(f->local, "item"));
	bool hub_plays = json_is_true(json_object_get(f->hub, "is_playing")) &&
	                 strcmp(json_string_value(json_object_get(json_object_get(f->hub, "device"), "id")) ?: "", self);

	if (local_has && (json_is_true(json_object_get(f->local, "is_playing")) || !hub_plays))
		return f->local;
	return json_is_object(json_object_get(f->hub, "item")) ? f->hub : f->local;
}

static long long position_ms(struct follower *f)
{
	return f->pos_ms + (f->moving ? (clock_mono_us() - f->mono_us) / 1000 : 0);
}

static int line_at(json_t *lines, long long pos, long long *next)
{
	json_t *l;
	size_t i;
	int at = -1;

	*next = -1;
	json_array_foreach(lines, i, l) {
		long long ms = json_integer_value(json_object_get(l, "start_ms"));

		if (ms <= pos && (at < 0 || ms >= json_integer_value(json_object_get(json_array_get(lines, (size_t)at), "start_ms"))))
			at = (int)i;
		else if (ms > pos && (*next < 0 || ms < *next))
			*next = ms;
	}
	return at;
}

static enum seg_err emit(struct follower *f, json_t *doc, const char *text)
{
	if (f->s->json) {
		json_dumpf(doc, stdout, JSON_COMPACT);
		fputc('\n', stdout);
	} else {
		put_text(stdout, text);
	}
	json_decref(doc);
	f->any = true;
	/* A reader that went away (the status bar closed) ends the following. */
	if (fflush(stdout) == EOF || ferror(stdout))
		return seg_fail(SEG_EIO, "standard output: %s", strerror(errno));
	return SEG_OK;
}

/* A new track: its lyrics fetched, and said (JSON: a "track" object; text: an empty line,
 * which clears a status bar still showing the last track's line). */
static enum seg_err new_track(struct follower *f, const char *id)
{
	char path[80];
	json_t *doc = NULL;
	enum seg_err e = SEG_OK;

	snprintf(f->id, sizeof f->id, "%s", id);
	json_decref(f->lyrics);
	f->lyrics = NULL;
	f->printed = -1;
	if (id[0]) {
		snprintf(path, sizeof path, "/v1/segue/lyrics/%s", id);
		if (!seg_api(f->s))
			return seg_fail(SEG_EFAIL, "%s", seg_errmsg());
		e = api_get(f->s->api, path, &doc);
		if (e && e != SEG_ENOTFOUND)
			return e;
		if (json_is_true(json_object_get(doc, "synced")))
			f->lyrics = json_incref(json_object_get(doc, "lines"));
	}
	if (f->s->json || f->any)
		e = emit(f, json_pack("{s:s,s:s?,s:b,s:b,s:i}", "type", "track", "track_id", id[0] ? id : NULL,
		                      "lyrics", doc != NULL, "synced", f->lyrics != NULL,
		                      "lines", (int)json_array_size(f->lyrics)), "");
	json_decref(doc);
	return e;
}

/* The state changed: the anchor moves, and the track may have. */
static enum seg_err take_state(struct follower *f)
{
	json_t *st = followed(f), *ext = json_object_get(st, "segue");
	const char *id = json_string_value(json_object_get(json_object_get(st, "item"), "id")) ?: "";
	long long stamp = json_integer_value(json_object_get(st, "timestamp")), since = clock_wall_ms() - stamp;
	enum seg_err e;

	f->pos_ms = json_integer_value(json_object_get(st, "progress_ms"));
	f->mono_us = clock_mono_us();
	f->moving = json_is_true(json_object_get(st, "is_playing")) && !json_is_true(json_object_get(ext, "buffering")) &&
	            !json_is_true(json_object_get(ext, "waiting_for_server"));
	/* Its time on the way here: none to speak of from the daemon; from the hub, another
	 * machine's clock, trusted for a minute at most and never backwards. */
	if (f->moving && stamp > 0 && since > 0)
		f->pos_ms += since < 60000 ? since : 60000;
	if (strlen(id) >= sizeof f->id)
		id = "";
	if (strcmp(id, f->id) && (e = new_track(f, id)))
		return e;
	return SEG_OK;
}

/* Prints the line sung now when it is not the one printed last; *wait_ms, how long until the
 * next one is due (-1: none is). */
static enum seg_err tick(struct follower *f, long *wait_ms)
{
	long long pos = position_ms(f), next;
	int at;
	json_t *l;

	*wait_ms = -1;
	if (!f->lyrics)
		return SEG_OK;
	at = line_at(f->lyrics, pos, &next);
	if (f->moving && next >= 0)
		*wait_ms = (long)(next - pos) + 1;
	if (at == f->printed)
		return SEG_OK;
	f->printed = at;
	if (at < 0)
		return SEG_OK;
	l = json_array_get(f->lyrics, (size_t)at);
	return emit(f, json_pack("{s:s,s:s,s:i,s:O,s:O}", "type", "line", "track_id", f->id, "index", at,
	                         "start_ms", json_object_get(l, "start_ms"), "text", json_object_get(l, "text")),
	            json_string_value(json_object_get(l, "text")) ?: "");
}

static void follower_free(struct follower *f)
{
	json_decref(f->local);
	json_decref(f->hub);
	json_decref(f->lyrics);
}

/* The command line, after the daemon answered with its state: subscribed on the same
 * connection, it runs until the daemon goes away (SEG_ENOPLAYER) or the output does. */
static enum seg_err lyrics_follow(struct seg *s, int fd, struct cmd_args *a, json_t **out)
{
	struct follower f = { .s = s, .printed = -1 };
	json_t *req;
	enum seg_err e;

	if (!cmd_has(a, "follow"))
		return SEG_OK;
	f.local = *out;
	*out = NULL;
	req = json_pack("{s:i,s:b}", "id", 1, "subscribe", 1);
	e = ctl_write(fd, req);
	json_decref(req);
	if (e || (e = take_state(&f)))
		goto out;
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		long wait;
		json_t *m = NULL;
		const char *ev;

		if ((e = tick(&f, &wait)))
			goto out;
		if (poll(&p, 1, (int)wait) < 0 && errno != EINTR) {
			e = seg_fail(SEG_EIO, "poll: %s", strerror(errno));
			goto out;
		}
		if (!(p.revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		if ((e = ctl_read(fd, 5000, &m))) {
			if (e == SEG_ENOPLAYER)
				seg_fail(SEG_ENOPLAYER, "the player stopped");
			goto out;
		}
		ev = json_string_value(json_object_get(m, "event")) ?: "";
		if (!strcmp(ev, "state") || json_object_get(m, "result")) {
			json_decref(f.local);
			f.local = json_incref(json_object_get(m, "data") ?: json_object_get(m, "result"));
		} else if (!strcmp(ev, "player")) {
			json_decref(f.hub);
			f.hub = json_is_object(json_object_get(m, "data")) ? json_incref(json_object_get(m, "data")) : NULL;
		} else {
			json_decref(m);
			continue;
		}
		json_decref(m);
		if ((e = take_state(&f)))
			goto out;
	}
out:
	follower_free(&f);
	return e;
}

/* Whether the line sung now is not the one printed last. */
static bool line_due(struct follower *f)
{
	long long next;

	return f->lyrics && line_at(f->lyrics, position_ms(f), &next) != f->printed;
}

/* No daemon here: what the server says plays on the account's devices, asked every
 * FOLLOW_POLL_MS and before a line is printed on an older view, carried forward between. */
static enum seg_err follow_hub(struct seg *s)
{
	struct follower f = { .s = s, .printed = -1 };
	long long asked = 0;
	bool never = true;
	enum seg_err e;

	if (!seg_api(s))
		return seg_fail(SEG_EFAIL, "%s", seg_errmsg());
	for (;;) {
		long long age = clock_mono_ms() - asked;
		long status = 0, wait, left;
		json_t *st = NULL;

		if (never || age >= FOLLOW_POLL_MS || (age >= FOLLOW_FRESH_MS && line_due(&f))) {
			if ((e = api_request(s->api, "GET", "/v1/me/player", NULL, &st, &status)))
				goto out;
			asked = clock_mono_ms();
			never = false;
			json_decref(f.hub);
			f.hub = json_is_object(st) ? st : (json_decref(st), NULL);
			if ((e = take_state(&f)))
				goto out;
		}
		if ((e = tick(&f, &wait)))
			goto out;
		left = (long)(FOLLOW_POLL_MS - (clock_mono_ms() - asked));
		if (left < 0)
			left = 0;
		poll(NULL, 0, wait >= 0 && wait < left ? (int)wait : (int)left);
	}
out:
	follower_free(&f);
	return e;
}

const struct cmd_entry cmd_lyrics = {
	"lyrics", "[--follow] [URI]", "Shows a track's lyrics, each line with its time ([01:23.45]) "
	"when they are synced; without a URI, those of the track that plays. With --json, the "
	"server's lyrics object. A track without lyrics is not found (exit status 4). With "
	"--follow, prints each line of what plays as it is sung, from one track to the next, "
	"until the player stops (exit status 7): an empty line when a new track starts; with "
	"--json, one object per line: {\"type\":\"line\",\"track_id\",\"index\",\"start_ms\","
	"\"text\"}, and {\"type\":\"track\",\"track_id\",\"lyrics\",\"synced\",\"lines\"} when a "
	"track starts. It follows the daemon here, or with none, the device that plays, as the "
	"server sees it (asked every 2 seconds, and again before a line is printed).",
	"follow", 0, 1, CMD_PLAYER, CMD_NO_PLAYER_OK | CMD_FOLLOW_FLAG, lyrics_exec, print_lyrics,
	lyrics_follow
};
