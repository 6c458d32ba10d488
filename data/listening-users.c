/* segue-gen-listening's users: how much each plays, and one user at a time their taste, their
 * playlists, their sessions of plays with skips and favourites, and when it all happened. */
#include "config.h"
#include "listening.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Shape of the world. */
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
int gen_allocate_activity(struct gen *g)
{
	long n = g->o.users;
	double *a = gen_xcalloc((size_t)n, sizeof *a), mean = (double)g->o.plays / (double)n;
	double cap = fmin(ACTIVITY_CAP_MEAN * mean, ACTIVITY_CAP_ABS), lo = 0, hi = 1, acc = 0;
	long long done = 0;

	if (!a || !(g->activity = gen_xcalloc((size_t)n, sizeof *g->activity)))
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

void gen_user_init(struct gen *g, struct user *us, int idx)
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

void gen_playlists_make(struct gen *g, struct user *us)
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
	gen_shuffle32(order, pl->n, r);
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

void gen_plays_make(struct gen *g, struct user *us)
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
void gen_times_assign(struct gen *g, struct user *us)
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
