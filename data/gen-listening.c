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
 * timing on the summary line. */

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PROG "segue-gen-listening"

#define DAY_MS (86400LL * 1000)
#define WINDOW_MS (180 * DAY_MS)
#define COUNTS_AFTER_MS 30000 /* server/api/history.c */

#define DEFAULT_USERS 1000
#define DEFAULT_PLAYS_PER_USER 20
#define DEFAULT_COMMUNITIES 48
#define DEFAULT_NOW 1798000000000LL
#define DEFAULT_PLAYLIST_SHARE 0.3
#define MAX_USERS 999999 /* ids are syn-%06d */

/* Shape of the world. Exponents are for weights (rank + 1)^-x. */
#define COMMUNITY_SIZE_EXP 0.8  /* community share of the catalog's tracks */
#define COMMUNITY_PICK_EXP 0.6  /* how many users a community draws: flatter than its size */
#define ARTIST_EXP 1.0          /* artist popularity within its community */
#define TRACK_EXP 0.9           /* track popularity within its artist */
#define ACTIVITY_ALPHA 1.3      /* Pareto shape of users' activity */
#define ACTIVITY_CAP_MEAN 50    /* nobody plays more than 50x the mean ... */
#define ACTIVITY_CAP_ABS 25000  /* ... or than fits in the window with room to spare */
#define P_IN_SESSION 0.9        /* a session's plays from its community; the rest explore */
#define P_RELISTEN 0.4          /* once there are favourites: ~0.3 of all plays overall */
#define P_SKIP_TASTE 0.08
#define P_SKIP_OTHER 0.45
#define P_FAV_TASTE 0.2         /* a finished track in the user's taste becomes a favourite */
#define P_FAV_OTHER 0.05
#define P_PLAYLIST_SESSION 0.2  /* of an owner's sessions, played from one of their playlists */
#define P_PLAYLIST_THEME 0.85
#define P_FOLLOW_PLAYLIST 0.1
#define FAV_MAX 400
#define FAV_HASH 1024           /* power of two, > 2 * FAV_MAX */
#define PL_MAX 5
#define PL_TRACKS_MAX 60

/* PRNG stream purposes: each consumer has its own stream, so a change in how one part draws
 * does not shift what any other part sees. */
enum {
	R_COMMUNITY, R_CENTROID, R_ARTIST_RANK, R_TRACK_RANK, R_ARTIST_FEAT, R_TRACK_FEAT,
	R_ACTIVITY, R_USER, R_TASTE, R_PLAYLISTS, R_PLAYS, R_TIMES, R_LIBRARY, R_FOLLOW,
};

static const char *const GENRES[] = {
	"pop", "rock", "hip-hop", "electronic", "jazz", "classical", "country", "r&b", "latin",
	"metal", "folk", "ambient", "house", "techno", "indie", "soul", "reggae", "blues",
};
#define NGENRES (int)(sizeof GENRES / sizeof GENRES[0])

static const char *const MARKETS[] = {
	"AR", "AT", "AU", "BE", "BR", "CA", "CH", "CL", "CO", "DE", "DK", "ES", "FI", "FR", "GB",
	"IE", "IN", "IT", "JP", "KR", "MX", "NL", "NO", "NZ", "PL", "PT", "SE", "US", "ZA",
};
#define NMARKETS (int)(sizeof MARKETS / sizeof MARKETS[0])
#define MARKET_UNKNOWN (1u << 31) /* restricted to markets none of our users live in */

static const char *const SYLL[] = {
	"ka", "lo", "mi", "ra", "ne", "to", "sa", "vi", "da", "lu", "be", "ri", "fo", "ma", "el",
	"an", "or", "is", "ul", "on", "ar", "en", "in", "ur", "ok", "ax", "ix", "ez", "oy",
};
#define NSYLL (int)(sizeof SYLL / sizeof SYLL[0])

/* Playlist themes: the genre name always appears as a word, so a name carries its theme. */
static const char *const MOODS[] = {
	"late night", "gym", "rainy day", "sunday morning", "road trip", "chill", "deep", "summer",
	"workout", "dinner party", "focus", "throwback", "feel good", "morning coffee", "sad",
	"dreamy", "midnight", "running", "party", "autumn", "cozy", "sunset", "commute", "lazy",
};
static const char *const SUFFIXES[] = {
	"classics", "essentials", "mix", "favourites", "deep cuts", "for studying", "to cook to",
	"all day", "forever", "on repeat",
};
#define NMOODS (int)(sizeof MOODS / sizeof MOODS[0])
#define NSUFFIXES (int)(sizeof SUFFIXES / sizeof SUFFIXES[0])

/* Audio features: a prototype per genre; communities scatter around their genre's, artists
 * around their community's, tracks around their artist's. */
enum { F_TEMPO, F_ENERGY, F_DANCE, F_ACOUSTIC, F_BRIGHT, F_LOUD, NFEAT };
static const double FEAT_LO[NFEAT] = { 60, 0, 0, 0, 0, -20 };
static const double FEAT_HI[NFEAT] = { 180, 1, 1, 1, 1, -4 };
static const double SD_COMMUNITY[NFEAT] = { 10, 0.10, 0.10, 0.10, 0.08, 2.0 };
static const double SD_ARTIST[NFEAT] = { 5, 0.05, 0.05, 0.06, 0.05, 1.0 };
static const double SD_TRACK[NFEAT] = { 6, 0.06, 0.06, 0.07, 0.06, 1.2 };
static const double GENRE_PROTO[NGENRES][NFEAT] = {
	/* tempo energy dance acoustic bright loudness */
	{ 118, 0.70, 0.70, 0.15, 0.65, -6 },  /* pop */
	{ 125, 0.80, 0.50, 0.10, 0.60, -6 },  /* rock */
	{ 92, 0.65, 0.80, 0.10, 0.45, -7 },   /* hip-hop */
	{ 126, 0.80, 0.70, 0.05, 0.70, -6 },  /* electronic */
	{ 110, 0.40, 0.50, 0.70, 0.45, -13 }, /* jazz */
	{ 90, 0.20, 0.25, 0.95, 0.40, -18 },  /* classical */
	{ 105, 0.60, 0.60, 0.45, 0.55, -8 },  /* country */
	{ 95, 0.55, 0.70, 0.20, 0.45, -8 },   /* r&b */
	{ 100, 0.75, 0.80, 0.25, 0.60, -6 },  /* latin */
	{ 150, 0.95, 0.35, 0.02, 0.70, -5 },  /* metal */
	{ 100, 0.35, 0.45, 0.85, 0.45, -12 }, /* folk */
	{ 75, 0.15, 0.20, 0.60, 0.30, -19 },  /* ambient */
	{ 124, 0.75, 0.85, 0.05, 0.60, -7 },  /* house */
	{ 132, 0.85, 0.75, 0.02, 0.55, -7 },  /* techno */
	{ 120, 0.60, 0.50, 0.30, 0.55, -9 },  /* indie */
	{ 100, 0.50, 0.65, 0.35, 0.45, -10 }, /* soul */
	{ 80, 0.55, 0.75, 0.25, 0.50, -9 },   /* reggae */
	{ 95, 0.45, 0.45, 0.55, 0.40, -11 },  /* blues */
};

static const char B62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/* ---- PRNG: splitmix64 streams derived from (seed, purpose, index) ---- */

struct rng {
	uint64_t s;
};

static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static struct rng rng_for(uint64_t seed, int purpose, uint64_t index)
{
	struct rng r = { mix64(seed + 0x9e3779b97f4a7c15ULL * (uint64_t)(purpose + 1)) ^ mix64(~index) };

	return r;
}

static uint64_t rnext(struct rng *r)
{
	r->s += 0x9e3779b97f4a7c15ULL;
	return mix64(r->s);
}

/* [0, 1) */
static double unit(struct rng *r)
{
	return (double)(rnext(r) >> 11) * 0x1.0p-53;
}

/* [0, n), n > 0 */
static uint32_t below(struct rng *r, uint32_t n)
{
	return (uint32_t)(((rnext(r) >> 32) * (uint64_t)n) >> 32);
}

/* [lo, hi] */
static long long between(struct rng *r, long long lo, long long hi)
{
	return lo + (long long)(unit(r) * (double)(hi - lo + 1));
}

static bool chance(struct rng *r, double p)
{
	return unit(r) < p;
}

static double gauss(struct rng *r)
{
	double u = 1.0 - unit(r), v = unit(r);

	return sqrt(-2.0 * log(u)) * cos(2.0 * M_PI * v);
}

static void b62_id(struct rng *r, char out[23])
{
	unsigned __int128 n = ((unsigned __int128)rnext(r) << 64) | rnext(r);

	for (int i = 21; i >= 0; i--) {
		out[i] = B62[(int)(n % 62)];
		n /= 62;
	}
	out[22] = '\0';
}

/* ---- state ---- */

struct opts {
	long users;
	long long plays;
	int communities;
	uint64_t seed;
	long long now;
	double playlist_share;
	bool verbose;
	const char *dir;
};

struct track {
	int64_t rowid;
	int32_t artist;   /* -1: its artist_id names no artist */
	int32_t comm;
	int32_t duration;
	uint32_t markets; /* bit per MARKETS entry; 0: everywhere */
	char id[23];
};

struct artist {
	char id[23];
	int32_t comm;
	int32_t first, n; /* its tracks in gen.byartist */
	float feat[NFEAT];
};

struct community {
	int genre;
	double centroid[NFEAT];
	int32_t first, n;  /* its tracks in gen.ctrack / gen.ccdf, most popular artist first */
	int32_t nartists;
	double total;      /* sum of its tracks' weights (the last ccdf entry) */
	int32_t pl_first, pl_n; /* its playlists in gen.pl_by_comm */
};

struct plref {
	char id[23];
	int32_t owner, comm;
	int64_t updated;
};

struct play {
	int64_t start;
	int32_t track;
	int32_t ms;
	int16_t pl;   /* the user's playlist it plays from, or -1 */
	int16_t gap;  /* ms before the next play of its session */
	uint8_t skip, relisten;
};

struct session {
	int32_t first, n;
};

struct fav {
	int32_t track;
	int32_t play; /* the play that made it a favourite */
};

struct uplaylist {
	char id[23];
	char uri[40];
	char name[64];
	int comm, n;
	int first_session; /* -1: never played from */
	int64_t created, step;
	int32_t tracks[PL_TRACKS_MAX];
};

struct user {
	int idx;
	char id[16];
	char name[32];
	int country;
	bool premium;
	int ntaste;
	int taste[3];
	double tw[3];
	int nplays, nsess, npl, nfav;
	int64_t created;
	struct uplaylist pls[PL_MAX];
	struct fav favs[FAV_MAX];
	int32_t favset[FAV_HASH]; /* track + 1, open addressing */
};

struct gen {
	struct opts o;
	sqlite3 *db;
	int ntracks, nartists, ncomm;
	struct track *tracks;
	uint32_t *counts;      /* counted plays per track */
	struct artist *artists;
	int32_t *byartist;     /* track indices grouped by artist, each artist's in rank order */
	struct community *comms;
	int32_t *ctrack;       /* track indices grouped by community */
	double *ccdf;          /* cumulative popularity within each community */
	double *comm_pick;     /* cumulative weights for drawing a user's communities */
	int32_t *activity;     /* plays per user */
	int32_t *home;         /* each user's dominant community */
	int64_t *created;      /* each user's created_at */
	struct plref *pl;
	int npl, plcap;
	int32_t *pl_by_comm;
	struct user *u;
	struct play *pb;
	struct session *sb;
	int64_t *pairs;        /* per-user scratch: (artist << 32 | play) */
	int pbcap;
	sqlite3_stmt *ins_user, *ins_play, *ins_pl, *ins_item, *ins_follow, *ins_artist, *ins_saved;
	long long nplays, ncounted, nskips, nrelisten, nfollows;
	double phase_at;
};

/* ---- sqlite helpers ---- */

static int db_fail(struct gen *g, const char *what)
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

static int prepare(struct gen *g, sqlite3_stmt **st, const char *sql)
{
	if (sqlite3_prepare_v2(g->db, sql, -1, st, NULL) != SQLITE_OK) {
		fprintf(stderr, PROG ": preparing \"%.60s\": %s\n", sql, sqlite3_errmsg(g->db));
		return -1;
	}
	return 0;
}

/* Runs a statement that returns no rows and makes it ready for the next bindings. */
static int run(struct gen *g, sqlite3_stmt *st, const char *what)
{
	if (sqlite3_step(st) != SQLITE_DONE) {
		db_fail(g, what);
		sqlite3_reset(st);
		return -1;
	}
	sqlite3_reset(st);
	return 0;
}

/* One integer from a query, or -1 on error. */
static long long scalar(struct gen *g, const char *sql)
{
	sqlite3_stmt *st;
	long long v = -1;

	if (prepare(g, &st, sql) < 0)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	else
		db_fail(g, sql);
	sqlite3_finalize(st);
	return v;
}

static void *xcalloc(size_t n, size_t size)
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
	if ((n = scalar(g, "PRAGMA user_version")) < 0)
		return -1;
	if (n < 7) {
		fprintf(stderr, PROG ": %s: schema version %lld, need 7 or later"
		        " (let segue-server open it once to migrate)\n", path, n);
		return -1;
	}
	if ((n = scalar(g, "SELECT count(*) FROM tracks")) < 0)
		return -1;
	if (n == 0) {
		fprintf(stderr, PROG ": %s has no tracks (make the catalog first, e.g. with data/gen-meta)\n", path);
		return -1;
	}
	if ((n = scalar(g, "SELECT count(*) FROM users WHERE id LIKE 'syn-%'")) < 0)
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

/* ---- loading the catalog ---- */

static int cmp_artist_id(const void *a, const void *b)
{
	return strcmp(((const struct artist *)a)->id, ((const struct artist *)b)->id);
}

static int load_artists(struct gen *g)
{
	sqlite3_stmt *st = NULL;
	long long n = scalar(g, "SELECT count(*) FROM artists");
	int rc, i = 0;

	if (n < 0)
		return -1;
	if (!(g->artists = xcalloc((size_t)n, sizeof *g->artists)))
		return -1;
	/* Ordered by id so a track's artist_id is found by binary search. */
	if (prepare(g, &st, "SELECT id FROM artists ORDER BY id") < 0)
		return -1;
	while (i < n && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		snprintf(g->artists[i].id, sizeof g->artists[i].id, "%s",
		         (const char *)sqlite3_column_text(st, 0));
		g->artists[i].comm = -1;
		i++;
	}
	sqlite3_finalize(st);
	g->nartists = i;
	return 0;
}

static int artist_index(struct gen *g, const char *id)
{
	struct artist key;
	struct artist *a;

	snprintf(key.id, sizeof key.id, "%s", id);
	a = bsearch(&key, g->artists, (size_t)g->nartists, sizeof *g->artists, cmp_artist_id);
	return a ? (int)(a - g->artists) : -1;
}

static uint32_t markets_mask(const char *csv)
{
	uint32_t mask = 0;

	if (!csv || !*csv)
		return 0;
	for (const char *p = csv; *p; ) {
		size_t len = strcspn(p, ",");
		bool known = false;

		for (int m = 0; m < NMARKETS; m++)
			if (len == 2 && !strncmp(p, MARKETS[m], 2)) {
				mask |= 1u << m;
				known = true;
			}
		if (!known)
			mask |= MARKET_UNKNOWN;
		p += len + (p[len] == ',');
	}
	return mask ? mask : MARKET_UNKNOWN;
}

static int load_tracks(struct gen *g)
{
	sqlite3_stmt *st = NULL;
	long long n = scalar(g, "SELECT count(*) FROM tracks");
	long long have_plays = scalar(g, "SELECT EXISTS (SELECT 1 FROM plays)");
	int rc, i = 0;

	if (n < 0 || have_plays < 0)
		return -1;
	g->tracks = xcalloc((size_t)n, sizeof *g->tracks);
	g->counts = xcalloc((size_t)n, sizeof *g->counts);
	if (!g->tracks || !g->counts)
		return -1;
	/* Plays already there (from real users) keep counting towards play_count; the subquery
	 * costs an index probe per track, so it is only asked for when there are any. */
	if (prepare(g, &st, have_plays
	            ? "SELECT rowid, id, artist_id, duration_ms, markets,"
	              " (SELECT count(*) FROM plays p WHERE p.track_id = t.id AND p.counted)"
	              " FROM tracks t ORDER BY rowid"
	            : "SELECT rowid, id, artist_id, duration_ms, markets, 0 FROM tracks ORDER BY rowid") < 0)
		return -1;
	while (i < n && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct track *t = &g->tracks[i];

		t->rowid = sqlite3_column_int64(st, 0);
		snprintf(t->id, sizeof t->id, "%s", (const char *)sqlite3_column_text(st, 1));
		t->artist = artist_index(g, (const char *)sqlite3_column_text(st, 2));
		t->duration = sqlite3_column_int(st, 3);
		t->markets = markets_mask((const char *)sqlite3_column_text(st, 4));
		g->counts[i] = (uint32_t)sqlite3_column_int(st, 5);
		i++;
	}
	if (i < n && rc != SQLITE_DONE) {
		db_fail(g, "reading tracks");
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	g->ntracks = i;
	return 0;
}

/* ---- restructuring the catalog ---- */

static void shuffle32(int32_t *a, int n, struct rng *r)
{
	for (int i = n - 1; i > 0; i--) {
		int j = (int)below(r, (uint32_t)i + 1);
		int32_t t = a[i];

		a[i] = a[j];
		a[j] = t;
	}
}

/* Groups track indices by artist (counting sort), each artist's in a random rank order. */
static int group_by_artist(struct gen *g)
{
	int32_t *fill;

	if (!(g->byartist = xcalloc((size_t)g->ntracks, sizeof *g->byartist)) ||
	    !(fill = xcalloc((size_t)g->nartists + 1, sizeof *fill)))
		return -1;
	for (int i = 0; i < g->ntracks; i++)
		if (g->tracks[i].artist >= 0)
			g->artists[g->tracks[i].artist].n++;
	for (int a = 0, pos = 0; a < g->nartists; a++) {
		g->artists[a].first = pos;
		fill[a] = pos;
		pos += g->artists[a].n;
	}
	for (int i = 0; i < g->ntracks; i++)
		if (g->tracks[i].artist >= 0)
			g->byartist[fill[g->tracks[i].artist]++] = i;
	for (int a = 0; a < g->nartists; a++) {
		struct rng r = rng_for(g->o.seed, R_TRACK_RANK, (uint64_t)a);

		shuffle32(g->byartist + g->artists[a].first, g->artists[a].n, &r);
	}
	free(fill);
	return 0;
}

static int cmp_by_tracks_desc(const void *a, const void *b, void *arg)
{
	const struct artist *art = arg;
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;

	if (art[x].n != art[y].n)
		return art[x].n > art[y].n ? -1 : 1;
	return x < y ? -1 : x > y;
}

/* Artists into communities so that community sizes, counted in tracks, follow a power law.
 * Counting artists would not do: gen-meta gives a handful of artists most of the tracks, so
 * equal artist counts would still make wildly random track shares. Greedy, largest artist
 * first, into the community furthest below its target; the last artists fill any community
 * still empty, so every community has at least one artist when there are enough. */
static int assign_communities(struct gen *g)
{
	struct rng r = rng_for(g->o.seed, R_COMMUNITY, 0);
	int32_t *order = xcalloc((size_t)g->nartists, sizeof *order);
	double *target = xcalloc((size_t)g->ncomm, sizeof *target), wsum = 0;
	int32_t *have = xcalloc((size_t)g->ncomm, sizeof *have);
	int with_tracks = 0, empty = g->ncomm, rc = -1;

	if (!order || !target || !have)
		goto out;
	for (int k = 0; k < g->ncomm; k++)
		wsum += target[k] = pow(k + 1, -COMMUNITY_SIZE_EXP);
	for (int k = 0; k < g->ncomm; k++)
		target[k] *= g->ntracks / wsum;
	for (int a = 0; a < g->nartists; a++)
		order[a] = a;
	shuffle32(order, g->nartists, &r);
	qsort_r(order, (size_t)g->nartists, sizeof *order, cmp_by_tracks_desc, g->artists);
	while (with_tracks < g->nartists && g->artists[order[with_tracks]].n > 0)
		with_tracks++;
	for (int i = 0; i < with_tracks; i++) {
		struct artist *a = &g->artists[order[i]];
		bool only_empty = with_tracks - i <= empty;
		int best = -1;

		for (int k = 0; k < g->ncomm; k++) {
			if (only_empty && have[k])
				continue;
			if (best < 0 || target[k] - have[k] > target[best] - have[best])
				best = k;
		}
		if (!have[best])
			empty--;
		a->comm = best;
		have[best] += a->n;
		g->comms[best].nartists++;
	}
	/* Artists without tracks change nothing anyone sees; they join by weight all the same. */
	for (int i = with_tracks; i < g->nartists; i++) {
		double x = unit(&r) * wsum, acc = 0;
		int k = 0;

		while (k < g->ncomm - 1 && (acc += pow(k + 1, -COMMUNITY_SIZE_EXP)) <= x)
			k++;
		g->artists[order[i]].comm = k;
		g->comms[k].nartists++;
	}
	rc = 0;
out:
	free(order);
	free(target);
	free(have);
	return rc;
}

static double clampd(double v, double lo, double hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static void make_centroids(struct gen *g)
{
	for (int k = 0; k < g->ncomm; k++) {
		struct community *c = &g->comms[k];
		struct rng r = rng_for(g->o.seed, R_CENTROID, (uint64_t)k);

		c->genre = k % NGENRES;
		for (int f = 0; f < NFEAT; f++)
			c->centroid[f] = clampd(GENRE_PROTO[c->genre][f] + SD_COMMUNITY[f] * gauss(&r),
			                        FEAT_LO[f], FEAT_HI[f]);
	}
	for (int a = 0; a < g->nartists; a++) {
		struct artist *art = &g->artists[a];
		struct rng r = rng_for(g->o.seed, R_ARTIST_FEAT, (uint64_t)a);

		for (int f = 0; f < NFEAT; f++)
			art->feat[f] = (float)clampd(g->comms[art->comm].centroid[f] + SD_ARTIST[f] * gauss(&r),
			                             FEAT_LO[f], FEAT_HI[f]);
	}
}

/* Lays out each community's tracks, most popular artist first, with cumulative weights
 * artist_rank^-ARTIST_EXP * track_rank^-TRACK_EXP (normalised within the artist), so a draw
 * is one binary search. Artist ranks are a shuffle of the community's artists. */
static int build_popularity(struct gen *g)
{
	int32_t *arts = xcalloc((size_t)g->nartists, sizeof *arts);
	int32_t *fill = xcalloc((size_t)g->ncomm, sizeof *fill);
	int pos = 0, rc = -1;

	g->ctrack = xcalloc((size_t)g->ntracks, sizeof *g->ctrack);
	g->ccdf = xcalloc((size_t)g->ntracks, sizeof *g->ccdf);
	if (!arts || !fill || !g->ctrack || !g->ccdf)
		goto out;
	for (int k = 0, p = 0; k < g->ncomm; k++) {
		fill[k] = p;
		p += g->comms[k].nartists;
	}
	for (int a = 0; a < g->nartists; a++)
		arts[fill[g->artists[a].comm]++] = a;
	for (int k = 0, p = 0; k < g->ncomm; k++) {
		struct community *c = &g->comms[k];
		struct rng r = rng_for(g->o.seed, R_ARTIST_RANK, (uint64_t)k);
		double acc = 0;
		int rank = 0;

		shuffle32(arts + p, c->nartists, &r);
		c->first = pos;
		for (int i = 0; i < c->nartists; i++) {
			const struct artist *art = &g->artists[arts[p + i]];
			double aw, z = 0;

			if (!art->n)
				continue;
			aw = pow(++rank, -ARTIST_EXP);
			for (int j = 0; j < art->n; j++)
				z += pow(j + 1, -TRACK_EXP);
			for (int j = 0; j < art->n; j++) {
				g->ctrack[pos] = g->byartist[art->first + j];
				acc += aw * pow(j + 1, -TRACK_EXP) / z;
				g->ccdf[pos++] = acc;
			}
		}
		c->n = pos - c->first;
		c->total = acc;
		p += c->nartists;
	}
	for (int i = 0; i < g->ntracks; i++)
		g->tracks[i].comm = g->tracks[i].artist >= 0 ? g->artists[g->tracks[i].artist].comm
		                                             : (int32_t)(g->tracks[i].rowid % g->ncomm);
	rc = 0;
out:
	free(arts);
	free(fill);
	return rc;
}

/* Cumulative weights for drawing users' communities: bigger ones draw more listeners. */
static int build_comm_pick(struct gen *g)
{
	double acc = 0;

	if (!(g->comm_pick = xcalloc((size_t)g->ncomm, sizeof *g->comm_pick)))
		return -1;
	for (int k = 0; k < g->ncomm; k++) {
		acc += g->comms[k].n ? pow(k + 1, -COMMUNITY_PICK_EXP) : 0;
		g->comm_pick[k] = acc;
	}
	return 0;
}

static int restructure(struct gen *g)
{
	int with_tracks = 0;

	for (int a = 0; a < g->nartists; a++)
		with_tracks += g->artists[a].n > 0;
	if (with_tracks == 0) {
		fprintf(stderr, PROG ": no track belongs to a known artist\n");
		return -1;
	}
	/* A community without artists would never be played and only skews the weights. */
	if (with_tracks < g->ncomm) {
		fprintf(stderr, PROG ": only %d artists have tracks: using %d communities, not %d\n",
		        with_tracks, with_tracks, g->ncomm);
		g->ncomm = with_tracks;
	}
	if (!(g->comms = xcalloc((size_t)g->ncomm, sizeof *g->comms)))
		return -1;
	if (assign_communities(g) < 0)
		return -1;
	make_centroids(g);
	if (build_popularity(g) < 0 || build_comm_pick(g) < 0)
		return -1;
	return 0;
}

/* ---- drawing ---- */

static int upper_bound(const double *cdf, int lo, int hi, double x)
{
	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;

		if (cdf[mid] <= x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int pick_comm(struct gen *g, struct rng *r)
{
	int k = upper_bound(g->comm_pick, 0, g->ncomm, unit(r) * g->comm_pick[g->ncomm - 1]);

	return k < g->ncomm ? k : g->ncomm - 1;
}

/* A random community that has tracks (exploration). */
static int any_comm(struct gen *g, struct rng *r)
{
	for (;;) {
		int k = (int)below(r, (uint32_t)g->ncomm);

		if (g->comms[k].n)
			return k;
	}
}

/* A track of community comm by popularity, available in the listener's country: a few
 * redraws, then whatever came (licences restrict only a tenth of gen-meta's tracks). */
static int32_t draw_track(struct gen *g, int comm, int country, struct rng *r)
{
	const struct community *c = &g->comms[comm];
	int32_t t = 0;

	for (int tries = 0; tries < 8; tries++) {
		int i = upper_bound(g->ccdf, c->first, c->first + c->n, unit(r) * c->total);

		t = g->ctrack[i < c->first + c->n ? i : c->first + c->n - 1];
		if (!g->tracks[t].markets || ((g->tracks[t].markets >> country) & 1))
			break;
	}
	return t;
}

static bool in_taste(const struct user *us, int comm)
{
	for (int i = 0; i < us->ntaste; i++)
		if (us->taste[i] == comm)
			return true;
	return false;
}

static int taste_pick(const struct user *us, struct rng *r)
{
	double x = unit(r);

	for (int i = 0; i < us->ntaste - 1; i++)
		if ((x -= us->tw[i]) < 0)
			return us->taste[i];
	return us->taste[us->ntaste - 1];
}

/* ---- activity ---- */

/* Pareto activity per user, scaled so the total is exactly --plays: the scale is found by
 * bisection because of the cap, and the running total is rounded so no remainder is lost. */
static int allocate_activity(struct gen *g)
{
	long n = g->o.users;
	double *a = xcalloc((size_t)n, sizeof *a), mean = (double)g->o.plays / (double)n;
	double cap = fmin(ACTIVITY_CAP_MEAN * mean, ACTIVITY_CAP_ABS), lo = 0, hi = 1, acc = 0;
	long long done = 0;

	if (!a || !(g->activity = xcalloc((size_t)n, sizeof *g->activity)))
		goto fail;
	if (cap * (double)n < (double)g->o.plays) {
		fprintf(stderr, PROG ": %lld plays for %ld users is more than %d per user can listen"
		        " to in 180 days\n", g->o.plays, n, ACTIVITY_CAP_ABS);
		goto fail;
	}
	for (long i = 0; i < n; i++) {
		struct rng r = rng_for(g->o.seed, R_ACTIVITY, (uint64_t)i);

		a[i] = pow(1.0 - unit(&r), -1.0 / ACTIVITY_ALPHA);
	}
	for (;;) { /* find hi with total(hi) >= plays */
		double s = 0;

		for (long i = 0; i < n; i++)
			s += fmin(a[i] * hi, cap);
		if (s >= (double)g->o.plays)
			break;
		hi *= 2;
	}
	for (int it = 0; it < 100; it++) {
		double mid = (lo + hi) / 2, s = 0;

		for (long i = 0; i < n; i++)
			s += fmin(a[i] * mid, cap);
		*(s < (double)g->o.plays ? &lo : &hi) = mid;
	}
	for (long i = 0; i < n; i++) {
		long long upto;

		acc += fmin(a[i] * hi, cap);
		upto = i == n - 1 ? g->o.plays : llround(acc);
		if (upto > g->o.plays)
			upto = g->o.plays;
		g->activity[i] = (int32_t)(upto - done);
		done = upto;
		if (g->activity[i] > g->pbcap)
			g->pbcap = g->activity[i];
	}
	free(a);
	return 0;
fail:
	free(a);
	return -1;
}

/* ---- one user ---- */

static void made_up_word(struct rng *r, char *out, size_t size)
{
	int n = (int)between(r, 2, 3);
	size_t len = 0;

	out[0] = '\0';
	for (int i = 0; i < n && len + 3 < size; i++)
		len += (size_t)snprintf(out + len, size - len, "%s", SYLL[below(r, NSYLL)]);
	out[0] = (char)(out[0] - 'a' + 'A');
}

static void user_init(struct gen *g, struct user *us, int idx)
{
	struct rng r = rng_for(g->o.seed, R_USER, (uint64_t)idx);
	struct rng t = rng_for(g->o.seed, R_TASTE, (uint64_t)idx);
	char first[16], last[16];
	double x;
	int want;

	us->idx = idx;
	snprintf(us->id, sizeof us->id, "syn-%06d", idx);
	made_up_word(&r, first, sizeof first);
	made_up_word(&r, last, sizeof last);
	snprintf(us->name, sizeof us->name, "%s %s", first, last);
	us->country = (int)below(&r, NMARKETS);
	us->premium = chance(&r, 0.45);
	us->nplays = g->activity[idx];
	us->nsess = us->npl = us->nfav = 0;
	memset(us->favset, 0, sizeof us->favset);

	x = unit(&t);
	want = x < 0.35 ? 1 : x < 0.75 ? 2 : 3;
	us->ntaste = 1;
	us->taste[0] = pick_comm(g, &t);
	while (us->ntaste < want) {
		int k = -1, groups = (g->ncomm + NGENRES - 1) / NGENRES;

		/* Half the time a further taste is a sibling of the first (same genre): structure at
		 * the genre level as well as the community level. */
		for (int tries = 0; tries < 20 && k < 0; tries++) {
			int sib = us->taste[0] % NGENRES + NGENRES * (int)below(&t, (uint32_t)groups);

			k = chance(&t, 0.5) && sib < g->ncomm ? sib : pick_comm(g, &t);
			if (in_taste(us, k) || !g->comms[k].n)
				k = -1;
		}
		if (k < 0)
			break; /* a tiny catalog ran out of distinct communities */
		us->taste[us->ntaste++] = k;
	}
	if (us->ntaste == 1) {
		us->tw[0] = 1;
	} else {
		us->tw[0] = 0.55 + 0.25 * unit(&t);
		us->tw[1] = (1 - us->tw[0]) * (us->ntaste == 2 ? 1 : 0.5 + 0.5 * unit(&t));
		us->tw[2] = 1 - us->tw[0] - us->tw[1];
	}
	g->home[idx] = us->taste[0];
}

static void playlist_name(const struct user *us, const char *genre, struct rng *r, char *out, size_t size)
{
	for (int tries = 0; tries < 8; tries++) {
		bool dup = false;

		if (chance(r, 0.75))
			snprintf(out, size, "%s %s", MOODS[below(r, NMOODS)], genre);
		else
			snprintf(out, size, "%s %s", genre, SUFFIXES[below(r, NSUFFIXES)]);
		for (int i = 0; i < us->npl; i++)
			dup |= !strcmp(us->pls[i].name, out);
		if (!dup)
			return;
	}
}

static void playlists_make(struct gen *g, struct user *us)
{
	struct rng r = rng_for(g->o.seed, R_PLAYLISTS, (uint64_t)us->idx);
	int n;

	if (!chance(&r, g->o.playlist_share))
		return;
	n = 1 + (int)(PL_MAX * unit(&r) * unit(&r)); /* mostly one or two */
	for (int p = 0; p < n; p++) {
		struct uplaylist *pl = &us->pls[us->npl];

		b62_id(&r, pl->id);
		/* memcpy, not snprintf: gcc cannot tell the two fields of *pl apart (-Wrestrict). */
		memcpy(pl->uri, "segue:playlist:", 15);
		memcpy(pl->uri + 15, pl->id, sizeof pl->id);
		pl->comm = taste_pick(us, &r);
		playlist_name(us, GENRES[g->comms[pl->comm].genre], &r, pl->name, sizeof pl->name);
		pl->n = (int)between(&r, 10, PL_TRACKS_MAX);
		pl->first_session = -1;
		for (int i = 0; i < pl->n; i++) {
			int32_t t = 0;

			for (int tries = 0; tries < 5; tries++) {
				bool dup = false;
				int c = pl->comm;

				if (!chance(&r, P_PLAYLIST_THEME))
					c = us->ntaste > 1 && chance(&r, 0.6) ? us->taste[(pl->comm == us->taste[0]) ? 1 : 0]
					                                       : any_comm(g, &r);
				t = draw_track(g, c, us->country, &r);
				for (int j = 0; j < i; j++)
					dup |= pl->tracks[j] == t;
				if (!dup)
					break;
			}
			pl->tracks[i] = t;
		}
		us->npl++;
	}
}

static int fav_slot(const struct user *us, int32_t t)
{
	unsigned h = ((uint32_t)t * 2654435761u) >> (32 - 10);

	while (us->favset[h & (FAV_HASH - 1)] && us->favset[h & (FAV_HASH - 1)] != t + 1)
		h++;
	return (int)(h & (FAV_HASH - 1));
}

static void fav_add(struct user *us, int32_t t, int play)
{
	int s;

	if (us->nfav >= FAV_MAX)
		return;
	s = fav_slot(us, t);
	if (us->favset[s])
		return;
	us->favset[s] = t + 1;
	us->favs[us->nfav].track = t;
	us->favs[us->nfav++].play = play;
}

/* A favourite to hear again, early ones (the best loved) more often, one of the session's
 * community if a few tries find one. */
static int32_t fav_pick(struct gen *g, const struct user *us, int comm, struct rng *r)
{
	int32_t t = 0;

	for (int tries = 0; tries < 4; tries++) {
		double x = unit(r);

		t = us->favs[(int)(us->nfav * x * x)].track;
		if (g->tracks[t].comm == comm)
			break;
	}
	return t;
}

/* How a play ends: skips are likelier outside the user's taste; a finished track in it may
 * become a favourite. */
static void play_end(struct gen *g, struct user *us, struct play *p, int idx, struct rng *r)
{
	const struct track *t = &g->tracks[p->track];
	bool taste = in_taste(us, t->comm);

	p->skip = chance(r, taste ? P_SKIP_TASTE : P_SKIP_OTHER);
	p->ms = t->duration;
	if (p->skip) {
		p->ms = (int32_t)between(r, 3000, 25000);
		if (p->ms >= t->duration)
			p->ms = t->duration / 2;
	}
	p->gap = (int16_t)between(r, 100, 2500);
	if (!p->skip && !p->relisten && chance(r, taste ? P_FAV_TASTE : P_FAV_OTHER))
		fav_add(us, p->track, idx);
}

static int session_len(struct rng *r, int left)
{
	int len = 5 + (int)(35.0 * pow(unit(r), 1.5)); /* 5-40, mostly short */

	if (len >= left)
		return left;
	if (left - len < 5) /* no stub session after this one */
		return left - 5 >= 5 ? left - 5 : left;
	return len;
}

static int play_session(struct gen *g, struct user *us, int first, int len, struct rng *r)
{
	int comm = taste_pick(us, r);
	int32_t prev = -1;

	for (int i = 0; i < len; i++) {
		struct play *p = &g->pb[first + i];

		memset(p, 0, sizeof *p);
		p->pl = -1;
		for (int tries = 0; tries < 2 && (tries == 0 || p->track == prev); tries++) {
			p->relisten = us->nfav > 0 && chance(r, P_RELISTEN);
			if (p->relisten)
				p->track = fav_pick(g, us, comm, r);
			else
				p->track = draw_track(g, chance(r, P_IN_SESSION) ? comm : any_comm(g, r),
				                      us->country, r);
		}
		play_end(g, us, p, first + i, r);
		prev = p->track;
	}
	return len;
}

/* A session from one of the user's own playlists, in shuffled order. */
static int play_playlist(struct gen *g, struct user *us, int first, int len, int which, struct rng *r)
{
	struct uplaylist *pl = &us->pls[which];
	int32_t order[PL_TRACKS_MAX];

	memcpy(order, pl->tracks, sizeof order[0] * (size_t)pl->n);
	shuffle32(order, pl->n, r);
	if (len > pl->n)
		len = pl->n;
	if (pl->first_session < 0)
		pl->first_session = us->nsess - 1;
	for (int i = 0; i < len; i++) {
		struct play *p = &g->pb[first + i];

		memset(p, 0, sizeof *p);
		p->pl = (int16_t)which;
		p->track = order[i];
		play_end(g, us, p, first + i, r);
	}
	return len;
}

static void plays_make(struct gen *g, struct user *us)
{
	struct rng r = rng_for(g->o.seed, R_PLAYS, (uint64_t)us->idx);
	int left = us->nplays, np = 0;

	while (left > 0) {
		int len = session_len(&r, left);
		struct session *s = &g->sb[us->nsess++];

		s->first = np;
		if (us->npl && chance(&r, P_PLAYLIST_SESSION))
			s->n = play_playlist(g, us, np, len, (int)below(&r, (uint32_t)us->npl), &r);
		else
			s->n = play_session(g, us, np, len, &r);
		np += s->n;
		left -= s->n;
	}
}

/* Places the sessions in time: the user is active over the whole window or, for some, only
 * its latter part; the idle time between sessions is split at random (Dirichlet by
 * exponentials), so every play ends before --now whatever the user's volume. */
static void times_assign(struct gen *g, struct user *us)
{
	struct rng r = rng_for(g->o.seed, R_TIMES, (uint64_t)us->idx), again;
	int64_t listen = 0, span = chance(&r, 0.7) ? WINDOW_MS : (int64_t)(WINDOW_MS * (0.05 + 0.95 * unit(&r)));
	int64_t t, idle, first_start = g->o.now;
	double gsum = 0;
	int np = us->nsess ? g->sb[us->nsess - 1].first + g->sb[us->nsess - 1].n : 0;

	for (int s = 0; s < us->nsess; s++)
		for (int i = 0; i < g->sb[s].n; i++) {
			const struct play *p = &g->pb[g->sb[s].first + i];

			listen += p->ms + (i < g->sb[s].n - 1 ? p->gap : 0);
		}
	if (span < listen * 5 / 4 + us->nsess * 60000LL)
		span = listen * 5 / 4 + us->nsess * 60000LL;
	if (span < WINDOW_MS && listen > WINDOW_MS * 0.8) /* only with implausibly long tracks */
		span = WINDOW_MS;
	idle = span - listen;
	/* The gaps need their sum before the first is used: sum them from a copy of the
	 * stream, then draw the same values again while placing the sessions. */
	again = r;
	for (int s = 0; s <= us->nsess; s++)
		gsum += -log(1.0 - unit(&again));
	t = g->o.now - span;
	for (int s = 0; s < us->nsess; s++) {
		t += (int64_t)((double)idle * -log(1.0 - unit(&r)) / gsum);
		for (int i = 0; i < g->sb[s].n; i++) {
			struct play *p = &g->pb[g->sb[s].first + i];

			p->start = t;
			t += p->ms + (i < g->sb[s].n - 1 ? p->gap : 0);
		}
	}
	if (np)
		first_start = g->pb[0].start;
	/* Playlists: made a while before the first session that plays one, their tracks added
	 * one by one in the meantime; those never played from, some time in the active span. */
	for (int i = 0; i < us->npl; i++) {
		struct uplaylist *pl = &us->pls[i];
		int64_t before = pl->first_session >= 0 ? g->pb[g->sb[pl->first_session].first].start
		                                       : g->o.now - between(&r, 0, span);

		pl->step = between(&r, 2000, 40000);
		pl->created = before - (pl->n + 1) * pl->step - between(&r, 10 * 60000LL, 14 * DAY_MS);
		if (pl->created < first_start)
			first_start = pl->created;
	}
	us->created = first_start - between(&r, 3600000LL, 400 * DAY_MS);
	g->created[us->idx] = us->created;
}

/* ---- writing one user ---- */

static bool is_counted(int ms, int duration, bool done)
{
	/* server/api/history.c: COUNTS_AFTER_MS, or all of a track shorter than that */
	return ms >= COUNTS_AFTER_MS || (duration < COUNTS_AFTER_MS && ms >= duration - 1000 && done);
}

static int write_user(struct gen *g, const struct user *us)
{
	sqlite3_stmt *st = g->ins_user;

	sqlite3_bind_text(st, 1, us->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, us->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, us->premium ? "premium" : "free", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, MARKETS[us->country], -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, us->created);
	return run(g, st, "inserting a user");
}

static int remember_playlist(struct gen *g, const struct user *us, const struct uplaylist *pl, int64_t updated)
{
	if (g->npl == g->plcap) {
		int cap = g->plcap ? g->plcap * 2 : 4096;
		struct plref *n = realloc(g->pl, (size_t)cap * sizeof *n);

		if (!n) {
			fprintf(stderr, PROG ": out of memory\n");
			return -1;
		}
		g->pl = n;
		g->plcap = cap;
	}
	memcpy(g->pl[g->npl].id, pl->id, sizeof pl->id);
	g->pl[g->npl].owner = us->idx;
	g->pl[g->npl].comm = pl->comm;
	g->pl[g->npl++].updated = updated;
	return 0;
}

static int write_playlists(struct gen *g, const struct user *us)
{
	for (int i = 0; i < us->npl; i++) {
		const struct uplaylist *pl = &us->pls[i];
		int64_t updated = pl->created + pl->n * pl->step;

		sqlite3_bind_text(g->ins_pl, 1, pl->id, -1, SQLITE_STATIC);
		sqlite3_bind_text(g->ins_pl, 2, us->id, -1, SQLITE_STATIC);
		sqlite3_bind_text(g->ins_pl, 3, pl->name, -1, SQLITE_STATIC);
		sqlite3_bind_int(g->ins_pl, 4, pl->n);
		sqlite3_bind_int64(g->ins_pl, 5, pl->created);
		sqlite3_bind_int64(g->ins_pl, 6, updated);
		if (run(g, g->ins_pl, "inserting a playlist") < 0)
			return -1;
		for (int j = 0; j < pl->n; j++) {
			sqlite3_bind_text(g->ins_item, 1, pl->id, -1, SQLITE_STATIC);
			sqlite3_bind_int(g->ins_item, 2, j);
			sqlite3_bind_text(g->ins_item, 3, g->tracks[pl->tracks[j]].id, -1, SQLITE_STATIC);
			sqlite3_bind_int64(g->ins_item, 4, pl->created + (j + 1) * pl->step);
			sqlite3_bind_text(g->ins_item, 5, us->id, -1, SQLITE_STATIC);
			if (run(g, g->ins_item, "inserting a playlist item") < 0)
				return -1;
		}
		if (remember_playlist(g, us, pl, updated) < 0)
			return -1;
	}
	return 0;
}

static int write_plays(struct gen *g, const struct user *us, int np)
{
	sqlite3_stmt *st = g->ins_play;
	char ev[16];

	for (int i = 0; i < np; i++) {
		const struct play *p = &g->pb[i];
		const struct track *t = &g->tracks[p->track];
		bool counted = is_counted(p->ms, t->duration, !p->skip);

		/* Event ids count up in time order, so (user_id, event_id) order is time order. */
		snprintf(ev, sizeof ev, "e%08x", (unsigned)i);
		sqlite3_bind_text(st, 1, us->id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, ev, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, t->id, -1, SQLITE_STATIC);
		if (p->pl >= 0)
			sqlite3_bind_text(st, 4, us->pls[p->pl].uri, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(st, 4);
		sqlite3_bind_int64(st, 5, p->start);
		sqlite3_bind_int(st, 6, p->ms);
		sqlite3_bind_text(st, 7, p->skip ? "skipped" : "track_done", -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 8, counted);
		sqlite3_bind_int64(st, 9, p->start + p->ms);
		if (run(g, st, "inserting a play") < 0)
			return -1;
		g->counts[p->track] += counted;
		g->ncounted += counted;
		g->nskips += p->skip;
		g->nrelisten += p->relisten;
	}
	g->nplays += np;
	return 0;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* Follows 0-10 of the user's most played artists, each soon after first hearing them. */
static int write_followed_artists(struct gen *g, const struct user *us, int np, struct rng *r)
{
	int n = 0, runs = 0, want = (int)between(r, 0, 10);

	for (int i = 0; i < np; i++)
		if (!g->pb[i].skip && g->tracks[g->pb[i].track].artist >= 0)
			g->pairs[n++] = (int64_t)g->tracks[g->pb[i].track].artist << 32 | i;
	qsort(g->pairs, (size_t)n, sizeof *g->pairs, cmp_i64);
	/* Collapse into runs, reusing the array, as (count << 32 | INT32_MAX - artist): sorted,
	 * the most played come last, and among equal counts the lower artist index. */
	for (int i = 0; i < n; ) {
		int j = i;

		while (j < n && g->pairs[j] >> 32 == g->pairs[i] >> 32)
			j++;
		g->pairs[runs++] = (int64_t)(j - i) << 32 | (int64_t)(INT32_MAX - (g->pairs[i] >> 32));
		i = j;
	}
	qsort(g->pairs, (size_t)runs, sizeof *g->pairs, cmp_i64);
	for (int k = 0; k < want && k < runs; k++) {
		int32_t artist = INT32_MAX - (int32_t)(g->pairs[runs - 1 - k] & 0xffffffff);
		int64_t first = g->o.now;

		/* The first play of that artist, found again; plays are few per user. */
		for (int i = 0; i < np; i++)
			if (!g->pb[i].skip && g->tracks[g->pb[i].track].artist == artist) {
				first = g->pb[i].start + g->pb[i].ms;
				break;
			}
		first += between(r, 0, 3 * DAY_MS);
		sqlite3_bind_text(g->ins_artist, 1, us->id, -1, SQLITE_STATIC);
		sqlite3_bind_text(g->ins_artist, 2, g->artists[artist].id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(g->ins_artist, 3, first < g->o.now ? first : g->o.now);
		if (run(g, g->ins_artist, "inserting a followed artist") < 0)
			return -1;
	}
	return 0;
}

/* Saves 0-50 favourites, the best loved (earliest) first, when they became favourites. */
static int write_saved(struct gen *g, const struct user *us, struct rng *r)
{
	int want = (int)between(r, 0, 50);

	for (int k = 0; k < want && k < us->nfav; k++) {
		const struct play *p = &g->pb[us->favs[k].play];
		int64_t at = p->start + p->ms + between(r, 0, 2 * DAY_MS);

		sqlite3_bind_text(g->ins_saved, 1, us->id, -1, SQLITE_STATIC);
		sqlite3_bind_text(g->ins_saved, 2, g->tracks[us->favs[k].track].id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(g->ins_saved, 3, at < g->o.now ? at : g->o.now);
		if (run(g, g->ins_saved, "inserting a saved track") < 0)
			return -1;
	}
	return 0;
}

static int user_run(struct gen *g, int idx)
{
	struct user *us = g->u;
	struct rng lib = rng_for(g->o.seed, R_LIBRARY, (uint64_t)idx);

	user_init(g, us, idx);
	playlists_make(g, us);
	plays_make(g, us);
	times_assign(g, us);
	if (write_user(g, us) < 0 || write_playlists(g, us) < 0 || write_plays(g, us, us->nplays) < 0 ||
	    write_followed_artists(g, us, us->nplays, &lib) < 0 || write_saved(g, us, &lib) < 0)
		return -1;
	return 0;
}

/* ---- after all users ---- */

/* 10% of users follow someone else's playlist of their own dominant community. */
static int follow_playlists(struct gen *g)
{
	int32_t *fill = xcalloc((size_t)g->ncomm, sizeof *fill);

	if (!fill || !(g->pl_by_comm = xcalloc((size_t)g->npl, sizeof *g->pl_by_comm))) {
		free(fill);
		return -1;
	}
	for (int i = 0; i < g->npl; i++)
		g->comms[g->pl[i].comm].pl_n++;
	for (int k = 0, pos = 0; k < g->ncomm; k++) {
		g->comms[k].pl_first = fill[k] = pos;
		pos += g->comms[k].pl_n;
	}
	for (int i = 0; i < g->npl; i++)
		g->pl_by_comm[fill[g->pl[i].comm]++] = i;
	free(fill);
	for (long u = 0; u < g->o.users; u++) {
		struct rng r = rng_for(g->o.seed, R_FOLLOW, (uint64_t)u);
		const struct community *c = &g->comms[g->home[u]];
		const struct plref *p = NULL;
		int64_t from, at;
		char uid[16];

		if (!chance(&r, P_FOLLOW_PLAYLIST) || !c->pl_n)
			continue;
		for (int tries = 0; tries < 5 && (!p || p->owner == u); tries++)
			p = &g->pl[g->pl_by_comm[c->pl_first + (int)below(&r, (uint32_t)c->pl_n)]];
		if (p->owner == u)
			continue;
		from = p->updated > g->created[u] ? p->updated : g->created[u];
		at = from + (int64_t)(unit(&r) * (double)(g->o.now - from));
		snprintf(uid, sizeof uid, "syn-%06ld", u);
		sqlite3_bind_text(g->ins_follow, 1, p->id, -1, SQLITE_STATIC);
		sqlite3_bind_text(g->ins_follow, 2, uid, -1, SQLITE_STATIC);
		sqlite3_bind_int64(g->ins_follow, 3, at < g->o.now ? at : g->o.now);
		if (run(g, g->ins_follow, "inserting a playlist follower") < 0)
			return -1;
		g->nfollows++;
	}
	return 0;
}

/* Genre, audio features, play_count and popularity of every track, in one pass in rowid
 * order (the table's own order, so pages are written once each). Features are drawn here,
 * from a stream per track, so they do not depend on anything the listening drew. */
static int update_tracks(struct gen *g)
{
	sqlite3_stmt *st = NULL;
	uint32_t top = 0;
	double ltop;
	int rc = -1;

	for (int i = 0; i < g->ntracks; i++)
		top = g->counts[i] > top ? g->counts[i] : top;
	ltop = log1p((double)top);
	if (prepare(g, &st, "UPDATE tracks SET genre = ?, tempo = ?, energy = ?, danceability = ?,"
	            " acousticness = ?, brightness = ?, loudness = ?, play_count = ?, popularity = ?"
	            " WHERE rowid = ?") < 0)
		return -1;
	for (int i = 0; i < g->ntracks; i++) {
		const struct track *t = &g->tracks[i];
		struct rng r = rng_for(g->o.seed, R_TRACK_FEAT, (uint64_t)t->rowid);
		double f[NFEAT];

		for (int k = 0; k < NFEAT; k++) {
			double base = t->artist >= 0 ? g->artists[t->artist].feat[k] : g->comms[t->comm].centroid[k];

			f[k] = clampd(base + SD_TRACK[k] * gauss(&r), FEAT_LO[k], FEAT_HI[k]);
		}
		sqlite3_bind_text(st, 1, GENRES[g->comms[t->comm].genre], -1, SQLITE_STATIC);
		sqlite3_bind_double(st, 2, round(f[F_TEMPO] * 10) / 10);
		sqlite3_bind_double(st, 3, round(f[F_ENERGY] * 1000) / 1000);
		sqlite3_bind_double(st, 4, round(f[F_DANCE] * 1000) / 1000);
		sqlite3_bind_double(st, 5, round(f[F_ACOUSTIC] * 1000) / 1000);
		sqlite3_bind_double(st, 6, round(f[F_BRIGHT] * 1000) / 1000);
		sqlite3_bind_double(st, 7, round(f[F_LOUD] * 100) / 100);
		sqlite3_bind_int64(st, 8, g->counts[i]);
		sqlite3_bind_int(st, 9, top ? (int)lround(100.0 * log1p(g->counts[i]) / ltop) : 0);
		sqlite3_bind_int64(st, 10, t->rowid);
		if (run(g, st, "updating a track") < 0)
			goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(st);
	return rc;
}

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
	if (prepare(g, &g->ins_user, "INSERT INTO users (id, display_name, pw_hash, tier, country,"
	            " created_at) VALUES (?, ?, '!', ?, ?, ?)") < 0 ||
	    prepare(g, &g->ins_play, "INSERT INTO plays (user_id, event_id, track_id, context_uri,"
	            " started_at, ms_played, reason_end, counted, received_at)"
	            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)") < 0 ||
	    prepare(g, &g->ins_pl, "INSERT INTO playlists (id, owner_id, name, description, public,"
	            " collaborative, version, length, created_at, updated_at)"
	            " VALUES (?, ?, ?, '', 1, 0, 1, ?, ?, ?)") < 0 ||
	    prepare(g, &g->ins_item, "INSERT INTO playlist_items (playlist_id, pos, track_id, added_at,"
	            " added_by) VALUES (?, ?, ?, ?, ?)") < 0 ||
	    prepare(g, &g->ins_follow, "INSERT INTO playlist_followers (playlist_id, user_id,"
	            " followed_at) VALUES (?, ?, ?)") < 0 ||
	    prepare(g, &g->ins_artist, "INSERT INTO followed_artists (user_id, artist_id, followed_at)"
	            " VALUES (?, ?, ?)") < 0 ||
	    prepare(g, &g->ins_saved, "INSERT INTO saved_tracks (user_id, track_id, added_at)"
	            " VALUES (?, ?, ?)") < 0)
		return -1;
	return 0;
}

static int alloc_users(struct gen *g)
{
	size_t n = (size_t)g->o.users, p = (size_t)g->pbcap + 1;

	g->home = xcalloc(n, sizeof *g->home);
	g->created = xcalloc(n, sizeof *g->created);
	g->u = xcalloc(1, sizeof *g->u);
	g->pb = xcalloc(p, sizeof *g->pb);
	g->sb = xcalloc(p, sizeof *g->sb);
	g->pairs = xcalloc(p, sizeof *g->pairs);
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
		if (user_run(g, (int)u) < 0)
			goto fail;
	phase(g, "users and plays");
	if (follow_playlists(g) < 0)
		goto fail;
	phase(g, "playlist follows");
	if (update_tracks(g) < 0)
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
	if (open_db(&g) < 0 || load_artists(&g) < 0 || load_tracks(&g) < 0)
		goto out;
	phase(&g, "load catalog");
	if (group_by_artist(&g) < 0 || restructure(&g) < 0 || allocate_activity(&g) < 0 ||
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
