/* What segue-gen-listening's files share and no one else sees: the generator's state, the
 * catalog, users and plays it works on, the PRNG streams, the constants more than one file
 * needs, and the functions one part calls in another. */
#ifndef SEGUE_LISTENING_H
#define SEGUE_LISTENING_H

#include <math.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PROG "segue-gen-listening"

#define DAY_MS (86400LL * 1000)
#define WINDOW_MS (180 * DAY_MS)

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

/* Audio features: a prototype per genre; communities scatter around their genre's, artists
 * around their community's, tracks around their artist's (listening-catalog.c). */
enum { F_TEMPO, F_ENERGY, F_DANCE, F_ACOUSTIC, F_BRIGHT, F_LOUD, NFEAT };

static const char B62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/* ---- PRNG: splitmix64 streams derived from (seed, purpose, index) ---- */

struct rng {
	uint64_t s;
};

static inline uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline struct rng rng_for(uint64_t seed, int purpose, uint64_t index)
{
	struct rng r = { mix64(seed + 0x9e3779b97f4a7c15ULL * (uint64_t)(purpose + 1)) ^ mix64(~index) };

	return r;
}

static inline uint64_t rnext(struct rng *r)
{
	r->s += 0x9e3779b97f4a7c15ULL;
	return mix64(r->s);
}

/* [0, 1) */
static inline double unit(struct rng *r)
{
	return (double)(rnext(r) >> 11) * 0x1.0p-53;
}

/* [0, n), n > 0 */
static inline uint32_t below(struct rng *r, uint32_t n)
{
	return (uint32_t)(((rnext(r) >> 32) * (uint64_t)n) >> 32);
}

/* [lo, hi] */
static inline long long between(struct rng *r, long long lo, long long hi)
{
	return lo + (long long)(unit(r) * (double)(hi - lo + 1));
}

static inline bool chance(struct rng *r, double p)
{
	return unit(r) < p;
}

static inline double gauss(struct rng *r)
{
	double u = 1.0 - unit(r), v = unit(r);

	return sqrt(-2.0 * log(u)) * cos(2.0 * M_PI * v);
}

static inline void b62_id(struct rng *r, char out[23])
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

/* gen-listening.c: the database helpers. */
int gen_db_fail(struct gen *g, const char *what);
int gen_prepare(struct gen *g, sqlite3_stmt **st, const char *sql);
int gen_run(struct gen *g, sqlite3_stmt *st, const char *what);
long long gen_scalar(struct gen *g, const char *sql);
void *gen_xcalloc(size_t n, size_t size);

/* listening-catalog.c: the catalog loaded, given its communities, and written back. */
int gen_load_artists(struct gen *g);
int gen_load_tracks(struct gen *g);
void gen_shuffle32(int32_t *a, int n, struct rng *r);
int gen_group_by_artist(struct gen *g);
int gen_restructure(struct gen *g);
int gen_update_tracks(struct gen *g);

/* listening-users.c: how much each user plays, and one user's taste, playlists and plays. */
int gen_allocate_activity(struct gen *g);
void gen_user_init(struct gen *g, struct user *us, int idx);
void gen_playlists_make(struct gen *g, struct user *us);
void gen_plays_make(struct gen *g, struct user *us);
void gen_times_assign(struct gen *g, struct user *us);

/* listening-write.c: one user written, and the playlist follows after all users. */
int gen_user_run(struct gen *g, int idx);
int gen_follow_playlists(struct gen *g);

#endif
