/* Offline listening: segue download, and segue offline status|ls|rm|sync|devices. The
 * downloads themselves run in the daemon (download.h); the command line follows them with
 * a progress bar (the entries' follow hook) until they are done. */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "api.h"
#include "clock.h"
#include "cmd.h"
#include "ctl.h"
#include "download.h"
#include "offline.h"
#include "quality.h"
#include "render.h"
#include "resolve.h"
#include "store_offline.h"

#define WATCH_ANSWER_MS 10000 /* the daemon answers a request within this */
#define WATCH_IDLE_MS 1000    /* with no event this long, the database is read again */

/* A collection URI as stored: "segue:KIND:ID" for a track, album or playlist. */
static enum seg_err collection_uri(const char *arg, char *uri, size_t len, char *kind, char *id)
{
	if (!uri_parse(arg, "track", kind, id) ||
	    (strcmp(kind, "track") && strcmp(kind, "album") && strcmp(kind, "playlist")))
		return seg_fail(SEG_EUSAGE, "\"%s\": downloads are of tracks, albums and playlists "
		                "(segue:track:ID, segue:album:ID, segue:playlist:ID)", arg);
	snprintf(uri, len, "segue:%s:%s", kind, id);
	return SEG_OK;
}

/* The name, snapshot and tracks behind a collection URI. */
static enum seg_err collection(struct seg *s, const char *uri, const char *kind, const char *id,
                               char **name, char **snapshot, json_t **tracks)
{
	char *context = NULL, path[128];
	json_t *pl = NULL, *first;
	enum seg_err e;

	*name = *snapshot = NULL;
	if ((e = resolve_tracks(s, uri, tracks, &context)))
		return e;
	free(context);
	first = json_array_get(*tracks, 0);
	if (!strcmp(kind, "playlist")) {
		snprintf(path, sizeof path, "/v1/playlists/%s", id);
		if ((e = api_get(seg_api(s), path, &pl)))
			goto fail;
		*name = strdup(json_string_value(json_object_get(pl, "name")) ?: uri);
		if (json_string_value(json_object_get(pl, "snapshot_id")))
			*snapshot = strdup(json_string_value(json_object_get(pl, "snapshot_id")));
		json_decref(pl);
	} else if (!strcmp(kind, "album")) {
		*name = strdup(json_string_value(json_object_get(json_object_get(first, "album"), "name")) ?: uri);
	} else {
		*name = strdup(json_string_value(json_object_get(first, "name")) ?: uri);
	}
	if (*name)
		return SEG_OK;
	e = seg_fail(SEG_ENOMEM, "out of memory");
fail:
	json_decref(*tracks);
	*tracks = NULL;
	free(*snapshot);
	*snapshot = NULL;
	return e;
}

static const char *download_quality(struct seg *s, struct cmd_args *a)
{
	return cmd_flag(a, "quality") ?: opt_str(&s->opt, OPT_DOWNLOAD_QUALITY);
}

static enum seg_err download_exec(struct seg *s, struct cmd_args *a, json_t **out)
{
	struct store *db = seg_store(s);
	const char *quality = download_quality(s, a), *device = seg_device_id(s);
	json_t *added = json_array(), *ids = json_array();
	enum seg_err e = SEG_OK;

	if (!db || !device || !seg_api(s) || !added || !ids) {
		e = db ? seg_fail(SEG_ENOMEM, "out of memory") : SEG_EIO;
		goto out;
	}
	if (quality_from_name(quality) < 0) {
		e = seg_fail(SEG_EUSAGE, "unknown quality \"%s\": low, normal, high or very_high", quality);
		goto out;
	}
	/* Registering is idempotent, and tells a removed or new device at once, with the
	 * server's own words (free account, too many devices). */
	if ((e = offline_register(db, seg_api(s), device, seg_device_name(s))))
		goto out;
	for (int i = 0; i < a->argc; i++) {
		char uri[64], kind[16], id[32], *name = NULL, *snapshot = NULL;
		json_t *tracks = NULL, *summary = NULL;

		if ((e = collection_uri(a->argv[i], uri, sizeof uri, kind, id)) ||
		    (e = collection(s, uri, kind, id, &name, &snapshot, &tracks)))
			goto out;
		e = offline_add(db, uri, name, quality, snapshot, tracks, &summary);
		free(name);
		free(snapshot);
		json_decref(tracks);
		if (e)
			goto out;
		json_array_extend(ids, json_object_get(summary, "ids"));
		json_object_del(summary, "ids");
		json_array_append_new(added, summary);
	}
	if (s->downloader)
		downloader_kick(s->downloader);
	*out = json_pack("{s:O,s:O,s:s}", "collections", added, "ids", ids, "quality", quality);
out:
	json_decref(added);
	json_decref(ids);
	return e;
}

/* --- following progress from the command line ------------------------------------------ */

static void format_mb(char *out, size_t len, long long bytes)
{
	snprintf(out, len, bytes >= 10000000 ? "%.0f MB" : "%.1f MB", bytes / 1e6);
}

struct tally {
	json_t *active;
	int *done, *failed, *left;
	long long *bytes_done, *bytes_all;
};

static void tally_one(void *arg, const char *id, const char *state, long long bytes)
{
	struct tally *t = arg;
	json_t *x;
	size_t k;

	if (!state) {
		(*t->failed)++; /* removed meanwhile */
		return;
	}
	*t->bytes_all += bytes;
	if (!strcmp(state, "done")) {
		(*t->done)++;
		*t->bytes_done += bytes;
	} else if (!strcmp(state, "queued")) {
		(*t->left)++;
		json_array_foreach(t->active, k, x)
			if (!strcmp(json_string_value(json_object_get(x, "id")) ?: "", id))
				*t->bytes_done += json_integer_value(json_object_get(x, "done"));
	} else {
		(*t->failed)++;
	}
}

/* Counts the states of ids; *bytes_done / *bytes_all over the downloaded ones and the
 * active progress. */
static void tally(struct store *db, json_t *ids, json_t *active, int *done, int *failed, int *left,
                  long long *bytes_done, long long *bytes_all)
{
	struct tally t = { active, done, failed, left, bytes_done, bytes_all };

	*done = *failed = *left = 0;
	*bytes_done = *bytes_all = 0;
	store_offline_states(db, ids, tally_one, &t);
}

static void draw_bar(int done, int total, long long bdone, long long ball, double rate)
{
	char a[32], b[32], r[32];
	int width = 30, fill = total ? (int)((long long)width * done / total) : 0;

	if (ball > 0)
		fill = (int)(width * (double)bdone / (double)ball);
	if (fill > width)
		fill = width;
	format_mb(a, sizeof a, bdone);
	format_mb(b, sizeof b, ball);
	format_mb(r, sizeof r, (long long)rate);
	fprintf(stderr, "\r[%.*s%*s] %d/%d tracks  %s of %s%s  %s/s   ", fill,
	        "##############################", width - fill, "", done, total, a, ball ? "" : " (so far)",
	        ball ? b : "", r);
	fflush(stderr);
}

/* The command line follows the downloads through the daemon's "downloads" events (sent as
 * they change: a track started or ended, a sync ended, progress twice a second), on the
 * connection its command went over. */

static enum seg_err daemon_gone(void)
{
	return seg_fail(SEG_EFAIL, "the daemon stopped; downloads go on when it starts again (segue offline sync)");
}

/* Subscribes fd to the daemon's events, then asks for the downloads' state now (*report). */
static enum seg_err watch_open(int fd, json_t **report)
{
	char *argv[] = { "offline", "status", NULL };
	json_t *req = json_pack("{s:s,s:b}", "id", "watch", "subscribe", 1), *resp = NULL;
	enum seg_err e;

	*report = NULL;
	if (!req)
		return seg_fail(SEG_ENOMEM, "out of memory");
	e = ctl_write(fd, req);
	json_decref(req);
	while (!e && !(e = ctl_read(fd, WATCH_ANSWER_MS, &resp)) && json_object_get(resp, "event")) {
		json_decref(resp);
		resp = NULL;
	}
	json_decref(resp);
	if (!e)
		e = ctl_call(fd, 2, argv, WATCH_ANSWER_MS, report);
	return e ? daemon_gone() : SEG_OK;
}

/* Waits for the next report (*report replaced), or a while without one (*report kept: the
 * caller reads the database again). */
static enum seg_err watch_next(int fd, json_t **report)
{
	long long until = clock_mono_ms() + WATCH_IDLE_MS;
	json_t *msg = NULL;
	enum seg_err e;

	for (;;) {
		long wait = (long)(until - clock_mono_ms());
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		if (wait <= 0)
			return SEG_OK;
		/* Wait for the start of a line here, and give a line begun all the time it needs:
		 * a read cut off mid-line would lose its start. */
		if (poll(&pfd, 1, (int)wait) < 0 && errno != EINTR)
			return daemon_gone();
		if (!pfd.revents)
			continue;
		if ((e = ctl_read(fd, WATCH_ANSWER_MS, &msg)))
			return daemon_gone();
		if (!strcmp(json_string_value(json_object_get(msg, "event")) ?: "", "downloads")) {
			json_decref(*report);
			*report = json_incref(json_object_get(msg, "data"));
			json_decref(msg);
			return SEG_OK;
		}
		json_decref(msg);
	}
}

/* Waits for ids to finish downloading, drawing progress on a terminal; fd is watched
 * (watch_open), report the last report (updated). */
static enum seg_err follow_ids(struct seg *s, int fd, json_t *ids, json_t **report, json_t **out)
{
	struct store *db = seg_store(s);
	bool bar = !s->json && isatty(STDERR_FILENO);
	int done = 0, failed = 0, left = 1, total = (int)json_array_size(ids);
	long long bdone = 0, ball = 0, last_bytes = -1, t0 = 0;
	json_t *failures = json_array();
	enum seg_err e = SEG_OK;

	if (!db || !failures) {
		json_decref(failures);
		return SEG_EIO;
	}
	for (;;) {
		long long ms = clock_mono_ms();

		tally(db, ids, json_object_get(json_object_get(*report, "downloads"), "active"), &done, &failed,
		      &left, &bdone, &ball);
		if (last_bytes < 0) {
			last_bytes = bdone;
			t0 = ms;
		}
		if (bar)
			draw_bar(done, total, bdone, ball, ms > t0 ? (bdone - last_bytes) * 1000.0 / (double)(ms - t0) : 0);
		if (!left || (e = watch_next(fd, report)))
			break;
	}
	if (bar)
		fputc('\n', stderr);
	if (!e) {
		store_offline_unfinished(db, ids, failures);
		json_object_set_new(*out, "downloaded", json_integer(done));
		json_object_set(*out, "failed", failures);
		if (json_array_size(failures))
			e = seg_fail(SEG_EFAIL, "%zu of %d tracks could not be downloaded; the first: %s: %s",
			             json_array_size(failures), total,
			             json_string_value(json_object_get(json_array_get(failures, 0), "name")),
			             json_string_value(json_object_get(json_array_get(failures, 0), "error")));
	}
	json_decref(failures);
	return e;
}

static enum seg_err download_follow(struct seg *s, int fd, struct cmd_args *a, json_t **out)
{
	json_t *report = NULL;
	enum seg_err e;

	if (cmd_has(a, "no-wait"))
		return SEG_OK;
	if (!(e = watch_open(fd, &report)))
		e = follow_ids(s, fd, json_object_get(*out, "ids"), &report, out);
	json_decref(report);
	return e;
}

static void download_print(json_t *out, FILE *f)
{
	json_t *c;
	size_t i;

	json_array_foreach(json_object_get(out, "collections"), i, c)
		fprintf(f, "%s: %lld tracks, %lld to download\n", json_string_value(json_object_get(c, "name")),
		        (long long)json_integer_value(json_object_get(c, "tracks")),
		        (long long)json_integer_value(json_object_get(c, "queued")));
	if (json_object_get(out, "downloaded"))
		fprintf(f, "%lld downloaded\n", (long long)json_integer_value(json_object_get(out, "downloaded")));
}

const struct cmd_entry cmd_download = {
	"download", "[--quality Q] [--no-wait] URI...",
	"Downloads tracks, albums and playlists for listening without the network (a premium "
	"account; at most 5 devices). A downloaded playlist follows its changes while online. "
	"Waits with a progress bar until done unless --no-wait; downloads go on in the daemon "
	"either way, and resume where they stopped after an interruption. --quality: low, normal, "
	"high or very_high (default download_quality).",
	"quality=,no-wait", 1, -1, CMD_PLAYER, CMD_STARTS_DAEMON, download_exec, download_print,
	download_follow
};

/* --- offline status ---------------------------------------------------------------------- */

static enum seg_err estimate(struct seg *s, const char *arg, json_t **out)
{
	char uri[64], kind[16], id[32], *name = NULL, *snapshot = NULL;
	json_t *tracks = NULL, *t, *est = json_object();
	long long ms = 0;
	enum seg_err e;
	size_t i;

	if ((e = collection_uri(arg, uri, sizeof uri, kind, id)) ||
	    (e = collection(s, uri, kind, id, &name, &snapshot, &tracks))) {
		json_decref(est);
		return e;
	}
	json_array_foreach(tracks, i, t)
		ms += json_integer_value(json_object_get(t, "duration_ms"));
	for (int q = 0; q <= QUALITY_VERY_HIGH; q++) {
		/* Nominal bitrate, plus Ogg framing and the chunks' tags (~2 %). */
		long long bytes = (long long)(ms / 1000.0 * quality_kbps((enum quality)q) * 1000 / 8 * 1.02);

		json_object_set_new(est, quality_name((enum quality)q), json_integer(bytes));
	}
	*out = json_pack("{s:s,s:s,s:I,s:I,s:o}", "uri", uri, "name", name, "tracks",
	                 (json_int_t)json_array_size(tracks), "duration_ms", (json_int_t)ms, "estimates", est);
	free(name);
	free(snapshot);
	json_decref(tracks);
	return SEG_OK;
}

static enum seg_err status_exec(struct seg *s, struct cmd_args *a, json_t **out)
{
	struct store *db = seg_store(s);

	if (!db)
		return SEG_EIO;
	if (a->argc)
		return estimate(s, a->argv[0], out);
	if (!(*out = downloader_report(s)))
		return seg_fail(SEG_EIO, "state database: cannot read the downloads");
	return SEG_OK;
}

static void print_when(FILE *f, const char *label, json_t *t)
{
	char when[64];
	time_t v;

	if (!json_is_integer(t))
		return;
	v = (time_t)json_integer_value(t);
	strftime(when, sizeof when, "%Y-%m-%d %H:%M", localtime(&v));
	fprintf(f, "%s%s\n", label, when);
}

static void status_print(json_t *o, FILE *f)
{
	char used[32], limit[32];
	json_t *est = json_object_get(o, "estimates"), *act;
	size_t i;

	if (est) {
		char n[32], vh[32], lo[32], hi[32];

		format_mb(lo, sizeof lo, json_integer_value(json_object_get(est, "low")));
		format_mb(n, sizeof n, json_integer_value(json_object_get(est, "normal")));
		format_mb(hi, sizeof hi, json_integer_value(json_object_get(est, "high")));
		format_mb(vh, sizeof vh, json_integer_value(json_object_get(est, "very_high")));
		fprintf(f, "%s: %lld tracks, %s at low, %s at normal, %s at high, %s at very high\n",
		        json_string_value(json_object_get(o, "name")),
		        (long long)json_integer_value(json_object_get(o, "tracks")), lo, n, hi, vh);
		return;
	}
	format_mb(used, sizeof used, json_integer_value(json_object_get(o, "used_bytes")));
	format_mb(limit, sizeof limit, json_integer_value(json_object_get(o, "limit_bytes")));
	fprintf(f, "Downloaded: %lld tracks in %lld collections, %s of %s\n",
	        (long long)json_integer_value(json_object_get(o, "downloaded")),
	        (long long)json_integer_value(json_object_get(o, "collections")), used,
	        json_integer_value(json_object_get(o, "limit_bytes")) ? limit : "no limit");
	fprintf(f, "Queued: %lld  Failed: %lld  Removed for room: %lld  Licences expired: %lld\n",
	        (long long)json_integer_value(json_object_get(o, "queued")),
	        (long long)json_integer_value(json_object_get(o, "failed")),
	        (long long)json_integer_value(json_object_get(o, "evicted")),
	        (long long)json_integer_value(json_object_get(o, "expired")));
	print_when(f, "Last check-in: ", json_object_get(o, "last_checkin"));
	print_when(f, "Licences valid until: ", json_object_get(o, "licences_expire_at"));
	json_array_foreach(json_object_get(json_object_get(o, "downloads"), "active"), i, act) {
		format_mb(used, sizeof used, json_integer_value(json_object_get(act, "done")));
		format_mb(limit, sizeof limit, json_integer_value(json_object_get(act, "bytes")));
		fprintf(f, "Downloading: %s (%s of %s)\n", json_string_value(json_object_get(act, "name")), used, limit);
	}
	if (json_is_true(json_object_get(json_object_get(o, "downloads"), "waiting_network")))
		fprintf(f, "Waiting for the network\n");
}

const struct cmd_entry cmd_offline_status = {
	"offline status", "[URI]",
	"Shows what is downloaded (tracks, space used and the limit, licences, downloads in "
	"progress), or with a URI how much downloading it would take at each quality.",
	NULL, 0, 1, CMD_PLAYER, CMD_NO_PLAYER_OK, status_exec, status_print, NULL
};

/* --- offline ls / rm -------------------------------------------------------------------- */

static enum seg_err ls_exec(struct seg *s, struct cmd_args *a, json_t **out)
{
	struct store *db = seg_store(s);
	char uri[64], kind[16], id[32];
	enum seg_err e;

	if (!db)
		return SEG_EIO;
	if (!a->argc)
		return offline_list(db, NULL, out);
	if ((e = collection_uri(a->argv[0], uri, sizeof uri, kind, id)))
		return e;
	return offline_list(db, uri, out);
}

static void ls_print(json_t *o, FILE *f)
{
	json_t *it;
	size_t i;

	json_array_foreach(o, i, it) {
		char mb[32];

		format_mb(mb, sizeof mb, json_integer_value(json_object_get(it, "bytes")));
		if (json_object_get(it, "uri")) {
			render_column(f, json_string_value(json_object_get(it, "name")), 40);
			fprintf(f, " %4lld/%-4lld %9s  %s%s\n",
			        (long long)json_integer_value(json_object_get(it, "downloaded")),
			        (long long)json_integer_value(json_object_get(it, "tracks")), mb,
			        json_string_value(json_object_get(it, "uri")),
			        json_is_true(json_object_get(it, "followed")) ? "" : "  (unfollowed)");
		} else {
			fprintf(f, "%-8s ", json_string_value(json_object_get(it, "state")) ?: "");
			render_column(f, json_string_value(json_object_get(it, "name")), 36);
			fputc(' ', f);
			render_column(f, json_string_value(json_object_get(it, "artist")), 24);
			fprintf(f, " %9s%s%s\n", mb, json_string_value(json_object_get(it, "error")) ? "  " : "",
			        json_string_value(json_object_get(it, "error")) ?: "");
		}
	}
	if (!json_array_size(o))
		fprintf(f, "Nothing is downloaded (segue download URI).\n");
}

const struct cmd_entry cmd_offline_ls = {
	"offline ls", "[URI]", "Lists the downloaded collections (name, tracks downloaded, size), "
	"or the tracks of one with their state.", NULL, 0, 1, CMD_ANY, 0, ls_exec, ls_print, NULL
};

static enum seg_err rm_exec(struct seg *s, struct cmd_args *a, json_t **out)
{
	struct store *db = seg_store(s);
	int total = 0;

	if (!db)
		return SEG_EIO;
	for (int i = 0; i < a->argc; i++) {
		char uri[64], kind[16], id[32];
		int n = 0;
		enum seg_err e;

		if ((e = collection_uri(a->argv[i], uri, sizeof uri, kind, id)) ||
		    (e = offline_remove(db, s->paths.data_dir, uri, &n)))
			return e;
		total += n;
	}
	*out = json_pack("{s:i}", "tracks_removed", total);
	return SEG_OK;
}

static void rm_print(json_t *o, FILE *f)
{
	fprintf(f, "%lld tracks removed\n", (long long)json_integer_value(json_object_get(o, "tracks_removed")));
}

const struct cmd_entry cmd_offline_rm = {
	"offline rm", "URI...", "Removes downloaded collections; their tracks go from the disk "
	"unless another downloaded collection holds them.", NULL, 1, -1, CMD_PLAYER,
	CMD_NO_PLAYER_OK, rm_exec, rm_print, NULL
};

/* --- offline sync ------------------------------------------------------------------------ */

static enum seg_err sync_exec(struct seg *s, struct cmd_args *a, json_t **out)
{
	(void)a;
	if (!s->downloader)
		return seg_fail(SEG_EFAIL, "downloads are off in this daemon (see its log)");
	downloader_sync(s->downloader);
	*out = json_pack("{s:b}", "started", 1);
	return SEG_OK;
}

/* Adds the queued tracks not yet in ids. */
static void add_queued(struct store *db, json_t *ids)
{
	json_t *queued = json_array(), *q, *v;
	size_t k, i;

	if (!queued)
		return;
	store_offline_queued_ids(db, queued);
	json_array_foreach(queued, k, q) {
		const char *id = json_string_value(q);
		bool have = false;

		json_array_foreach(ids, i, v)
			have |= !strcmp(json_string_value(v), id);
		if (!have)
			json_array_append(ids, q);
	}
	json_decref(queued);
}

static enum seg_err sync_follow(struct seg *s, int fd, struct cmd_args *a, json_t **out)
{
	json_t *report = NULL, *sync = NULL, *ids = json_array();
	struct store *db = seg_store(s);
	enum seg_err e;

	/* What waits now (a download under way counts), and below what the sync adds. */
	if (!cmd_has(a, "no-wait") && db)
		add_queued(db, ids);
	/* First the check-in and the playlists... */
	if ((e = watch_open(fd, &report)))
		goto out;
	while (json_is_true(json_object_get(json_object_get(report, "downloads"), "syncing")))
		if ((e = watch_next(fd, &report)))
			goto out;
	sync = json_incref(json_object_get(json_object_get(report, "downloads"), "last_sync"));
	json_decref(*out);
	*out = json_pack("{s:O}", "sync", sync ?: json_null());
	if (json_string_value(json_object_get(sync, "error"))) {
		e = seg_fail(SEG_EUNREACHABLE, "sync: %s", json_string_value(json_object_get(sync, "error")));
		goto out;
	}
	/* ...then what they queued. */
	if (!cmd_has(a, "no-wait") && db) {
		add_queued(db, ids);
		if (json_array_size(ids))
			e = follow_ids(s, fd, ids, &report, out);
	}
out:
	json_decref(report);
	json_decref(sync);
	json_decref(ids);
	return e;
}

static void sync_print(json_t *o, FILE *f)
{
	json_t *sync = json_object_get(o, "sync"), *ck = json_object_get(sync, "checkin"), *r;
	json_t *pl = json_object_get(sync, "playlists");
	size_t i;

	if (ck)
		fprintf(f, "Licences renewed: %lld\n", (long long)json_integer_value(json_object_get(ck, "renewed")));
	json_array_foreach(json_object_get(ck, "revoked"), i, r)
		fprintf(f, "Revoked: %s (%s)\n", json_string_value(json_object_get(r, "id")),
		        json_string_value(json_object_get(r, "message")));
	if (pl)
		fprintf(f, "Playlists: %lld tracks added, %lld removed\n",
		        (long long)json_integer_value(json_object_get(pl, "added")),
		        (long long)json_integer_value(json_object_get(pl, "removed")));
	if (json_object_get(o, "downloaded"))
		fprintf(f, "%lld downloaded\n", (long long)json_integer_value(json_object_get(o, "downloaded")));
}

const struct cmd_entry cmd_offline_sync = {
	"offline sync", "[--no-wait]", "Checks in with the server now (renewing licences, or "
	"removing what may no longer be kept), brings downloaded playlists up to date, and "
	"downloads what that adds. The daemon also does this when it starts.", "no-wait", 0, 0,
	CMD_PLAYER, CMD_STARTS_DAEMON, sync_exec, sync_print, sync_follow
};

/* --- offline devices -------------------------------------------------------------------- */

static enum seg_err devices_exec(struct seg *s, struct cmd_args *a, json_t **out)
{
	const char *remove = cmd_flag(a, "remove");
	struct api *api = seg_api(s);
	json_t *list = NULL, *d;
	enum seg_err e;
	size_t i;

	if (!api)
		return SEG_ENOMEM;
	if ((e = api_get(api, "/v1/segue/offline/devices", &list)))
		return e;
	if (remove) {
		const char *id = NULL;

		json_array_foreach(json_object_get(list, "devices"), i, d)
			if (!strcmp(json_string_value(json_object_get(d, "id")), remove) ||
			    !strcasecmp(json_string_value(json_object_get(d, "name")), remove))
				id = json_string_value(json_object_get(d, "id"));
		if (!id) {
			json_decref(list);
			return seg_fail(SEG_ENOTFOUND, "no offline device named \"%s\" (segue offline devices lists them)", remove);
		}
		char path[160];

		snprintf(path, sizeof path, "/v1/segue/offline/devices/%s", id);
		e = api_request(api, "DELETE", path, NULL, NULL, NULL);
		json_decref(list);
		list = NULL;
		if (e || (e = api_get(api, "/v1/segue/offline/devices", &list)))
			return e;
	}
	*out = list;
	return SEG_OK;
}

static void devices_print(json_t *o, FILE *f)
{
	json_t *d;
	size_t i;

	json_array_foreach(json_object_get(o, "devices"), i, d) {
		render_column(f, json_string_value(json_object_get(d, "name")), 24);
		fprintf(f, " %-24s %5lld tracks  last check-in %s\n", json_string_value(json_object_get(d, "id")) ?: "",
		        (long long)json_integer_value(json_object_get(d, "tracks")),
		        json_string_value(json_object_get(d, "last_checkin")) ?: "-");
	}
	fprintf(f, "%zu of %lld devices\n", json_array_size(json_object_get(o, "devices")),
	        (long long)json_integer_value(json_object_get(o, "device_limit")));
}

const struct cmd_entry cmd_offline_devices = {
	"offline devices", "[--remove ID|NAME]", "Lists the account's devices with downloads (at "
	"most 5), or removes one: its downloads are revoked when it next checks in.", "remove=",
	0, 0, CMD_ANY, 0, devices_exec, devices_print, NULL
};
