/* The player's mpv instances and its life (player_new, player_free), and the small helpers
 * every part of it uses: events for the listener, mpv's properties, the position. See player.h
 * for the shape, player_internal.h for the parts; the comments here say why. */
#include "config.h"
#include "player_internal.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "mpv_dl.h"
#include "offline_stream.h"

/* Normalisation is mpv's ReplayGain over the tags the server writes into every stream. */
const char *player_replaygain_mode(struct player *p)
{
	return opt_bool(&p->s->opt, OPT_NORMALIZE) ? "track" : "no";
}

void player_emit(struct player *p, const char *event, json_t *data)
{
	if (p->fn)
		p->fn(p->ud, event, data);
}

void player_emit_state(struct player *p)
{
	json_t *st;

	if (!p->fn)
		return;
	st = player_state(p);
	p->sent_pos = json_integer_value(json_object_get(st, "progress_ms"));
	p->sent_mono = clock_mono_ms();
	p->sent_moving = json_is_true(json_object_get(st, "is_playing")) && !p->buffering && !p->waiting;
	player_emit(p, "state", st);
	json_decref(st);
}

void player_emit_error(struct player *p, const char *fmt, ...)
{
	va_list ap;
	json_t *j;

	va_start(ap, fmt);
	vsnprintf(p->message, sizeof p->message, fmt, ap);
	va_end(ap);
	log_warn("%s", p->message);
	if ((j = json_pack("{s:s}", "message", p->message))) {
		player_emit(p, "error", j);
		json_decref(j);
	}
}

static void wakeup(void *ud)
{
	struct player *p = ud;

	/* A full pipe already means "wake up". */
	(void)!write(p->wake[1], "", 1);
}

double player_get_double(struct player *p, const char *name, double def)
{
	double v;

	return mpv_get_property(p->mpv, name, MPV_FORMAT_DOUBLE, &v) >= 0 ? v : def;
}

bool player_get_flag(struct player *p, const char *name)
{
	int v = 0;

	mpv_get_property(p->mpv, name, MPV_FORMAT_FLAG, &v);
	return v;
}

/* The position in ms: mpv's while a file plays, else where we mean to resume. */
long long player_position_ms(struct player *p)
{
	if (p->cur_entry && !p->waiting) {
		double t = player_get_double(p, "time-pos", -1);

		if (t >= 0)
			return (long long)(t * 1000);
	}
	return p->resume_ms;
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
enum seg_err player_make_mpv(struct player *p, mpv_handle **out)
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
		{ "replaygain", player_replaygain_mode(p) },
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
	p->src.s = s;
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
	if ((e = player_make_mpv(p, &p->mpv)))
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
