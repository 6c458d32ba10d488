/* The player over libmpv. See player.h for the shape; the comments here say why. */
#include "config.h"
#include "player.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <mpv/client.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "mpv_dl.h"
#include "outbox.h"
#include "quality.h"
#include "radio.h"
#include "offline.h"
#include "offline_stream.h"
#include "download.h"

#define RESTART_PREV_MS 3000   /* prev within this restarts the track instead */
#define RENEW_MARGIN_S 15      /* renew a signed URL this close to its expiry before a seek */
#define RETRY_MAX_MS 10000
#define QC_PERIOD_MS 2000
#define QC_SETTLE_MS 3000
#define SKIP_LIMIT 50          /* unavailable tracks skipped in a row before giving up */
#define AWAY_MS 3000           /* loads take the server for gone this long after it was */
#define DOWNLOADED_AHEAD 200   /* how far on offline playback looks for a download */
#define FADE_STEP_MS 40        /* volume steps of a crossfade */
#define SWITCH_FADE_MS 300     /* the short crossfade that hides a change of quality */
#define SWITCH_LEAD_MS 60      /* how far ahead the new stream starts: mpv's time to open it */

/* What load() learnt of the stream it handed to mpv. */
struct loaded {
	int64_t entry;
	long long expires;         /* unix s */
	long long duration_ms;
};

struct player {
	struct seg *s;
	mpv_handle *mpv;
	int wake[2];
	struct queue q;
	struct radio radio;       /* feedback of the station playing, if one is */
	json_t *meta;             /* track id -> track object */
	player_listener fn;
	void *ud;

	int64_t cur_entry;        /* mpv playlist entry of the current track; 0: none loaded */
	int64_t next_entry;       /* the prefetched next one; 0: none */
	queue_id next_id;
	struct loaded next;
	long long cur_expires;    /* expiry (unix s) of the current track's signed URL */
	long long cur_duration_ms;
	bool paused;
	bool buffering;
	long long live_since;     /* monotonic ms a handed-over position was taken at; 0: none */

	/* Accounting of the current play for the outbox. */
	char play_id[OUTBOX_ID_LEN + 1];
	long long played_ms;
	long long run_since;      /* monotonic ms since it has been playing; 0: not running */

	/* Waiting for the server: what to load, and where, when the timer fires. */
	bool waiting;
	long long resume_ms;
	long long retry_at;       /* monotonic ms; 0: no retry planned */
	long retry_delay;

	struct qctl qc;
	enum quality cap;         /* preference limited by the tier */
	bool tier_known;
	long long away_until;     /* monotonic ms: the server was just found out of reach */
	long long qc_at;          /* next controller sample; 0: none */
	int volume;
	char message[256];        /* the last error shown to the user */

	/* Crossfades play the incoming track on a second mpv instance; when the fade ends the
	 * two swap roles, so p->mpv is always the one the user hears as "the" track. */
	mpv_handle *fader;
	bool fading;
	bool fade_tried;          /* a fade was started (or failed) for the current track */
	bool fade_same;           /* a change of stream within the track (quality), not a new track */
	long long fade_start;     /* monotonic ms the incoming side began to play; 0: not yet */
	long fade_ms;
	struct loaded fade;
};

static enum seg_err make_mpv(struct player *p, mpv_handle **out);
static void start_fade(struct player *p, long long pos_ms);
static void finish_fade(struct player *p, const char *reason);
static void cancel_fade(struct player *p);

/* Normalisation is mpv's ReplayGain over the tags the server writes into every stream. */
static const char *replaygain_mode(struct player *p)
{
	return opt_bool(&p->s->opt, OPT_NORMALIZE) ? "track" : "no";
}

static void emit(struct player *p, const char *event, json_t *data)
{
	if (p->fn)
		p->fn(p->ud, event, data);
}

static void emit_state(struct player *p)
{
	json_t *st;

	if (!p->fn)
		return;
	st = player_state(p);
	emit(p, "state", st);
	json_decref(st);
}

static void emit_error(struct player *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void emit_error(struct player *p, const char *fmt, ...)
{
	va_list ap;
	json_t *j;

	va_start(ap, fmt);
	vsnprintf(p->message, sizeof p->message, fmt, ap);
	va_end(ap);
	log_warn("%s", p->message);
	if ((j = json_pack("{s:s}", "message", p->message))) {
		emit(p, "error", j);
		json_decref(j);
	}
}

static void wakeup(void *ud)
{
	struct player *p = ud;

	/* A full pipe already means "wake up". */
	(void)!write(p->wake[1], "", 1);
}

static double get_double(struct player *p, const char *name, double def)
{
	double v;

	return mpv_get_property(p->mpv, name, MPV_FORMAT_DOUBLE, &v) >= 0 ? v : def;
}

static bool get_flag(struct player *p, const char *name)
{
	int v = 0;

	mpv_get_property(p->mpv, name, MPV_FORMAT_FLAG, &v);
	return v;
}

/* The position in ms: mpv's while a file plays, else where we mean to resume. */
static long long position_ms(struct player *p)
{
	if (p->cur_entry && !p->waiting) {
		double t = get_double(p, "time-pos", -1);

		if (t >= 0)
			return (long long)(t * 1000);
	}
	return p->resume_ms;
}

/* --- play accounting --------------------------------------------------------------- */

static void play_run(struct player *p, bool running)
{
	long long now = clock_mono_ms();

	if (p->run_since && !running) {
		p->played_ms += now - p->run_since;
		p->run_since = 0;
	} else if (!p->run_since && running && p->play_id[0]) {
		p->run_since = now;
	}
}

static void play_begin(struct player *p, const char *id)
{
	struct store *st = seg_store(p->s);
	const char *ctx = p->q.context[0] && !p->q.cur_is_user ? p->q.context : NULL;

	p->play_id[0] = '\0';
	p->played_ms = 0;
	p->run_since = 0;
	p->fade_tried = false;
	if (!st || outbox_begin(st, id, ctx, clock_wall_ms(), p->play_id)) {
		log_warn("outbox: cannot record a play: %s", seg_errmsg());
		p->play_id[0] = '\0';
		return;
	}
	play_run(p, !p->paused);
}

static void play_save(struct player *p)
{
	struct store *st = seg_store(p->s);
	long long ms = p->played_ms + (p->run_since ? clock_mono_ms() - p->run_since : 0);

	if (p->play_id[0] && st)
		outbox_progress(st, p->play_id, ms);
}

static void play_finish(struct player *p, const char *reason)
{
	struct store *st = seg_store(p->s);

	if (!p->play_id[0])
		return;
	play_run(p, false);
	if (radio_seed(p->q.context))
		radio_note(&p->radio, queue_current(&p->q), p->played_ms, reason);
	if (st && outbox_finish(st, p->play_id, p->played_ms, reason))
		log_warn("outbox: cannot close a play: %s", seg_errmsg());
	p->play_id[0] = '\0';
}

/* --- metadata ----------------------------------------------------------------------- */

/* A GET for loading tracks. Once the server is found out of reach, the loads of the next few
 * seconds do not ask again: skipping through a queue offline must not wait out a connect
 * timeout for every track. start_current() forgets it, so a new start always asks. */
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

static json_t *track_meta(struct player *p, const char *id)
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

static void learn_tier(struct player *p)
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

enum load_result { LOAD_OK, LOAD_UNAVAILABLE, LOAD_RETRY, LOAD_FATAL };

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
static enum load_result load(struct player *p, mpv_handle *h, const char *id, long long start_ms,
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
		json_t *t = track_meta(p, id);

		offline_stream_offer(id, off.path, off.key);
		sodium_memzero(off.key, sizeof off.key);
		offline_played(db, id);
		snprintf(offline_url, sizeof offline_url, OFFLINE_SCHEME "%s", id);
		url = offline_url;
		info = json_pack("{s:I,s:I}", "expires_at", (json_int_t)off.expires_at, "duration_ms",
		                 json_integer_value(json_object_get(t, "duration_ms")));
		goto play;
	}
	learn_tier(p);
	q = opt_bool(&p->s->opt, OPT_ADAPTIVE) ? p->qc.cur : p->cap;
	if (q > p->cap)
		q = p->cap;
	snprintf(path, sizeof path, "/v1/segue/playback/%s?quality=%s", id, quality_name(q));
	e = player_get(p, path, &info);
	if (e == SEG_EUNREACHABLE && os == OFFLINE_EXPIRED) {
		char when[32];
		time_t t = (time_t)off.expires_at;

		strftime(when, sizeof when, "%Y-%m-%d", localtime(&t));
		emit_error(p, "skipping \"%s\": its offline licence expired on %s; go online so segue "
		           "can renew it (segue offline sync)", off.title, when);
		r = LOAD_UNAVAILABLE;
		goto out;
	}
	/* Offline, what is downloaded further on plays; with nothing downloaded ahead, the
	 * player waits for the server (below) as it always has. */
	if (e == SEG_EUNREACHABLE && db && downloaded_later(p, db)) {
		json_t *t = track_meta(p, id);

		emit_error(p, "skipping \"%s\": not downloaded, and the server is out of reach",
		           json_string_value(json_object_get(t, "name")) ?: id);
		r = LOAD_UNAVAILABLE;
		goto out;
	}
	if (e == SEG_EFORBIDDEN || e == SEG_ENOTFOUND) {
		emit_error(p, "skipping a track: %s", seg_errmsg());
		r = LOAD_UNAVAILABLE;
		goto out;
	}
	if (e == SEG_EAUTH) {
		emit_error(p, "%s", seg_errmsg());
		r = LOAD_FATAL;
		goto out;
	}
	if (e || !(url = json_string_value(json_object_get(json_object_get(info, "urls"),
	                                                     quality_name(q))))) {
		emit_error(p, "cannot start a track: %s", e ? seg_errmsg() : "no URL in the answer");
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
		emit_error(p, "mpv refused the track");
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

static void plan_retry(struct player *p)
{
	p->retry_delay = p->retry_delay ? p->retry_delay * 2 : 500;
	if (p->retry_delay > RETRY_MAX_MS)
		p->retry_delay = RETRY_MAX_MS;
	p->retry_at = clock_mono_ms() + p->retry_delay;
}

static void forget_next(struct player *p)
{
	p->next_entry = 0;
	p->next_id[0] = '\0';
}

/* A station about to run dry gets its next batch. A failure (the server away) is not an error
 * of the track playing: the next track start tries again. */
static void radio_top_up(struct player *p)
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
static void refresh_next(struct player *p)
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
		forget_next(p);
	}
	/* Its metadata too, so the step onto it has a title to show (a queue handed over by
	 * another device brings the current track's object only). */
	if (want)
		track_meta(p, want);
	if (want && load(p, p->mpv, want, 0, true, &p->next) == LOAD_OK) {
		p->next_entry = p->next.entry;
		snprintf(p->next_id, sizeof p->next_id, "%s", want);
	}
}

/* Makes the queue's current track play from start_ms, skipping what the user's market does
 * not have. With the server away, waits and retries on the timer. */
static void start_current(struct player *p, long long start_ms)
{
	int skipped = 0;
	struct loaded got;

	forget_next(p);
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
			emit(p, "track", json_null());
			emit_state(p);
			return;
		}
		track_meta(p, id);
		r = load(p, p->mpv, id, start_ms, false, &got);
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
			plan_retry(p);
			emit_state(p);
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

/* --- mpv events ----------------------------------------------------------------------- */

static void on_start_file(struct player *p, int64_t entry)
{
	if (entry && entry == p->next_entry) {
		/* The gapless step onto the prefetched track. */
		const char *clear[] = { "playlist-clear", NULL };

		play_finish(p, "track_done");
		queue_next(&p->q, true);
		p->cur_entry = entry;
		p->cur_expires = p->next.expires;
		p->cur_duration_ms = p->next.duration_ms;
		forget_next(p);
		mpv_command(p->mpv, clear);
	} else if (entry != p->cur_entry) {
		return;
	}
	/* A reload of the same play (a renewed URL, a new quality, a resume after an outage)
	 * continues it; only a new track begins a play. */
	if (!p->play_id[0])
		play_begin(p, queue_current(&p->q));
	emit(p, "track", json_object_get(p->meta, queue_current(&p->q)));
	radio_top_up(p);
	refresh_next(p);
	emit_state(p);
}

/* What played is cut off: go on from the same place once the track loads again. */
static void resume_later(struct player *p)
{
	p->cur_entry = 0;
	p->waiting = true;
	p->retry_delay = 0;
	plan_retry(p);
	emit_state(p);
}

static void on_end_file(struct player *p, mpv_event_end_file *ef)
{
	if (ef->playlist_entry_id == p->next_entry && ef->reason == MPV_END_FILE_REASON_ERROR) {
		/* The prefetched track could not be opened: it will be loaded afresh when due. */
		forget_next(p);
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
			forget_next(p);
			mpv_command(p->mpv, stop);
		}
		emit_error(p, "a downloaded track is damaged; streaming it while it downloads again");
		resume_later(p);
		return;
	}
	if (ef->reason == MPV_END_FILE_REASON_EOF) {
		if (p->fading) {
			finish_fade(p, "track_done");
			return;
		}
		if (p->next_entry)
			return; /* mpv moves on to it; on_start_file does the rest */
		play_finish(p, "track_done");
		p->cur_entry = 0;
		queue_next(&p->q, true);
		start_current(p, 0);
		return;
	}
	if (ef->reason == MPV_END_FILE_REASON_ERROR && ef->error == MPV_ERROR_AO_INIT_FAILED) {
		/* No sound device: retrying would not help, and the user needs to know. */
		emit_error(p, "cannot open the audio output (%s): set audio_output in segue.conf, "
		           "or null to play silently", opt_str(&p->s->opt, OPT_AUDIO_OUTPUT));
		play_finish(p, "error");
		p->cur_entry = 0;
		queue_reset(&p->q);
		emit_state(p);
		return;
	}
	if (ef->reason == MPV_END_FILE_REASON_ERROR) {
		/* The stream broke: an expired URL or a server gone away. Resume where it was with
		 * a fresh URL, retrying until the server answers again. */
		emit_error(p, "playback interrupted (%s); resuming", mpv_error_string(ef->error));
		resume_later(p);
	}
}

static void on_property(struct player *p, mpv_event_property *pr)
{
	if (!strcmp(pr->name, "time-pos") && pr->format == MPV_FORMAT_DOUBLE && !p->waiting) {
		long long xf = opt_int(&p->s->opt, OPT_CROSSFADE) * 1000LL;

		p->resume_ms = (long long)(*(double *)pr->data * 1000);
		if (xf && !p->fading && !p->fade_tried && p->cur_entry && p->cur_duration_ms > 2 * xf &&
		    p->resume_ms >= p->cur_duration_ms - xf)
			start_fade(p, p->resume_ms);
		return;
	}
	if (pr->format != MPV_FORMAT_FLAG)
		return;
	if (!strcmp(pr->name, "paused-for-cache")) {
		p->buffering = *(int *)pr->data;
		emit_state(p);
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
			cancel_fade(p);
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
			emit_state(p);
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

/* --- crossfade ---------------------------------------------------------------------- */

/* mpv's volume is cubic (gain = (volume / 100)^3); an equal-power fade wants amplitude gains
 * cos and sin of the same angle, so the sum of the two powers stays constant. */
static void set_gain(mpv_handle *h, int volume, double gain)
{
	double v = volume * cbrt(gain < 0 ? 0 : gain);

	mpv_set_property(h, "volume", MPV_FORMAT_DOUBLE, &v);
}

static void cancel_fade(struct player *p)
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
static void finish_fade(struct player *p, const char *reason)
{
	const char *stop[] = { "stop", NULL };
	mpv_handle *out = p->mpv;

	if (!p->fade_same) {
		play_finish(p, reason);
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
	p->resume_ms = position_ms(p);
	forget_next(p);
	if (p->fade_same) {
		p->fade_same = false;
		refresh_next(p);
		emit_state(p);
		return;
	}
	play_begin(p, queue_current(&p->q));
	emit(p, "track", json_object_get(p->meta, queue_current(&p->q)));
	emit_state(p);
}

static void fade_step(struct player *p)
{
	double t;

	if (!p->fade_start)
		return; /* the incoming side is still opening: both keep their levels */
	t = (double)(clock_mono_ms() - p->fade_start) / (double)p->fade_ms;

	if (t >= 1) {
		finish_fade(p, "track_done");
		return;
	}
	if (t < 0)
		t = 0;
	set_gain(p->mpv, p->volume, cos(t * M_PI / 2));
	set_gain(p->fader, p->volume, sin(t * M_PI / 2));
}

/* Starts the next track on the fader, silent, and begins ramping; a failure leaves the
 * current track to end on its own, after which the next starts as usual. */
static void start_fade(struct player *p, long long pos_ms)
{
	const char *id = queue_peek(&p->q);
	long remaining = (long)(p->cur_duration_ms - pos_ms);
	int64_t paused = p->paused;

	p->fade_tried = true;
	if (!id || remaining <= 0)
		return;
	if (!p->fader && make_mpv(p, &p->fader)) {
		log_warn("crossfade: %s", seg_errmsg());
		return;
	}
	set_gain(p->fader, p->volume, 0);
	mpv_set_property(p->fader, "pause", MPV_FORMAT_FLAG, &paused);
	track_meta(p, id);
	if (load(p, p->fader, id, 0, false, &p->fade) != LOAD_OK)
		return;
	p->fading = true;
	p->fade_same = false;
	p->fade_start = 0;
	p->fade_ms = remaining;
	emit_state(p);
}

/* Changes the stream of the playing track (a new quality) at the current position, hidden
 * by a short crossfade between the old stream and the new; where that cannot be done (paused,
 * waiting, already fading), reloads in place. */
static void switch_stream(struct player *p)
{
	const char *id = queue_current(&p->q);
	int64_t no = 0;

	if (!id)
		return;
	if (!p->cur_entry || p->waiting || p->paused || p->fading ||
	    (!p->fader && make_mpv(p, &p->fader))) {
		start_current(p, position_ms(p));
		return;
	}
	set_gain(p->fader, p->volume, 0);
	mpv_set_property(p->fader, "pause", MPV_FORMAT_FLAG, &no);
	if (load(p, p->fader, id, position_ms(p) + SWITCH_LEAD_MS, false, &p->fade) != LOAD_OK) {
		start_current(p, position_ms(p));
		return;
	}
	p->fading = true;
	p->fade_same = true;
	p->fade_start = 0;
	p->fade_ms = SWITCH_FADE_MS;
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
	double speed = get_double(p, "cache-speed", 0), ahead = get_double(p, "demuxer-cache-duration", 0);
	bool idle = get_flag(p, "demuxer-cache-idle");
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
		switch_stream(p);
	}
}

void player_tick(struct player *p)
{
	long long now = clock_mono_ms();

	if (p->fading && !p->paused)
		fade_step(p);
	if (p->retry_at && now >= p->retry_at) {
		p->retry_at = 0;
		if (p->waiting && queue_current(&p->q)) {
			log_info("retrying the current track at %lld ms", p->resume_ms);
			start_current(p, p->resume_ms);
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

/* --- commands ----------------------------------------------------------------------- */

static enum seg_err need_track(struct player *p)
{
	if (!queue_current(&p->q))
		return seg_fail(SEG_ENOPLAYER, "nothing is playing");
	return SEG_OK;
}

enum seg_err player_play(struct player *p, const char *context_uri, const char *const *ids,
                         json_t *const *tracks, size_t n, size_t start)
{
	cancel_fade(p);
	play_finish(p, "skipped");
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
	start_current(p, 0);
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
	play_run(p, !pause);
	play_save(p);
	emit_state(p);
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
		finish_fade(p, "skipped");
		return SEG_OK;
	}
	if (p->fading)
		finish_fade(p, "skipped");
	play_finish(p, "skipped");
	queue_next(&p->q, false);
	start_current(p, 0);
	return SEG_OK;
}

enum seg_err player_prev(struct player *p)
{
	enum seg_err e = need_track(p);

	if (e)
		return e;
	/* Mid-fade, going back means keeping the outgoing track: from its start. */
	cancel_fade(p);
	if (position_ms(p) > RESTART_PREV_MS)
		return player_seek(p, 0, false);
	play_finish(p, "skipped");
	queue_prev(&p->q);
	start_current(p, 0);
	return SEG_OK;
}

enum seg_err player_seek(struct player *p, long long ms, bool relative)
{
	enum seg_err e = need_track(p);
	long long target;
	char secs[32];

	if (e)
		return e;
	cancel_fade(p);
	p->fade_tried = false;
	target = relative ? position_ms(p) + ms : ms;
	if (target < 0)
		target = 0;
	if (p->cur_duration_ms && target >= p->cur_duration_ms)
		return player_next(p);
	play_save(p);
	/* A URL about to expire would make mpv's new range request fail: renew it first. */
	if (p->waiting || !p->cur_entry ||
	    (p->cur_expires && p->cur_expires - RENEW_MARGIN_S <= (long long)time(NULL))) {
		start_current(p, target);
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
	emit_state(p);
	return SEG_OK;
}

static enum seg_err queue_changed(struct player *p)
{
	refresh_next(p);
	emit_state(p);
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
		start_current(p, 0);
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
			mpv_set_property_string(*h, "replaygain", replaygain_mode(p));
		break;
	case OPT_VOLUME: {
		int now;

		return player_volume(p, opt_int(&p->s->opt, OPT_VOLUME), false, &now);
	}
	case OPT_QUALITY:
		p->tier_known = false;
		learn_tier(p);
		if ((q = quality_from_name(opt_str(&p->s->opt, OPT_QUALITY))) >= 0 && !p->tier_known)
			qctl_set_cap(&p->qc, (enum quality)q);
		if (p->cur_entry)
			switch_stream(p);
		break;
	case OPT_CROSSFADE:
		/* Gapless prefetch and crossfade exclude each other: redo what comes next. */
		refresh_next(p);
		break;
	default:
		break;
	}
	emit_state(p);
	return SEG_OK;
}

void player_stop(struct player *p, const char *reason)
{
	const char *stop[] = { "stop", NULL };

	if (!p)
		return;
	cancel_fade(p);
	play_finish(p, reason);
	mpv_command(p->mpv, stop);
	p->cur_entry = 0;
	forget_next(p);
	p->retry_at = 0;
	p->waiting = false;
	queue_reset(&p->q);
	emit_state(p);
}

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
	cancel_fade(p);
	play_finish(p, "skipped");
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
	start_current(p, position_ms > 0 ? position_ms : 0);
	if (!cur)
		emit_state(p);
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
	                 "progress_ms", id ? json_integer(position_ms(p)) : json_null(),
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
	json_t *list = json_array(), *cur = id ? track_meta(p, id) : NULL;
	size_t n;

	if (!ids || !user || !list)
		goto out;
	n = queue_upnext(&p->q, ids, user, max);
	for (size_t i = 0; i < n && i < max; i++) {
		json_t *t = track_meta(p, ids[i]);
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

/* --- life --------------------------------------------------------------------------- */

/* "name=value,name=value" from mpv_options, applied after our own. */
static enum seg_err extra_options(struct player *p, mpv_handle *h)
{
	char *copy = strdup(opt_str(&p->s->opt, OPT_MPV_OPTIONS)), *save = NULL, *item;
	enum seg_err e = SEG_OK;

	if (!copy)
		return seg_fail(SEG_ENOMEM, "out of memory");
	for (item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(item, '=');

		if (!eq) {
			e = seg_fail(SEG_EUSAGE, "mpv_options: \"%s\" is not name=value", item);
			break;
		}
		*eq = '\0';
		if (mpv_set_option_string(h, item, eq + 1) < 0) {
			e = seg_fail(SEG_EUSAGE, "mpv_options: mpv refuses %s=%s", item, eq + 1);
			break;
		}
	}
	free(copy);
	return e;
}

/* One mpv instance configured as Segue's audio engine; the player has one, and a second for
 * crossfades. */
static enum seg_err make_mpv(struct player *p, mpv_handle **out)
{
	const struct options *o = &p->s->opt;
	mpv_handle *h = mpv_create();
	char vol[16];
	enum seg_err e;

	*out = NULL;
	if (!h)
		return seg_fail(SEG_EFAIL, "cannot create the mpv player%s%s",
		                mpv_dl_error() ? ": " : "", mpv_dl_error() ? mpv_dl_error() : "");
	snprintf(vol, sizeof vol, "%d", p->volume);
	/* mpv as a pure audio engine: no config files, scripts, terminal or video. */
	const char *const opts[][2] = {
		{ "config", "no" }, { "load-scripts", "no" }, { "ytdl", "no" }, { "terminal", "no" },
		{ "video", "no" }, { "audio-display", "no" }, { "input-default-bindings", "no" },
		{ "idle", "yes" }, { "keep-open", "no" }, { "gapless-audio", "yes" },
		{ "prefetch-playlist", "yes" }, { "cache", "yes" }, { "network-timeout", "10" },
		/* Decrypted downloads stay in memory (offline_stream.h). */
		{ "cache-on-disk", "no" },
		{ "audio-client-name", "segue" }, { "user-agent", "segue/" PACKAGE_VERSION },
		{ "replaygain", replaygain_mode(p) },
		{ "replaygain-clip", "no" }, { "volume", vol }, { "volume-max", "100" },
	};
	for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
		if (mpv_set_option_string(h, opts[i][0], opts[i][1]) < 0) {
			e = seg_fail(SEG_EFAIL, "mpv refuses %s=%s", opts[i][0], opts[i][1]);
			goto fail;
		}
	if (strcmp(opt_str(o, OPT_AUDIO_OUTPUT), "auto") &&
	    mpv_set_option_string(h, "ao", opt_str(o, OPT_AUDIO_OUTPUT)) < 0) {
		e = seg_fail(SEG_EUSAGE, "mpv refuses the audio output \"%s\"", opt_str(o, OPT_AUDIO_OUTPUT));
		goto fail;
	}
	if ((e = extra_options(p, h)))
		goto fail;
	if (mpv_initialize(h) < 0) {
		e = seg_fail(SEG_EFAIL, "mpv did not initialise");
		goto fail;
	}
	if (offline_stream_register(h) < 0) {
		e = seg_fail(SEG_EFAIL, "mpv refuses Segue's stream for downloads");
		goto fail;
	}
	mpv_observe_property(h, 0, "paused-for-cache", MPV_FORMAT_FLAG);
	/* Known at all times, so a stream that breaks resumes where it broke. */
	mpv_observe_property(h, 0, "time-pos", MPV_FORMAT_DOUBLE);
	mpv_set_wakeup_callback(h, wakeup, p);
	*out = h;
	return SEG_OK;
fail:
	mpv_terminate_destroy(h);
	return e;
}

enum seg_err player_new(struct seg *s, struct player **out)
{
	struct player *p = calloc(1, sizeof *p);
	const struct options *o = &s->opt;
	int pref = quality_from_name(opt_str(o, OPT_QUALITY));
	enum seg_err e;

	*out = NULL;
	if (!p)
		return seg_fail(SEG_ENOMEM, "out of memory");
	p->s = s;
	p->wake[0] = p->wake[1] = -1;
	queue_init(&p->q, (uint64_t)clock_wall_ms() ^ (uint64_t)getpid() << 32);
	radio_init(&p->radio);
	p->cap = pref < 0 ? QUALITY_HIGH : (enum quality)pref;
	if (p->cap > QUALITY_HIGH)
		p->cap = QUALITY_HIGH; /* until the account says premium */
	qctl_init(&p->qc, p->cap, p->cap);
	p->volume = opt_int(o, OPT_VOLUME);
	if (!(p->meta = json_object()) || pipe2(p->wake, O_NONBLOCK | O_CLOEXEC) < 0) {
		e = seg_fail(SEG_EFAIL, "cannot create the mpv player");
		goto fail;
	}
	if ((e = make_mpv(p, &p->mpv)))
		goto fail;
	p->qc_at = clock_mono_ms() + QC_PERIOD_MS;
	*out = p;
	return SEG_OK;
fail:
	player_free(p);
	return e;
}

void player_free(struct player *p)
{
	if (!p)
		return;
	if (p->mpv)
		mpv_terminate_destroy(p->mpv);
	if (p->fader)
		mpv_terminate_destroy(p->fader);
	if (p->wake[0] >= 0)
		close(p->wake[0]);
	if (p->wake[1] >= 0)
		close(p->wake[1]);
	queue_free(&p->q);
	radio_free(&p->radio);
	json_decref(p->meta);
	free(p);
}

void player_set_listener(struct player *p, player_listener fn, void *ud)
{
	p->fn = fn;
	p->ud = ud;
}

int player_fd(struct player *p)
{
	return p->wake[0];
}
