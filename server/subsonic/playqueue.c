/* getPlayQueue and savePlayQueue: the play queue is the user's Connect state (doc/connect.md),
 * not a separate record. A phone reads where the terminal is (its queue in play order, its
 * song and position), and a phone's save becomes the state every Connect device sees, paused
 * where the phone stopped, for a transfer or a play to pick up. */
#include "config.h"
#include "subsonic/endpoints.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base62.h"
#include "catalog/catalog.h"
#include "connect/hub.h"
#include "server.h"
#include "store/catalog.h"
#include "subsonic/objects.h"

#define QUEUE_SAVE_MAX 250     /* songs one save names (a call has 256 parameters) */
#define QUEUE_SHOWN_MAX 1000   /* songs getPlayQueue lists: a Connect queue may hold 40,000 */
#define QUEUE_SHOWN_BEFORE 100 /* of them, before the current one */
#define POSITION_MAX (86400LL * 1000)

static void add_id(json_t *ids, json_t *id)
{
	if (json_is_string(id) && base62_is_id(json_string_value(id)))
		json_array_append(ids, id);
}

/* The songs of a Connect queue snapshot in the order they play: the context's, in this
 * pass's order, up to the one last played; the current song when it came from the hand queue;
 * the hand queue; the rest of the context. *cur is the current song's index (-1: none). */
static json_t *play_order(json_t *queue, long *cur)
{
	json_t *tracks = json_object_get(queue, "tracks"), *order = json_object_get(queue, "order");
	json_t *user = json_object_get(queue, "user"), *current = json_object_get(queue, "current");
	json_int_t pos = json_integer_value(json_object_get(queue, "pos"));
	bool from_user = json_is_true(json_object_get(queue, "current_is_user"));
	size_t norder = json_array_size(order), i;
	json_t *ids = json_array(), *v;

	*cur = -1;
	for (i = 0; i < norder && (json_int_t)i <= pos; i++)
		add_id(ids, json_array_get(tracks, (size_t)json_integer_value(json_array_get(order, i))));
	if (!from_user && json_array_size(ids))
		*cur = (long)json_array_size(ids) - 1;
	if (from_user && json_is_string(current)) {
		*cur = (long)json_array_size(ids);
		add_id(ids, current);
	}
	json_array_foreach(user, i, v)
		add_id(ids, v);
	for (i = (size_t)(pos + 1 > 0 ? pos + 1 : 0); i < norder; i++)
		add_id(ids, json_array_get(tracks, (size_t)json_integer_value(json_array_get(order, i))));
	return ids;
}

void sub_get_play_queue(struct sub_call *c)
{
	struct hub_play_queue q;
	const char *current;
	json_t *ids, *entry, *o;
	long cur, from;
	size_t i;

	if (!hub_play_queue(c->r->srv->hub, c->r->user.id, &q)) {
		/* Nothing has played since the server started: an empty queue, changed never. */
		sub_ok(c, "playQueue", json_pack("{s:s,s:o,s:s}", "username", c->r->user.id, "changed",
		                                 catalog_time(0, true), "changedBy", ""));
		return;
	}
	current = json_string_value(json_object_get(q.queue, "current"));
	if (!current)
		current = json_string_value(json_object_get(json_object_get(q.state, "item"), "id"));
	if (q.queue) {
		ids = play_order(q.queue, &cur);
	} else {
		/* The state alone (a device that sent no queue): its song. */
		ids = json_array();
		cur = current ? 0 : -1;
		if (current)
			json_array_append_new(ids, json_string(current));
	}
	entry = json_array();
	from = cur > QUEUE_SHOWN_BEFORE ? cur - QUEUE_SHOWN_BEFORE : 0;
	for (i = (size_t)from; i < json_array_size(ids) && i < (size_t)from + QUEUE_SHOWN_MAX; i++) {
		json_t *song = sub_song(c, json_string_value(json_array_get(ids, i)));

		if (song)
			json_array_append_new(entry, song);
	}
	o = json_pack("{s:I,s:s,s:o,s:s,s:o}", "position",
	              (json_int_t)json_integer_value(json_object_get(q.state, "progress_ms")),
	              "username", c->r->user.id, "changed", catalog_time(q.changed_at, true),
	              "changedBy", q.changed_by, "entry", entry);
	if (o && current && base62_is_id(current))
		json_object_set_new(o, "current", json_string(current));
	json_decref(ids);
	json_decref(q.state);
	json_decref(q.queue);
	if (!o) {
		sub_error(c, SUB_ERR_GENERIC, "out of memory");
		return;
	}
	sub_ok(c, "playQueue", o);
}

void sub_save_play_queue(struct sub_call *c)
{
	const char *ids[QUEUE_SAVE_MAX + 1], *current = sub_arg(c, "current");
	int n = sub_args(c, "id", ids, QUEUE_SAVE_MAX + 1), at = -1, rc;
	json_t *tracks, *order, *state, *queue, *item;
	struct sub_view view;
	char by[128];
	long position;

	if (n > QUEUE_SAVE_MAX) {
		sub_error(c, SUB_ERR_GENERIC, "too many ids: at most %d in one call", QUEUE_SAVE_MAX);
		return;
	}
	if (!sub_int(c, "position", 0, 0, POSITION_MAX, &position))
		return;
	sub_client_name(c, by, sizeof by);
	if (!n) {
		/* OpenSubsonic: no songs clears the saved queue. */
		if (hub_play_queue_clear(c->r->srv->hub, c->r->user.id, by) < 0)
			sub_error(c, SUB_ERR_GENERIC, "out of memory");
		else
			sub_ok(c, NULL, NULL);
		return;
	}
	if (!current) {
		sub_need(c, "current");
		return;
	}
	for (int i = 0; i < n; i++) {
		int known = base62_is_id(ids[i]) ? store_track_exists(&c->r->srv->store, ids[i]) : 0;

		if (known <= 0) {
			if (known < 0)
				sub_error(c, SUB_ERR_GENERIC, "database error");
			else
				sub_error(c, SUB_ERR_NOT_FOUND, "no song with id %s", sub_echo(ids[i]));
			return;
		}
		if (at < 0 && !strcmp(ids[i], current))
			at = i;
	}
	if (at < 0) {
		sub_error(c, SUB_ERR_GENERIC, "current must be one of the ids");
		return;
	}
	/* The Web API's track object, as devices show it, in the user's market. */
	if (!(item = catalog_track(sub_catalog_view(c, &view), current, c->r->user.country))) {
		sub_error(c, SUB_ERR_NOT_FOUND, "no song with id %s", sub_echo(current));
		return;
	}
	tracks = json_array();
	order = json_array();
	for (int i = 0; i < n; i++) {
		json_array_append_new(tracks, json_string(ids[i]));
		json_array_append_new(order, json_integer(i));
	}
	state = json_pack("{s:s,s:b,s:n,s:I,s:b,s:o,s:s}", "repeat_state", "off", "shuffle_state", 0,
	                  "context", "progress_ms", (json_int_t)position, "is_playing", 0, "item", item,
	                  "currently_playing_type", "track");
	queue = json_pack("{s:n,s:o,s:o,s:i,s:[],s:s,s:b,s:b,s:s}", "context_uri", "tracks", tracks,
	                  "order", order, "pos", at, "user", "current", current, "current_is_user", 0,
	                  "shuffle", 0, "repeat", "off");
	rc = hub_play_queue_save(c->r->srv->hub, c->r->user.id, state, queue, by);
	if (rc < 0)
		sub_error(c, SUB_ERR_GENERIC, "out of memory");
	else if (rc > 0)
		sub_error(c, SUB_ERR_GENERIC, "playback is being handed between devices: save again in a moment");
	else
		sub_ok(c, NULL, NULL);
}
