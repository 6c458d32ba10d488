/* getPlayQueue and savePlayQueue: the play queue is the user's Connect state (doc/connect.md),
 * not a separate record. A phone reads where the terminal is (its queue in play order, its
 * song and position), and a phone's save becomes the state every Connect device sees, paused
 * where the phone stopped, for a transfer or a play to pick up. A save is also kept in the
 * store (store/playqueue.h), and read back when the server has restarted since and no
 * device has said where it is. */
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
#include "store/playqueue.h"
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

/* What getPlayQueue shows, from the hub or from the store. */
struct shown {
	json_t *ids;          /* the songs in play order */
	long cur;             /* the current one's index, or -1 */
	char current[32];     /* its id, or "" */
	long long position_ms;
	long long changed_at; /* Unix ms */
	char changed_by[256];
};

/* The hub's state: what a Connect device plays, or a client's save since the start. */
static void from_hub(struct hub_play_queue *q, struct shown *w)
{
	const char *current = json_string_value(json_object_get(q->queue, "current"));

	if (!current)
		current = json_string_value(json_object_get(json_object_get(q->state, "item"), "id"));
	snprintf(w->current, sizeof w->current, "%s", current && base62_is_id(current) ? current : "");
	if (q->queue) {
		w->ids = play_order(q->queue, &w->cur);
	} else {
		/* The state alone (a device that sent no queue): its song. */
		w->ids = json_array();
		w->cur = w->current[0] ? 0 : -1;
		if (w->current[0])
			json_array_append_new(w->ids, json_string(w->current));
	}
	w->position_ms = (long long)json_integer_value(json_object_get(q->state, "progress_ms"));
	w->changed_at = q->changed_at;
	snprintf(w->changed_by, sizeof w->changed_by, "%s", q->changed_by);
}

/* The last save a client made, as the store kept it. */
static void from_store(const struct playqueue_row *row, struct shown *w)
{
	w->ids = json_array();
	for (int i = 0; i < row->n; i++)
		json_array_append_new(w->ids, json_string(row->ids[i]));
	w->cur = row->current;
	snprintf(w->current, sizeof w->current, "%s", row->ids[row->current]);
	w->position_ms = row->position_ms;
	w->changed_at = row->changed_at;
	snprintf(w->changed_by, sizeof w->changed_by, "%s", row->changed_by);
}

/* The hub's state when a device or a save set it at or after the stored save; the stored
 * save otherwise (the server restarted since, and no device has said where it is). */
void sub_get_play_queue(struct sub_call *c)
{
	struct hub_play_queue q = { 0 };
	struct playqueue_row row;
	struct shown w = { 0 };
	bool live = hub_play_queue(c->r->srv->hub, c->r->user.id, &q);
	int stored = store_playqueue_load(&c->r->srv->store, c->r->user.id, &row);
	json_t *entry, *o = NULL;
	long from;
	size_t i;

	if (stored < 0) {
		sub_error(c, SUB_ERR_GENERIC, "database error");
		goto out;
	}
	if (live && (!stored || q.changed_at >= row.changed_at)) {
		from_hub(&q, &w);
	} else if (stored) {
		from_store(&row, &w);
	} else {
		/* Nothing saved, and nothing has played since the server started: an empty queue,
		 * changed never. */
		sub_ok(c, "playQueue", json_pack("{s:s,s:o,s:s}", "username", c->r->user.id, "changed",
		                                 catalog_time(0, true), "changedBy", ""));
		goto out;
	}
	entry = json_array();
	from = w.cur > QUEUE_SHOWN_BEFORE ? w.cur - QUEUE_SHOWN_BEFORE : 0;
	for (i = (size_t)from; i < json_array_size(w.ids) && i < (size_t)from + QUEUE_SHOWN_MAX; i++) {
		json_t *song = sub_song(c, json_string_value(json_array_get(w.ids, i)));

		if (song)
			json_array_append_new(entry, song);
	}
	o = json_pack("{s:I,s:s,s:o,s:s,s:o}", "position", (json_int_t)w.position_ms,
	              "username", c->r->user.id, "changed", catalog_time(w.changed_at, true),
	              "changedBy", w.changed_by, "entry", entry);
	if (o && w.current[0])
		json_object_set_new(o, "current", json_string(w.current));
	if (!o)
		sub_error(c, SUB_ERR_GENERIC, "out of memory");
	else
		sub_ok(c, "playQueue", o);
out:
	json_decref(w.ids);
	json_decref(q.state);
	json_decref(q.queue);
	if (stored > 0)
		playqueue_row_free(&row);
}

/* Keeps what the hub took, so that a restart does not lose an acknowledged save; stamped
 * with the hub's own time, so that a device's later state wins over it. */
static int keep(struct sub_call *c, const char *const *ids, int n, int at, long position,
                const char *by)
{
	struct hub_play_queue q;
	long long when;

	if (!hub_play_queue(c->r->srv->hub, c->r->user.id, &q))
		return -1;
	when = q.changed_at;
	json_decref(q.state);
	json_decref(q.queue);
	return store_playqueue_save(&c->r->srv->store, c->r->user.id, ids, n, at, position, by, when);
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
		else if (store_playqueue_clear(&c->r->srv->store, c->r->user.id) < 0)
			sub_error(c, SUB_ERR_GENERIC, "database error");
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
	else if (keep(c, ids, n, at, position, by) < 0)
		sub_error(c, SUB_ERR_GENERIC, "database error: the queue was not kept");
	else
		sub_ok(c, NULL, NULL);
}
