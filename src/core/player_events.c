/* What the owner's loop calls: player_dispatch drains mpv's events (a track starts, ends or
 * breaks), player_timeout_ms and player_tick run the timers (retries, crossfade steps, the
 * quality controller's samples). */
#include "config.h"
#include "player_internal.h"

#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "download.h"
#include "log.h"
#include "offline.h"
#include "offline_stream.h"

/* --- mpv events ----------------------------------------------------------------------- */

#define DRIFT_MS 30
#define DRIFT_EVERY_MS 1000

void player_settle(struct player *p)
{
	p->settling = !p->paused;
	p->settle_pos = player_get_double(p, "time-pos", -1);
}

static void on_start_file(struct player *p, int64_t entry)
{
	if (entry && entry == p->next_entry) {
		/* The gapless step onto the prefetched track. */
		const char *clear[] = { "playlist-clear", NULL };

		player_play_finish(p, "track_done");
		queue_next(&p->q, true);
		p->cur_entry = entry;
		p->cur_expires = p->next.expires;
		p->cur_duration_ms = p->next.duration_ms;
		player_forget_next(p);
		mpv_command(p->mpv, clear);
	} else if (entry != p->cur_entry) {
		return;
	}
	/* A reload of the same play (a renewed URL, a new quality, a resume after an outage)
	 * continues it; only a new track begins a play. */
	if (!p->play_id[0])
		player_play_begin(p, queue_current(&p->q));
	player_emit(p, "track", json_object_get(p->meta, queue_current(&p->q)));
	player_radio_top_up(p);
	player_refresh_next(p);
	player_emit_state(p);
}

/* What played is cut off: go on from the same place once the track loads again. */
static void resume_later(struct player *p)
{
	p->cur_entry = 0;
	p->waiting = true;
	p->retry_delay = 0;
	player_plan_retry(p);
	player_emit_state(p);
}

static void on_end_file(struct player *p, mpv_event_end_file *ef)
{
	if (ef->playlist_entry_id == p->next_entry && ef->reason == MPV_END_FILE_REASON_ERROR) {
		/* The prefetched track could not be opened: it will be loaded afresh when due. */
		player_forget_next(p);
		return;
	}
	if (ef->playlist_entry_id != p->cur_entry)
		return;
	/* A download that failed its check ends early, as an error or as a short EOF. It is
	 * fetched again, and meanwhile streamed from where it broke. */
	if ((ef->reason == MPV_END_FILE_REASON_EOF || ef->reason == MPV_END_FILE_REASON_ERROR) &&
	    queue_current(&p->q) && offline_stream_damaged(queue_current(&p->q))) {
		const char *stop[] = { "stop", NULL };

		if (seg_store(p->s))
			offline_requeue(seg_store(p->s), queue_current(&p->q), "a damaged chunk; fetching it again");
		if (p->s->downloader)
			downloader_kick(p->s->downloader);
		if (p->next_entry) { /* mpv is stepping onto it: not yet */
			player_forget_next(p);
			mpv_command(p->mpv, stop);
		}
		player_emit_error(p, "a downloaded track is damaged; streaming it while it downloads again");
		resume_later(p);
		return;
	}
	if (ef->reason == MPV_END_FILE_REASON_EOF) {
		if (p->fading) {
			player_finish_fade(p, "track_done");
			return;
		}
		if (p->next_entry)
			return; /* mpv moves on to it; on_start_file does the rest */
		player_play_finish(p, "track_done");
		p->cur_entry = 0;
		queue_next(&p->q, true);
		player_start_current(p, 0);
		return;
	}
	if (ef->reason == MPV_END_FILE_REASON_ERROR && ef->error == MPV_ERROR_AO_INIT_FAILED) {
		/* No sound device: retrying would not help, and the user needs to know. */
		player_emit_error(p, "cannot open the audio output (%s): set audio_output in segue.conf, "
		           "or null to play silently", opt_str(&p->s->opt, OPT_AUDIO_OUTPUT));
		player_play_finish(p, "error");
		p->cur_entry = 0;
		queue_reset(&p->q);
		player_emit_state(p);
		return;
	}
	if (ef->reason == MPV_END_FILE_REASON_ERROR) {
		/* The stream broke: an expired URL or a server gone away. Resume where it was with
		 * a fresh URL, retrying until the server answers again. */
		player_emit_error(p, "playback interrupted (%s); resuming", mpv_error_string(ef->error));
		resume_later(p);
	}
}

static void on_property(struct player *p, mpv_event_property *pr)
{
	if (!strcmp(pr->name, "time-pos") && pr->format == MPV_FORMAT_DOUBLE && !p->waiting) {
		long long xf = opt_int(&p->s->opt, OPT_CROSSFADE) * 1000LL;

		p->resume_ms = (long long)(*(double *)pr->data * 1000);
		if (p->settling && *(double *)pr->data != p->settle_pos) {
			p->settling = false;
			player_emit_state(p);
		} else if (p->sent_moving && !p->settling && clock_mono_ms() - p->drift_sent >= DRIFT_EVERY_MS) {
			long long off = p->resume_ms - (p->sent_pos + clock_mono_ms() - p->sent_mono);

			if (off > DRIFT_MS || off < -DRIFT_MS) {
				p->drift_sent = clock_mono_ms();
				player_emit_state(p);
			}
		}
		if (xf && !p->fading && !p->fade_tried && p->cur_entry && p->cur_duration_ms > 2 * xf &&
		    p->resume_ms >= p->cur_duration_ms - xf)
			player_start_fade(p, p->resume_ms);
		return;
	}
	if (pr->format != MPV_FORMAT_FLAG)
		return;
	if (!strcmp(pr->name, "paused-for-cache")) {
		p->buffering = *(int *)pr->data;
		if (!p->buffering)
			player_settle(p);
		player_emit_state(p);
	}
}

void player_dispatch(struct player *p)
{
	char buf[64];

	while (read(p->wake[0], buf, sizeof buf) > 0)
		;
	/* The fader's events matter only when its track fails to start mid-fade. */
	while (p->fader) {
		mpv_event *ev = mpv_wait_event(p->fader, 0);

		if (ev->event_id == MPV_EVENT_NONE)
			break;
		if (ev->event_id == MPV_EVENT_PLAYBACK_RESTART && p->fading && !p->fade_start)
			p->fade_start = clock_mono_ms();
		if (ev->event_id == MPV_EVENT_END_FILE && p->fading &&
		    ((mpv_event_end_file *)ev->data)->playlist_entry_id == p->fade.entry &&
		    ((mpv_event_end_file *)ev->data)->reason == MPV_END_FILE_REASON_ERROR) {
			log_warn("crossfade: the next track did not start; it follows without a fade");
			player_cancel_fade(p);
		}
	}
	for (;;) {
		mpv_event *ev = mpv_wait_event(p->mpv, 0);

		switch (ev->event_id) {
		case MPV_EVENT_NONE:
			return;
		case MPV_EVENT_START_FILE:
			on_start_file(p, ((mpv_event_start_file *)ev->data)->playlist_entry_id);
			break;
		case MPV_EVENT_END_FILE:
			on_end_file(p, ev->data);
			break;
		case MPV_EVENT_PLAYBACK_RESTART:
			player_settle(p);
			player_emit_state(p);
			break;
		case MPV_EVENT_PROPERTY_CHANGE:
			on_property(p, ev->data);
			break;
		case MPV_EVENT_SHUTDOWN:
			return;
		default:
			break;
		}
	}
}

/* --- timers ------------------------------------------------------------------------- */

long player_timeout_ms(struct player *p)
{
	long long now = clock_mono_ms(), t = -1;

	if (!p)
		return -1;
	if (p->retry_at)
		t = p->retry_at;
	if (p->fading && !p->paused) {
		long long f = now + FADE_STEP_MS;

		if (t < 0 || f < t)
			t = f;
	}
	if (p->qc_at && p->cur_entry && !p->paused && (t < 0 || p->qc_at < t))
		t = p->qc_at;
	if (t < 0)
		return -1;
	return t > now ? (long)(t - now) : 0;
}

/* One sample for the quality controller; a change reloads at the current position. */
static void sample_quality(struct player *p)
{
	double speed = player_get_double(p, "cache-speed", 0), ahead = player_get_double(p, "demuxer-cache-duration", 0);
	bool idle = player_get_flag(p, "demuxer-cache-idle");
	enum quality before = p->qc.cur, after;

	p->qc_at = clock_mono_ms() + QC_PERIOD_MS;
	/* With nothing left to fetch (the file is in the cache up to its end), a short buffer is
	 * the end of the track, not a slow network. */
	if (idle && !p->buffering)
		after = qctl_sample(&p->qc, clock_mono_ms() / 1000.0, -1, 2 * QC_HIGH_S, false);
	else
		after = qctl_sample(&p->qc, clock_mono_ms() / 1000.0, speed > 0 ? speed : -1, ahead,
		                    p->buffering);
	if (after != before && p->cur_entry) {
		log_info("quality: %s -> %s", quality_name(before), quality_name(after));
		player_switch_stream(p);
	}
}

void player_tick(struct player *p)
{
	long long now = clock_mono_ms();

	if (p->fading && !p->paused)
		player_fade_step(p);
	if (p->retry_at && now >= p->retry_at) {
		p->retry_at = 0;
		if (p->waiting && queue_current(&p->q)) {
			log_info("retrying the current track at %lld ms", p->resume_ms);
			player_start_current(p, p->resume_ms);
			if (!p->waiting)
				p->message[0] = '\0';
		}
	}
	if (p->qc_at && now >= p->qc_at) {
		if (opt_bool(&p->s->opt, OPT_ADAPTIVE) && p->cur_entry && !p->paused)
			sample_quality(p);
		else
			p->qc_at = now + QC_PERIOD_MS;
	}
}
