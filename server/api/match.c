/* POST /v1/segue/tracks/match: the catalog's tracks for entries of another player's
 * playlist (library/match.h says how they are found).
 *   {"entries": [{"path", "artist", "title", "duration_ms"}, ...]}, every member optional
 * -> {"matches": [{"track": full track object or null, "by": "path"|"tags"|"search"|null}]}
 * in the entries' order. The whole body is checked before anything is looked up, so a bad
 * entry costs no work. */
#include "config.h"
#include "api/handlers.h"

#include <stdlib.h>
#include <string.h>

#include "library/match.h"
#include "server.h"

#define MATCH_ENTRIES_MAX 1000
#define MATCH_DURATION_MAX (100LL * 3600 * 1000) /* ms: longer than any recording */

/* A string member (absent or null: NULL) of at most max bytes; false after a 400. */
static bool text_member(struct req *r, json_t *entry, size_t i, const char *key, size_t max,
                        const char **out)
{
	json_t *v = json_object_get(entry, key);

	*out = NULL;
	if (!v || json_is_null(v))
		return true;
	if (!json_is_string(v) || json_string_length(v) > max) {
		reply_error(r, 400, "entries[%zu].%s must be a string of at most %zu bytes", i, key, max);
		return false;
	}
	*out = json_string_value(v);
	return true;
}

/* Entry i read into e (strings borrowed from the body); false after a 400. */
static bool read_entry(struct req *r, json_t *entry, size_t i, struct match_entry *e)
{
	json_t *d;

	memset(e, 0, sizeof *e);
	if (!json_is_object(entry)) {
		reply_error(r, 400, "entries[%zu] must be an object", i);
		return false;
	}
	if (!text_member(r, entry, i, "path", MATCH_PATH_MAX, &e->path) ||
	    !text_member(r, entry, i, "artist", MATCH_TEXT_MAX, &e->artist) ||
	    !text_member(r, entry, i, "title", MATCH_TEXT_MAX, &e->title))
		return false;
	d = json_object_get(entry, "duration_ms");
	if (d && !json_is_null(d)) {
		if (!json_is_integer(d) || json_integer_value(d) < 0 ||
		    json_integer_value(d) > MATCH_DURATION_MAX) {
			reply_error(r, 400, "entries[%zu].duration_ms must be a whole number of"
			            " milliseconds from 0 to %lld", i, MATCH_DURATION_MAX);
			return false;
		}
		e->duration_ms = json_integer_value(d);
	}
	return true;
}

void h_track_match(struct req *r)
{
	json_t *body = req_json_body(r, false), *entries, *matches = NULL;
	const struct search_view *view;
	struct match_entry *e = NULL;
	struct match_ctx c = { .store = &r->srv->store };
	const char *market;
	size_t n;
	bool bad;

	if (!body)
		return;
	market = api_market(r, &bad);
	if (bad)
		goto out;
	entries = json_object_get(body, "entries");
	if (!json_is_array(entries)) {
		reply_error(r, 400, "entries must be an array of {path, artist, title, duration_ms}");
		goto out;
	}
	if ((n = json_array_size(entries)) > MATCH_ENTRIES_MAX) {
		reply_error(r, 400, "too many entries: at most %d per request", MATCH_ENTRIES_MAX);
		goto out;
	}
	if (n && !(e = calloc(n, sizeof *e))) {
		reply_error(r, 500, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		if (!read_entry(r, json_array_get(entries, i), i, &e[i]))
			goto out;
	/* Without the index, tags and search would find nothing and an import would quietly
	 * lose what they find: the client is asked to wait, as search asks. */
	if (!(view = searcher_get(&r->srv->search))) {
		reply_error(r, 503, "the search index is still being built; try again in a moment");
		reply_header(r, "retry-after:", "1");
		goto out;
	}
	c.base = view->base;
	c.delta = view->delta;
	matches = json_array();
	for (size_t i = 0; i < n; i++) {
		char id[BASE62_ID_LEN + 1];
		int by = match_track(&c, &e[i], id);
		json_t *track = by > MATCH_NONE ? api_track(r, id, market) : NULL;

		if (by < 0) {
			reply_error(r, 500, "the catalog could not be read");
			goto out;
		}
		json_array_append_new(matches, json_pack("{s:o,s:o}", "track", track ? track : json_null(),
		                                         "by", track ? json_string(match_by_name(by))
		                                                     : json_null()));
	}
	reply_json(r, 200, json_pack("{s:o}", "matches", matches));
	matches = NULL;
out:
	json_decref(matches);
	free(e);
	json_decref(body);
}
