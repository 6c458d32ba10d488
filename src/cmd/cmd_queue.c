/* The play queue: what plays after the current track. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "player.h"
#include "render.h"
#include "resolve.h"

#define QUEUE_SHOW_MAX 500

static enum seg_err show(struct seg *s, long max, json_t **out)
{
	*out = player_queue(s->player, (size_t)max);
	return *out ? SEG_OK : seg_fail(SEG_ENOMEM, "out of memory");
}

static void print_queue(json_t *q, FILE *f)
{
	json_t *cur = json_object_get(q, "currently_playing");
	json_t *list = json_object_get(q, "queue");

	if (json_is_object(cur)) {
		fputs("now:\n", f);
		json_t *one = json_pack("[O]", cur);

		render_tracks(f, one, 0);
		json_decref(one);
	}
	if (!json_array_size(list)) {
		fputs("the queue is empty\n", f);
		return;
	}
	fputs("up next:\n", f);
	render_tracks(f, list, 1);
}

static enum seg_err queue_exec(struct seg *s, struct cmd_args *a, json_t **out)
{
	long max;
	enum seg_err e = cmd_flag_int(a, "limit", 1, QUEUE_SHOW_MAX, 50, &max);

	return e ? e : show(s, max, out);
}

const struct cmd_entry cmd_queue = {
	"queue", "[--limit N]", "Lists what plays next: the tracks queued by hand first, then the "
	"rest of the context; positions are the ones queue rm and queue mv take.", "limit=", 0, 0,
	CMD_PLAYER, CMD_REMOTE, queue_exec, print_queue, NULL
};

static enum seg_err add_exec(struct seg *s, struct cmd_args *a, json_t **out)
{
	enum seg_err e;
	char id[32];

	for (int i = 0; i < a->argc; i++)
		if ((e = uri_id(a->argv[i], "track", id)))
			return e;
	for (int i = 0; i < a->argc; i++) {
		json_t *t = NULL;
		char path[64];

		uri_id(a->argv[i], "track", id);
		snprintf(path, sizeof path, "/v1/tracks/%s", id);
		/* Checked here so a wrong id fails now, not when its turn comes. */
		if ((e = api_get(seg_api(s), path, &t)))
			return e;
		e = player_queue_add(s->player, id, t);
		json_decref(t);
		if (e)
			return e;
	}
	return show(s, 50, out);
}

const struct cmd_entry cmd_queue_add = {
	"queue add", "URI...", "Adds tracks to the end of the hand queue, which plays before the "
	"context continues. With nothing playing, the first starts at once.", NULL, 1, -1,
	CMD_PLAYER, CMD_STARTS_DAEMON | CMD_REMOTE, add_exec, print_queue, NULL
};

static enum seg_err position(const char *s, size_t *n)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 1)
		return seg_fail(SEG_EUSAGE, "\"%s\" is not a queue position (1, 2, ...)", s);
	*n = (size_t)v;
	return SEG_OK;
}

static enum seg_err rm_exec(struct seg *s, struct cmd_args *a, json_t **out)
{
	size_t n;
	enum seg_err e;

	if ((e = position(a->argv[0], &n)) || (e = player_queue_remove(s->player, n)))
		return e;
	return show(s, 50, out);
}

const struct cmd_entry cmd_queue_rm = {
	"queue rm", "N", "Removes entry N of the queue as segue queue lists it.", NULL, 1, 1,
	CMD_PLAYER, 0, rm_exec, print_queue, NULL
};

static enum seg_err mv_exec(struct seg *s, struct cmd_args *a, json_t **out)
{
	size_t from, to;
	enum seg_err e;

	if ((e = position(a->argv[0], &from)) || (e = position(a->argv[1], &to)) ||
	    (e = player_queue_move(s->player, from, to)))
		return e;
	return show(s, 50, out);
}

const struct cmd_entry cmd_queue_mv = {
	"queue mv", "N M", "Moves entry N of the queue to position M.", NULL, 2, 2, CMD_PLAYER, 0,
	mv_exec, print_queue, NULL
};

static enum seg_err clear_exec(struct seg *s, struct cmd_args *a, json_t **out)
{
	enum seg_err e = player_queue_clear(s->player);

	return e ? e : show(s, 50, out);
}

const struct cmd_entry cmd_queue_clear = {
	"queue clear", "", "Empties the hand queue; the context plays on.", NULL, 0, 0, CMD_PLAYER,
	0, clear_exec, print_queue, NULL
};
