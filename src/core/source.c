/* Where a track comes from: its download or the server. See source.h. */
#include "config.h"
#include "source.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "offline.h"
#include "offline_stream.h"

enum seg_err source_get(struct source_ctx *c, const char *path, json_t **out)
{
	enum seg_err e;

	*out = NULL;
	if (clock_mono_ms() < c->away_until)
		return seg_fail(SEG_EUNREACHABLE, "the server is out of reach");
	if ((e = api_get(seg_api(c->s), path, out)) == SEG_EUNREACHABLE)
		c->away_until = clock_mono_ms() + SOURCE_AWAY_MS;
	else
		c->away_until = 0;
	return e;
}

json_t *source_track(struct source_ctx *c, const char *id)
{
	struct store *st = seg_store(c->s);
	char key[64], path[64];
	json_t *t;

	snprintf(key, sizeof key, "track:%s", id);
	if (st && (t = store_cache_get(st, key, 7 * 86400)))
		return t;
	snprintf(path, sizeof path, "/v1/tracks/%s", id);
	if (source_get(c, path, &t) == SEG_OK && json_is_object(t)) {
		if (st)
			store_cache_put(st, key, t);
		return t;
	}
	json_decref(t);
	/* A download keeps its track object for as long as it is kept. */
	if (st && (t = offline_track(st, id)))
		return t;
	return NULL;
}

/* Whether a track of the queue's "up next" can play from its download. */
static bool downloaded_later(struct store *db, const struct source_want *w)
{
	for (size_t i = 0; i < w->nahead; i++)
		if (offline_has(db, w->ahead[i]))
			return true;
	return false;
}

enum source_verdict source_open(struct source_ctx *c, const struct source_want *w, struct source *out)
{
	struct store *db = seg_store(c->s);
	struct offline_item off;
	enum offline_state os;
	json_t *info = NULL;
	const char *url;
	char path[128];
	enum quality q;
	enum seg_err e;
	enum source_verdict v = SOURCE_OK;

	memset(out, 0, sizeof *out);
	out->track = w->track ? json_incref(w->track) : source_track(c, w->id);
	os = db ? offline_lookup(db, c->s->paths.data_dir, w->id, &off) : OFFLINE_NONE;
	/* A download plays from the disk, online or not: no server, no network. */
	if (os == OFFLINE_PLAYABLE) {
		offline_stream_offer(w->id, off.path, off.key);
		sodium_memzero(off.key, sizeof off.key);
		offline_played(db, w->id);
		if (asprintf(&out->url, OFFLINE_SCHEME "%s", w->id) < 0) {
			out->url = NULL;
			snprintf(out->why, sizeof out->why, "cannot start a track: out of memory");
			return SOURCE_WAIT;
		}
		out->expires_at = off.expires_at;
		out->duration_ms = json_integer_value(json_object_get(out->track, "duration_ms"));
		return SOURCE_OK;
	}
	q = w->quality(w->ud);
	snprintf(path, sizeof path, "/v1/segue/playback/%s?quality=%s", w->id, quality_name(q));
	e = source_get(c, path, &info);
	if (e == SEG_EUNREACHABLE && os == OFFLINE_EXPIRED) {
		char when[32];
		time_t t = (time_t)off.expires_at;

		strftime(when, sizeof when, "%Y-%m-%d", localtime(&t));
		snprintf(out->why, sizeof out->why, "skipping \"%s\": its offline licence expired on %s; go "
		         "online so segue can renew it (segue offline sync)", off.title, when);
		v = SOURCE_SKIP;
		goto out;
	}
	/* Offline, what is downloaded further on plays; with nothing downloaded ahead, the
	 * player waits for the server (below) as it always has. */
	if (e == SEG_EUNREACHABLE && db && downloaded_later(db, w)) {
		snprintf(out->why, sizeof out->why, "skipping \"%s\": not downloaded, and the server is out "
		         "of reach", json_string_value(json_object_get(out->track, "name")) ?: w->id);
		v = SOURCE_SKIP;
		goto out;
	}
	if (e == SEG_EFORBIDDEN || e == SEG_ENOTFOUND) {
		snprintf(out->why, sizeof out->why, "skipping a track: %s", seg_errmsg());
		v = SOURCE_SKIP;
		goto out;
	}
	if (e == SEG_EAUTH) {
		snprintf(out->why, sizeof out->why, "%s", seg_errmsg());
		v = SOURCE_FATAL;
		goto out;
	}
	if (e || !(url = json_string_value(json_object_get(json_object_get(info, "urls"),
	                                                     quality_name(q))))) {
		snprintf(out->why, sizeof out->why, "cannot start a track: %s",
		         e ? seg_errmsg() : "no URL in the answer");
		v = SOURCE_WAIT;
		goto out;
	}
	if (!(out->url = strdup(url))) {
		snprintf(out->why, sizeof out->why, "cannot start a track: out of memory");
		v = SOURCE_WAIT;
		goto out;
	}
	out->expires_at = json_integer_value(json_object_get(info, "expires_at"));
	out->duration_ms = json_integer_value(json_object_get(info, "duration_ms"));
out:
	json_decref(info);
	return v;
}

void source_free(struct source *src)
{
	json_decref(src->track);
	free(src->url);
	src->track = NULL;
	src->url = NULL;
}
