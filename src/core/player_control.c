/* The player's commands as the command table calls them: play a context, a list or a
 * station, pause, skip, seek, volume, shuffle and repeat, queue edits, options, stop. */
#include "config.h"
#include "player_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static enum seg_err need_track(struct player *p)
{
	if (!queue_current(&p->q))
		return seg_fail(SEG_ENOPLAYER, "nothing is playing");
	return SEG_OK;
}

enum seg_err player_play(struct player *p, const char *context_uri, const char *const *ids,
                         json_t *const *tracks, size_t n, size_t start)
{
	player_cancel_fade(p);
	player_play_finish(p, "skipped");
	if (radio_seed(context_uri) && strcmp(context_uri, p->q.context))
		radio_reset(&p->radio);
	for (size_t i = 0; tracks && i < n; i++)
		if (tracks[i])
			json_object_set(p->meta, ids[i], tracks[i]);
	if (queue_set_context(&p->q, context_uri, ids, n, start) < 0)
		return seg_fail(SEG_EUSAGE, "cannot play that: no tracks, or too many");
	p->message[0] = '\0';
	p->paused = false;
	mpv_set_property_string(p->mpv, "pause", "no");
	player_start_current(p, 0);
	if (p->waiting)
		return seg_fail(SEG_EUNREACHABLE, "%s", p->message);
	if (!queue_current(&p->q))
		return seg_fail(SEG_EFORBIDDEN, "%s", p->message[0] ? p->message : "nothing playable");
	return SEG_OK;
}

enum seg_err player_play_tracks(struct player *p, const char *context_uri, json_t *tracks, size_t start)
{
	size_t n = json_array_size(tracks), i;
	const char **ids = calloc(n + 1, sizeof *ids);
	json_t **objs = calloc(n + 1, sizeof *objs), *t;
	enum seg_err e = SEG_OK;

	if (!ids || !objs) {
		e = seg_fail(SEG_ENOMEM, "out of memory");
		goto out;
	}
	json_array_foreach(tracks, i, t) {
		ids[i] = json_string_value(json_object_get(t, "id"));
		objs[i] = t;
		if (!ids[i]) {
			e = seg_fail(SEG_EPROTO, "the server sent a track without an id");
			goto out;
		}
	}
	e = player_play(p, context_uri, ids, objs, n, start);
out:
	free(ids);
	free(objs);
	return e;
}

enum seg_err player_radio(struct player *p, const char *seed)
{
	char context[QUEUE_URI_MAX + 1];
	struct radio fresh;
	json_t *tracks;
	enum seg_err e;

	if (snprintf(context, sizeof context, RADIO_PREFIX "%s", seed) >= (int)sizeof context)
		return seg_fail(SEG_EUSAGE, "that seed is too long");
	if (!seg_api(p->s))
		return seg_fail(SEG_EFAIL, "%s", seg_errmsg());
	/* The first batch knows nothing of the listener yet. */
	radio_init(&fresh);
	e = radio_fetch(seg_api(p->s), seed, &fresh, &(struct queue){ 0 }, &tracks);
	radio_free(&fresh);
	if (e)
		return e;
	if (!json_array_size(tracks)) {
		json_decref(tracks);
		return seg_fail(SEG_ENOTFOUND, "the station for %s has nothing to play", seed);
	}
	e = player_play_tracks(p, context, tracks, 0);
	json_decref(tracks);
	return e;
}

enum seg_err player_pause(struct player *p, bool pause)
{
	enum seg_err e = need_track(p);

	if (e)
		return e;
	p->paused = pause;
	mpv_set_property_string(p->mpv, "pause", pause ? "yes" : "no");
	if (p->fading)
		mpv_set_property_string(p->fader, "pause", pause ? "yes" : "no");
	player_play_run(p, !pause);
	player_play_save(p);
	if (!pause)
		player_settle(p);
	player_emit_state(p);
	return SEG_OK;
}

enum seg_err player_toggle(struct player *p)
{
	return player_pause(p, !p->paused);
}

enum seg_err player_next(struct player *p)
{
	enum seg_err e = need_track(p);

	if (e)
		return e;
	/* Mid-fade the user hears the next track arriving: skipping means "that one, now". */
	if (p->fading && !p->fade_same) {
		player_finish_fade(p, "skipped");
		return SEG_OK;
	}
	if (p->fading)
		player_finish_fade(p, "skipped");
	player_play_finish(p, "skipped");
	queue_next(&p->q, false);
	player_start_current(p, 0);
	return SEG_OK;
}

enum seg_err player_prev(struct player *p)
{
	enum seg_err e = need_track(p);

	if (e)
		return e;
	/* Mid-fade, going back means keeping the outgoing track: from its start. */
	player_cancel_fade(p);
	if (player_position_ms(p) > RESTART_PREV_MS)
		return player_seek(p, 0, false);
	player_play_finish(p, "skipped");
	queue_prev(&p->q);
	player_start_current(p, 0);
	return SEG_OK;
}

enum seg_err player_seek(struct player *p, long long ms, bool relative)
{
	enum seg_err e = need_track(p);
	long long target;
	char secs[32];

	if (e)
		return e;
	player_cancel_fade(p);
	p->fade_tried = false;
	target = relative ? player_position_ms(p) + ms : ms;
	if (target < 0)
		target = 0;
	if (p->cur_duration_ms && target >= p->cur_duration_ms)
		return player_next(p);
	player_play_save(p);
	/* A URL about to expire would make mpv's new range request fail: renew it first. */
	if (p->waiting || !p->cur_entry ||
	    (p->cur_expires && p->cur_expires - RENEW_MARGIN_S <= (long long)time(NULL))) {
		player_start_current(p, target);
		return SEG_OK;
	}
	snprintf(secs, sizeof secs, "%.3f", target / 1000.0);
	const char *cmd[] = { "seek", secs, "absolute", NULL };

	if (mpv_command(p->mpv, cmd) < 0)
		return seg_fail(SEG_EFAIL, "mpv could not seek");
	p->resume_ms = target;
	return SEG_OK;
}

enum seg_err player_volume(struct player *p, int v, bool relative, int *now)
{
	int64_t vol;

	vol = relative ? p->volume + v : v;
	if (vol < 0)
		vol = 0;
	if (vol > 100)
		vol = 100;
	if (mpv_set_property(p->mpv, "volume", MPV_FORMAT_INT64, &vol) < 0)
		return seg_fail(SEG_EFAIL, "mpv refused the volume");
	p->volume = (int)vol;
	*now = p->volume;
	player_emit_state(p);
	return SEG_OK;
}

static enum seg_err queue_changed(struct player *p)
{
	player_refresh_next(p);
	player_emit_state(p);
	return SEG_OK;
}

enum seg_err player_shuffle(struct player *p, bool on)
{
	queue_set_shuffle(&p->q, on);
	return queue_changed(p);
}

enum seg_err player_repeat(struct player *p, enum repeat r)
{
	queue_set_repeat(&p->q, r);
	return queue_changed(p);
}

enum seg_err player_queue_add(struct player *p, const char *id, json_t *track)
{
	if (track)
		json_object_set(p->meta, id, track);
	if (queue_add(&p->q, id) < 0)
		return seg_fail(SEG_EUSAGE, "the queue is full");
	if (!queue_current(&p->q)) {
		/* Nothing playing: the queued track starts at once, as in any player. */
		queue_next(&p->q, false);
		player_start_current(p, 0);
		return SEG_OK;
	}
	return queue_changed(p);
}

enum seg_err player_queue_remove(struct player *p, size_t n)
{
	if (queue_remove(&p->q, n) < 0)
		return seg_fail(SEG_ENOTFOUND, "there is no entry %zu in the queue", n);
	return queue_changed(p);
}

enum seg_err player_queue_move(struct player *p, size_t from, size_t to)
{
	if (queue_move(&p->q, from, to) < 0)
		return seg_fail(SEG_ENOTFOUND, "cannot move entry %zu to %zu", from, to);
	return queue_changed(p);
}

enum seg_err player_queue_clear(struct player *p)
{
	queue_clear(&p->q);
	return queue_changed(p);
}

enum seg_err player_option_changed(struct player *p, int opt)
{
	int q;

	switch (opt) {
	case OPT_NORMALIZE:
		for (mpv_handle **h = (mpv_handle *[]){ p->mpv, p->fader, NULL }; *h; h++)
			mpv_set_property_string(*h, "replaygain", player_replaygain_mode(p));
		break;
	case OPT_VOLUME: {
		int now;

		return player_volume(p, opt_int(&p->s->opt, OPT_VOLUME), false, &now);
	}
	case OPT_QUALITY:
		p->tier_known = false;
		player_learn_tier(p);
		if ((q = quality_from_name(opt_str(&p->s->opt, OPT_QUALITY))) >= 0 && !p->tier_known)
			qctl_set_cap(&p->qc, (enum quality)q);
		if (p->cur_entry)
			player_switch_stream(p);
		break;
	case OPT_CROSSFADE:
		/* Gapless prefetch and crossfade exclude each other: redo what comes next. */
		player_refresh_next(p);
		break;
	default:
		break;
	}
	player_emit_state(p);
	return SEG_OK;
}

void player_stop(struct player *p, const char *reason)
{
	const char *stop[] = { "stop", NULL };

	if (!p)
		return;
	player_cancel_fade(p);
	player_play_finish(p, reason);
	mpv_command(p->mpv, stop);
	p->cur_entry = 0;
	player_forget_next(p);
	p->retry_at = 0;
	p->waiting = false;
	queue_reset(&p->q);
	player_emit_state(p);
}
