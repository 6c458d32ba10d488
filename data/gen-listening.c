#include "config.h"

/* segue-gen-listening: synthetic listening with planted taste structure, written straight into
 * an existing segue-server database (one made by data/gen-meta, say), for the recommendation
 * engine's offline evaluation and training benchmarks.
 *
 *   segue-gen-listening [--users N] [--plays N] [--communities K] [--seed S] [--now MS]
 *                       [--playlist-share F] DATA_DIR
 *
 * The catalog is first given structure a recommender can find: every artist joins one of K
 * taste communities (sizes power-law in tracks), each community has a parent genre and a
 * centroid in audio-feature space, and every track takes its artist's community genre and
 * features near that centroid. Users then like 1-3 communities and listen in sessions drawn
 * from them, with exploration, skips, re-listens of favourites, playlists, follows and saved
 * tracks, over the 180 days before --now. The same arguments over the same catalog give the
 * same database: all randomness comes from --seed and nothing reads the clock except the
 * timing on the summary line.
 *
 * This file holds main and the flow: the command line, opening the database, the run with its
 * phases. The catalog's restructuring is listening-catalog.c's, the users' listening
 * listening-users.c's, writing them listening-write.c's; listening.h is what they share. */

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "listening.h"

#define DEFAULT_USERS 1000
#define DEFAULT_PLAYS_PER_USER 20
#define DEFAULT_COMMUNITIES 48
#define DEFAULT_NOW 1798000000000LL
#define DEFAULT_PLAYLIST_SHARE 0.3
#define MAX_USERS 999999 /* ids are syn-%06d */

/* ---- sqlite helpers ---- */

int gen_db_fail(struct gen *g, const char *what)
{
	fprintf(stderr, PROG ": %s: %s\n", what, sqlite3_errmsg(g->db));
	return -1;
}

static int exec(struct gen *g, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(g->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		fprintf(stderr, PROG ": \"%.60s\": %s\n", sql, msg ? msg : sqlite3_errmsg(g->db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

int gen_prepare(struct gen *g, sqlite3_stmt **st, const char *sql)
{
	if (sqlite3_prepare_v2(g->db, sql, -1, st, NULL) != SQLITE_OK) {
		fprintf(stderr, PROG ": preparing \"%.60s\": %s\n", sql, sqlite3_errmsg(g->db));
		return -1;
	}
	return 0;
}

/* Runs a statement that returns no rows and makes it ready for the next bindings. */
int gen_run(struct gen *g, sqlite3_stmt *st, const char *what)
{
	if (sqlite3_step(st) != SQLITE_DONE) {
		gen_db_fail(g, what);
		sqlite3_reset(st);
		return -1;
	}
	sqlite3_reset(st);
	return 0;
}

/* One integer from a query, or -1 on error. */
long long gen_scalar(struct gen *g, const char *sql)
{
	sqlite3_stmt *st;
	long long v = -1;

	if (gen_prepare(g, &st, sql) < 0)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	else
		gen_db_fail(g, sql);
	sqlite3_finalize(st);
	return v;
}

void *gen_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p)
		fprintf(stderr, PROG ": out of memory (%zu x %zu bytes)\n", n, size);
	return p;
}

/* ---- opening and checking the database ---- */

static int open_db(struct gen *g)
{
	char path[4096];
	struct stat sb;
	long long n;

	snprintf(path, sizeof path, "%s/segue.db", g->o.dir);
	if (stat(path, &sb) < 0) {
		fprintf(stderr, PROG ": %s: %s (make the catalog first, e.g. with data/gen-meta)\n",
		        path, strerror(errno));
		return -1;
	}
	/* No SQLITE_OPEN_CREATE: an empty new file must not pass for a catalog. */
	if (sqlite3_open_v2(path, &g->db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		fprintf(stderr, PROG ": %s: %s\n", path, g->db ? sqlite3_errmsg(g->db) : "out of memory");
		return -1;
	}
	sqlite3_busy_timeout(g->db, 10000);
	if ((n = gen_scalar(g, "PRAGMA user_version")) < 0)
		return -1;
	if (n < 7) {
		fprintf(stderr, PROG ": %s: schema version %lld, need 7 or later"
		        " (let segue-server open it once to migrate)\n", path, n);
		return -1;
	}
	if ((n = gen_scalar(g, "SELECT count(*) FROM tracks")) < 0)
		return -1;
	if (n == 0) {
		fprintf(stderr, PROG ": %s has no tracks (make the catalog first, e.g. with data/gen-meta)\n", path);
		return -1;
	}
	if ((n = gen_scalar(g, "SELECT count(*) FROM users WHERE id LIKE 'syn-%'")) < 0)
		return -1;
	if (n > 0) {
		fprintf(stderr, PROG ": %s already holds %lld synthetic users (syn-*): generate into a"
		        " fresh copy of the catalog instead\n", path, n);
		return -1;
	}
	/* One writer, no readers, a copy we can make again: durability buys nothing here. WAL
	 * would also double every page written, and MEMORY keeps ROLLBACK working on error. */
	if (exec(g, "PRAGMA journal_mode=MEMORY") < 0 || exec(g, "PRAGMA synchronous=OFF") < 0 ||
	    exec(g, "PRAGMA cache_size=-65536") < 0 || exec(g, "PRAGMA temp_store=FILE") < 0 ||
	    exec(g, "PRAGMA threads=2") < 0)
		return -1;
	return 0;
}

/* ---- generating ---- */

/* Secondary indexes cost more to keep up row by row than to build once from sorted data, so
 * they go before the bulk writes and come back after, exactly as server/store/store.c makes them. */
static const char DROP_INDEXES[] =
	"DROP INDEX plays_recent; DROP INDEX plays_track;"
	"DROP INDEX tracks_artist; DROP INDEX tracks_popular; DROP INDEX tracks_genre;";
static const char *const CREATE_INDEXES[] = {
	"CREATE INDEX plays_recent ON plays(user_id, started_at DESC)",
	"CREATE INDEX plays_track ON plays(track_id, started_at)",
	"CREATE INDEX tracks_artist ON tracks(artist_id, play_count DESC)",
	"CREATE INDEX tracks_popular ON tracks(play_count DESC, popularity DESC, id)",
	"CREATE INDEX tracks_genre ON tracks(genre COLLATE NOCASE, play_count DESC)",
};

static int prepare_inserts(struct gen *g)
{
	if (gen_prepare(g, &g->ins_user, "INSERT INTO users (id, display_name, pw_hash, tier, country,"
	                " created_at) VALUES (?, ?, '!', ?, ?, ?)") < 0 ||
	    gen_prepare(g, &g->ins_play, "INSERT INTO plays (user_id, event_id, track_id, context_uri,"
	                " started_at, ms_played, reason_end, counted, received_at)"
	                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)") < 0 ||
	    gen_prepare(g, &g->ins_pl, "INSERT INTO playlists (id, owner_id, name, description, public,"
	                " collaborative, version, length, created_at, updated_at)"
	                " VALUES (?, ?, ?, '', 1, 0, 1, ?, ?, ?)") < 0 ||
	    gen_prepare(g, &g->ins_item, "INSERT INTO playlist_items (playlist_id, pos, track_id, added_at,"
	                " added_by) VALUES (?, ?, ?, ?, ?)") < 0 ||
	    gen_prepare(g, &g->ins_follow, "INSERT INTO playlist_followers (playlist_id, user_id,"
	                " followed_at) VALUES (?, ?, ?)") < 0 ||
	    gen_prepare(g, &g->ins_artist, "INSERT INTO followed_artists (user_id, artist_id, followed_at)"
	                " VALUES (?, ?, ?)") < 0 ||
	    gen_prepare(g, &g->ins_saved, "INSERT INTO saved_tracks (user_id, track_id, added_at)"
	                " VALUES (?, ?, ?)") < 0)
		return -1;
	return 0;
}

static int alloc_users(struct gen *g)
{
	size_t n = (size_t)g->o.users, p = (size_t)g->pbcap + 1;

	g->home = gen_xcalloc(n, sizeof *g->home);
	g->created = gen_xcalloc(n, sizeof *g->created);
	g->u = gen_xcalloc(1, sizeof *g->u);
	g->pb = gen_xcalloc(p, sizeof *g->pb);
	g->sb = gen_xcalloc(p, sizeof *g->sb);
	g->pairs = gen_xcalloc(p, sizeof *g->pairs);
	return g->home && g->created && g->u && g->pb && g->sb && g->pairs ? 0 : -1;
}

/* With --verbose, how long each phase took and what memory it left in use. */
static void phase(struct gen *g, const char *what)
{
	struct timespec t;
	long pages = 0, rss = 0;
	FILE *f;
	double now;

	if (!g->o.verbose)
		return;
	clock_gettime(CLOCK_MONOTONIC, &t);
	now = (double)t.tv_sec + (double)t.tv_nsec / 1e9;
	if ((f = fopen("/proc/self/statm", "r"))) {
		if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
			rss = 0;
		fclose(f);
	}
	fprintf(stderr, PROG ": %-22s %7.1f s  rss %5ld MB  sqlite %5lld MB (peak %lld MB)\n", what,
	        g->phase_at ? now - g->phase_at : 0.0, rss * (sysconf(_SC_PAGESIZE) / 1024) / 1024,
	        (long long)sqlite3_memory_used() >> 20, (long long)sqlite3_memory_highwater(0) >> 20);
	g->phase_at = now;
}

static int generate(struct gen *g)
{
	if (exec(g, "BEGIN IMMEDIATE") < 0)
		return -1;
	if (exec(g, DROP_INDEXES) < 0 || prepare_inserts(g) < 0)
		goto fail;
	phase(g, "begin");
	for (long u = 0; u < g->o.users; u++)
		if (gen_user_run(g, (int)u) < 0)
			goto fail;
	phase(g, "users and plays");
	if (gen_follow_playlists(g) < 0)
		goto fail;
	phase(g, "playlist follows");
	if (gen_update_tracks(g) < 0)
		goto fail;
	phase(g, "tracks");
	for (size_t i = 0; i < sizeof CREATE_INDEXES / sizeof CREATE_INDEXES[0]; i++) {
		const char *name = CREATE_INDEXES[i] + strlen("CREATE INDEX ");
		char label[40];

		if (exec(g, CREATE_INDEXES[i]) < 0)
			goto fail;
		snprintf(label, sizeof label, "index %.*s", (int)strcspn(name, " "), name);
		phase(g, label);
	}
	if (exec(g, "UPDATE meta SET value = value + 1 WHERE key = 'catalog_version'") < 0 ||
	    exec(g, "COMMIT") < 0)
		goto fail;
	phase(g, "commit");
	return 0;
fail:
	if (!sqlite3_get_autocommit(g->db))
		sqlite3_exec(g->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/* ---- command line ---- */

static void usage(FILE *f)
{
	fprintf(f, "usage: " PROG " [--users N] [--plays N] [--communities K] [--seed S] [--now MS]\n"
	        "       [--playlist-share F] [--verbose] DATA_DIR\n"
	        "Adds synthetic users (syn-NNNNNN), listening, playlists and library to the catalog in\n"
	        "DATA_DIR/segue.db, and rewrites every track's genre, audio features, play_count and\n"
	        "popularity to match. Defaults: 1000 users, 20 plays per user, 48 communities, seed 1,\n"
	        "now %lld ms, playlist share %.1f. --verbose times each phase on stderr.\n", DEFAULT_NOW, DEFAULT_PLAYLIST_SHARE);
}

static int parse_ll(const char *opt, const char *s, long long lo, long long hi, long long *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi) {
		fprintf(stderr, PROG ": --%s wants a whole number from %lld to %lld, not '%s'\n", opt, lo, hi, s);
		return -1;
	}
	*out = v;
	return 0;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longs[] = {
		{ "users", required_argument, NULL, 'u' }, { "plays", required_argument, NULL, 'p' },
		{ "communities", required_argument, NULL, 'k' }, { "seed", required_argument, NULL, 's' },
		{ "now", required_argument, NULL, 'n' }, { "playlist-share", required_argument, NULL, 'f' },
		{ "verbose", no_argument, NULL, 'v' }, { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	long long v;
	int c;

	*o = (struct opts){ DEFAULT_USERS, -1, DEFAULT_COMMUNITIES, 1, DEFAULT_NOW, DEFAULT_PLAYLIST_SHARE, false, NULL };
	while ((c = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
		const char *name = c == 'u' ? "users" : c == 'p' ? "plays" : c == 'k' ? "communities"
		                 : c == 's' ? "seed" : "now";
		char *end;

		switch (c) {
		case 'u': case 'p': case 'k': case 's': case 'n':
			if (parse_ll(name, optarg, c == 's' ? 0 : c == 'p' ? 0 : 1,
			             c == 'u' ? MAX_USERS : c == 'k' ? 100000 : LLONG_MAX, &v) < 0)
				return -1;
			if (c == 'u')
				o->users = (long)v;
			else if (c == 'p')
				o->plays = v;
			else if (c == 'k')
				o->communities = (int)v;
			else if (c == 's')
				o->seed = (uint64_t)v;
			else
				o->now = v;
			break;
		case 'f':
			errno = 0;
			o->playlist_share = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(o->playlist_share >= 0 && o->playlist_share <= 1)) {
				fprintf(stderr, PROG ": --playlist-share wants a fraction from 0 to 1, not '%s'\n", optarg);
				return -1;
			}
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return -1;
	}
	o->dir = argv[optind];
	if (o->plays < 0)
		o->plays = (long long)o->users * DEFAULT_PLAYS_PER_USER;
	if (o->now <= WINDOW_MS + 400 * DAY_MS) {
		fprintf(stderr, PROG ": --now %lld is not a recent time in milliseconds since 1970\n", o->now);
		return -1;
	}
	return 0;
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static void gen_free(struct gen *g)
{
	sqlite3_stmt *sts[] = { g->ins_user, g->ins_play, g->ins_pl, g->ins_item, g->ins_follow,
	                        g->ins_artist, g->ins_saved };

	for (size_t i = 0; i < sizeof sts / sizeof sts[0]; i++)
		sqlite3_finalize(sts[i]);
	if (g->db && sqlite3_close(g->db) != SQLITE_OK)
		fprintf(stderr, PROG ": closing the database: %s\n", sqlite3_errmsg(g->db));
	free(g->tracks);
	free(g->counts);
	free(g->artists);
	free(g->byartist);
	free(g->comms);
	free(g->ctrack);
	free(g->ccdf);
	free(g->comm_pick);
	free(g->activity);
	free(g->home);
	free(g->created);
	free(g->pl);
	free(g->pl_by_comm);
	free(g->u);
	free(g->pb);
	free(g->sb);
	free(g->pairs);
}

int main(int argc, char **argv)
{
	struct gen g;
	struct timespec t0;
	int rc = 1;

	memset(&g, 0, sizeof g);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (parse_args(argc, argv, &g.o) < 0)
		return 2;
	g.ncomm = g.o.communities;
	phase(&g, "start");
	if (open_db(&g) < 0 || gen_load_artists(&g) < 0 || gen_load_tracks(&g) < 0)
		goto out;
	phase(&g, "load catalog");
	if (gen_group_by_artist(&g) < 0 || gen_restructure(&g) < 0 || gen_allocate_activity(&g) < 0 ||
	    alloc_users(&g) < 0)
		goto out;
	phase(&g, "communities");
	if (generate(&g) < 0)
		goto out;
	/* Leave the database in the journal mode the server uses. */
	if (exec(&g, "PRAGMA journal_mode=WAL") < 0)
		goto out;
	phase(&g, "wal");
	printf("%ld users, %lld plays, %lld counted, %lld skips, %lld re-listens of favourites,"
	       " %d playlists, %lld playlist follows, %.1f s\n", g.o.users, g.nplays, g.ncounted,
	       g.nskips, g.nrelisten, g.npl, g.nfollows, seconds_since(&t0));
	rc = 0;
out:
	gen_free(&g);
	return rc;
}
