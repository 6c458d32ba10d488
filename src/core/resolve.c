/* URIs and contexts. */
#include "config.h"
#include "resolve.h"
#include "offline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base62.h"

bool uri_parse(const char *s, const char *default_kind, char *kind, char *id)
{
	const char *colon;

	if (!strncmp(s, "segue:", 6)) {
		s += 6;
		if (!(colon = strchr(s, ':')) || colon - s >= 16)
			return false;
		memcpy(kind, s, (size_t)(colon - s));
		kind[colon - s] = '\0';
		s = colon + 1;
		if (!strcmp(kind, "user")) {
			if (!*s || strlen(s) > 22)
				return false;
			strcpy(id, s);
			return true;
		}
	} else {
		snprintf(kind, 16, "%s", default_kind ? default_kind : "");
	}
	if (!base62_is_id(s))
		return false;
	strcpy(id, s);
	return true;
}

enum seg_err uri_id(const char *s, const char *kind, char *id)
{
	char k[16];

	if (!uri_parse(s, kind, k, id) || strcmp(k, kind))
		return seg_fail(SEG_EUSAGE, "\"%s\" is not a %s (segue:%s:ID or an id)", s, kind, kind);
	return SEG_OK;
}

enum seg_err fetch_all(struct seg *s, const char *path, size_t max, json_t **items)
{
	return fetch_all_in(s, path, NULL, max, items);
}

enum seg_err fetch_all_in(struct seg *s, const char *path, const char *within, size_t max,
                          json_t **items)
{
	struct api *a = seg_api(s);

	*items = NULL;
	if (!a)
		return seg_fail(SEG_ENOMEM, "out of memory");
	return api_get_all(a, path, within, max, items);
}

/* Album track listings carry no album: give each the album it came from, for display. */
static enum seg_err album_tracks(struct seg *s, const char *id, json_t **tracks)
{
	char path[128];
	json_t *album = NULL, *t, *simple;
	enum seg_err e;
	size_t i;

	snprintf(path, sizeof path, "/v1/albums/%s", id);
	if ((e = api_get(seg_api(s), path, &album)))
		return e;
	snprintf(path, sizeof path, "/v1/albums/%s/tracks?limit=50", id);
	if ((e = fetch_all(s, path, CONTEXT_TRACKS_MAX, tracks)))
		goto out;
	simple = json_deep_copy(album);
	json_object_del(simple, "tracks");
	json_array_foreach(*tracks, i, t)
		json_object_set(t, "album", simple);
	json_decref(simple);
out:
	json_decref(album);
	return e;
}

static enum seg_err resolve_online(struct seg *s, const char *what, json_t **tracks, char **context);

/* With the server out of reach, a downloaded track, album or playlist still resolves: to
 * what of it is downloaded. */
static enum seg_err resolve_offline(struct seg *s, const char *what, json_t **tracks, char **context)
{
	struct store *db = seg_store(s);
	char kind[16], id[32], uri[64];
	json_t *one;

	if (!db || !uri_parse(what, "track", kind, id))
		return SEG_EUNREACHABLE;
	snprintf(uri, sizeof uri, "segue:%s:%s", kind, id);
	if (!strcmp(kind, "track") && (one = offline_track(db, id))) {
		*tracks = json_pack("[o]", one);
		return SEG_OK;
	}
	if (offline_collection_tracks(db, uri, tracks) || !json_array_size(*tracks)) {
		json_decref(*tracks);
		*tracks = NULL;
		return SEG_EUNREACHABLE;
	}
	if (!(*context = strdup(uri))) {
		json_decref(*tracks);
		*tracks = NULL;
		return seg_fail(SEG_ENOMEM, "out of memory");
	}
	return SEG_OK;
}

enum seg_err resolve_tracks(struct seg *s, const char *what, json_t **tracks, char **context)
{
	enum seg_err e = resolve_online(s, what, tracks, context);
	char msg[512];

	if (e != SEG_EUNREACHABLE)
		return e;
	snprintf(msg, sizeof msg, "%s", seg_errmsg());
	if (resolve_offline(s, what, tracks, context) == SEG_OK)
		return SEG_OK;
	return seg_fail(SEG_EUNREACHABLE, "%s", msg);
}

static enum seg_err resolve_online(struct seg *s, const char *what, json_t **tracks, char **context)
{
	char kind[16], id[32], path[256];
	json_t *items = NULL, *one = NULL, *it;
	enum seg_err e;
	size_t i;

	*tracks = NULL;
	*context = NULL;
	if (!uri_parse(what, "track", kind, id)) {
		char *q = api_escape(what);

		if (!q)
			return seg_fail(SEG_ENOMEM, "out of memory");
		snprintf(path, sizeof path, "/v1/search?type=track&limit=50&q=%s", q);
		free(q);
		if ((e = api_get(seg_api(s), path, &one)))
			return e;
		items = json_incref(json_object_get(json_object_get(one, "tracks"), "items"));
		json_decref(one);
		if (!json_array_size(items)) {
			json_decref(items);
			return seg_fail(SEG_ENOTFOUND, "nothing found for \"%s\"", what);
		}
		if (asprintf(context, "segue:search:%s", what) < 0)
			*context = NULL;
		*tracks = items;
		return SEG_OK;
	}
	if (!strcmp(kind, "track")) {
		snprintf(path, sizeof path, "/v1/tracks/%s", id);
		if ((e = api_get(seg_api(s), path, &one)))
			return e;
		*tracks = json_pack("[o]", one);
		return SEG_OK;
	}
	if (!strcmp(kind, "album")) {
		e = album_tracks(s, id, &items);
	} else if (!strcmp(kind, "playlist")) {
		snprintf(path, sizeof path, "/v1/playlists/%s/tracks?limit=100", id);
		if (!(e = fetch_all(s, path, CONTEXT_TRACKS_MAX, &one))) {
			/* Playlist items wrap the track; a removed track is null. */
			items = json_array();
			json_array_foreach(one, i, it)
				if (json_is_object(json_object_get(it, "track")))
					json_array_append(items, json_object_get(it, "track"));
			json_decref(one);
		}
	} else if (!strcmp(kind, "artist")) {
		snprintf(path, sizeof path, "/v1/artists/%s/top-tracks", id);
		if (!(e = api_get(seg_api(s), path, &one))) {
			items = json_incref(json_object_get(one, "tracks"));
			json_decref(one);
		}
	} else {
		return seg_fail(SEG_EUSAGE, "cannot play a %s", kind);
	}
	if (e)
		return e;
	if (!json_array_size(items)) {
		json_decref(items);
		return seg_fail(SEG_ENOTFOUND, "%s has no tracks to play", what);
	}
	if (asprintf(context, "segue:%s:%s", kind, id) < 0)
		*context = NULL;
	*tracks = items;
	return SEG_OK;
}

enum seg_err resolve_uris(struct seg *s, json_t *uris, json_t **tracks)
{
	char path[64 + 50 * 23], id[32], kind[16];
	json_t *out = json_array(), *page = NULL, *v;
	size_t i, n = json_array_size(uris);
	enum seg_err e = SEG_OK;

	*tracks = NULL;
	/* GET /v1/tracks takes 50 ids at a time. */
	for (size_t from = 0; from < n; from += 50) {
		int len = snprintf(path, sizeof path, "/v1/tracks?ids=");

		for (i = from; i < n && i < from + 50; i++) {
			if (!uri_parse(json_string_value(json_array_get(uris, i)), "track", kind, id) ||
			    strcmp(kind, "track")) {
				e = seg_fail(SEG_EUSAGE, "not a track URI: %s", json_string_value(json_array_get(uris, i)) ?: "?");
				goto out;
			}
			len += snprintf(path + len, sizeof path - (size_t)len, "%s%s", i > from ? "," : "", id);
		}
		if ((e = api_get(seg_api(s), path, &page)))
			goto out;
		json_array_foreach(json_object_get(page, "tracks"), i, v)
			if (json_is_object(v))
				json_array_append(out, v);
		json_decref(page);
		page = NULL;
	}
	if (!json_array_size(out)) {
		e = seg_fail(SEG_ENOTFOUND, "none of those tracks exists");
		goto out;
	}
	*tracks = out;
	out = NULL;
out:
	json_decref(out);
	return e;
}
