/* The player as others see it: Connect's queue snapshots (taken here, taken over from another
 * device), and the Web API's player-state and queue objects. */
#include "config.h"
#include "player_internal.h"

#include <stdlib.h>
#include <string.h>

#include "clock.h"

/* --- Connect's snapshots -------------------------------------------------------------- */

json_t *player_snapshot(struct player *p)
{
	const struct queue *q = &p->q;
	json_t *tracks = json_array(), *order = json_array(), *user = json_array();

	for (size_t i = 0; i < q->ntracks; i++)
		json_array_append_new(tracks, json_string(q->tracks[i]));
	for (size_t i = 0; i < q->norder; i++)
		json_array_append_new(order, json_integer((json_int_t)q->order[i]));
	for (size_t i = 0; i < q->nuser; i++)
		json_array_append_new(user, json_string(q->user[i]));
	return json_pack("{s:s?,s:o,s:o,s:I,s:o,s:s?,s:b,s:b,s:s}",
	                 "context_uri", q->context[0] ? q->context : NULL, "tracks", tracks,
	                 "order", order, "pos", (json_int_t)q->pos, "user", user,
	                 "current", q->cur[0] ? q->cur : NULL, "current_is_user", q->cur_is_user,
	                 "shuffle", q->shuffle, "repeat", repeat_name(q->repeat));
}

/* The strings of a JSON array, borrowed; NULL when it is not one of strings (or too long). */
static const char **strings_of(json_t *a, size_t *n)
{
	const char **v;
	json_t *x;
	size_t i;

	*n = json_array_size(a);
	if (!json_is_array(a) || *n > QUEUE_MAX || !(v = calloc(*n + 1, sizeof *v)))
		return NULL;
	json_array_foreach(a, i, x)
		if (!(v[i] = json_string_value(x))) {
			free(v);
			return NULL;
		}
	return v;
}

enum seg_err player_restore(struct player *p, json_t *snap, json_t *item, long long position_ms,
                            bool play)
{
	json_t *order_j = json_object_get(snap, "order");
	const char **ids = NULL, **user = NULL;
	size_t n = 0, nuser = 0, *order = NULL;
	int r = repeat_from_name(json_string_value(json_object_get(snap, "repeat")) ?: "off");
	json_int_t pos = json_integer_value(json_object_get(snap, "pos"));
	const char *cur = json_string_value(json_object_get(snap, "current"));
	enum seg_err e = SEG_OK;

	if (!json_is_object(snap) || !(ids = strings_of(json_object_get(snap, "tracks"), &n)) ||
	    !(user = strings_of(json_object_get(snap, "user"), &nuser)) ||
	    json_array_size(order_j) != n || pos < 0 || r < 0 || !(order = calloc(n + 1, sizeof *order))) {
		e = seg_fail(SEG_EUSAGE, "the queue handed over is malformed");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		json_t *o = json_array_get(order_j, i);

		if (!json_is_integer(o) || json_integer_value(o) < 0) {
			e = seg_fail(SEG_EUSAGE, "the queue handed over is malformed");
			goto out;
		}
		order[i] = (size_t)json_integer_value(o);
	}
	player_cancel_fade(p);
	player_play_finish(p, "skipped");
	if (queue_restore(&p->q, json_string_value(json_object_get(snap, "context_uri")), ids, n, order,
	                  (size_t)pos, user, nuser, cur,
	                  json_is_true(json_object_get(snap, "current_is_user")),
	                  json_is_true(json_object_get(snap, "shuffle")), (enum repeat)r) < 0) {
		e = seg_fail(SEG_EUSAGE, "the queue handed over does not hold together");
		goto out;
	}
	if (cur && json_is_object(item))
		json_object_set(p->meta, cur, item);
	p->message[0] = '\0';
	p->paused = !play;
	p->live_since = play ? clock_mono_ms() : 0;
	mpv_set_property_string(p->mpv, "pause", play ? "no" : "yes");
	player_start_current(p, position_ms > 0 ? position_ms : 0);
	if (!cur)
		player_emit_state(p);
	else if (p->waiting)
		e = seg_fail(SEG_EUNREACHABLE, "%s", p->message);
out:
	free(ids);
	free(user);
	free(order);
	return e;
}

/* --- state -------------------------------------------------------------------------- */

static json_t *context_json(struct player *p)
{
	const char *c = p->q.context, *kind, *colon;

	if (!c[0] || strncmp(c, "segue:", 6))
		return json_null();
	kind = c + 6;
	colon = strchr(kind, ':');
	return json_pack("{s:s#,s:s}", "type", kind, colon ? (int)(colon - kind) : (int)strlen(kind),
	                 "uri", c);
}

json_t *player_state(struct player *p)
{
	const char *id = queue_current(&p->q);
	json_t *item = id ? json_object_get(p->meta, id) : NULL;
	struct store *st = seg_store(p->s);

	return json_pack("{s:{s:s?,s:s,s:s,s:b,s:b,s:i},s:b,s:s,s:I,s:o,s:b,s:O,s:o,s:s,"
	                 "s:{s:s,s:s,s:b,s:b,s:i,s:b,s:i,s:s?,s:i}}",
	                 "device", "id", seg_device_id(p->s), "name", seg_device_name(p->s),
	                 "type", "Computer", "is_active", 1, "is_restricted", 0,
	                 "volume_percent", p->volume,
	                 "shuffle_state", p->q.shuffle,
	                 "repeat_state", repeat_name(p->q.repeat),
	                 "timestamp", (json_int_t)clock_wall_ms(),
	                 "progress_ms", id ? json_integer(player_position_ms(p)) : json_null(),
	                 "is_playing", id && !p->paused,
	                 "item", item ? item : json_null(),
	                 "context", id ? context_json(p) : json_null(),
	                 "currently_playing_type", "track",
	                 "segue",
	                 "quality", quality_name(p->qc.cur < p->cap ? p->qc.cur : p->cap),
	                 "quality_cap", quality_name(p->cap),
	                 "buffering", p->buffering, "waiting_for_server", p->waiting,
	                 "queue_length", (int)queue_upnext(&p->q, NULL, NULL, 0), "crossfading", p->fading,
	                 "crossfade", opt_int(&p->s->opt, OPT_CROSSFADE),
	                 "message", p->message[0] ? p->message : NULL,
	                 "outbox_pending", st ? outbox_pending(st) : -1);
}

json_t *player_queue(struct player *p, size_t max)
{
	const char *id = queue_current(&p->q);
	const char **ids = calloc(max ? max : 1, sizeof *ids);
	bool *user = calloc(max ? max : 1, sizeof *user);
	json_t *list = json_array(), *cur = id ? player_track_meta(p, id) : NULL;
	size_t n;

	if (!ids || !user || !list)
		goto out;
	n = queue_upnext(&p->q, ids, user, max);
	for (size_t i = 0; i < n && i < max; i++) {
		json_t *t = player_track_meta(p, ids[i]);
		json_t *e = t ? json_deep_copy(t) : json_pack("{s:s}", "id", ids[i]);

		json_object_set_new(e, "queued_by_user", json_boolean(user[i]));
		json_array_append_new(list, e);
	}
out:
	free(ids);
	free(user);
	return json_pack("{s:O,s:o}", "currently_playing", cur ? cur : json_null(), "queue",
	                 list ? list : json_array());
}
