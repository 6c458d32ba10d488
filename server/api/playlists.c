/* Playlists over HTTP, in the Web API's shapes: create, read, change details, list, and
 * edit items (add at a position, remove by URI and position, reorder, replace). Every change
 * answers with the new snapshot_id. A change that names positions and an older snapshot_id
 * is refused with 409 rather than applied to items that have moved since. */
#include "config.h"
#include "api/handlers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base62.h"
#include "catalog/catalog.h"
#include "connect/hub.h"
#include "library/playlists.h"
#include "log.h"
#include "server.h"
#include "store/catalog.h"
#include "store/playlists.h"
#include "accounts/users.h"

#define URIS_MAX 100
#define PAGE_MAX 100 /* items in one page */
#define LIST_MAX 50  /* playlists in one page */

static json_t *user_object(struct req *r, const char *id)
{
	struct user u;
	char base[512];

	req_base_url(r, base, sizeof base);
	if (user_get(&r->srv->store, id, &u) != USER_OK)
		snprintf(u.display_name, sizeof u.display_name, "%s", id);
	return json_pack("{s:s,s:{},s:o,s:s,s:s,s:o}", "display_name", u.display_name, "external_urls",
	                 "href", json_sprintf("%s/v1/users/%s", base, id), "id", id, "type", "user",
	                 "uri", json_sprintf("segue:user:%s", id));
}

/* A database error counts no followers, as it always has (the store logs it). */
static long long followers(struct req *r, const char *id)
{
	long long n = store_playlist_followers(&r->srv->store, id);

	return n < 0 ? 0 : n;
}

/* Items [offset, offset + limit), limit at most PAGE_MAX: a range scan on the dense
 * positions, so the cost of a page does not grow with the playlist's length. NULL after a
 * database error (the store logs it). */
static json_t *items_page(struct req *r, const struct playlist *p, int limit, int offset,
                          const char *market)
{
	struct pl_item page[PAGE_MAX];
	long long n = store_playlist_items(&r->srv->store, p->id, offset, page,
	                                   limit < PAGE_MAX ? limit : PAGE_MAX);
	json_t *items, *tracks[PAGE_MAX], *by = NULL;
	const char *ids[PAGE_MAX], *by_id = NULL;

	if (n < 0)
		return NULL;
	for (long long i = 0; i < n; i++)
		ids[i] = page[i].track;
	if (n > 0 && api_tracks(r, ids, (int)n, market, tracks) < 0)
		return NULL;
	items = json_array();
	for (long long i = 0; i < n; i++) {
		/* Items run in long stretches added by one user: look each up once. */
		if (!by_id || strcmp(by_id, page[i].added_by)) {
			json_decref(by);
			by = user_object(r, page[i].added_by);
			by_id = page[i].added_by;
		}
		json_array_append_new(items, json_pack("{s:o,s:o,s:b,s:o}",
		                      "added_at", catalog_time(page[i].added_at, false),
		                      "added_by", json_incref(by), "is_local", 0,
		                      "track", tracks[i] ? tracks[i] : json_null()));
	}
	json_decref(by);
	return items;
}

/* NULL when the full object's first page of items could not be read. */
static json_t *playlist_object(struct req *r, const struct playlist *p, bool full, const char *market)
{
	char base[512], snap[SNAPSHOT_MAX];
	json_t *o, *tracks, *page;

	req_base_url(r, base, sizeof base);
	playlist_snapshot(p, p->version, snap);
	if (full) {
		char *saved = strdup(r->path);

		/* The embedded page's links are those of the items endpoint. */
		snprintf(r->path, sizeof r->path, "/v1/playlists/%s/tracks", p->id);
		page = items_page(r, p, 100, 0, market);
		tracks = page ? api_paging(r, page, 100, 0, p->length) : NULL;
		snprintf(r->path, sizeof r->path, "%s", saved ? saved : "");
		free(saved);
		if (!tracks)
			return NULL;
	} else {
		tracks = json_pack("{s:o,s:I}", "href", json_sprintf("%s/v1/playlists/%s/tracks", base, p->id),
		                   "total", (json_int_t)p->length);
	}
	o = json_pack("{s:b,s:s,s:{},s:{s:n,s:I},s:o,s:s,s:[],s:s,s:o,s:b,s:s,s:o,s:s,s:o}",
	              "collaborative", p->collaborative, "description", p->description, "external_urls",
	              "followers", "href", "total", (json_int_t)followers(r, p->id),
	              "href", json_sprintf("%s/v1/playlists/%s", base, p->id), "id", p->id, "images",
	              "name", p->name, "owner", user_object(r, p->owner), "public", p->public_,
	              "snapshot_id", snap, "tracks", tracks, "type", "playlist",
	              "uri", json_sprintf("segue:playlist:%s", p->id));
	if (o)
		json_object_set_new(o, "images", api_playlist_images(r, p->id));
	return o;
}

/* A full playlist object's answer: 500 when its items could not be read (or out of memory). */
static void reply_playlist(struct req *r, int status, json_t *o)
{
	if (o)
		reply_json(r, status, o);
	else
		reply_error(r, 500, "the playlist's items could not be read");
}

json_t *api_playlist_simple(struct req *r, const char *id)
{
	struct playlist p;

	return playlist_load(&r->srv->store, id, &p) == 0 ? playlist_object(r, &p, false, NULL) : NULL;
}

/* A change waited for the write lock while another (on another server sharing the database)
 * changed the playlist: what it was worked out from is gone. */
static void reply_changed(struct req *r)
{
	reply_error(r, 409, "the playlist changed while this change waited for it; fetch it and try again");
}

/* Loads the playlist named in the path for the current user, or replies 400/403/404. */
static bool load_for(struct req *r, struct playlist *p, enum pl_access need)
{
	const char *id = r->params[0];
	enum pl_access have;
	int rc;

	if (!api_check_id(r, id, "playlist"))
		return false;
	rc = playlist_load(&r->srv->store, id, p);
	if (rc < 0) {
		reply_error(r, 500, "database error");
		return false;
	}
	have = rc ? PL_NONE : playlist_access(&r->srv->store, p, r->user.id);
	if (have == PL_NONE) {
		/* A private playlist of someone else's is indistinguishable from none at all. */
		reply_error(r, 404, "no playlist with id %s", id);
		return false;
	}
	if (need == PL_WRITE && have != PL_WRITE) {
		reply_error(r, 403, "only the owner%s can change this playlist",
		            p->collaborative ? " and its collaborators" : "");
		return false;
	}
	return true;
}

static bool text_ok(struct req *r, json_t *v, const char *name, size_t max_chars, bool allow_empty)
{
	const char *s = json_string_value(v);
	size_t chars = 0;

	if (!s) {
		reply_error(r, 400, "%s must be a string", name);
		return false;
	}
	for (const char *c = s; *c; c++)
		chars += ((unsigned char)*c & 0xc0) != 0x80;
	if ((!allow_empty && !chars) || chars > max_chars) {
		reply_error(r, 400, "%s must have %s to %zu characters", name, allow_empty ? "0" : "1", max_chars);
		return false;
	}
	return true;
}

/* Reads name, description, public and collaborative from body into p, checking each. A new
 * playlist must have a name; a change must name something. Replies and returns false when
 * the body is not acceptable. */
static bool read_details(struct req *r, json_t *body, struct playlist *p, bool creating)
{
	json_t *name = json_object_get(body, "name"), *desc = json_object_get(body, "description");
	json_t *pub = json_object_get(body, "public"), *collab = json_object_get(body, "collaborative");

	if (!creating && !name && !desc && !pub && !collab) {
		reply_error(r, 400, "nothing to change: give name, description, public or collaborative");
		return false;
	}
	if (((creating || name) && !text_ok(r, name, "name", PLAYLIST_NAME_MAX, false)) ||
	    (desc && !text_ok(r, desc, "description", PLAYLIST_DESC_MAX, true)))
		return false;
	if ((pub && !json_is_boolean(pub)) || (collab && !json_is_boolean(collab))) {
		reply_error(r, 400, "public and collaborative must be true or false");
		return false;
	}
	if (name)
		snprintf(p->name, sizeof p->name, "%s", json_string_value(name));
	if (desc)
		snprintf(p->description, sizeof p->description, "%s", json_string_value(desc));
	if (collab)
		p->collaborative = json_is_true(collab);
	/* A new playlist is public unless it is collaborative, as in the Web API. */
	if (pub)
		p->public_ = json_is_true(pub);
	else if (creating)
		p->public_ = !p->collaborative;
	if (p->collaborative && p->public_) {
		reply_error(r, 400, "a collaborative playlist cannot be public");
		return false;
	}
	return true;
}

/* A playlist of the requesting user's from the body's details. */
static void create(struct req *r)
{
	struct store *s = &r->srv->store;
	struct playlist p;
	json_t *body;

	if (!(body = req_json_body(r, false)))
		return;
	memset(&p, 0, sizeof p);
	if (!read_details(r, body, &p, true))
		goto out;
	base62_id_random(p.id);
	snprintf(p.owner, sizeof p.owner, "%s", r->user.id);
	p.version = 1;
	if (store_playlist_insert(s, &p, store_now_ms()) < 0) {
		reply_error(r, 500, "the playlist could not be stored");
		goto out;
	}
	reply_playlist(r, 201, playlist_object(r, &p, true, NULL));
out:
	json_decref(body);
}

void h_playlist_create(struct req *r)
{
	if (strcasecmp(r->params[0], r->user.id) != 0) {
		reply_error(r, 403, "you can only create playlists for yourself");
		return;
	}
	create(r);
}

/* POST /v1/me/playlists: the same, as client libraries call it. */
void h_my_playlist_create(struct req *r)
{
	create(r);
}

void h_playlist(struct req *r)
{
	struct playlist p;
	const char *market;
	bool bad;

	market = api_market(r, &bad);
	if (bad || !load_for(r, &p, PL_READ))
		return;
	reply_playlist(r, 200, playlist_object(r, &p, true, market));
}

/* Tells the hub's sessions about a committed change (doc/connect.md, Live playlists). */
static void announce(struct req *r, const struct playlist *p, json_t *change)
{
	char snap[SNAPSHOT_MAX];

	playlist_snapshot(p, p->version, snap);
	hub_playlist_changed(r->srv->hub, p->id, snap, change);
}

void h_playlist_details(struct req *r)
{
	struct store *s = &r->srv->store;
	struct playlist p;
	json_t *body;
	int same;

	if (!load_for(r, &p, PL_WRITE))
		return;
	if (strcasecmp(p.owner, r->user.id) != 0) {
		reply_error(r, 403, "only the owner can change a playlist's details");
		return;
	}
	if (!(body = req_json_body(r, false)))
		return;
	if (!read_details(r, body, &p, false))
		goto out;
	if (store_begin(s) < 0)
		goto fail;
	if ((same = playlist_unchanged(s, &p)) < 0)
		goto fail_tx;
	if (!same) {
		store_rollback(s);
		reply_changed(r);
		goto out;
	}
	if (store_playlist_set_details(s, &p) < 0 || playlist_touch(s, &p) < 0 || store_commit(s) < 0)
		goto fail_tx;
	reply_empty(r, 200);
	announce(r, &p, json_pack("{s:s}", "kind", "details"));
	goto out;
fail_tx:
	store_rollback(s);
fail:
	reply_error(r, 500, "the playlist could not be changed");
out:
	json_decref(body);
}

/* Lists playlists: the owner's and those they follow (for oneself), or another user's
 * public ones. */
static void list_playlists(struct req *r, const char *user, bool self)
{
	struct store *s = &r->srv->store;
	char ids[LIST_MAX][BASE62_ID_LEN + 1];
	int limit, offset, n;
	long long total;
	json_t *items;

	if (api_int_arg(r, "limit", 20, 1, LIST_MAX, &limit) < 0 ||
	    api_int_arg(r, "offset", 0, 0, 100000, &offset) < 0)
		return;
	/* A database error lists nothing, as it always has (the store logs it). */
	if ((total = store_playlists_count(s, user, self)) < 0)
		total = 0;
	n = store_playlists_page(s, user, self, offset, ids, limit);
	items = json_array();
	for (int i = 0; i < n; i++) {
		struct playlist p;

		if (playlist_load(s, ids[i], &p) == 0)
			json_array_append_new(items, playlist_object(r, &p, false, NULL));
	}
	reply_json(r, 200, api_paging(r, items, limit, offset, total));
}

void h_my_playlists(struct req *r)
{
	mfy_refresh(r);
	list_playlists(r, r->user.id, true);
}

void h_user_playlists(struct req *r)
{
	struct user u;

	if (user_get(&r->srv->store, r->params[0], &u) != USER_OK) {
		reply_error(r, 404, "no user named %.64s", r->params[0]);
		return;
	}
	list_playlists(r, u.id, !strcasecmp(u.id, r->user.id));
}

/* Every track of ids in the catalog, asked in one statement, or 400 naming the first that
 * is not (500 on a database error). */
static int tracks_exist(struct req *r, char ids[][BASE62_ID_LEN + 1], int n)
{
	const char *names[URIS_MAX];
	long long ms[URIS_MAX];

	for (int i = 0; i < n; i++)
		names[i] = ids[i];
	if (n && store_track_durations(&r->srv->store, names, n, ms) < 0) {
		reply_error(r, 500, "database error");
		return -1;
	}
	for (int i = 0; i < n; i++)
		if (ms[i] < 0) {
			reply_error(r, 400, "uris[%d]: no track with id %s", i, ids[i]);
			return -1;
		}
	return 0;
}

/* Track ids from "uris" (a JSON array, or ?uris= comma-separated): each must be a track URI
 * of a track in the catalog. Replies and returns -1 otherwise. */
static int uris_arg(struct req *r, json_t *body, char ids[][BASE62_ID_LEN + 1], int *n)
{
	json_t *arr = body ? json_object_get(body, "uris") : NULL;
	const char *q = req_arg(r, "uris");
	char one[128];
	int count = 0;

	*n = 0;
	if (arr && !json_is_array(arr)) {
		reply_error(r, 400, "uris must be an array");
		return -1;
	}
	if (!arr && !q) {
		reply_error(r, 400, "uris is required");
		return -1;
	}
	count = arr ? (int)json_array_size(arr) : 1;
	if (!arr)
		for (const char *c = q; *c; c++)
			count += *c == ',';
	if (count > URIS_MAX) {
		reply_error(r, 400, "too many uris: at most %d per request", URIS_MAX);
		return -1;
	}
	for (int i = 0; i < count; i++) {
		const char *u;

		if (arr) {
			u = json_string_value(json_array_get(arr, (size_t)i));
		} else {
			const char *start = q;
			for (int k = 0; k < i; k++)
				start = strchr(start, ',') + 1;
			size_t len = strcspn(start, ",");
			if (len >= sizeof one)
				len = sizeof one - 1;
			memcpy(one, start, len);
			one[len] = '\0';
			u = one;
		}
		const char *id = u ? api_uri_id(u, "track") : NULL;

		if (!id) {
			reply_error(r, 400, "uris[%d] is not a track URI (segue:track:ID or spotify:track:ID)", i);
			return -1;
		}
		snprintf(ids[(*n)++], BASE62_ID_LEN + 1, "%s", id);
	}
	return tracks_exist(r, ids, *n);
}

static void reply_snapshot(struct req *r, int status, const struct playlist *p)
{
	char snap[SNAPSHOT_MAX];

	playlist_snapshot(p, p->version, snap);
	reply_json(r, status, json_pack("{s:s}", "snapshot_id", snap));
}

/* A snapshot_id given with a positional change must be the current one. Returns false after
 * replying when it is not. */
static bool snapshot_current(struct req *r, const struct playlist *p, json_t *body)
{
	json_t *v = body ? json_object_get(body, "snapshot_id") : NULL;
	long long version;
	char now[SNAPSHOT_MAX];

	if (!v)
		return true;
	version = playlist_snapshot_version(p, json_string_value(v));
	if (version < 0) {
		reply_error(r, 400, "snapshot_id is not a snapshot of this playlist");
		return false;
	}
	if (version != p->version) {
		playlist_snapshot(p, p->version, now);
		reply_error(r, 409, "the playlist has changed since snapshot %s (it is at %s): "
		            "positions from the old snapshot may name other tracks now; fetch it again",
		            json_string_value(v), now);
		return false;
	}
	return true;
}

/* Runs one item change in a transaction: loads items from `from`, lets edit() build the new
 * tail, rewrites it. With to >= 0 the change keeps to items [from, to) (a move): only those
 * are read and written, in place, and edit() must give back as many. */
typedef int (*edit_fn)(struct req *r, struct playlist *p, struct pl_item *old, long long n_old,
                       struct pl_item **out, long long *n_out, void *arg);

static void apply(struct req *r, struct playlist *p, const char *op, long long from, long long to,
                  edit_fn edit, void *arg, int ok)
{
	struct store *s = &r->srv->store;
	struct pl_item *old = NULL, *fresh = NULL;
	long long n_old = 0, n_new = 0;
	int same;

	if (store_begin(s) < 0)
		goto fail;
	if ((same = playlist_unchanged(s, p)) < 0)
		goto fail_tx;
	if (!same) {
		store_rollback(s);
		reply_changed(r);
		goto out;
	}
	if (playlist_items_range(s, p, from, to >= 0 ? to : p->length, &old, &n_old) < 0)
		goto fail_tx;
	if (edit(r, p, old, n_old, &fresh, &n_new, arg) < 0) {
		store_rollback(s); /* edit() replied */
		goto out;
	}
	if (from + n_new > PLAYLIST_MAX_ITEMS) {
		store_rollback(s);
		reply_error(r, 400, "a playlist holds at most %d tracks", PLAYLIST_MAX_ITEMS);
		goto out;
	}
	if (to >= 0 && n_new != to - from) {
		log_err("playlist %s: a %s of %lld items gave %lld", p->id, op, to - from, n_new);
		goto fail_tx;
	}
	if ((to >= 0 ? playlist_items_overwrite(s, r->srv->images_dir, p, from, fresh, n_new) :
	               playlist_items_rewrite(s, r->srv->images_dir, p, from, fresh, n_new)) < 0 ||
	    store_commit(s) < 0)
		goto fail_tx;
	reply_snapshot(r, ok, p);
	announce(r, p, json_pack("{s:s,s:s,s:I,s:I}", "kind", "items", "op", op, "from", (json_int_t)from,
	                         "length", (json_int_t)p->length));
	goto out;
fail_tx:
	store_rollback(s);
fail:
	reply_error(r, 500, "the playlist could not be changed");
out:
	free(old);
	free(fresh);
}

struct add_args {
	char (*ids)[BASE62_ID_LEN + 1];
	int n;
};

static int edit_insert(struct req *r, struct playlist *p, struct pl_item *old, long long n_old,
                       struct pl_item **out, long long *n_out, void *arg)
{
	struct add_args *a = arg;
	long long now = store_now_ms();
	struct pl_item *v = calloc((size_t)(n_old + a->n + 1), sizeof *v);

	(void)p;
	if (!v) {
		reply_error(r, 500, "out of memory");
		return -1;
	}
	for (int i = 0; i < a->n; i++) {
		snprintf(v[i].track, sizeof v[i].track, "%s", a->ids[i]);
		v[i].added_at = now;
		snprintf(v[i].added_by, sizeof v[i].added_by, "%s", r->user.id);
	}
	if (n_old)
		memcpy(v + a->n, old, (size_t)n_old * sizeof *v);
	*out = v;
	*n_out = n_old + a->n;
	return 0;
}

static void add_items(struct req *r, struct playlist *p, json_t *body)
{
	char ids[URIS_MAX][BASE62_ID_LEN + 1];
	struct add_args a = { ids, 0 };
	json_t *pos = body ? json_object_get(body, "position") : NULL;
	long long at = p->length;
	const char *q = req_arg(r, "position");

	if (uris_arg(r, body, ids, &a.n) < 0)
		return;
	if (pos || q) {
		char *end;

		at = pos ? (json_is_integer(pos) ? json_integer_value(pos) : -1) : strtoll(q, &end, 10);
		if (at < 0 || at > p->length || (!pos && *end)) {
			reply_error(r, 400, "position must be from 0 to %lld (the playlist's length)", p->length);
			return;
		}
	}
	apply(r, p, "add", at, -1, edit_insert, &a, 201);
}

static int edit_replace(struct req *r, struct playlist *p, struct pl_item *old, long long n_old,
                        struct pl_item **out, long long *n_out, void *arg)
{
	(void)old;
	(void)n_old;
	return edit_insert(r, p, NULL, 0, out, n_out, arg);
}

struct move_args {
	long long start, length, before;
};

static int edit_move(struct req *r, struct playlist *p, struct pl_item *old, long long n_old,
                     struct pl_item **out, long long *n_out, void *arg)
{
	struct move_args *m = arg;
	long long lo = m->start < m->before ? m->start : m->before; /* == the load offset */
	long long s = m->start - lo, b = m->before - lo, k = 0;
	struct pl_item *v = calloc((size_t)n_old + 1, sizeof *v);

	(void)p;
	if (!v) {
		reply_error(r, 500, "out of memory");
		return -1;
	}
	/* Everything but the range, with the range dropped in before `b`. */
	for (long long i = 0; i <= n_old; i++) {
		if (i == b)
			for (long long j = 0; j < m->length; j++)
				v[k++] = old[s + j];
		if (i < n_old && (i < s || i >= s + m->length))
			v[k++] = old[i];
	}
	*out = v;
	*n_out = k;
	return 0;
}

static int int_field(struct req *r, json_t *body, const char *name, bool required, long long def,
                     long long *out)
{
	json_t *v = json_object_get(body, name);

	if (!v) {
		if (required) {
			reply_error(r, 400, "%s is required", name);
			return -1;
		}
		*out = def;
		return 0;
	}
	if (!json_is_integer(v)) {
		reply_error(r, 400, "%s must be a whole number", name);
		return -1;
	}
	*out = json_integer_value(v);
	return 0;
}

static void reorder_or_replace(struct req *r, struct playlist *p, json_t *body)
{
	struct move_args m;

	if ((body && json_object_get(body, "uris")) || req_arg(r, "uris")) {
		char ids[URIS_MAX][BASE62_ID_LEN + 1];
		struct add_args a = { ids, 0 };

		if (uris_arg(r, body, ids, &a.n) < 0)
			return;
		apply(r, p, "replace", 0, -1, edit_replace, &a, 200);
		return;
	}
	if (!body) {
		reply_error(r, 400, "give uris to replace the items, or range_start and insert_before to reorder them");
		return;
	}
	if (int_field(r, body, "range_start", true, 0, &m.start) < 0 ||
	    int_field(r, body, "insert_before", true, 0, &m.before) < 0 ||
	    int_field(r, body, "range_length", false, 1, &m.length) < 0)
		return;
	if (m.start < 0 || m.length < 1 || m.start + m.length > p->length) {
		reply_error(r, 400, "range_start and range_length must lie within the playlist (%lld items)", p->length);
		return;
	}
	if (m.before < 0 || m.before > p->length) {
		reply_error(r, 400, "insert_before must be from 0 to %lld", p->length);
		return;
	}
	if (!snapshot_current(r, p, body))
		return;
	/* Only the items between the range and where it goes move. */
	apply(r, p, "move", m.start < m.before ? m.start : m.before,
	      m.start + m.length > m.before ? m.start + m.length : m.before, edit_move, &m, 200);
}

struct remove_args {
	json_t *tracks;
};

static int edit_remove(struct req *r, struct playlist *p, struct pl_item *old, long long n_old,
                       struct pl_item **out, long long *n_out, void *arg)
{
	struct remove_args *a = arg;
	unsigned char *gone = calloc((size_t)n_old + 1, 1);
	struct pl_item *v = calloc((size_t)n_old + 1, sizeof *v);
	json_t *t;
	size_t i;
	long long k = 0;

	(void)p;
	if (!gone || !v) {
		free(gone);
		free(v);
		reply_error(r, 500, "out of memory");
		return -1;
	}
	json_array_foreach(a->tracks, i, t) {
		const char *id = api_uri_id(json_string_value(json_object_get(t, "uri")), "track");
		json_t *positions = json_object_get(t, "positions"), *pv;
		size_t j;

		if (!positions) {
			for (long long x = 0; x < n_old; x++)
				if (!strcmp(old[x].track, id))
					gone[x] = 1;
			continue;
		}
		json_array_foreach(positions, j, pv) {
			long long x = json_integer_value(pv);

			if (x < 0 || x >= n_old || strcmp(old[x].track, id)) {
				reply_error(r, 400, "tracks[%zu]: position %lld does not hold %s", i, x,
				            json_string_value(json_object_get(t, "uri")));
				free(gone);
				free(v);
				return -1;
			}
			gone[x] = 1;
		}
	}
	for (long long x = 0; x < n_old; x++)
		if (!gone[x])
			v[k++] = old[x];
	free(gone);
	*out = v;
	*n_out = k;
	return 0;
}

static void remove_items(struct req *r, struct playlist *p, json_t *body)
{
	/* "items" is the name the reference gives it at /items, "tracks" at /tracks; either is
	 * taken at both. */
	json_t *tracks = body ? json_object_get(body, "items") : NULL, *t;
	bool positional = false;
	size_t i;

	if (!tracks && body)
		tracks = json_object_get(body, "tracks");
	if (!json_is_array(tracks) || !json_array_size(tracks)) {
		reply_error(r, 400, "tracks (or items) must be a non-empty array of {\"uri\": ..., \"positions\": [...]}");
		return;
	}
	if (json_array_size(tracks) > URIS_MAX) {
		reply_error(r, 400, "too many tracks: at most %d per request", URIS_MAX);
		return;
	}
	json_array_foreach(tracks, i, t) {
		const char *u = json_string_value(json_object_get(t, "uri"));
		json_t *pos = json_object_get(t, "positions"), *pv;
		size_t j;

		if (!api_uri_id(u, "track")) {
			reply_error(r, 400, "tracks[%zu].uri is not a track URI", i);
			return;
		}
		if (pos && (!json_is_array(pos) || !json_array_size(pos))) {
			reply_error(r, 400, "tracks[%zu].positions must be a non-empty array", i);
			return;
		}
		json_array_foreach(pos, j, pv)
			if (!json_is_integer(pv)) {
				reply_error(r, 400, "tracks[%zu].positions must hold whole numbers", i);
				return;
			}
		positional |= pos != NULL;
	}
	if (positional && !snapshot_current(r, p, body))
		return;
	struct remove_args a = { tracks };
	apply(r, p, "remove", 0, -1, edit_remove, &a, 200);
}

void h_playlist_tracks(struct req *r)
{
	struct playlist p;
	json_t *body = NULL;
	const char *market;
	int limit, offset;
	bool bad;

	if (r->method == M_GET || r->method == M_HEAD) {
		market = api_market(r, &bad);
		if (bad || api_int_arg(r, "limit", 100, 1, 100, &limit) < 0 ||
		    api_int_arg(r, "offset", 0, 0, PLAYLIST_MAX_ITEMS, &offset) < 0 || !load_for(r, &p, PL_READ))
			return;
		json_t *items = items_page(r, &p, limit, offset, market);

		if (!items)
			reply_error(r, 500, "the playlist's items could not be read");
		else
			reply_json(r, 200, api_paging(r, items, limit, offset, p.length));
		return;
	}
	if (!load_for(r, &p, PL_WRITE))
		return;
	if (r->body.len && !(body = req_json_body(r, false)))
		return;
	if (r->method == M_POST)
		add_items(r, &p, body);
	else if (r->method == M_PUT)
		reorder_or_replace(r, &p, body);
	else
		remove_items(r, &p, body);
	json_decref(body);
}

void h_playlist_followers(struct req *r)
{
	struct store *s = &r->srv->store;
	struct playlist p;
	const char *id = r->params[0];
	int rc;

	if (!api_check_id(r, id, "playlist"))
		return;
	rc = playlist_load(s, id, &p);
	/* The id of a collaborative playlist is its invitation: knowing it lets one follow it. */
	if (rc || (!p.public_ && !p.collaborative && strcasecmp(p.owner, r->user.id) &&
	           !playlist_follows(s, id, r->user.id))) {
		reply_error(r, rc < 0 ? 500 : 404, "no playlist with id %s", id);
		return;
	}
	if (r->method == M_DELETE && !strcasecmp(p.owner, r->user.id)) {
		/* The owner unfollowing is deleting, as the Web API has it. */
		rc = store_playlist_delete(s, id);
	} else if (r->method == M_DELETE) {
		rc = store_playlist_unfollow(s, id, r->user.id);
	} else if (!strcasecmp(p.owner, r->user.id)) {
		reply_empty(r, 200); /* owners always have their playlists */
		return;
	} else {
		rc = store_playlist_follow(s, id, r->user.id, store_now_ms());
	}
	if (rc < 0) {
		reply_error(r, 500, "database error");
		return;
	}
	reply_empty(r, 200);
}

/* The old user-scoped path, /v1/users/{owner}/playlists/{id}/followers/contains, which client
 * libraries still call: the playlist id names the playlist, whoever the path says owns it. */
void h_user_playlist_followers_contains(struct req *r)
{
	free(r->params[0]);
	r->params[0] = r->params[1];
	r->params[1] = NULL;
	r->nparams = 1;
	h_playlist_followers_contains(r);
}

void h_playlist_followers_contains(struct req *r)
{
	const char *ids = req_arg(r, "ids");
	struct playlist p;
	json_t *list;
	int commas = 0;

	if (!load_for(r, &p, PL_READ))
		return;
	if (!ids || !*ids) {
		reply_error(r, 400, "ids (user ids) is required");
		return;
	}
	for (const char *c = ids; *c; c++)
		commas += *c == ',';
	if (commas >= 5) {
		reply_error(r, 400, "at most 5 user ids");
		return;
	}
	list = json_array();
	for (const char *c = ids;;) {
		char user[USER_NAME_MAX + 1];
		size_t len = strcspn(c, ",");

		int follows;

		snprintf(user, sizeof user, "%.*s", (int)(len < sizeof user ? len : sizeof user - 1), c);
		follows = strcasecmp(user, p.owner) ? store_playlist_follows(&r->srv->store, p.id, user) : 1;
		if (follows < 0) {
			json_decref(list);
			reply_error(r, 500, "the playlist's followers could not be read");
			return;
		}
		json_array_append_new(list, json_boolean(follows));
		if (!c[len])
			break;
		c += len + 1;
	}
	reply_json(r, 200, list);
}
