/* Loading tracks: their metadata, the signed URL (or the download) of the current track and
 * the next, handed to mpv, with the retries and skips when the server is away or a track is
 * not available. */
#include "config.h"
#include "player_internal.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "log.h"
#include "offline.h"
#include "offline_stream.h"

/* --- metadata ----------------------------------------------------------------------- */

/* A GET for loading tracks. Once the server is found out of reach, the loads of the next few
 * seconds do not ask again: skipping through a queue offline must not wait out a connect
 * timeout for every track. player_start_current() forgets it, so a new start always asks. */
static enum seg_err player_get(struct player *p, const char *path, json_t **out)
{
	enum seg_err e;

	*out = NULL;
	if (clock_mono_ms() < p->away_until)
		return seg_fail(SEG_EUNREACHABLE, "the server is out of reach");
	if ((e = api_get(seg_api(p->s), path, out)) == SEG_EUNREACHABLE)
		p->away_until = clock_mono_ms() + AWAY_MS;
	else
		p->away_until = 0;
	return e;
}

json_t *player_track_meta(struct player *p, const char *id)
{
	json_t *t = json_object_get(p->meta, id);
	struct store *st;
	char key[64], path[64];

	if (t)
		return t;
	snprintf(key, sizeof key, "track:%s", id);
	st = seg_store(p->s);
	if (st && (t = store_cache_get(st, key, 7 * 86400))) {
		json_object_set_new(p->meta, id, t);
		return t;
	}
	snprintf(path, sizeof path, "/v1/tracks/%s", id);
	if (player_get(p, path, &t) == SEG_OK && json_is_object(t)) {
		if (st)
			store_cache_put(st, key, t);
		json_object_set_new(p->meta, id, t);
		return t;
	}
	json_decref(t);
	/* A download keeps its track object for as long as it is kept. */
	if (st && (t = offline_track(st, id))) {
		json_object_set_new(p->meta, id, t);
		return t;
	}
	return NULL;
}

void player_learn_tier(struct player *p)
{
	json_t *me = NULL;
	int pref = quality_from_name(opt_str(&p->s->opt, OPT_QUALITY));

	if (p->tier_known)
		return;
	if (player_get(p, "/v1/me", &me) == SEG_OK) {
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

/* Whether a track further on in the queue (the next DOWNLOADED_AHEAD) can play from its
 * download. */
static bool downloaded_later(struct player *p, struct store *db)
{
	const char *ids[DOWNLOADED_AHEAD];
	size_t n = queue_upnext(&p->q, ids, NULL, DOWNLOADED_AHEAD);

	if (n > DOWNLOADED_AHEAD)
		n = DOWNLOADED_AHEAD;
	for (size_t i = 0; i < n; i++)
		if (offline_has(db, ids[i]))
			return true;
	return false;
}

/* Asks the server for a signed URL of id and hands it to mpv: replacing what plays (append
 * false) or as the next playlist entry. */
enum load_result player_load(struct player *p, mpv_handle *h, const char *id, long long start_ms,
                             bool append, struct loaded *out)
{
	char path[128], opts[64];
	json_t *info = NULL;
	const char *url;
	enum quality q;
	enum seg_err e;
	mpv_node res;
	enum load_result r = LOAD_OK;

	struct store *db = seg_store(p->s);
	struct offline_item off;
	enum offline_state os = db ? offline_lookup(db, p->s->paths.data_dir, id, &off) : OFFLINE_NONE;
	char offline_url[128];

	/* A download plays from the disk, online or not: no server, no network. */
	if (os == OFFLINE_PLAYABLE) {
		json_t *t = player_track_meta(p, id);

		offline_stream_offer(id, off.path, off.key);
		sodium_memzero(off.key, sizeof off.key);
		offline_played(db, id);
		snprintf(offline_url, sizeof offline_url, OFFLINE_SCHEME "%s", id);
		url = offline_url;
		info = json_pack("{s:I,s:I}", "expires_at", (json_int_t)off.expires_at, "duration_ms",
		                 json_integer_value(json_object_get(t, "duration_ms")));
		goto play;
	}
	player_learn_tier(p);
	q = opt_bool(&p->s->opt, OPT_ADAPTIVE) ? p->qc.cur : p->cap;
	if (q > p->cap)
		q = p->cap;
	snprintf(path, sizeof path, "/v1/segue/playback/%s?quality=%s", id, quality_name(q));
	e = player_get(p, path, &info);
	if (e == SEG_EUNREACHABLE && os == OFFLINE_EXPIRED) {
		char when[32];
		time_t t = (time_t)off.expires_at;

		strftime(when, sizeof when, "%Y-%m-%d", localtime(&t));
		player_emit_error(p, "skipping \"%s\": its offline licence expired on %s; go online so segue "
		           "can renew it (segue offline sync)", off.title, when);
		r = LOAD_UNAVAILABLE;
		goto out;
	}
	/* Offline, what is downloaded further on plays; with nothing downloaded ahead, the
	 * player waits for the server (below) as it always has. */
	if (e == SEG_EUNREACHABLE && db && downloaded_later(p, db)) {
		json_t *t = player_track_meta(p, id);

		player_emit_error(p, "skipping \"%s\": not downloaded, and the server is out of reach",
		           json_string_value(json_object_get(t, "name")) ?: id);
		r = LOAD_UNAVAILABLE;
		goto out;
	}
	if (e == SEG_EFORBIDDEN || e == SEG_ENOTFOUND) {
		player_emit_error(p, "skipping a track: %s", seg_errmsg());
		r = LOAD_UNAVAILABLE;
		goto out;
	}
	if (e == SEG_EAUTH) {
		player_emit_error(p, "%s", seg_errmsg());
		r = LOAD_FATAL;
		goto out;
	}
	if (e || !(url = json_string_value(json_object_get(json_object_get(info, "urls"),
	                                                     quality_name(q))))) {
		player_emit_error(p, "cannot start a track: %s", e ? seg_errmsg() : "no URL in the answer");
		r = LOAD_RETRY;
		goto out;
	}
play:
	/* A position handed over by another device moves on while we ask for the URL: start
	 * where the music is now, not where it was. */
	if (!append && p->live_since && start_ms > 0)
		start_ms += clock_mono_ms() - p->live_since;
	p->live_since = 0;
	snprintf(opts, sizeof opts, "start=%.3f", start_ms / 1000.0);
	/* mpv 0.38 (client API 2.3) put an index argument before the per-file options. */
	bool indexed = mpv_client_api_version() >= MPV_MAKE_VERSION(2, 3);
	const char *cmd[] = { "loadfile", url, append ? "append" : "replace", indexed ? "-1" : opts,
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
	out->expires = json_integer_value(json_object_get(info, "expires_at"));
	out->duration_ms = json_integer_value(json_object_get(info, "duration_ms"));
out:
	json_decref(info);
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
	/* Its metadata too, so the step onto it has a title to show (a queue handed over by
	 * another device brings the current track's object only). */
	if (want)
		player_track_meta(p, want);
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
	p->away_until = 0; /* ask the server afresh; only the skips below take its absence as known */
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
		player_track_meta(p, id);
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
