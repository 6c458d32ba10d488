/* The store's statement helpers (store/store_db.h) and what is built on them: a list bound as
 * one JSON text (db_bind_json), a many-row INSERT's text (db_values_sql), a play batch's
 * events matched to the ids its insert kept, a playlist's first distinct covers walked
 * in one statement, and the artists a batch of tracks or albums carries as JSON. Over SQLite in a temporary directory, or the PostgreSQL database
 * SEGUE_TEST_DATABASE_URL names (tests/pg/test_store_db.pg). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/accounts.h"
#include "store/catalog.h"
#include "store/history.h"
#include "store/images.h"
#include "store/playlists.h"
#include "store/store.h"
#include "store/store_db.h"
#include "tap.h"
#include "teststore.h"

/* jansson's live allocations: a batch's rows must leave none behind (each page of a list
 * reads its artists through them). */
static long json_live;

static void *counted_malloc(size_t n)
{
	void *p = malloc(n);

	if (p)
		json_live++;
	return p;
}

static void counted_free(void *p)
{
	if (p)
		json_live--;
	free(p);
}

static void values_sql(void)
{
	char *sql = db_values_sql("INSERT INTO t (a, b)", 2, 3, " ON CONFLICT DO NOTHING");

	is_str(sql, "INSERT INTO t (a, b) VALUES (?, ?), (?, ?), (?, ?) ON CONFLICT DO NOTHING",
	       "three rows of two placeholders, then the tail");
	free(sql);
	sql = db_values_sql("INSERT INTO t (a)", 1, 1, NULL);
	is_str(sql, "INSERT INTO t (a) VALUES (?)", "one row of one, no tail");
	free(sql);
}

struct texts {
	char got[8][64];
	int n;
};

static int text_row(struct db_stmt *st, void *cb, void *ud)
{
	struct texts *t = ud;

	(void)cb;
	if (t->n == 8)
		return -1;
	snprintf(t->got[t->n++], sizeof t->got[0], "%s", db_col_text(st, 0));
	return 0;
}

static void bind_json(struct store *s)
{
	static const char *const in[] = { "plain", "a \"quoted\" one", "caf\xc3\xa9", "back\\slash" };
	struct texts t = { .n = 0 };
	json_t *a = json_array();
	struct db_stmt *st;
	int all = 1;

	for (int i = 0; i < 4; i++)
		json_array_append_new(a, json_string(in[i]));
	st = store_stmt2(s, "SELECT value FROM json_each(?1) ORDER BY key",
	                 "SELECT v FROM json_array_elements_text(CAST(?1 AS json))"
	                 " WITH ORDINALITY AS j(v, i) ORDER BY i");
	is_int(db_bind_json(st, 1, a), 0, "a list binds");
	is_int(store_each(s, st, "a list", text_row, NULL, &t), 0, "and is read back");
	is_int(t.n, 4, "all four texts");
	for (int i = 0; i < 4 && i < t.n; i++)
		all &= !strcmp(t.got[i], in[i]);
	ok(all, "each as it was, quotes, escapes and UTF-8 included");

	st = store_stmt2(s, "SELECT value FROM json_each(?1) ORDER BY key",
	                 "SELECT v FROM json_array_elements_text(CAST(?1 AS json))"
	                 " WITH ORDINALITY AS j(v, i) ORDER BY i");
	is_int(db_bind_json(st, 1, NULL), -1, "a list that could not be made is an error");
	db_reset(st);
	is_int(db_bind_json(NULL, 1, json_array()), -1,
	       "no statement: an error, and the list is freed (ASan would say)");
}

/* 500 events, a fifth of them named after an earlier event's number (mostly an id the batch
 * already has), two delivered before: each is kept exactly when no event before it, in this
 * batch or the last, has its id. */
static void plays(struct store *s)
{
	enum { N = 500 };
	static struct play_add a[N];
	static char ids[N][16];
	static bool want[N];
	int first, wanted = 0;

	struct play_add early[2] = {
		{ .ev = { "ev-7", "t1", NULL, "trackdone", 1000, 60000 }, .counted = true },
		{ .ev = { "ev-300", "t1", NULL, "trackdone", 1000, 60000 }, .counted = false },
	};
	is_int(store_plays_add(s, "u1", early, 2, 2000), 2, "two plays delivered first");
	for (int i = 0; i < N; i++) {
		snprintf(ids[i], sizeof ids[i], "ev-%d", i % 5 == 4 ? (i * 7) % (i + 1) : i);
		a[i].ev = (struct play_event){ ids[i], i % 2 ? "t1" : "t2", "spotify:album:x",
		                               "trackdone", 5000 + i, 30000 };
		a[i].counted = i % 3 != 0;
	}
	for (int i = 0; i < N; i++) {
		want[i] = strcmp(ids[i], "ev-7") && strcmp(ids[i], "ev-300");
		for (int j = 0; j < i && want[i]; j++)
			if (!strcmp(ids[j], ids[i]))
				want[i] = false;
		wanted += want[i];
	}
	is_int(store_plays_add(s, "u1", a, N, 9000), wanted, "the batch keeps its new ids' first events");
	first = -1;
	for (int i = 0; i < N && first < 0; i++)
		if (a[i].kept != want[i])
			first = i;
	if (!ok(first < 0, "each event's kept flag is as delivered order says"))
		printf("#   event %d (%s): kept %d\n", first, ids[first], a[first].kept);
	is_int(store_plays_add(s, "u1", a, N, 9500), 0, "the same batch again keeps nothing");
}

/* Rows for covers: albums al0..al4 (al3 without a cover; al4 shares al0's), a track each. */
static int catalog(struct store *s)
{
	static const char *const rows[] = {
		"INSERT INTO artists (id, name, created_at) VALUES ('ar', 'Artist', 1)",
		"INSERT INTO albums (id, name, artist_id, created_at, image) VALUES"
		" ('al0', 'A', 'ar', 1, '00000000000000000000000000000000'),"
		" ('al1', 'B', 'ar', 1, '11111111111111111111111111111111'),"
		" ('al2', 'C', 'ar', 1, '22222222222222222222222222222222'),"
		" ('al3', 'D', 'ar', 1, NULL),"
		" ('al4', 'E', 'ar', 1, '00000000000000000000000000000000'),"
		" ('al5', 'F', 'ar', 1, '55555555555555555555555555555555')",
		"INSERT INTO tracks (id, name, album_id, artist_id, duration_ms, created_at) VALUES"
		" ('tr0', 'a', 'al0', 'ar', 1000, 1), ('tr1', 'b', 'al1', 'ar', 1000, 1),"
		" ('tr2', 'c', 'al2', 'ar', 1000, 1), ('tr3', 'd', 'al3', 'ar', 1000, 1),"
		" ('tr4', 'e', 'al4', 'ar', 1000, 1), ('tr5', 'f', 'al5', 'ar', 1000, 1)",
		"INSERT INTO playlists (id, owner_id, name, public, collaborative, version, created_at,"
		" updated_at) VALUES ('pl', 'u1', 'P', 1, 0, 1, 1, 1)",
	};

	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
		if (store_exec(s, rows[i]) < 0)
			return -1;
	return 0;
}

static int put_items(struct store *s, const char *tracks, int n)
{
	struct pl_item *items = calloc((size_t)n, sizeof *items);
	int rc;

	if (!items)
		return -1;
	for (int i = 0; i < n; i++) {
		snprintf(items[i].track, sizeof items[i].track, "tr%c", tracks[i % strlen(tracks)]);
		snprintf(items[i].added_by, sizeof items[i].added_by, "u1");
		items[i].added_at = i;
	}
	rc = store_playlist_items_put(s, "pl", 0, items, n);
	free(items);
	return rc;
}

static void covers(struct store *s)
{
	char got[4][STORE_IMAGE_MAX];
	char want[4][STORE_IMAGE_MAX] = { "", "", "", "" };

	if (!ok(catalog(s) == 0, "a small catalog and a playlist"))
		return;
	is_int(store_playlist_covers(s, "pl", got, 4), 0, "an empty playlist: no covers");
	/* 300 items cycling over al3 (no cover), al4, al0 (the same cover), al1: two covers,
	 * the whole playlist walked */
	ok(put_items(s, "3401", 300) == 0, "300 items of three covered albums, two covers alike");
	is_int(store_playlist_covers(s, "pl", got, 4), 2, "fewer than four: the two there are");
	snprintf(want[0], sizeof want[0], "%032d", 0);
	snprintf(want[1], sizeof want[1], "%s", "11111111111111111111111111111111");
	ok(!strcmp(got[0], want[0]) && !strcmp(got[1], want[1]), "in item order (%s, %s)", got[0],
	   got[1]);
	/* then a fourth and fifth distinct one far down: items 300.. */
	ok(put_items(s, "3401000000000000000000000000000000000000000000000000000000000000000000000025", 2000) == 0,
	   "2,000 items, al2 and al5 only near the end of each cycle");
	is_int(store_playlist_covers(s, "pl", got, 4), 4, "four covers");
	ok(!strcmp(got[0], want[0]) && !strcmp(got[1], want[1]) &&
	   !strcmp(got[2], "22222222222222222222222222222222") &&
	   !strcmp(got[3], "55555555555555555555555555555555"), "the first four distinct, in order");
	is_int(store_playlist_covers(s, "pl", got, 2), 2, "max 2: two");
	is_int(store_playlist_covers(s, "nope", got, 4), 0, "no such playlist: none");
}

struct owned {
	char got[8][64];
	int n;
};

static int on_artist(void *ud, const char *owner, const char *id, const char *name)
{
	struct owned *o = ud;

	if (o->n == 8)
		return -1;
	snprintf(o->got[o->n++], sizeof o->got[0], "%s:%s:%s", owner, id, name);
	return 0;
}

static int on_track(void *ud, const struct track_row *t, const char *library_path)
{
	(void)ud, (void)t, (void)library_path;
	return 0;
}

static int on_path(void *ud, const char *id, const char *library_path)
{
	(void)ud, (void)id, (void)library_path;
	return 0;
}

static int on_album(void *ud, const char *id, const struct album_row *a, const char *image)
{
	(void)ud, (void)id, (void)a, (void)image;
	return 0;
}

/* Where got holds want: its index, or -1. */
static int owned_at(const struct owned *o, const char *want)
{
	for (int i = 0; i < o->n; i++)
		if (!strcmp(o->got[i], want))
			return i;
	return -1;
}

/* tr0 and al0 (from covers' catalog) get a second artist; tr1 keeps its one. */
static void owned_artists(struct store *s)
{
	static const char *const tracks[] = { "tr0", "tr1" };
	static const char *const albums[] = { "al0" };
	const struct store_batch_with with = { .artist = on_artist };
	struct owned o = { .n = 0 };
	long before;

	if (!ok(store_exec(s, "INSERT INTO artists (id, name, created_at) VALUES ('ar2', 'Second', 1)") == 0 &&
	        store_exec(s, "INSERT INTO track_artists (track_id, pos, artist_id) VALUES"
	                      " ('tr0', 0, 'ar'), ('tr0', 1, 'ar2'), ('tr1', 0, 'ar')") == 0 &&
	        store_exec(s, "INSERT INTO album_artists (album_id, pos, artist_id) VALUES"
	                      " ('al0', 0, 'ar'), ('al0', 1, 'ar2')") == 0,
	        "two tracks' and an album's artists"))
		return;
	before = json_live;
	is_int(store_tracks_rows(s, tracks, 2, on_track, &with, &o), 0, "tracks with their artists");
	ok(o.n == 3 && owned_at(&o, "tr0:ar:Artist") >= 0 &&
	   owned_at(&o, "tr0:ar:Artist") < owned_at(&o, "tr0:ar2:Second") &&
	   owned_at(&o, "tr1:ar:Artist") >= 0, "each track's artists, in order (%d)", o.n);
	o.n = 0;
	is_int(store_tracks_library_paths(s, tracks, 2, on_path, &with, &o), 0,
	       "library paths with the artists");
	is_int(o.n, 3, "the same three artists without a library path");
	o.n = 0;
	is_int(store_albums_rows(s, albums, 1, on_album, &with, &o), 0, "an album with its artists");
	ok(o.n == 2 && owned_at(&o, "al0:ar:Artist") == 0 && owned_at(&o, "al0:ar2:Second") == 1,
	   "the album's two artists, in order (%d)", o.n);
	is_int(json_live - before, 0, "the artists' JSON all freed again");
}

int main(void)
{
	struct teststore t;

	json_set_alloc_funcs(counted_malloc, counted_free);
	values_sql();
	if (teststore_open(&t, "db") < 0)
		return done();
	bind_json(&t.s);
	if (ok(store_user_insert(&t.s, "u1", "x", true, "US", 1000) == 1, "a user")) {
		plays(&t.s);
		covers(&t.s);
		owned_artists(&t.s);
	}
	teststore_close(&t);
	return done();
}
