/* Listening history. Clients deliver play events in batches (POST /v1/segue/events), each
 * with the client's own event id: a retried batch is harmless because (user, event id) is
 * the primary key. What counts as a play is library/plays.c's rule. GET
 * /v1/me/player/recently-played reads the counted plays back in the Web API's shape. */
#include "config.h"
#include "api/handlers.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base62.h"
#include "catalog/catalog.h"
#include "library/plays.h"
#include "server.h"
#include "store/catalog.h"
#include "store/history.h"

#define EVENTS_MAX 500
#define DAY_MS (86400LL * 1000)

static const char *const reasons[] = { "track_done", "skipped", "paused", "device_change", "error", "logout" };

static bool valid_event_id(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isgraph((unsigned char)s[i]))
			return false;
	return true;
}

/* track_id, or the id of track_uri (segue: or spotify:). */
static const char *track_of(json_t *e)
{
	const char *t = json_string_value(json_object_get(e, "track_id"));

	if (!t)
		t = api_uri_id(json_string_value(json_object_get(e, "track_uri")), "track");
	return t && base62_is_id(t) ? t : NULL;
}

static bool valid_context(const char *uri)
{
	static const char *const kinds[] = { "segue:album:", "segue:playlist:", "segue:artist:",
	                                     "segue:collection:", "segue:search:", "segue:radio:" };

	if (!uri)
		return true;
	if (strlen(uri) > 200)
		return false;
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (!strncmp(uri, kinds[i], strlen(kinds[i])))
			return true;
	return !strncmp(uri, "segue:user:", 11);
}

/* Checks one event; returns NULL or what is wrong with it. */
static const char *check_event(json_t *e, long long now)
{
	json_t *started = json_object_get(e, "started_at"), *played = json_object_get(e, "ms_played");
	const char *reason = json_string_value(json_object_get(e, "reason_end"));
	bool known = false;

	if (!json_is_object(e))
		return "not an object";
	if (!valid_event_id(json_string_value(json_object_get(e, "id"))))
		return "id must be 1 to 64 printable characters";
	if (!track_of(e))
		return "track_id (or track_uri) is missing or malformed";
	if (!json_is_integer(started) || json_integer_value(started) <= 0 ||
	    json_integer_value(started) > now + DAY_MS)
		return "started_at must be a time in milliseconds since 1970, not in the future";
	if (!json_is_integer(played) || json_integer_value(played) < 0 ||
	    json_integer_value(played) > DAY_MS)
		return "ms_played must be a whole number of milliseconds up to a day";
	for (size_t i = 0; reason && i < sizeof reasons / sizeof reasons[0]; i++)
		known |= !strcmp(reason, reasons[i]);
	if (!known)
		return "reason_end must be track_done, skipped, paused, device_change, error or logout";
	if (!json_is_null(json_object_get(e, "context_uri")) &&
	    json_object_get(e, "context_uri") &&
	    !valid_context(json_string_value(json_object_get(e, "context_uri"))))
		return "context_uri is not a segue URI";
	return NULL;
}

void h_events(struct req *r)
{
	struct store *s = &r->srv->store;
	long long now = store_now_ms();
	struct play_event ev[EVENTS_MAX];
	enum play_fate fate[EVENTS_MAX];
	json_t *body, *events, *e, *rejected;
	int accepted = 0, duplicates = 0;
	size_t i, n;

	if (!(body = req_json_body(r, false)))
		return;
	events = json_object_get(body, "events");
	if (!json_is_array(events)) {
		reply_error(r, 400, "events must be an array");
		goto out;
	}
	if (json_array_size(events) > EVENTS_MAX) {
		reply_error(r, 400, "too many events: at most %d per batch", EVENTS_MAX);
		goto out;
	}
	/* All or nothing: a malformed event refuses the batch before anything is stored. */
	json_array_foreach(events, i, e) {
		const char *why;

		/* A Spotify context is kept in Segue's form: recently-played links it. */
		if (json_is_object(e))
			api_uri_canon_member(e, "context_uri");
		why = check_event(e, now);

		if (why) {
			reply_error(r, 400, "events[%zu]: %s", i, why);
			goto out;
		}
	}
	rejected = json_array();
	n = json_array_size(events);
	json_array_foreach(events, i, e) {
		ev[i] = (struct play_event) {
			.event_id = json_string_value(json_object_get(e, "id")),
			.track_id = track_of(e),
			.context_uri = json_string_value(json_object_get(e, "context_uri")),
			.reason_end = json_string_value(json_object_get(e, "reason_end")),
			.started_at = json_integer_value(json_object_get(e, "started_at")),
			.ms_played = json_integer_value(json_object_get(e, "ms_played")),
		};
	}
	if (store_begin(s) < 0)
		goto fail;
	if (plays_record(s, r->user.id, ev, (int)n, now, fate) < 0)
		goto fail_tx;
	for (i = 0; i < n; i++) {
		if (fate[i] == PLAY_UNKNOWN_TRACK)
			/* Not an error of the batch: the client should drop it, not retry it. */
			json_array_append_new(rejected, json_pack("{s:i,s:s,s:s}", "index", (int)i, "id",
			                      ev[i].event_id, "reason", "unknown track"));
		else if (fate[i] == PLAY_DUPLICATE)
			duplicates++;
		else
			accepted++;
	}
	if (store_commit(s) < 0)
		goto fail_tx;
	reply_json(r, 200, json_pack("{s:i,s:i,s:o}", "accepted", accepted, "duplicates", duplicates,
	                             "rejected", rejected));
	goto out;
fail_tx:
	store_rollback(s);
fail:
	json_decref(rejected);
	reply_error(r, 500, "the events could not be stored");
out:
	json_decref(body);
}

static json_t *context_object(struct req *r, const char *uri)
{
	char base[512];
	const char *kind, *colon;

	if (strncmp(uri, "segue:", 6) != 0)
		return json_null(); /* no context (or none we know) */
	kind = uri + 6;
	if (!(colon = strchr(kind, ':')))
		return json_null();
	req_base_url(r, base, sizeof base);
	return json_pack("{s:s#,s:s,s:o,s:{}}", "type", kind, (int)(colon - kind), "uri", uri,
	                 "href", json_sprintf("%s/v1/%.*ss/%s", base, (int)(colon - kind), kind, colon + 1),
	                 "external_urls");
}

static int ms_arg(struct req *r, const char *name, long long *out)
{
	const char *v = req_arg(r, name);
	char *end;

	*out = -1;
	if (!v)
		return 0;
	*out = strtoll(v, &end, 10);
	if (!*v || *end || *out < 0) {
		reply_error(r, 400, "%s must be a Unix time in milliseconds", name);
		return -1;
	}
	return 0;
}

void h_recently_played(struct req *r)
{
	struct play_row rows[51];
	const char *ids[51];
	json_t *tracks[51];
	long long before, after, newest = -1, oldest = -1;
	char base[512];
	json_t *items;
	int limit, n;
	bool more;

	if (api_int_arg(r, "limit", 20, 1, 50, &limit) < 0 || ms_arg(r, "before", &before) < 0 ||
	    ms_arg(r, "after", &after) < 0)
		return;
	if (before >= 0 && after >= 0) {
		reply_error(r, 400, "give before or after, not both");
		return;
	}
	/* One more than the page tells whether there is a next one. */
	if ((n = store_plays_recent(&r->srv->store, r->user.id, before, after, rows, limit + 1)) < 0) {
		reply_error(r, 500, "database error");
		return;
	}
	more = n > limit;
	if (n > limit)
		n = limit;
	for (int i = 0; i < n; i++)
		ids[i] = rows[i].track_id;
	if (api_tracks(r, ids, n, NULL, tracks) < 0) {
		reply_error(r, 500, "the catalog could not be read");
		return;
	}
	items = json_array();
	for (int i = 0; i < n; i++) {
		json_t *track = tracks[i];

		if (newest < 0)
			newest = rows[i].started_at;
		oldest = rows[i].started_at;
		if (!track)
			continue;
		json_array_append_new(items, json_pack("{s:o,s:o,s:o}", "track", track, "played_at",
		                      catalog_time(rows[i].started_at + rows[i].ms_played, true),
		                      "context", context_object(r, rows[i].context_uri)));
	}
	req_base_url(r, base, sizeof base);
	reply_json(r, 200, json_pack("{s:o,s:o,s:i,s:o,s:o}",
		"href", json_sprintf("%s/v1/me/player/recently-played?limit=%d", base, limit),
		"items", items, "limit", limit,
		"next", more && after < 0 ? json_sprintf("%s/v1/me/player/recently-played?before=%lld&limit=%d",
		                                         base, oldest, limit) : json_null(),
		"cursors", newest < 0 ? json_null() :
		           json_pack("{s:o,s:o}", "after", json_sprintf("%lld", newest),
		                     "before", json_sprintf("%lld", oldest))));
}
