/* The search delta: after changes of every kind to a catalog (new, renamed, moved, removed
 * rows, popularity, genres, markets, release dates, playlists going private, an owner's new
 * name), a query over the old base and its delta must answer as an index built afresh does.
 * Compared over several hundred queries of every class, for every type.
 *
 * On SQLite in a temporary directory, or on the PostgreSQL database SEGUE_TEST_DATABASE_URL
 * names (tests/pg/test_search.pg: the change log is PostgreSQL's triggers there). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "search/search.h"
#include <sqlite3.h>

#include "store/store_db.h" /* the test writes its catalog with SQL */
#include "tap.h"

static const char *const words[] = {
	"love", "night", "heart", "fire", "light", "dream", "river", "summer", "city", "blue",
	"gold", "wild", "road", "star", "moon", "ocean", "dance", "soul", "shadow", "stone",
	"ghost", "angel", "velvet", "neon", "crystal", "garden", "echo", "mirror", "honey", "thunder",
	"björk", "Mr.", "brightside", "satellite", "cosmic", "harbor",
};
#define NWORDS (int)(sizeof words / sizeof words[0])
static const char *const genres[] = { "pop", "rock", "jazz", "folk", "hip-hop", "" };

static unsigned long long rng = 88172645463325252ULL;

static unsigned rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

static void id_of(char out[23], char kind, int n)
{
	snprintf(out, 23, "%c%021d", kind, n);
}

static int exec(struct store *s, const char *fmt, ...)
{
	va_list ap;
	char *sql;
	int rc;

	va_start(ap, fmt);
	sql = sqlite3_vmprintf(fmt, ap); /* only its quoting (%Q, %q), which both engines read */
	va_end(ap);
	if (!sql)
		return -1;
	rc = store_exec(s, sql);
	if (rc < 0)
		printf("# %s: %s\n", sql, db_errmsg(s));
	sqlite3_free(sql);
	return rc;
}

static int add_track(struct store *s, int n, int album, int artist)
{
	char id[23], al[23], ar[23];
	const char *markets = rnd(5) ? NULL : rnd(2) ? "US,GB" : "DE";

	id_of(id, 't', n);
	id_of(al, 'l', album);
	id_of(ar, 'a', artist);
	return exec(s, "INSERT INTO tracks (id, name, album_id, artist_id, duration_ms, genre, markets,"
	            " popularity, play_count, created_at) VALUES (%Q, '%q %q %d', %Q, %Q, 1000, %Q, %Q, %u, %u, 0)",
	            id, words[rnd(NWORDS)], words[rnd(NWORDS)], n, al, ar, genres[rnd(6)], markets,
	            rnd(100), rnd(50));
}

/* The catalog before: 40 artists, 120 albums, 600 tracks, 30 playlists by 3 users. */
static int make_catalog(struct store *s)
{
	char id[23], ar[23];

	if (exec(s, "BEGIN") < 0)
		return -1;
	for (int u = 0; u < 3; u++)
		if (exec(s, "INSERT INTO users (id, display_name, pw_hash, tier, country, created_at)"
		         " VALUES ('user%d', '%q Fan', '!', 'free', 'US', 0)", u, words[u + 10]) < 0)
			return -1;
	for (int a = 0; a < 40; a++) {
		id_of(id, 'a', a);
		if (exec(s, "INSERT INTO artists (id, name, created_at) VALUES (%Q, 'The %q %q', 0)", id,
		         words[rnd(NWORDS)], words[rnd(NWORDS)]) < 0)
			return -1;
	}
	for (int al = 0; al < 120; al++) {
		id_of(id, 'l', al);
		id_of(ar, 'a', al % 40);
		if (exec(s, "INSERT INTO albums (id, name, artist_id, release_date, created_at)"
		         " VALUES (%Q, '%q %q', %Q, '%d-01-01', 0)", id, words[rnd(NWORDS)], words[rnd(NWORDS)], ar,
		         1960 + (int)rnd(66)) < 0)
			return -1;
	}
	for (int t = 0; t < 600; t++)
		if (add_track(s, t, t % 120, t % 120 % 40) < 0)
			return -1;
	for (int p = 0; p < 30; p++) {
		id_of(id, 'p', p);
		if (exec(s, "INSERT INTO playlists (id, owner_id, name, public, collaborative, version, length,"
		         " created_at, updated_at) VALUES (%Q, 'user%d', '%q %q', %d, 0, 1, %u, 0, 0)", id, p % 3,
		         words[rnd(NWORDS)], words[rnd(NWORDS)], p % 5 != 0, rnd(200)) < 0)
			return -1;
	}
	return exec(s, "COMMIT");
}

/* Changes of every kind the change log follows. */
static int change_catalog(struct store *s)
{
	char id[23], ar[23];

	if (exec(s, "BEGIN") < 0)
		return -1;
	/* a new artist with a word the base has never seen, and new tracks on old albums */
	id_of(ar, 'a', 40);
	id_of(id, 'l', 120);
	if (exec(s, "INSERT INTO artists (id, name, created_at) VALUES (%Q, 'Zephyr Quartet', 0)", ar) < 0 ||
	    exec(s, "INSERT INTO albums (id, name, artist_id, release_date, created_at)"
	         " VALUES (%Q, 'Quasar Nights', %Q, '2024-05-01', 0)", id, ar) < 0)
		return -1;
	for (int t = 600; t < 640; t++)
		if (add_track(s, t, t < 620 ? 120 : t % 120, t < 620 ? 40 : t % 40) < 0)
			return -1;
	/* a word one letter from a word the base has: the base alone would take it for a typo */
	id_of(id, 't', 640);
	id_of(ar, 'a', 40);
	if (exec(s, "INSERT INTO tracks (id, name, album_id, artist_id, duration_ms, created_at)"
	         " VALUES (%Q, 'Honeys Lament', 'l000000000000000000120', %Q, 1000, 0)", id, ar) < 0)
		return -1;
	/* renamed, re-filed and removed tracks; popularity, genre and markets moved */
	for (int t = 0; t < 600; t += 37) {
		id_of(id, 't', t);
		if (exec(s, "UPDATE tracks SET name = 'Renamed %q %d' WHERE id = %Q", words[rnd(NWORDS)], t, id) < 0)
			return -1;
	}
	for (int t = 5; t < 600; t += 53) {
		id_of(id, 't', t);
		id_of(ar, 'a', (t + 7) % 40);
		if (exec(s, "UPDATE tracks SET artist_id = %Q WHERE id = %Q", ar, id) < 0)
			return -1;
	}
	for (int t = 11; t < 600; t += 29) {
		id_of(id, 't', t);
		if (exec(s, "UPDATE tracks SET popularity = %u, genre = %Q, markets = %Q WHERE id = %Q", rnd(100),
		         genres[rnd(6)], rnd(2) ? "FR" : NULL, id) < 0)
			return -1;
	}
	/* every track of artist 3 removed: the artist leaves the index too */
	id_of(ar, 'a', 3);
	if (exec(s, "DELETE FROM tracks WHERE artist_id = %Q", ar) < 0)
		return -1;
	for (int t = 2; t < 600; t += 41) {
		id_of(id, 't', t);
		if (exec(s, "DELETE FROM tracks WHERE id = %Q", id) < 0)
			return -1;
	}
	/* every track of artist 13 withdrawn (its files gone): the artist and its albums leave
	 * the index, though their rows stay; one track withdrawn and restored */
	id_of(ar, 'a', 13);
	if (exec(s, "UPDATE tracks SET available = 0 WHERE artist_id = %Q", ar) < 0)
		return -1;
	id_of(id, 't', 1);
	if (exec(s, "UPDATE tracks SET available = 0 WHERE id = %Q", id) < 0 ||
	    exec(s, "UPDATE tracks SET available = 1 WHERE id = %Q", id) < 0)
		return -1;
	/* One row each: an artist and an album renamed, an album dated again; playlists new,
	 * renamed, gone private, made public, removed. */
	static const struct {
		char kind;
		int n;
		const char *sql; /* %Q: the row's id */
	} one_row[] = {
		{ 'a', 7, "UPDATE artists SET name = 'Velvet Satellite Orchestra' WHERE id = %Q" },
		{ 'l', 9, "UPDATE albums SET name = 'Cosmic Harbor Sessions' WHERE id = %Q" },
		{ 'l', 10, "UPDATE albums SET release_date = '2025-02-02' WHERE id = %Q" },
		{ 'p', 30, "INSERT INTO playlists (id, owner_id, name, public, collaborative, version, length,"
		           " created_at, updated_at) VALUES (%Q, 'user1', 'Zephyr Road Trip', 1, 0, 1, 12, 0, 0)" },
		{ 'p', 1, "UPDATE playlists SET name = 'Neon Quasar Mix' WHERE id = %Q" },
		{ 'p', 2, "UPDATE playlists SET public = 0 WHERE id = %Q" },
		{ 'p', 5, "UPDATE playlists SET public = 1 WHERE id = %Q" },
		{ 'p', 4, "DELETE FROM playlists WHERE id = %Q" },
	};
	for (size_t i = 0; i < sizeof one_row / sizeof one_row[0]; i++) {
		id_of(id, one_row[i].kind, one_row[i].n);
		if (exec(s, one_row[i].sql, id) < 0)
			return -1;
	}
	/* and an owner renamed */
	if (exec(s, "UPDATE users SET display_name = 'Harbor Ghost' WHERE id = 'user2'") < 0)
		return -1;
	return exec(s, "COMMIT");
}

/* One text column of one row into out (false when there is none). */
static bool one_text(struct store *s, const char *sql, const char *id, char *out, size_t n)
{
	struct db_stmt *st = store_prepare(s, sql);
	bool found = false;

	if (!st)
		return false;
	db_bind_text(st, 1, id);
	if (db_step(st) == DB_ROW && !db_col_null(st, 0)) {
		snprintf(out, n, "%s", db_col_text(st, 0));
		found = true;
	}
	db_finalize(st);
	return found;
}

static bool album_name(struct store *s, const char *id, char *out, size_t n)
{
	return one_text(s, "SELECT name FROM albums WHERE id = ?", id, out, n);
}

static bool track_name(struct store *s, const char *id, char *out, size_t n)
{
	return one_text(s, "SELECT name FROM tracks WHERE id = ?", id, out, n);
}

/* How many tracks match a condition (a literal). */
static long count_where(struct store *s, const char *cond)
{
	char sql[256], out[32];

	snprintf(sql, sizeof sql, "SELECT count(*) FROM tracks WHERE %s AND ? IS NOT NULL", cond);
	return one_text(s, sql, "x", out, sizeof out) ? atol(out) : -1;
}

/* The same answer, allowing for the order of equal scores: the scores page by page, and the
 * ids of every score above the page's last. */
static bool same(const struct search_result *a, const struct search_result *b, int ty, char *why, size_t n)
{
	if (a->total[ty] != b->total[ty]) {
		snprintf(why, n, "total %ld, afresh %ld", a->total[ty], b->total[ty]);
		return false;
	}
	if (a->nhits[ty] != b->nhits[ty]) {
		snprintf(why, n, "%d hits, afresh %d", a->nhits[ty], b->nhits[ty]);
		return false;
	}
	for (int i = 0; i < a->nhits[ty]; i++) {
		const struct search_hit *h = &a->hits[ty][i];
		double last = a->hits[ty][a->nhits[ty] - 1].score;
		bool found = false;

		if (h->score != b->hits[ty][i].score) {
			snprintf(why, n, "hit %d scores %.4f, afresh %.4f", i, h->score, b->hits[ty][i].score);
			return false;
		}
		for (int j = 0; j < b->nhits[ty] && !found; j++)
			found = !strcmp(h->id, b->hits[ty][j].id) && h->playable == b->hits[ty][j].playable;
		if (!found && h->score > last) {
			snprintf(why, n, "%s is not in the fresh answer", h->id);
			return false;
		}
	}
	if (strcmp(a->did_you_mean, b->did_you_mean)) {
		snprintf(why, n, "did you mean \"%s\", afresh \"%s\"", a->did_you_mean, b->did_you_mean);
		return false;
	}
	return true;
}

/* A track's name, "" when it has none. */
static void name_of(struct store *s, int n, char *out, size_t len)
{
	struct db_stmt *st = store_stmt(s, "SELECT name FROM tracks WHERE id = ?");
	char id[23];

	id_of(id, 't', n);
	out[0] = '\0';
	if (!st)
		return;
	db_bind_text(st, 1, id);
	if (db_step(st) == DB_ROW)
		snprintf(out, len, "%s", db_col_text(st, 0));
	db_reset(st);
}

/* The ids search_tracks_titled gives for a title (folded here), one line each. */
struct titled {
	char ids[512];
	char artist[128]; /* the first one's artist text */
};

static int add_titled(void *ud, const char *id, const char *artist)
{
	struct titled *t = ud;
	size_t n = strlen(t->ids);

	if (!n)
		snprintf(t->artist, sizeof t->artist, "%s", artist);
	snprintf(t->ids + n, sizeof t->ids - n, "%s\n", id);
	return 0;
}

static long titled(const struct search_index *ix, const struct search_index *delta, const char *name,
                   struct titled *t)
{
	char folded[256];

	memset(t, 0, sizeof *t);
	search_fold(name, folded, sizeof folded);
	return search_tracks_titled(ix, delta, folded, add_titled, t);
}

static bool finds(const struct search_index *ix, const struct search_index *delta, const char *q, int ty,
                  const char *id)
{
	struct search_query sq = { .q = q, .types = 1u << ty, .limit = 50 };
	struct search_result res;
	bool hit = false;

	if (search_run(ix, delta, &sq, &res) == 0)
		for (int i = 0; i < res.nhits[ty]; i++)
			hit |= !strcmp(res.hits[ty][i].id, id);
	search_result_free(&res);
	return hit;
}

int main(void)
{
	char dir[] = "/tmp/segue-test-search-XXXXXX", err[256] = "", q[256], why[200], id[23];
	struct search_index *base = NULL, *delta = NULL, *fresh = NULL;
	struct store s;
	int compared = 0, differ = 0;

	const char *url = getenv("SEGUE_TEST_DATABASE_URL");

	ok(mkdtemp(dir) != NULL, "temporary directory");
	ok(store_open(&s, url && *url ? url : dir, err, sizeof err) == 0, "store on %s (%s)",
	   url && *url ? "PostgreSQL" : "SQLite", err);
	ok(make_catalog(&s) == 0, "a catalog of 600 tracks");
	ok((base = search_build(&s, err, sizeof err)) != NULL, "the base index (%s)", err);
	if (!base)
		return done();
	ok(search_seq(base) > 0, "the base knows how far the change log went (%lld)", search_seq(base));
	/* Track names before the changes, for the exact lookups after them. */
	static char before[640][128];
	for (int n = 0; n < 640; n++)
		name_of(&s, n, before[n], sizeof before[n]);
	ok(change_catalog(&s) == 0, "changes of every kind");
	ok((delta = search_build_delta(&s, base, err, sizeof err)) != NULL, "the delta (%s)", err);
	ok((fresh = search_build(&s, err, sizeof err)) != NULL, "an index built afresh (%s)", err);
	if (!base || !delta || !fresh)
		return done();
	is_int(search_seq(delta), search_seq(fresh), "the delta reaches the head of the log");
	ok(search_superseded(delta) > 50, "the delta supersedes the base's changed docs (%ld)",
	   search_superseded(delta));
	ok(search_count(delta, ST_TRACK) < 200, "the delta holds only what changed (%ld tracks)",
	   search_count(delta, ST_TRACK));

	/* Every word, as a word, as a prefix, misspelt, in pairs, under each filter. */
	for (int w = 0; w < NWORDS + 8; w++) {
		static const char *const extra[] = { "zephyr", "quasar", "orchestra", "sessions", "renamed", "fan",
		                                     "honeys", "lament" };
		const char *word = w < NWORDS ? words[w] : extra[w - NWORDS];
		char variants[12][128];
		size_t len = strlen(word);
		int nv = 0;

		snprintf(variants[nv++], 128, "%s", word);
		snprintf(variants[nv++], 128, "%.*s", (int)(len > 3 ? 3 : len), word);
		snprintf(variants[nv++], 128, "%.*s%s", (int)len - 1, word, "x");  /* a typo */
		snprintf(variants[nv++], 128, "%c%s", word[1], word);               /* another */
		snprintf(variants[nv++], 128, "%s %s", word, words[(w * 7 + 3) % NWORDS]);
		snprintf(variants[nv++], 128, "%s %.2s", words[(w * 5 + 1) % NWORDS], word);
		snprintf(variants[nv++], 128, "artist:%s", word);
		snprintf(variants[nv++], 128, "album:%s", word);
		snprintf(variants[nv++], 128, "track:%s year:1970-2025", word);
		snprintf(variants[nv++], 128, "%s genre:%s", word, genres[w % 5]);
		snprintf(variants[nv++], 128, "genre:%s %.1s", genres[w % 5], word);
		snprintf(variants[nv++], 128, "year:2024-2025 %s", word);
		for (int v = 0; v < nv; v++)
			for (int ty = 0; ty < ST_NTYPES; ty++)
				for (int m = 0; m < 2; m++) {
					struct search_query sq = { .q = variants[v], .types = 1u << ty, .limit = 50,
					                           .market = m ? "US" : NULL };
					struct search_result a, b;
					int ra = search_run(base, delta, &sq, &a), rb = search_run(fresh, NULL, &sq, &b);

					snprintf(q, sizeof q, "%s", variants[v]);
					compared++;
					if (ra != rb || (ra == 0 && !same(&a, &b, ty, why, sizeof why))) {
						if (differ++ < 5)
							printf("# \"%s\" type %d market %s: %s\n", q, ty, m ? "US" : "-",
							       ra != rb ? "one refused" : why);
					}
					search_result_free(&a);
					search_result_free(&b);
				}
	}
	ok(differ == 0, "base and delta answer as an index built afresh: %d of %d queries differ", differ,
	   compared);

	/* Exact title lookups, over every title before and after the changes. */
	compared = differ = 0;
	for (int n = 0; n < 641; n++)
		for (int when = 0; when < 2; when++) {
			struct titled a, b;
			char name[128];

			if (when)
				name_of(&s, n, name, sizeof name);
			else
				snprintf(name, sizeof name, "%s", n < 640 ? before[n] : "");
			if (!name[0])
				continue;
			titled(base, delta, name, &a);
			titled(fresh, NULL, name, &b);
			compared++;
			if (strcmp(a.ids, b.ids) && differ++ < 5)
				printf("# titled \"%s\": %s, afresh %s\n", name, a.ids, b.ids);
		}
	ok(differ == 0 && compared > 600, "exact title lookups over base and delta answer as afresh: %d of %d differ",
	   differ, compared);
	{
		struct titled t;
		char name[128];

		ok(titled(base, delta, "Honey's Lament", &t) == 1 && !strcmp(t.ids, "t000000000000000000640\n") &&
		   !strcmp(t.artist, "zephyr quartet"), "a new track by its title, folded, with its artist's text");
		ok(titled(base, NULL, "honeys lament", &t) == 0, "(not in the base alone)");
		name_of(&s, 0, name, sizeof name);
		ok(titled(base, delta, name, &t) == 1 && titled(base, delta, before[0], &t) == 0 &&
		   titled(base, NULL, before[0], &t) == 1, "a renamed track by its new title, not its old one");
		ok(titled(base, delta, before[2], &t) == 0 && titled(base, NULL, before[2], &t) == 1,
		   "a removed track is not found");
		ok(titled(base, delta, "love", &t) == 0, "a word of titles is not a title");
	}

	/* The plain facts, readable on their own. */
	id_of(id, 't', 600);
	ok(finds(base, delta, "zephyr", ST_ARTIST, "a000000000000000000040"), "a new artist is found");
	ok(finds(base, delta, "zepyhr", ST_ARTIST, "a000000000000000000040"), "misspelt, too");
	ok(!finds(base, NULL, "zephyr", ST_ARTIST, "a000000000000000000040"), "(the base alone has not got it)");
	id_of(id, 't', 0);
	ok(finds(base, delta, "renamed", ST_TRACK, id) && !finds(base, NULL, "renamed", ST_TRACK, id),
	   "a renamed track is found by its new name");
	ok(finds(base, NULL, "the", ST_ARTIST, "a000000000000000000003") &&
	   !finds(base, delta, "the", ST_ARTIST, "a000000000000000000003"),
	   "an artist whose tracks are all gone is no longer found");
	ok(finds(base, NULL, "the", ST_ARTIST, "a000000000000000000013") &&
	   !finds(base, delta, "the", ST_ARTIST, "a000000000000000000013"),
	   "an artist whose tracks are all withdrawn is no longer found");
	ok(album_name(&s, "l000000000000000000013", q, sizeof q) &&
	   finds(base, NULL, q, ST_ALBUM, "l000000000000000000013") &&
	   !finds(base, delta, q, ST_ALBUM, "l000000000000000000013"),
	   "nor its album, by its name (\"%s\")", q);
	id_of(id, 't', 1);
	ok(count_where(&s, "available = 0") > 0 && !count_where(&s, "id = 't000000000000000000001' AND NOT available") &&
	   track_name(&s, id, q, sizeof q) && finds(base, delta, q, ST_TRACK, id),
	   "a track withdrawn and restored is found (\"%s\")", q);
	ok(finds(base, delta, "velvet satellite orchestra", ST_ARTIST, "a000000000000000000007"),
	   "a renamed artist is found by the new name");
	ok(finds(base, delta, "cosmic harbor sessions", ST_ALBUM, "l000000000000000000009"),
	   "a renamed album is found by the new name");
	ok(finds(base, NULL, "fan", ST_PLAYLIST, "p000000000000000000004") &&
	   !finds(base, delta, "fan", ST_PLAYLIST, "p000000000000000000004"), "a removed playlist is gone");
	ok(finds(base, delta, "zephyr road", ST_PLAYLIST, "p000000000000000000030"), "a new playlist is found");
	ok(finds(base, NULL, "fan", ST_PLAYLIST, "p000000000000000000002") &&
	   !finds(base, delta, "harbor ghost", ST_PLAYLIST, "p000000000000000000002"),
	   "a playlist gone private is not found");
	ok(finds(base, delta, "harbor ghost", ST_PLAYLIST, "p000000000000000000008"),
	   "a playlist is found by its owner's new name");

	search_free(delta);
	search_free(fresh);
	/* A held index lives until the last hold goes. */
	search_hold(base);
	search_free(base);
	is_int(search_count(base, ST_TRACK), 600, "a held index is still whole after one release");
	search_free(base);
	store_close(&s);
	snprintf(q, sizeof q, "rm -rf '%s'", dir);
	if (system(q) != 0)
		printf("# could not remove %s\n", dir);
	return done();
}
