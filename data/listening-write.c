/* segue-gen-listening's writes: one user at a time made and written (the user, playlists,
 * plays, followed artists, saved tracks), then the playlist follows across users. */
#include "config.h"
#include "listening.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COUNTS_AFTER_MS 30000 /* server/api/history.c */
#define P_FOLLOW_PLAYLIST 0.1

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
	return gen_run(g, st, "inserting a user");
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
		if (gen_run(g, g->ins_pl, "inserting a playlist") < 0)
			return -1;
		for (int j = 0; j < pl->n; j++) {
			sqlite3_bind_text(g->ins_item, 1, pl->id, -1, SQLITE_STATIC);
			sqlite3_bind_int(g->ins_item, 2, j);
			sqlite3_bind_text(g->ins_item, 3, g->tracks[pl->tracks[j]].id, -1, SQLITE_STATIC);
			sqlite3_bind_int64(g->ins_item, 4, pl->created + (j + 1) * pl->step);
			sqlite3_bind_text(g->ins_item, 5, us->id, -1, SQLITE_STATIC);
			if (gen_run(g, g->ins_item, "inserting a playlist item") < 0)
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
		if (gen_run(g, st, "inserting a play") < 0)
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
		if (gen_run(g, g->ins_artist, "inserting a followed artist") < 0)
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
		if (gen_run(g, g->ins_saved, "inserting a saved track") < 0)
			return -1;
	}
	return 0;
}

int gen_user_run(struct gen *g, int idx)
{
	struct user *us = g->u;
	struct rng lib = rng_for(g->o.seed, R_LIBRARY, (uint64_t)idx);

	gen_user_init(g, us, idx);
	gen_playlists_make(g, us);
	gen_plays_make(g, us);
	gen_times_assign(g, us);
	if (write_user(g, us) < 0 || write_playlists(g, us) < 0 || write_plays(g, us, us->nplays) < 0 ||
	    write_followed_artists(g, us, us->nplays, &lib) < 0 || write_saved(g, us, &lib) < 0)
		return -1;
	return 0;
}

/* ---- after all users ---- */

/* 10% of users follow someone else's playlist of their own dominant community. */
int gen_follow_playlists(struct gen *g)
{
	int32_t *fill = gen_xcalloc((size_t)g->ncomm, sizeof *fill);

	if (!fill || !(g->pl_by_comm = gen_xcalloc((size_t)g->npl, sizeof *g->pl_by_comm))) {
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
		if (gen_run(g, g->ins_follow, "inserting a playlist follower") < 0)
			return -1;
		g->nfollows++;
	}
	return 0;
}
