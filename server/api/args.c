/* Request helpers for the handlers. See api/args.h. */
#include "config.h"
#include "api/args.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base62.h"
#include "buf.h"
#include "http/urlenc.h"
#include "server.h"

const char *api_market(struct req *r, bool *bad)
{
	const char *m = req_arg(r, "market");

	*bad = false;
	if (!m || !*m)
		return NULL;
	if (!strcmp(m, "from_token"))
		return r->user.country;
	if (strlen(m) != 2 || m[0] < 'A' || m[0] > 'Z' || m[1] < 'A' || m[1] > 'Z') {
		reply_error(r, 400, "invalid market code \"%.16s\": use an ISO 3166-1 alpha-2 code or from_token", m);
		*bad = true;
		return NULL;
	}
	return m;
}

int api_int_arg(struct req *r, const char *name, int def, int min, int max, int *out)
{
	const char *v = req_arg(r, name);
	char *end;
	long n;

	if (!v) {
		*out = def;
		return 0;
	}
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || !*v || *end || n < min || n > max) {
		reply_error(r, 400, "invalid %s: expected a whole number from %d to %d", name, min, max);
		return -1;
	}
	*out = (int)n;
	return 0;
}

void api_free_ids(char **ids, int n)
{
	for (int i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
}

/* Takes one id into ids[*n]; replies 400 and returns -1 when it is not one. */
static int take_id(struct req *r, const char *v, size_t len, const char *where, char **ids, int *n)
{
	char *id = strndup(v, len);

	if (!id || !base62_is_id(id)) {
		reply_error(r, 400, "invalid id \"%.40s\"%s", id ? id : "", where);
		free(id);
		return -1;
	}
	ids[(*n)++] = id;
	return 0;
}

/* The comma-separated ?ids= value v. */
static int ids_query(struct req *r, const char *v, int max, char ***out, int *n)
{
	char **ids;
	int count = 1;

	if (!*v) {
		reply_error(r, 400, "the ids parameter is empty");
		return -1;
	}
	for (const char *p = v; *p; p++)
		if (*p == ',')
			count++;
	if (count > max) {
		reply_error(r, 400, "too many ids: at most %d per request", max);
		return -1;
	}
	if (!(ids = calloc((size_t)count, sizeof *ids))) {
		reply_error(r, 500, "out of memory");
		return -1;
	}
	*n = 0;
	for (const char *p = v;; ) {
		const char *c = strchrnul(p, ',');

		if (take_id(r, p, (size_t)(c - p), "", ids, n) < 0) {
			api_free_ids(ids, *n);
			return -1;
		}
		if (!*c)
			break;
		p = c + 1;
	}
	*out = ids;
	return 0;
}

/* A JSON body of ids: {"ids": [...]} as the reference writes it, or the bare array that
 * official SDKs send for PUT and DELETE of the library and following. */
static int ids_body(struct req *r, int max, char ***out, int *n)
{
	json_t *body = req_json_value(r), *arr, *v;
	char **ids = NULL;
	char where[32];
	size_t i;
	int rc = -1;

	if (!body)
		return -1;
	arr = json_is_array(body) ? body : json_object_get(body, "ids");
	if (!json_is_array(arr) || !json_array_size(arr)) {
		reply_error(r, 400, "ids are required: ?ids=, a JSON body {\"ids\": [...]} or a JSON array of ids");
		goto out;
	}
	if (json_array_size(arr) > (size_t)max) {
		reply_error(r, 400, "too many ids: at most %d per request", max);
		goto out;
	}
	if (!(ids = calloc(json_array_size(arr), sizeof *ids))) {
		reply_error(r, 500, "out of memory");
		goto out;
	}
	*n = 0;
	json_array_foreach(arr, i, v) {
		snprintf(where, sizeof where, " at ids[%zu]", i);
		if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v)) {
			reply_error(r, 400, "ids[%zu] is not a string", i);
			goto out;
		}
		if (take_id(r, json_string_value(v), json_string_length(v), where, ids, n) < 0)
			goto out;
	}
	*out = ids;
	ids = NULL;
	rc = 0;
out:
	if (ids)
		api_free_ids(ids, *n);
	json_decref(body);
	return rc;
}

int api_ids_arg(struct req *r, int max, char ***out, int *n)
{
	const char *v = req_arg(r, "ids");

	*n = 0;
	if (v)
		return ids_query(r, v, max, out, n);
	if (r->body.len)
		return ids_body(r, max, out, n);
	reply_error(r, 400, "the ids parameter is required");
	return -1;
}

bool api_check_id(struct req *r, const char *id, const char *kind)
{
	if (base62_is_id(id))
		return true;
	reply_error(r, 400, "invalid %s id \"%.40s\"", kind, id);
	return false;
}

json_t *api_paging(struct req *r, json_t *items, int limit, int offset, long long total)
{
	char base[512];
	struct buf link = BUF_INIT;
	json_t *page, *next = json_null(), *prev = json_null(), *href = NULL;

	req_base_url(r, base, sizeof base);
	/* The links keep every other parameter of the request. */
	for (int which = 0; which < 3; which++) {
		long long off = which == 0 ? offset : which == 1 ? offset + limit : offset - limit;

		if (which == 1 && off >= total)
			continue;
		if (which == 2 && offset == 0)
			continue;
		if (off < 0)
			off = 0;
		buf_reset(&link);
		buf_printf(&link, "%s%s?", base, r->path);
		for (int i = 0; i < r->nargs; i++) {
			if (!strcmp(r->args[i].name, "offset") || !strcmp(r->args[i].name, "limit"))
				continue;
			url_encode(&link, r->args[i].name);
			buf_puts(&link, "=");
			url_encode(&link, r->args[i].value);
			buf_puts(&link, "&");
		}
		buf_printf(&link, "offset=%lld&limit=%d", off, limit);
		if (which == 0)
			href = json_string(link.p);
		else if (which == 1)
			next = json_string(link.p);
		else
			prev = json_string(link.p);
	}
	page = json_pack("{s:o,s:o,s:i,s:o,s:i,s:o,s:I}", "href", href, "items", items, "limit", limit,
	                 "next", next, "offset", offset, "previous", prev, "total", (json_int_t)total);
	buf_free(&link);
	return page;
}

const struct catalog_view *api_view(struct req *r, struct api_view *out)
{
	req_base_url(r, out->base, sizeof out->base);
	out->v = (struct catalog_view){ &r->srv->store, out->base, r->srv->cfg.markets, r->srv->images_dir };
	return &out->v;
}

json_t *api_track(struct req *r, const char *id, const char *market)
{
	struct api_view v;

	return catalog_track(api_view(r, &v), id, market);
}

/* A list whole or not at all: after a database error the catalog hands back what it did
 * gather, which no answer of the API shows (it is a 500). */
static int whole(int rc, json_t **out, int n)
{
	if (rc < 0)
		for (int i = 0; i < n; i++) {
			json_decref(out[i]);
			out[i] = NULL;
		}
	return rc;
}

int api_tracks(struct req *r, const char *const *ids, int n, const char *market, json_t **out)
{
	struct api_view v;

	return whole(catalog_tracks(api_view(r, &v), ids, n, market, out), out, n);
}

int api_albums_simple(struct req *r, const char *const *ids, int n, const char *market, json_t **out)
{
	struct api_view v;

	return whole(catalog_albums_simple(api_view(r, &v), ids, n, market, out), out, n);
}

int api_artists(struct req *r, const char *const *ids, int n, json_t **out)
{
	struct api_view v;

	return whole(catalog_artists(api_view(r, &v), ids, n, out), out, n);
}

json_t *api_album(struct req *r, const char *id, const char *market)
{
	struct api_view v;

	return catalog_album(api_view(r, &v), id, market);
}

json_t *api_album_simple(struct req *r, const char *id, const char *market)
{
	struct api_view v;

	return catalog_album_simple(api_view(r, &v), id, market);
}

json_t *api_artist(struct req *r, const char *id)
{
	struct api_view v;

	return catalog_artist(api_view(r, &v), id);
}

bool api_exists(struct req *r, const char *kind, const char *id)
{
	enum catalog_kind k = !strcmp(kind, "track") ? CATALOG_TRACK :
	                      !strcmp(kind, "album") ? CATALOG_ALBUM : CATALOG_ARTIST;

	return store_catalog_exists(&r->srv->store, k, id) > 0;
}

bool api_available(struct req *r, const char *markets, const char *market)
{
	struct api_view v;

	return catalog_available(api_view(r, &v), markets, market);
}

void api_reply_one(struct req *r, const char *kind, api_render_fn render)
{
	const char *id = r->params[0];
	const char *market;
	bool bad;
	json_t *o;

	if (!api_check_id(r, id, kind))
		return;
	market = api_market(r, &bad);
	if (bad)
		return;
	if (!(o = render(r, id, market))) {
		reply_error(r, 404, "no %s with id %s", kind, id);
		return;
	}
	reply_json(r, 200, o);
}

void api_reply_several(struct req *r, const char *key, int max, api_render_list_fn render)
{
	json_t *objs[API_SEVERAL_MAX], *list;
	const char *market;
	char **ids;
	int n, rc;
	bool bad;

	if (max > API_SEVERAL_MAX)
		max = API_SEVERAL_MAX;
	market = api_market(r, &bad);
	if (bad || api_ids_arg(r, max, &ids, &n) < 0)
		return;
	rc = render(r, (const char *const *)ids, n, market, objs);
	api_free_ids(ids, n);
	if (rc < 0) {
		reply_error(r, 500, "the catalog could not be read");
		return;
	}
	list = json_array();
	for (int i = 0; i < n; i++)
		json_array_append_new(list, objs[i] ? objs[i] : json_null());
	reply_json(r, 200, json_pack("{s:o}", key, list));
}

/* The part of uri after its scheme, when the scheme is one of ours; an old user-scoped
 * playlist URI (user:NAME:playlist:ID) is read as the playlist's own. NULL otherwise. */
static const char *uri_rest(const char *uri)
{
	const char *rest, *pl;

	if (!strncmp(uri, "segue:", 6))
		rest = uri + 6;
	else if (!strncmp(uri, "spotify:", 8))
		rest = uri + 8;
	else
		return NULL;
	if (!strncmp(rest, "user:", 5) && (pl = strstr(rest + 5, ":playlist:")))
		rest = pl + 1;
	return rest;
}

const char *api_uri_id(const char *uri, const char *kind)
{
	const char *rest = uri ? uri_rest(uri) : NULL;
	size_t len = strlen(kind);

	if (!rest || strncmp(rest, kind, len) || rest[len] != ':' || !base62_is_id(rest + len + 1))
		return NULL;
	return rest + len + 1;
}

bool api_uri_canon(const char *uri, char *out, size_t size)
{
	const char *rest = uri_rest(uri);
	int n = rest ? snprintf(out, size, "segue:%s", rest) : snprintf(out, size, "%s", uri);

	return n >= 0 && (size_t)n < size;
}

void api_uri_canon_member(json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));
	char buf[API_URI_MAX];

	/* One too long to rewrite is left for the caller's own check to refuse. */
	if (v && !strncmp(v, "spotify:", 8) && api_uri_canon(v, buf, sizeof buf))
		json_object_set_new(o, key, json_string(buf));
}
