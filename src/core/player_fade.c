/* Crossfades between tracks on a second mpv instance, and the short fade that hides a change
 * of stream within a track (a new quality). */
#include "config.h"
#include "player_internal.h"

#include <math.h>

#include "clock.h"
#include "log.h"

/* mpv's volume is cubic (gain = (volume / 100)^3); an equal-power fade wants amplitude gains
 * cos and sin of the same angle, so the sum of the two powers stays constant. */
static void set_gain(mpv_handle *h, int volume, double gain)
{
	double v = volume * cbrt(gain < 0 ? 0 : gain);

	mpv_set_property(h, "volume", MPV_FORMAT_DOUBLE, &v);
}

void player_cancel_fade(struct player *p)
{
	const char *stop[] = { "stop", NULL };

	if (!p->fading)
		return;
	mpv_command(p->fader, stop);
	set_gain(p->mpv, p->volume, 1);
	p->fading = false;
	p->fade_same = false;
}

/* The incoming track takes over: the queue moves on and the two instances swap roles. */
void player_finish_fade(struct player *p, const char *reason)
{
	const char *stop[] = { "stop", NULL };
	mpv_handle *out = p->mpv;

	if (!p->fade_same) {
		player_play_finish(p, reason);
		queue_next(&p->q, true);
	}
	p->mpv = p->fader;
	p->fader = out;
	mpv_command(p->fader, stop);
	set_gain(p->mpv, p->volume, 1);
	p->fading = false;
	p->fade_tried = false;
	p->cur_entry = p->fade.entry;
	p->cur_expires = p->fade.expires;
	p->cur_duration_ms = p->fade.duration_ms;
	p->resume_ms = player_position_ms(p);
	player_forget_next(p);
	if (p->fade_same) {
		p->fade_same = false;
		player_refresh_next(p);
		player_emit_state(p);
		return;
	}
	player_play_begin(p, queue_current(&p->q));
	player_emit(p, "track", json_object_get(p->meta, queue_current(&p->q)));
	player_emit_state(p);
}

void player_fade_step(struct player *p)
{
	double t;

	if (!p->fade_start)
		return; /* the incoming side is still opening: both keep their levels */
	t = (double)(clock_mono_ms() - p->fade_start) / (double)p->fade_ms;

	if (t >= 1) {
		player_finish_fade(p, "track_done");
		return;
	}
	if (t < 0)
		t = 0;
	set_gain(p->mpv, p->volume, cos(t * M_PI / 2));
	set_gain(p->fader, p->volume, sin(t * M_PI / 2));
}

/* Starts the next track on the fader, silent, and begins ramping; a failure leaves the
 * current track to end on its own, after which the next starts as usual. */
void player_start_fade(struct player *p, long long pos_ms)
{
	const char *id = queue_peek(&p->q);
	long remaining = (long)(p->cur_duration_ms - pos_ms);
	int64_t paused = p->paused;

	p->fade_tried = true;
	if (!id || remaining <= 0)
		return;
	if (!p->fader && player_make_mpv(p, &p->fader)) {
		log_warn("crossfade: %s", seg_errmsg());
		return;
	}
	set_gain(p->fader, p->volume, 0);
	mpv_set_property(p->fader, "pause", MPV_FORMAT_FLAG, &paused);
	if (player_load(p, p->fader, id, 0, false, &p->fade) != LOAD_OK)
		return;
	p->fading = true;
	p->fade_same = false;
	p->fade_start = 0;
	p->fade_ms = remaining;
	player_emit_state(p);
}

/* Changes the stream of the playing track (a new quality) at the current position, hidden
 * by a short crossfade between the old stream and the new; where that cannot be done (paused,
 * waiting, already fading), reloads in place. */
void player_switch_stream(struct player *p)
{
	const char *id = queue_current(&p->q);
	int64_t no = 0;

	if (!id)
		return;
	if (!p->cur_entry || p->waiting || p->paused || p->fading ||
	    (!p->fader && player_make_mpv(p, &p->fader))) {
		player_start_current(p, player_position_ms(p));
		return;
	}
	set_gain(p->fader, p->volume, 0);
	mpv_set_property(p->fader, "pause", MPV_FORMAT_FLAG, &no);
	if (player_load(p, p->fader, id, player_position_ms(p) + SWITCH_LEAD_MS, false, &p->fade) != LOAD_OK) {
		player_start_current(p, player_position_ms(p));
		return;
	}
	p->fading = true;
	p->fade_same = true;
	p->fade_start = 0;
	p->fade_ms = SWITCH_FADE_MS;
}
