/* The Lists and Searching families: album lists by type, random songs, an artist's top
 * songs, search3 (the search index, or every item in pages for an empty query, which is how
 * clients copy a whole library). */
#include "config.h"
#include "subsonic/endpoints.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "search/search.h"
#include "server.h"
#include "store/subsonic_catalog.h"
#include "subsonic/render.h"

#define SUB_LIST_MAX 500 /* items of one page, as the specification's servers allow */

struct list {
	struct sub_call *c;
	json_t *items;
};

static int add_album(void *ud, const struct sub_album *a)
{
	struct list *l = ud;
	json_t *o = sub_album_json(l->c, a);

	return o ? json_array_append_new(l->items, o) : -1;
}

static int add_song(void *ud, const struct sub_song *s)
{
	struct list *l = ud;
	json_t *o = sub_song_json(l->c, s);

	return o ? json_array_append_new(l->items, o) : -1;
}

static int add_artist(void *ud, const struct sub_artist *a)
{
	struct list *l = ud;
	json_t *o = sub_artist_json(l->c, a);

	return o ? json_array_append_new(l->items, o) : -1;
}

static const struct {
	const char *name;
	enum sub_album_list type;
} album_lists[] = {
	{ "random", SUB_ALBUMS_RANDOM },
	{ "newest", SUB_ALBUMS_NEWEST },
	{ "frequent", SUB_ALBUMS_FREQUENT },
	{ "recent", SUB_ALBUMS_RECENT },
	{ "starred", SUB_ALBUMS_STARRED },
	{ "alphabeticalByName", SUB_ALBUMS_BY_NAME },
	{ "alphabeticalByArtist", SUB_ALBUMS_BY_ARTIST },
	{ "byYear", SUB_ALBUMS_BY_YEAR },
	{ "byGenre", SUB_ALBUMS_BY_GENRE },
};

/* Only the one music folder (browse.c's) may be named. */
static bool folder_ok(struct sub_call *c)
{
	long id;

	if (!sub_int(c, "musicFolderId", 1, 0, 1L << 30, &id))
		return false;
	if (id != 1) {
		sub_error(c, SUB_ERR_NOT_FOUND, "music folder not found: there is one, id 1");
		return false;
	}
	return true;
}

void sub_get_album_list2(struct sub_call *c)
{
	const char *type = sub_need(c, "type");
	struct sub_album_query q = { 0 };
	struct sub_scope sc;
	struct list l = { c, NULL };
	long size, offset, from = 0, to = 0;
	size_t i;

	if (!type || !folder_ok(c))
		return;
	for (i = 0; i < sizeof album_lists / sizeof album_lists[0]; i++)
		if (!strcmp(type, album_lists[i].name))
			break;
	if (i == sizeof album_lists / sizeof album_lists[0]) {
		sub_error(c, SUB_ERR_GENERIC, "unknown type: random, newest, frequent, recent, starred, "
		          "alphabeticalByName, alphabeticalByArtist, byYear or byGenre");
		return;
	}
	q.type = album_lists[i].type;
	if (!sub_int(c, "size", 10, 1, SUB_LIST_MAX, &size) || !sub_int(c, "offset", 0, 0, 1L << 30, &offset))
		return;
	if (q.type == SUB_ALBUMS_BY_YEAR && (!sub_need(c, "fromYear") || !sub_need(c, "toYear") ||
	                                     !sub_int(c, "fromYear", 0, 0, 9999, &from) ||
	                                     !sub_int(c, "toYear", 0, 0, 9999, &to)))
		return;
	if (q.type == SUB_ALBUMS_BY_GENRE && !(q.genre = sub_need(c, "genre")))
		return;
	q.limit = (int)size;
	q.offset = (int)offset;
	q.from_year = (int)from;
	q.to_year = (int)to;
	sc = sub_scope_of(c);
	if (!(l.items = json_array()) || store_sub_albums(&c->r->srv->store, &sc, &q, add_album, &l) < 0) {
		json_decref(l.items);
		sub_error(c, SUB_ERR_GENERIC, "the albums could not be read");
		return;
	}
	sub_ok(c, "albumList2", json_pack("{s:o}", "album", l.items));
}

void sub_get_random_songs(struct sub_call *c)
{
	struct sub_scope sc;
	struct list l = { c, NULL };
	long size, from, to;

	if (!folder_ok(c) || !sub_int(c, "size", 10, 1, SUB_LIST_MAX, &size) ||
	    !sub_int(c, "fromYear", 0, 0, 9999, &from) || !sub_int(c, "toYear", 0, 0, 9999, &to))
		return;
	sc = sub_scope_of(c);
	if (!(l.items = json_array()) ||
	    store_sub_random_songs(&c->r->srv->store, &sc, (int)size, sub_arg(c, "genre"), (int)from,
	                           (int)to, add_song, &l) < 0) {
		json_decref(l.items);
		sub_error(c, SUB_ERR_GENERIC, "the songs could not be read");
		return;
	}
	sub_ok(c, "randomSongs", json_pack("{s:o}", "song", l.items));
}

void sub_get_top_songs(struct sub_call *c)
{
	const char *artist = sub_need(c, "artist");
	char id[BASE62_ID_LEN + 1];
	struct sub_scope sc;
	struct list l = { c, NULL };
	long count;
	int rc;

	if (!artist || !sub_int(c, "count", 50, 1, SUB_LIST_MAX, &count))
		return;
	sc = sub_scope_of(c);
	if (!(l.items = json_array()) || (rc = store_sub_artist_by_name(&c->r->srv->store, artist, id)) < 0 ||
	    (rc == 1 && store_sub_artist_top_songs(&c->r->srv->store, &sc, id, (int)count, add_song, &l) < 0)) {
		json_decref(l.items);
		sub_error(c, SUB_ERR_GENERIC, "the songs could not be read");
		return;
	}
	/* An artist the catalog does not have has no top songs: an empty list, as for any name. */
	sub_ok(c, "topSongs", json_pack("{s:o}", "song", l.items));
}

/* One type's page of search3: count and offset from the call. False after answering. */
struct page {
	const char *count_name, *offset_name;
	long count, offset;
};

static bool read_page(struct sub_call *c, struct page *p, long max_offset)
{
	return sub_int(c, p->count_name, 20, 0, SUB_LIST_MAX, &p->count) &&
	       sub_int(c, p->offset_name, 0, 0, max_offset, &p->offset);
}

/* Where a client's sync left off. A sync asks for every album and song, page after page by
 * offset; an offset walks the table to it, so a million songs in pages of 500 would walk
 * half a billion rows. The next page of the same sync is read after the id the last one
 * ended with instead, while the catalog has not changed since (the search change log's head
 * moves with any change to tracks, albums or artists), which gives the very same rows.
 * Service loop only. */
#define CURSOR_SLOTS 32

enum cursor_kind { CURSOR_ALBUMS, CURSOR_SONGS };

struct cursor {
	char user[72], market[4];
	enum cursor_kind kind;
	long next_offset;
	char last[BASE62_ID_LEN + 1];
	long long head, used_ms;
};

static struct cursor cursors[CURSOR_SLOTS];

/* The id a page at offset may start after, or NULL. */
static const char *cursor_find(struct sub_call *c, enum cursor_kind kind, long offset, long long head)
{
	for (int i = 0; i < CURSOR_SLOTS; i++) {
		struct cursor *k = &cursors[i];

		if (k->used_ms && k->kind == kind && k->next_offset == offset && k->head == head &&
		    !strcmp(k->user, c->r->user.id) && !strcmp(k->market, c->r->user.country))
			return k->last;
	}
	return NULL;
}

/* Notes that a page from offset ended with the last item of items. */
static void cursor_keep(struct sub_call *c, enum cursor_kind kind, long offset, long long head, json_t *items)
{
	const char *last = json_string_value(json_object_get(json_array_get(items, json_array_size(items) - 1), "id"));
	struct cursor *k = &cursors[0];

	if (!last || head < 0)
		return;
	for (int i = 0; i < CURSOR_SLOTS; i++) {
		struct cursor *e = &cursors[i];

		if (e->kind == kind && !strcmp(e->user, c->r->user.id)) {
			k = e; /* one sync per user and kind */
			break;
		}
		if (e->used_ms < k->used_ms)
			k = e;
	}
	snprintf(k->user, sizeof k->user, "%s", c->r->user.id);
	snprintf(k->market, sizeof k->market, "%s", c->r->user.country);
	snprintf(k->last, sizeof k->last, "%s", last);
	k->kind = kind;
	k->next_offset = offset + (long)json_array_size(items);
	k->head = head;
	k->used_ms = store_now_ms();
}

/* Everything, a page of each type at a time. */
static bool search_all(struct sub_call *c, const struct page pg[3], struct list l[3])
{
	struct sub_scope sc = sub_scope_of(c);
	struct store *s = &c->r->srv->store;
	long long head = store_search_head(s);
	struct sub_album_query q = { .type = SUB_ALBUMS_ALL, .limit = (int)pg[1].count,
	                             .offset = (int)pg[1].offset };
	const char *after_song = pg[2].offset ? cursor_find(c, CURSOR_SONGS, pg[2].offset, head) : NULL;
	char song_from[BASE62_ID_LEN + 1] = "";

	if (pg[1].offset)
		q.after = cursor_find(c, CURSOR_ALBUMS, pg[1].offset, head);
	if (after_song) /* the slot may be reused below */
		after_song = strcpy(song_from, after_song);
	if ((pg[0].count && store_sub_artists(s, &sc, (int)pg[0].offset, (int)pg[0].count,
	                                      add_artist, &l[0]) < 0) ||
	    (pg[1].count && store_sub_albums(s, &sc, &q, add_album, &l[1]) < 0) ||
	    (pg[2].count && store_sub_all_songs(s, &sc, after_song, (int)pg[2].offset, (int)pg[2].count,
	                                        add_song, &l[2]) < 0))
		return false;
	if (pg[1].count)
		cursor_keep(c, CURSOR_ALBUMS, pg[1].offset, head, l[1].items);
	if (pg[2].count)
		cursor_keep(c, CURSOR_SONGS, pg[2].offset, head, l[2].items);
	return true;
}

/* A hit of the index, rendered when the user may play it. */
static int add_hit(struct sub_call *c, const struct sub_scope *sc, enum search_type ty, const char *id,
                   struct list *l)
{
	struct store *s = &c->r->srv->store;
	int rc;

	if (ty == ST_ARTIST) {
		struct sub_artist a;

		if ((rc = store_sub_artist(s, sc, id, &a)) == 1)
			return add_artist(l, &a);
	} else if (ty == ST_ALBUM) {
		struct sub_album a;

		if ((rc = store_sub_album(s, sc, id, &a)) == 1 && a.song_count)
			return add_album(l, &a);
	} else {
		struct sub_song *t = malloc(sizeof *t);

		if (!t)
			return -1;
		if ((rc = store_sub_song(s, sc, id, t)) == 1 && t->playable)
			rc = add_song(l, t);
		free(t);
		return rc < 0 ? -1 : 0;
	}
	return rc < 0 ? -1 : 0;
}

/* The query through the search index. False after answering. */
static bool search_text(struct sub_call *c, const char *query, const struct page pg[3], struct list l[3])
{
	static const enum search_type types[3] = { ST_ARTIST, ST_ALBUM, ST_TRACK };
	const struct search_view *view = searcher_get(&c->r->srv->search);
	struct sub_scope sc = sub_scope_of(c);

	if (!view) {
		sub_error(c, SUB_ERR_GENERIC, "the search index is still being built: try again in a moment");
		return false;
	}
	for (int i = 0; i < 3; i++) {
		struct search_query sq = { .q = query, .types = 1u << types[i], .market = c->r->user.country,
		                           .limit = (int)pg[i].count, .offset = (int)pg[i].offset };
		struct search_result res;

		if (!pg[i].count)
			continue;
		if (search_run(view->base, view->delta, &sq, &res) < 0) {
			sub_error(c, SUB_ERR_GENERIC, "%s", res.error);
			search_result_free(&res);
			return false;
		}
		for (int k = 0; k < res.nhits[types[i]]; k++)
			if (add_hit(c, &sc, types[i], res.hits[types[i]][k].id, &l[i]) < 0) {
				search_result_free(&res);
				sub_error(c, SUB_ERR_GENERIC, "the results could not be read");
				return false;
			}
		search_result_free(&res);
	}
	return true;
}

void sub_search3(struct sub_call *c)
{
	const char *query = sub_need(c, "query");
	struct page pg[3] = { { "artistCount", "artistOffset", 0, 0 }, { "albumCount", "albumOffset", 0, 0 },
	                      { "songCount", "songOffset", 0, 0 } };
	struct list l[3] = { { c, json_array() }, { c, json_array() }, { c, json_array() } };
	/* An empty query (some clients send two quotes) lists everything: a client's sync. */
	bool all = query && (!*query || !strcmp(query, "\"\""));

	if (!query || !folder_ok(c))
		goto out;
	for (int i = 0; i < 3; i++)
		if (!read_page(c, &pg[i], all ? 1L << 30 : SEARCH_MAX_OFFSET))
			goto out;
	if (!l[0].items || !l[1].items || !l[2].items) {
		sub_error(c, SUB_ERR_GENERIC, "out of memory");
		goto out;
	}
	if (all ? !search_all(c, pg, l) : !search_text(c, query, pg, l)) {
		sub_error(c, SUB_ERR_GENERIC, "the results could not be read");
		goto out;
	}
	sub_ok(c, "searchResult3", json_pack("{s:O,s:O,s:O}", "artist", l[0].items, "album", l[1].items,
	                                     "song", l[2].items));
out:
	for (int i = 0; i < 3; i++)
		json_decref(l[i].items);
}
