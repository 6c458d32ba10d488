/* Loading tracks: the current track and the next, handed to mpv from where source.h says
 * each comes from (a download or a signed URL), with the retries and skips when the server is
 * away or a track is not available. */
#include "config.h"
#include "player_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"

/* --- metadata ----------------------------------------------------------------------- */

json_t *player_track_meta(struct player *p, const char *id)
{
	json_t *t = json_object_get(p->meta, id);

	if (!t && (t = source_track(&p->src, id)))
		json_object_set_new(p->meta, id, t);
	return t;
}

void player_learn_tier(struct player *p)
{
	json_t *me = NULL;
	int pref = quality_from_name(opt_str(&p->s->opt, OPT_QUALITY));

	if (p->tier_known)
		return;
	if (source_get(&p->src, "/v1/me", &me) == SEG_OK) {
		const char *product = json_string_value(json_object_get(me, "product"));
		enum quality tier = product && !strcmp(product, "premium") ? QUALITY_VERY_HIGH : QUALITY_HIGH;

		p->cap = pref < 0 ? QUALITY_HIGH : (enum quality)pref;
		if (p->cap > tier)
			p->cap = tier;
		p->tier_known = true;
		/* Start at the cap the account allows; the controller steps down from there. */
		qctl_init(&p->qc, p->cap, p->cap);
	}
	json_decref(me);
}

/* --- loading ------------------------------------------------------------------------ */

/* The quality to ask the server for: the controller's, under the cap the account allows. */
static enum quality wanted_quality(void *ud)
{
	struct player *p = ud;
	enum quality q;

	player_learn_tier(p);
	q = opt_bool(&p->s->opt, OPT_ADAPTIVE) ? p->qc.cur : p->cap;
	return q > p->cap ? p->cap : q;
}

/* Asks source.h where id comes from and hands that to mpv: replacing what plays (append
 * false) or as the next playlist entry. */
enum load_result player_load(struct player *p, mpv_handle *h, const char *id, long long start_ms,
                             bool append, struct loaded *out)
{
	const char *ahead[SOURCE_AHEAD];
	struct source_want w = { .id = id, .track = json_object_get(p->meta, id), .ahead = ahead,
	                         .quality = wanted_quality, .ud = p };
	struct source src;
	char opts[64];
	mpv_node res;
	enum load_result r = LOAD_OK;
	enum source_verdict v;

	if ((w.nahead = queue_upnext(&p->q, ahead, NULL, SOURCE_AHEAD)) > SOURCE_AHEAD)
		w.nahead = SOURCE_AHEAD;
	v = source_open(&p->src, &w, &src);
	/* The track object comes with any answer: the step onto the track has a title to show (a
	 * queue handed over by another device brings the current track's object only), and a
	 * skip names what it skipped. */
	if (!w.track && src.track)
		json_object_set(p->meta, id, src.track);
	if (v != SOURCE_OK) {
		player_emit_error(p, "%s", src.why);
		r = v == SOURCE_SKIP ? LOAD_UNAVAILABLE : v == SOURCE_FATAL ? LOAD_FATAL : LOAD_RETRY;
		goto out;
	}
	/* A position handed over by another device moves on while we ask for the URL: start
	 * where the music is now, not where it was. */
	if (!append && p->live_since && start_ms > 0)
		start_ms += clock_mono_ms() - p->live_since;
	p->live_since = 0;
	snprintf(opts, sizeof opts, "start=%.3f", start_ms / 1000.0);
	/* mpv 0.38 (client API 2.3) put an index argument before the per-file options. */
	bool indexed = mpv_client_api_version() >= MPV_MAKE_VERSION(2, 3);
	const char *cmd[] = { "loadfile", src.url, append ? "append" : "replace", indexed ? "-1" : opts,
	                      indexed ? opts : NULL, NULL };

	if (mpv_command_ret(h, cmd, &res) < 0) {
		player_emit_error(p, "mpv refused the track");
		r = LOAD_RETRY;
		goto out;
	}
	out->entry = 0;
	if (res.format == MPV_FORMAT_NODE_MAP)
		for (int i = 0; i < res.u.list->num; i++)
			if (!strcmp(res.u.list->keys[i], "playlist_entry_id"))
				out->entry = res.u.list->values[i].u.int64;
	mpv_free_node_contents(&res);
	/* mpv's cache figures are meaningless while a stream opens (a few KB/s, nothing buffered
	 * for the first second or so): no quality sample until it has settled. */
	if (!append)
		p->qc_at = clock_mono_ms() + QC_SETTLE_MS;
	out->expires = src.expires_at;
	out->duration_ms = src.duration_ms;
out:
	source_free(&src);
	return r;
}

void player_plan_retry(struct player *p)
{
	p->retry_delay = p->retry_delay ? p->retry_delay * 2 : 500;
	if (p->retry_delay > RETRY_MAX_MS)
		p->retry_delay = RETRY_MAX_MS;
	p->retry_at = clock_mono_ms() + p->retry_delay;
}

void player_forget_next(struct player *p)
{
	p->next_entry = 0;
	p->next_id[0] = '\0';
}

/* A station about to run dry gets its next batch. A failure (the server away) is not an error
 * of the track playing: the next track start tries again. */
void player_radio_top_up(struct player *p)
{
	const char *seed = radio_seed(p->q.context);
	json_t *tracks = NULL, *t;
	const char **ids = NULL;
	size_t i, n = 0;

	if (!seed || queue_left(&p->q) >= RADIO_LOW_WATER || !seg_api(p->s))
		return;
	if (radio_fetch(seg_api(p->s), seed, &p->radio, &p->q, &tracks)) {
		log_warn("radio: no next batch: %s", seg_errmsg());
		return;
	}
	if ((ids = calloc(json_array_size(tracks) + 1, sizeof *ids))) {
		json_array_foreach(tracks, i, t) {
			const char *id = json_string_value(json_object_get(t, "id"));

			if (id) {
				ids[n++] = id;
				json_object_set(p->meta, id, t);
			}
		}
		if (queue_extend(&p->q, ids, n) < 0)
			log_warn("radio: the queue is full");
	}
	free(ids);
	json_decref(tracks);
}

/* Brings mpv's next entry in line with the queue's. */
void player_refresh_next(struct player *p)
{
	const char *want;

	if (!p->cur_entry || p->waiting)
		return;
	/* With crossfading on, the next track starts on the fader instead. */
	want = opt_int(&p->s->opt, OPT_CROSSFADE) ? NULL : queue_peek(&p->q);
	if (p->next_entry && want && !strcmp(want, p->next_id))
		return;
	if (p->next_entry) {
		/* Entry ids survive index shifts; find its index now. */
		mpv_node pl;

		if (mpv_get_property(p->mpv, "playlist", MPV_FORMAT_NODE, &pl) >= 0) {
			for (int i = 0; pl.format == MPV_FORMAT_NODE_ARRAY && i < pl.u.list->num; i++) {
				mpv_node *it = &pl.u.list->values[i];

				for (int k = 0; it->format == MPV_FORMAT_NODE_MAP && k < it->u.list->num; k++)
					if (!strcmp(it->u.list->keys[k], "id") &&
					    it->u.list->values[k].u.int64 == p->next_entry) {
						char idx[16];
						const char *cmd[] = { "playlist-remove", idx, NULL };

						snprintf(idx, sizeof idx, "%d", i);
						mpv_command(p->mpv, cmd);
					}
			}
			mpv_free_node_contents(&pl);
		}
		player_forget_next(p);
	}
	if (want && player_load(p, p->mpv, want, 0, true, &p->next) == LOAD_OK) {
		p->next_entry = p->next.entry;
		snprintf(p->next_id, sizeof p->next_id, "%s", want);
	}
}

/* Makes the queue's current track play from start_ms, skipping what the user's market does
 * not have. With the server away, waits and retries on the timer. */
void player_start_current(struct player *p, long long start_ms)
{
	int skipped = 0;
	struct loaded got;

	player_forget_next(p);
	p->src.away_until = 0; /* ask the server afresh; only the skips below take its absence as known */
	for (;;) {
		const char *id = queue_current(&p->q);
		enum load_result r;

		if (!id) {
			const char *stop[] = { "stop", NULL };

			mpv_command(p->mpv, stop);
			p->cur_entry = 0;
			p->waiting = false;
			p->resume_ms = 0;
			p->retry_at = 0;
			player_emit(p, "track", json_null());
			player_emit_state(p);
			return;
		}
		r = player_load(p, p->mpv, id, start_ms, false, &got);
		if (r == LOAD_OK) {
			p->cur_entry = got.entry;
			p->cur_expires = got.expires;
			p->cur_duration_ms = got.duration_ms;
			p->waiting = false;
			p->retry_at = 0;
			p->retry_delay = 0;
			p->resume_ms = start_ms;
			return;
		}
		if (r == LOAD_RETRY) {
			p->cur_entry = 0;
			p->waiting = true;
			p->resume_ms = start_ms;
			player_plan_retry(p);
			player_emit_state(p);
			return;
		}
		if (r == LOAD_FATAL || ++skipped > SKIP_LIMIT) {
			queue_reset(&p->q);
			continue;
		}
		queue_next(&p->q, false);
		start_ms = 0;
	}
}
