/* The settings table and segue.conf. */
#include "config.h"
#include "options.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conffile.h"

static const char *const qualities[] = { "low", "normal", "high", "very_high", NULL };
static const char *const levels[] = { "error", "warn", "info", "debug", NULL };
static const char *const arts[] = { "auto", "kitty", "sixels", "iterm2", "symbols", "off", NULL };

const struct opt_def opt_defs[OPT_COUNT] = {
	[OPT_SERVER] = { "server", OT_STRING, "http://127.0.0.1:8080", 0, 0, NULL,
		"The segue-server to use, as a URL. SEGUE_SERVER and --server override it." },
	[OPT_QUALITY] = { "quality", OT_ENUM, "high", 0, 0, qualities,
		"Preferred stream quality: low (24 kbit/s), normal (96), high (160) or very_high "
		"(320, premium accounts). A free account is held to high." },
	[OPT_ADAPTIVE] = { "adaptive", OT_BOOL, "true", 0, 0, NULL,
		"Step the quality down when the network cannot keep up, and back up when it can." },
	[OPT_NORMALIZE] = { "normalize", OT_BOOL, "true", 0, 0, NULL,
		"Play every track at the same loudness, using the gain the server measured." },
	[OPT_CROSSFADE] = { "crossfade", OT_INT, "0", 0, 12, NULL,
		"Seconds over which the next track fades in over the end of the current one; 0 "
		"turns crossfading off and plays albums gaplessly." },
	[OPT_VOLUME] = { "volume", OT_INT, "100", 0, 100, NULL,
		"Volume at start-up, in percent." },
	[OPT_AUDIO_OUTPUT] = { "audio_output", OT_STRING, "auto", 0, 0, NULL,
		"mpv's audio output driver (its ao option): auto, pulse, pipewire, alsa, ..., or "
		"null to play silently (tests, machines without sound)." },
	[OPT_DEVICE_NAME] = { "device_name", OT_STRING, "", 0, 0, NULL,
		"The name this device shows to your other devices; empty means the host name." },
	[OPT_OUTBOX_INTERVAL] = { "outbox_interval", OT_INT, "30", 1, 86400, NULL,
		"Seconds between deliveries of finished plays to the server (they are kept on disk "
		"until delivered)." },
	[OPT_LOG_LEVEL] = { "log_level", OT_ENUM, "info", 0, 0, levels,
		"How much the daemon logs: error, warn, info or debug." },
	[OPT_MPV_OPTIONS] = { "mpv_options", OT_STRING, "", 0, 0, NULL,
		"Extra mpv options, as name=value pairs separated by commas, applied after Segue's "
		"own (for experts; e.g. audio-device=alsa/hw:1)." },
	[OPT_OFFLINE_MAX_SIZE] = { "offline_max_size", OT_INT, "10000", 0, 100000000, NULL,
		"Megabytes downloads may take on disk (0: no limit). When a download needs room, "
		"tracks not played for 90 days go first, then those only in playlists you no longer "
		"follow, then the least recently played." },
	[OPT_DOWNLOAD_QUALITY] = { "download_quality", OT_ENUM, "high", 0, 0, qualities,
		"The quality downloads are made at, unless segue download --quality says otherwise." },
	[OPT_DOWNLOAD_PARALLEL] = { "download_parallel", OT_INT, "2", 1, 8, NULL,
		"How many tracks download at once." },
	[OPT_DOWNLOAD_RATE] = { "download_rate", OT_INT, "0", 0, 10000000, NULL,
		"Kilobytes per second each download may take (0: as fast as the network goes)." },
	[OPT_ART] = { "art", OT_ENUM, "auto", 0, 0, arts,
		"Cover art in the terminal (album and artist pages, the now-playing view, segue show): "
		"auto, kitty (the kitty graphics protocol), sixels, iterm2 (iTerm2's inline images), "
		"symbols (coloured Unicode block symbols, any colour terminal) or off. auto picks "
		"what the terminal supports by TERM, TERM_PROGRAM and KITTY_WINDOW_ID, and symbols "
		"under tmux. NO_COLOR turns art off." },
	[OPT_MPRIS] = { "mpris", OT_BOOL, "true", 0, 0, NULL,
		"Show the daemon on the desktop's session bus as an MPRIS media player "
		"(org.mpris.MediaPlayer2.segue), for media keys, desktop controls and playerctl; read "
		"when the daemon starts." },
	[OPT_NOTIFY] = { "notify", OT_BOOL, "false", 0, 0, NULL,
		"Show a desktop notification (title, artists, album and cover) when the track "
		"changes (needs mpris); takes effect at once." },
	[OPT_CONTROL_IDLE_TIMEOUT] = { "control_idle_timeout", OT_INT, "60", 1, 86400, NULL,
		"Seconds after which the daemon closes a control-socket connection that has neither "
		"sent nor taken a byte (a request begun and not finished, or answers left unread, do "
		"not keep it open); connections subscribed to events stay open." },
	[OPT_ART_CACHE_MAX_SIZE] = { "art_cache_max_size", OT_INT, "100", 0, 100000, NULL,
		"Megabytes the cover art kept on disk ($XDG_CACHE_HOME/segue/images) may take (0: no "
		"limit). A picture stored past it makes room: the pictures shown longest ago go "
		"first. Read when the TUI or the daemon starts, and by each segue show." },
};

int options_find(const char *name)
{
	for (int i = 0; i < OPT_COUNT; i++)
		if (!strcmp(opt_defs[i].name, name))
			return i;
	return -1;
}

static bool parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "true", "yes", "on", "1" }, *const no[] = { "false", "no", "off", "0" };

	for (size_t i = 0; i < 4; i++) {
		if (!strcasecmp(s, yes[i]))
			return *out = true, true;
		if (!strcasecmp(s, no[i]))
			return *out = false, true;
	}
	return false;
}

static enum seg_err validate(const struct opt_def *d, const char *v, char **norm)
{
	bool b;

	switch (d->type) {
	case OT_INT: {
		char *end;
		long n;

		errno = 0;
		n = strtol(v, &end, 10);
		if (errno || end == v || *end || n < d->min || n > d->max)
			return seg_fail(SEG_EUSAGE, "%s must be a whole number from %d to %d, not \"%s\"",
			                d->name, d->min, d->max, v);
		if (asprintf(norm, "%ld", n) < 0)
			return seg_fail(SEG_ENOMEM, "out of memory");
		return SEG_OK;
	}
	case OT_BOOL:
		if (!parse_bool(v, &b))
			return seg_fail(SEG_EUSAGE, "%s must be true or false, not \"%s\"", d->name, v);
		*norm = strdup(b ? "true" : "false");
		break;
	case OT_ENUM:
		for (size_t i = 0; d->choices[i]; i++)
			if (!strcmp(d->choices[i], v)) {
				*norm = strdup(v);
				goto done;
			}
		return seg_fail(SEG_EUSAGE, "%s cannot be \"%s\"", d->name, v);
	case OT_STRING:
		if (strlen(v) > 1024)
			return seg_fail(SEG_EUSAGE, "%s is too long", d->name);
		*norm = strdup(v);
		break;
	}
done:
	return *norm ? SEG_OK : seg_fail(SEG_ENOMEM, "out of memory");
}

enum seg_err options_init(struct options *o)
{
	memset(o, 0, sizeof *o);
	for (int i = 0; i < OPT_COUNT; i++)
		if (!(o->val[i] = strdup(opt_defs[i].def))) {
			options_free(o);
			return seg_fail(SEG_ENOMEM, "out of memory");
		}
	return SEG_OK;
}

void options_free(struct options *o)
{
	for (int i = 0; i < OPT_COUNT; i++) {
		free(o->val[i]);
		o->val[i] = NULL;
	}
	json_decref(o->binds);
	json_decref(o->colors);
	o->binds = o->colors = NULL;
}

/* "bind.ACTION" and "color.ELEMENT" settings belong to the TUI, which checks them when it
 * starts (keys.h, theme.h); here they are kept as given. */
static enum seg_err set_family(json_t **family, const char *key, const char *value)
{
	if (!*key || strlen(key) > 40 || strlen(value) > 120)
		return seg_fail(SEG_EUSAGE, "a bind. or color. setting needs a name and a short value");
	if (!*family && !(*family = json_object()))
		return seg_fail(SEG_ENOMEM, "out of memory");
	return json_object_set_new(*family, key, json_string(value)) ? seg_fail(SEG_EUSAGE, "\"%s\" is not text", value) : SEG_OK;
}

enum seg_err options_set(struct options *o, const char *name, const char *value)
{
	int i = options_find(name);
	char *norm = NULL;
	enum seg_err e;

	if (i < 0 && !strncmp(name, "bind.", 5))
		return set_family(&o->binds, name + 5, value);
	if (i < 0 && !strncmp(name, "color.", 6))
		return set_family(&o->colors, name + 6, value);
	if (i < 0)
		return seg_fail(SEG_EUSAGE, "there is no setting called \"%s\"", name);
	if ((e = validate(&opt_defs[i], value, &norm)))
		return e;
	free(o->val[i]);
	o->val[i] = norm;
	o->set[i] = true;
	return SEG_OK;
}

static int set_one(void *ud, const char *name, const char *value, char *err, size_t errlen)
{
	if (options_set(ud, name, value) == SEG_OK)
		return 0;
	snprintf(err, errlen, "%s", seg_errmsg());
	return -1;
}

enum seg_err options_load(struct options *o, const char *path, bool missing_ok)
{
	char err[1200];

	switch (conffile_read(path, CONFFILE_QUOTES, set_one, o, err, sizeof err)) {
	case 0:
		return SEG_OK;
	case -2:
		if (errno == ENOENT && missing_ok)
			return SEG_OK;
		return seg_fail(SEG_EUSAGE, "%s", err);
	case -3:
		return seg_fail(SEG_EIO, "%s", err);
	default:
		return seg_fail(SEG_EUSAGE, "%s", err);
	}
}

const char *opt_str(const struct options *o, enum opt i)
{
	return o->val[i];
}

int opt_int(const struct options *o, enum opt i)
{
	return atoi(o->val[i]);
}

bool opt_bool(const struct options *o, enum opt i)
{
	return !strcmp(o->val[i], "true");
}

int opt_enum(const struct options *o, enum opt i)
{
	for (int k = 0; opt_defs[i].choices[k]; k++)
		if (!strcmp(opt_defs[i].choices[k], o->val[i]))
			return k;
	return 0; /* not reached: options_set accepts only listed choices */
}

json_t *options_json(const struct options *o)
{
	json_t *j = json_object();

	for (int i = 0; j && i < OPT_COUNT; i++) {
		json_t *v;

		switch (opt_defs[i].type) {
		case OT_INT:
			v = json_integer(opt_int(o, i));
			break;
		case OT_BOOL:
			v = json_boolean(opt_bool(o, i));
			break;
		default:
			v = json_string(o->val[i]);
		}
		json_object_set_new(j, opt_defs[i].name, v);
	}
	return j;
}
