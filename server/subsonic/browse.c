/* The Browsing family: the one music folder, artists by index (as folders and by ID3 tags),
 * an artist's albums, an album's songs, a song, genres. */
#include "config.h"
#include "subsonic/endpoints.h"

#include <stdio.h>
#include <string.h>

#include "server.h"
#include "store/catalog.h"
#include "store/subsonic_catalog.h"
#include "subsonic/render.h"

/* Segue has one library, shown as one music folder. */
#define SUB_FOLDER_ID 1

void sub_get_music_folders(struct sub_call *c)
{
	sub_ok(c, "musicFolders", json_pack("{s:[{s:i,s:s}]}", "musicFolder", "id", SUB_FOLDER_ID,
	                                    "name", "Music"));
}

/* Only the one folder may be asked for. */
static bool folder_ok(struct sub_call *c)
{
	long id;

	if (!sub_int(c, "musicFolderId", SUB_FOLDER_ID, 0, 1L << 30, &id))
		return false;
	if (id != SUB_FOLDER_ID) {
		sub_error(c, SUB_ERR_NOT_FOUND, "music folder not found: there is one, id %d", SUB_FOLDER_ID);
		return false;
	}
	return true;
}

/* The index an artist is listed under: its first letter in upper case, its first character
 * when that is not ASCII, "#" for a digit or a sign. */
static void index_of(const char *name, char out[8])
{
	const unsigned char *p = (const unsigned char *)name;
	size_t n = 1;

	if (*p >= 'a' && *p <= 'z') {
		snprintf(out, 8, "%c", *p - 'a' + 'A');
		return;
	}
	if (*p >= 'A' && *p <= 'Z') {
		snprintf(out, 8, "%c", *p);
		return;
	}
	if (*p < 0x80) {
		snprintf(out, 8, "#");
		return;
	}
	while (n < 4 && (p[n] & 0xc0) == 0x80)
		n++;
	snprintf(out, 8, "%.*s", (int)n, name);
}

/* Artists gathered under their indexes, each index once, in the order first met. */
struct indexes {
	struct sub_call *c;
	json_t *list;   /* [{"name": X, "artist": [...]}] */
	json_t *by_key; /* X -> its artist array (borrowed) */
	bool folders;   /* getIndexes: artists as folders (Artist, "ar-" ids) */
};

static int add_indexed(void *ud, const struct sub_artist *a)
{
	struct indexes *ix = ud;
	char key[8];
	json_t *arr, *o;

	index_of(a->name, key);
	if (!(arr = json_object_get(ix->by_key, key))) {
		arr = json_array();
		if (!arr || json_array_append_new(ix->list, json_pack("{s:s,s:o}", "name", key, "artist", arr)) < 0)
			return -1;
		json_object_set(ix->by_key, key, arr);
	}
	if (ix->folders) {
		char id[64];

		snprintf(id, sizeof id, SUB_ARTIST_PREFIX "%s", a->id);
		o = json_pack("{s:s,s:s}", "id", id, "name", a->name);
		if (o && a->starred_ms)
			json_object_set_new(o, "starred", sub_time(a->starred_ms));
	} else {
		o = sub_artist_json(ix->c, a);
	}
	return o ? json_array_append_new(arr, o) : -1;
}

static json_t *indexed_artists(struct sub_call *c, bool folders)
{
	struct sub_scope sc = sub_scope_of(c);
	struct indexes ix = { c, json_array(), json_object(), folders };
	int rc = ix.list && ix.by_key
	         ? store_sub_artists(&c->r->srv->store, &sc, 0, -1, add_indexed, &ix) : -1;

	json_decref(ix.by_key);
	if (rc < 0) {
		json_decref(ix.list);
		return NULL;
	}
	return ix.list;
}

void sub_get_indexes(struct sub_call *c)
{
	long since;
	long long modified;
	json_t *list;

	if (!folder_ok(c) || !sub_int(c, "ifModifiedSince", 0, 0, 1L << 62, &since))
		return;
	if ((modified = store_sub_last_modified(&c->r->srv->store)) < 0 ||
	    !(list = modified > since ? indexed_artists(c, true) : json_array())) {
		sub_error(c, SUB_ERR_GENERIC, "the artists could not be read");
		return;
	}
	sub_ok(c, "indexes", json_pack("{s:s,s:I,s:o}", "ignoredArticles", "", "lastModified",
	                               (json_int_t)modified, "index", list));
}

void sub_get_artists(struct sub_call *c)
{
	json_t *list;

	if (!folder_ok(c))
		return;
	if (!(list = indexed_artists(c, false))) {
		sub_error(c, SUB_ERR_GENERIC, "the artists could not be read");
		return;
	}
	sub_ok(c, "artists", json_pack("{s:s,s:o}", "ignoredArticles", "", "index", list));
}

struct albums {
	struct sub_call *c;
	json_t *list;
	bool as_children;
};

static int add_album(void *ud, const struct sub_album *a)
{
	struct albums *l = ud;
	json_t *o = l->as_children ? sub_album_child_json(l->c, a) : sub_album_json(l->c, a);

	return o ? json_array_append_new(l->list, o) : -1;
}

struct songs {
	struct sub_call *c;
	json_t *list;
};

static int add_song(void *ud, const struct sub_song *s)
{
	struct songs *l = ud;
	json_t *o = sub_song_json(l->c, s);

	return o ? json_array_append_new(l->list, o) : -1;
}

/* An artist's object with its albums under key, as ID3 albums or as folders. */
static json_t *artist_with_albums(struct sub_call *c, const char *id, bool folders, int *found)
{
	struct sub_scope sc = sub_scope_of(c);
	struct sub_artist a;
	struct albums l = { c, json_array(), folders };
	json_t *o;

	if ((*found = store_sub_artist(&c->r->srv->store, &sc, id, &a)) != 1 || !l.list ||
	    store_sub_artist_albums(&c->r->srv->store, &sc, id, add_album, &l) < 0) {
		json_decref(l.list);
		if (*found == 1)
			*found = -1;
		return NULL;
	}
	if (folders) {
		char dir[64];

		snprintf(dir, sizeof dir, SUB_ARTIST_PREFIX "%s", id);
		o = json_pack("{s:s,s:s,s:o}", "id", dir, "name", a.name, "child", l.list);
		if (o && a.starred_ms)
			json_object_set_new(o, "starred", sub_time(a.starred_ms));
	} else {
		o = sub_artist_json(c, &a);
		if (o)
			json_object_set_new(o, "album", l.list);
		else
			json_decref(l.list);
	}
	return o;
}

/* An album's object with its playable songs, as an ID3 album or as a folder. */
static json_t *album_with_songs(struct sub_call *c, const char *id, bool folder, int *found)
{
	struct sub_scope sc = sub_scope_of(c);
	struct sub_album a;
	struct songs l = { c, json_array() };
	json_t *o;

	if ((*found = store_sub_album(&c->r->srv->store, &sc, id, &a)) != 1 || !l.list ||
	    store_sub_album_songs(&c->r->srv->store, &sc, id, add_song, &l) < 0) {
		json_decref(l.list);
		if (*found == 1)
			*found = -1;
		return NULL;
	}
	/* An album none of whose tracks the user may play is not there for them. */
	if (!a.song_count) {
		json_decref(l.list);
		*found = 0;
		return NULL;
	}
	if (folder) {
		char dir[64], parent[64];

		snprintf(dir, sizeof dir, SUB_ALBUM_PREFIX "%s", id);
		snprintf(parent, sizeof parent, SUB_ARTIST_PREFIX "%s", a.artist_id);
		o = json_pack("{s:s,s:s,s:s,s:I,s:o}", "id", dir, "parent", parent, "name", a.name,
		              "playCount", (json_int_t)a.play_count, "child", l.list);
		if (o && a.starred_ms)
			json_object_set_new(o, "starred", sub_time(a.starred_ms));
	} else {
		o = sub_album_json(c, &a);
		if (o)
			json_object_set_new(o, "song", l.list);
		else
			json_decref(l.list);
	}
	return o;
}

static void answer(struct sub_call *c, const char *key, json_t *o, int found, const char *what)
{
	if (o)
		sub_ok(c, key, o);
	else if (found == 0)
		sub_error(c, SUB_ERR_NOT_FOUND, "%s not found", what);
	else
		sub_error(c, SUB_ERR_GENERIC, "the %s could not be read", what);
}

void sub_get_music_directory(struct sub_call *c)
{
	const char *id = sub_need(c, "id");
	struct store *s = &c->r->srv->store;
	int found = 0;
	json_t *o = NULL;

	if (!id)
		return;
	/* A folder's id says which it is; a bare catalog id is tried as an album, then as an
	 * artist (some clients pass an album's albumId). */
	if (!strncmp(id, SUB_ARTIST_PREFIX, 3) && base62_is_id(id + 3))
		o = artist_with_albums(c, id + 3, true, &found);
	else if (!strncmp(id, SUB_ALBUM_PREFIX, 3) && base62_is_id(id + 3))
		o = album_with_songs(c, id + 3, true, &found);
	else if (base62_is_id(id) && (found = store_catalog_exists(s, CATALOG_ALBUM, id)) == 1)
		o = album_with_songs(c, id, true, &found);
	else if (base62_is_id(id) && found == 0 && (found = store_catalog_exists(s, CATALOG_ARTIST, id)) == 1)
		o = artist_with_albums(c, id, true, &found);
	answer(c, "directory", o, found, "directory");
}

void sub_get_artist(struct sub_call *c)
{
	const char *id = sub_arg(c, "id");
	int found;
	json_t *o;

	if (!sub_catalog_id(c, id, "artist"))
		return;
	o = artist_with_albums(c, id, false, &found);
	answer(c, "artist", o, found, "artist");
}

void sub_get_album(struct sub_call *c)
{
	const char *id = sub_arg(c, "id");
	int found;
	json_t *o;

	if (!sub_catalog_id(c, id, "album"))
		return;
	o = album_with_songs(c, id, false, &found);
	answer(c, "album", o, found, "album");
}

void sub_get_song(struct sub_call *c)
{
	const char *id = sub_arg(c, "id");
	struct sub_scope sc = sub_scope_of(c);
	struct sub_song s;
	int rc;

	if (!sub_catalog_id(c, id, "song"))
		return;
	if ((rc = store_sub_song(&c->r->srv->store, &sc, id, &s)) < 0) {
		sub_error(c, SUB_ERR_GENERIC, "the song could not be read");
		return;
	}
	/* Withdrawn, or not licensed where the user is: not there for them, as in every list. */
	if (rc == 0 || !s.playable) {
		sub_error(c, SUB_ERR_NOT_FOUND, rc ? "song not available to you (withdrawn, or not in your market)"
		                                   : "song not found");
		return;
	}
	sub_ok(c, "song", sub_song_json(c, &s));
}

static int add_genre(void *ud, const char *genre, long long songs, long long albums)
{
	json_t *o = json_pack("{s:s,s:I,s:I}", "value", genre, "songCount", (json_int_t)songs,
	                      "albumCount", (json_int_t)albums);

	return o ? json_array_append_new(ud, o) : -1;
}

void sub_get_genres(struct sub_call *c)
{
	struct sub_scope sc = sub_scope_of(c);
	json_t *list = json_array();

	if (!list || store_sub_genres(&c->r->srv->store, &sc, add_genre, list) < 0) {
		json_decref(list);
		sub_error(c, SUB_ERR_GENERIC, "the genres could not be read");
		return;
	}
	sub_ok(c, "genres", json_pack("{s:o}", "genre", list));
}
