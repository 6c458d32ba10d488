/* Playlists: getPlaylists, getPlaylist, createPlaylist, updatePlaylist, deletePlaylist. They
 * are the Web API's playlists (library/playlists.h), with its rules of who may read and
 * change one: the owner changes everything; the followers of a collaborative playlist change
 * its songs; anyone reads a public one. What a user may not read is not found (70); what a
 * user may read but not change is refused (50). A change is told to every Connect session
 * that can see the playlist, as a change through the Web API is. */
#include "config.h"
#include "subsonic/endpoints.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base62.h"
#include "catalog/catalog.h"
#include "connect/hub.h"
#include "library/playlist_edit.h"
#include "server.h"
#include "store/catalog.h"
#include "store/playlists.h"
#include "subsonic/objects.h"

#define SONGS_MAX 250   /* songs one call adds or removes (the call's parameters are 256) */
#define LISTED_MAX 1000 /* playlists getPlaylists lists */
#define LIST_PAGE 50

static json_t *playlist_object(struct sub_call *c, const struct playlist *p)
{
	struct playlist_summary sum = { 0, 0, 0 };

	if (store_playlist_summary(&c->r->srv->store, p->id, &sum) < 0)
		return NULL;
	return json_pack("{s:s,s:s,s:s,s:s,s:b,s:I,s:I,s:o,s:o}", "id", p->id, "name", p->name,
	                 "comment", p->description, "owner", p->owner, "public", p->public_,
	                 "songCount", (json_int_t)p->length, "duration", (json_int_t)sum.duration_s,
	                 "created", catalog_time(sum.created_at, true), "changed", catalog_time(sum.updated_at, true));
}

/* The playlist with its songs in order, or NULL on a database error. */
static json_t *with_songs(struct sub_call *c, const struct playlist *p)
{
	struct pl_item *items = NULL;
	json_t *o = playlist_object(c, p), *entry = json_array();
	long long n = 0;

	if (!o || !entry || playlist_items_load(&c->r->srv->store, p, 0, &items, &n) < 0) {
		json_decref(o);
		json_decref(entry);
		return NULL;
	}
	for (long long i = 0; i < n; i++) {
		json_t *song = sub_song(c, items[i].track);

		if (song)
			json_array_append_new(entry, song);
	}
	free(items);
	json_object_set_new(o, "entry", entry);
	return o;
}

/* Loads the playlist param names for the user, needing `need`; false after answering. */
static bool load_for(struct sub_call *c, const char *param, struct playlist *p, enum pl_access need)
{
	const char *id = sub_need(c, param);
	enum pl_access have = PL_NONE;
	int rc;

	if (!id)
		return false;
	rc = base62_is_id(id) ? playlist_load(&c->r->srv->store, id, p) : 1;
	if (rc < 0) {
		sub_error(c, SUB_ERR_GENERIC, "database error");
		return false;
	}
	if (rc == 0)
		have = playlist_access(&c->r->srv->store, p, c->r->user.id);
	if (have == PL_NONE) {
		/* Someone else's private playlist is no different from none at all. */
		sub_error(c, SUB_ERR_NOT_FOUND, "no playlist with id %s", sub_echo(id));
		return false;
	}
	if (need == PL_WRITE && have != PL_WRITE) {
		sub_error(c, SUB_ERR_FORBIDDEN, "only the owner%s can change this playlist",
		          p->collaborative ? " and its collaborators" : "");
		return false;
	}
	return true;
}

static bool owner_only(struct sub_call *c, const struct playlist *p, const char *what)
{
	if (!strcasecmp(p->owner, c->r->user.id))
		return true;
	sub_error(c, SUB_ERR_FORBIDDEN, "only the owner can %s a playlist", what);
	return false;
}

/* Song ids of param, each a song of the catalog, into ids; their count, or -1 after
 * answering. */
static int songs_arg(struct sub_call *c, const char *param, char (*ids)[BASE62_ID_LEN + 1])
{
	const char *got[SONGS_MAX + 1];
	int n = sub_args(c, param, got, SONGS_MAX + 1);

	if (n > SONGS_MAX) {
		sub_error(c, SUB_ERR_GENERIC, "too many %s: at most %d in one call", param, SONGS_MAX);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		int rc = base62_is_id(got[i]) ? store_track_exists(&c->r->srv->store, got[i]) : 0;

		if (rc <= 0) {
			if (rc < 0)
				sub_error(c, SUB_ERR_GENERIC, "database error");
			else
				sub_error(c, SUB_ERR_NOT_FOUND, "no song with id %s", sub_echo(got[i]));
			return -1;
		}
		snprintf(ids[i], BASE62_ID_LEN + 1, "%s", got[i]);
	}
	return n;
}

static bool text_ok(struct sub_call *c, const char *v, const char *name, size_t max_chars, bool allow_empty)
{
	size_t chars = 0;

	for (const char *s = v; *s; s++)
		chars += ((unsigned char)*s & 0xc0) != 0x80;
	if ((!allow_empty && !chars) || chars > max_chars) {
		sub_error(c, SUB_ERR_GENERIC, "%s must have %s to %zu characters", name, allow_empty ? "0" : "1",
		          max_chars);
		return false;
	}
	return true;
}

static void announce(struct sub_call *c, const struct playlist *p, json_t *change)
{
	char snap[SNAPSHOT_MAX];

	playlist_snapshot(p, p->version, snap);
	hub_playlist_changed(c->r->srv->hub, p->id, snap, change);
}

/* Inside the write transaction: whether p is still the playlist as loaded (see
 * playlist_unchanged); if not, the transaction is rolled back and the error answered. */
static bool unchanged(struct sub_call *c, const struct playlist *p)
{
	int rc = playlist_unchanged(&c->r->srv->store, p);

	if (rc == 1)
		return true;
	store_rollback(&c->r->srv->store);
	sub_error(c, SUB_ERR_GENERIC, rc < 0 ? "the playlist could not be stored" :
	          "the playlist changed while this change waited for it; fetch it and try again");
	return false;
}

void sub_get_playlists(struct sub_call *c)
{
	struct store *s = &c->r->srv->store;
	const char *who = sub_arg(c, "username");
	char ids[LIST_PAGE][BASE62_ID_LEN + 1];
	json_t *list = json_array();

	/* Another user's playlists are an administrator's to list, and Segue has none. */
	if (who && strcasecmp(who, c->r->user.id)) {
		json_decref(list);
		sub_error(c, SUB_ERR_FORBIDDEN, "only your own playlists can be listed");
		return;
	}
	for (int offset = 0; list && offset < LISTED_MAX; offset += LIST_PAGE) {
		int n = store_playlists_page(s, c->r->user.id, true, offset, ids, LIST_PAGE);

		if (n < 0) {
			json_decref(list);
			list = NULL;
			break;
		}
		for (int i = 0; i < n; i++) {
			struct playlist p;
			json_t *o;

			if (playlist_load(s, ids[i], &p) == 0 && (o = playlist_object(c, &p)))
				json_array_append_new(list, o);
		}
		if (n < LIST_PAGE)
			break;
	}
	if (!list) {
		sub_error(c, SUB_ERR_GENERIC, "database error");
		return;
	}
	sub_ok(c, "playlists", json_pack("{s:o}", "playlist", list));
}

void sub_get_playlist(struct sub_call *c)
{
	struct playlist p;
	json_t *o;

	if (!load_for(c, "id", &p, PL_READ))
		return;
	if (!(o = with_songs(c, &p))) {
		sub_error(c, SUB_ERR_GENERIC, "database error");
		return;
	}
	sub_ok(c, "playlist", o);
}

/* createPlaylist: a new playlist of the songs named (private until made public), or, with
 * playlistId, the songs of that playlist replaced (and its name, when given). */
void sub_create_playlist(struct sub_call *c)
{
	struct store *s = &c->r->srv->store;
	const char *name = sub_arg(c, "name");
	char (*songs)[BASE62_ID_LEN + 1] = calloc(SONGS_MAX, sizeof *songs);
	bool replacing = sub_arg(c, "playlistId") != NULL;
	long long now = store_now_ms();
	struct playlist p;
	json_t *o;
	int n;

	if (!songs) {
		sub_error(c, SUB_ERR_GENERIC, "out of memory");
		return;
	}
	memset(&p, 0, sizeof p);
	if (replacing) {
		if (!load_for(c, "playlistId", &p, PL_WRITE) || (name && !owner_only(c, &p, "rename")))
			goto out;
	} else if (!name) {
		sub_error(c, SUB_ERR_MISSING, "give name to make a playlist, or playlistId to change one");
		goto out;
	}
	if ((name && !text_ok(c, name, "name", PLAYLIST_NAME_MAX, false)) || (n = songs_arg(c, "songId", songs)) < 0)
		goto out;
	if (name)
		snprintf(p.name, sizeof p.name, "%s", name);
	if (store_begin(s) < 0)
		goto fail;
	if (replacing && !unchanged(c, &p))
		goto out;
	if (!replacing) {
		base62_id_random(p.id);
		snprintf(p.owner, sizeof p.owner, "%s", c->r->user.id);
		p.version = 1;
		if (store_playlist_insert(s, &p, now) < 0)
			goto fail_tx;
	} else if (name && store_playlist_set_details(s, &p) < 0) {
		goto fail_tx;
	}
	if ((n || replacing) && playlist_replace(s, c->r->srv->images_dir, &p, c->r->user.id,
	                                         (const char (*)[BASE62_ID_LEN + 1])songs, n, now) < 0)
		goto fail_tx;
	if (store_commit(s) < 0)
		goto fail_tx;
	if (replacing)
		announce(c, &p, json_pack("{s:s,s:s,s:i,s:I}", "kind", "items", "op", "replace", "from", 0,
		                          "length", (json_int_t)p.length));
	if (!(o = with_songs(c, &p))) {
		sub_error(c, SUB_ERR_GENERIC, "database error");
		goto out;
	}
	sub_ok(c, "playlist", o);
	goto out;
fail_tx:
	store_rollback(s);
fail:
	sub_error(c, SUB_ERR_GENERIC, "the playlist could not be stored");
out:
	free(songs);
}

/* The indexes of songIndexToRemove, each a whole number; their count, or -1 after answering
 * (a range check against the playlist is playlist_edit's). */
static int indexes_arg(struct sub_call *c, long long *out)
{
	const char *got[SONGS_MAX + 1];
	int n = sub_args(c, "songIndexToRemove", got, SONGS_MAX + 1);

	if (n > SONGS_MAX) {
		sub_error(c, SUB_ERR_GENERIC, "too many songIndexToRemove: at most %d in one call", SONGS_MAX);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		char *end;

		out[i] = strtoll(got[i], &end, 10);
		if (!*got[i] || *end || out[i] < 0) {
			sub_error(c, SUB_ERR_GENERIC, "songIndexToRemove must be a whole number, not %s",
			          sub_echo(got[i]));
			return -1;
		}
	}
	return n;
}

/* updatePlaylist: name, comment and public (the owner's), songs removed by their index in
 * the playlist as it was and others appended (the owner's and collaborators'), all at once
 * or nothing. */
void sub_update_playlist(struct sub_call *c)
{
	struct store *s = &c->r->srv->store;
	const char *name = sub_arg(c, "name"), *comment = sub_arg(c, "comment");
	char (*add)[BASE62_ID_LEN + 1] = calloc(SONGS_MAX, sizeof *add);
	long long *remove = calloc(SONGS_MAX, sizeof *remove), from = 0;
	bool details, pub = false, items;
	struct playlist p;
	int nadd = 0, nremove = 0, rc;

	if (!add || !remove) {
		sub_error(c, SUB_ERR_GENERIC, "out of memory");
		goto out;
	}
	if (!load_for(c, "playlistId", &p, PL_WRITE))
		goto out;
	details = name || comment || sub_arg(c, "public");
	if ((details && !owner_only(c, &p, "rename, describe or publish")) ||
	    (name && !text_ok(c, name, "name", PLAYLIST_NAME_MAX, false)) ||
	    (comment && !text_ok(c, comment, "comment", PLAYLIST_DESC_MAX, true)) ||
	    !sub_bool(c, "public", p.public_, &pub) ||
	    (nadd = songs_arg(c, "songIdToAdd", add)) < 0 || (nremove = indexes_arg(c, remove)) < 0)
		goto out;
	if (pub && p.collaborative) {
		sub_error(c, SUB_ERR_GENERIC, "a collaborative playlist cannot be public");
		goto out;
	}
	items = nadd || nremove;
	if (name)
		snprintf(p.name, sizeof p.name, "%s", name);
	if (comment)
		snprintf(p.description, sizeof p.description, "%s", comment);
	p.public_ = pub;
	if (store_begin(s) < 0)
		goto fail;
	if (!unchanged(c, &p))
		goto out;
	if (details && (store_playlist_set_details(s, &p) < 0 || (!items && playlist_touch(s, &p) < 0)))
		goto fail_tx;
	if (items) {
		rc = playlist_edit(s, c->r->srv->images_dir, &p, c->r->user.id, remove, nremove,
		                   (const char (*)[BASE62_ID_LEN + 1])add, nadd, store_now_ms(), &from);
		if (rc < 0)
			goto fail_tx;
		if (rc > 0) {
			store_rollback(s);
			sub_error(c, SUB_ERR_NOT_FOUND, "a songIndexToRemove is past the playlist's end (%lld songs),"
			          " or it would hold more than %d", p.length, PLAYLIST_MAX_ITEMS);
			goto out;
		}
	}
	if (store_commit(s) < 0)
		goto fail_tx;
	sub_ok(c, NULL, NULL);
	if (details)
		announce(c, &p, json_pack("{s:s}", "kind", "details"));
	if (items)
		announce(c, &p, json_pack("{s:s,s:s,s:I,s:I}", "kind", "items", "op", nremove ? "remove" : "add",
		                          "from", (json_int_t)from, "length", (json_int_t)p.length));
	goto out;
fail_tx:
	store_rollback(s);
fail:
	sub_error(c, SUB_ERR_GENERIC, "the playlist could not be changed");
out:
	free(add);
	free(remove);
}

void sub_delete_playlist(struct sub_call *c)
{
	struct playlist p;

	if (!load_for(c, "id", &p, PL_READ) || !owner_only(c, &p, "delete"))
		return;
	if (store_playlist_delete(&c->r->srv->store, p.id) < 0) {
		sub_error(c, SUB_ERR_GENERIC, "database error");
		return;
	}
	sub_ok(c, NULL, NULL);
}
