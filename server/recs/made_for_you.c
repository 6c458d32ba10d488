/* Made for you: the lists' generation and upkeep. See recs/made_for_you.h. */
#include "config.h"
#include "recs/made_for_you.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "library/playlists.h"
#include "log.h"
#include "store/playlists.h"
#include "store/recs.h"

#define LIST_LEN 30
#define MIX_SEEDS 120
#define MIX_MIN_ITEMS 8
#define RADAR_DAYS 28
#define RADAR_ARTISTS 40

enum kind { K_DISCOVER, K_MIX, K_RADAR };
static const char *const kind_names[] = { "discover-weekly", "daily-mix", "release-radar" };

struct slot {
	char playlist[BASE62_ID_LEN + 1];
	char period[16];
};

/* What the store holds of a user's lists now. */
struct current {
	struct slot discover, radar, mix[RECS_MFY_MIXES];
	int mixes;
	char mixes_period[16], radar_period[16];   /* when they were last made, even if empty */
};

static void periods(long long now_ms, char week[16], char day[16])   /* room for a "~" after each */
{
	time_t now = (time_t)(now_ms / 1000);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(week, 16, "%G-W%V", &tm);
	strftime(day, 16, "%Y-%m-%d", &tm);
}

static int slot_read(void *ud, const struct mfy_slot *row)
{
	struct current *cur = ud;
	struct slot *to = NULL;

	if (row->slot < 0) {
		/* the marker of a generation that may have written nothing */
		if (!strcmp(row->kind, kind_names[K_MIX]))
			snprintf(cur->mixes_period, sizeof cur->mixes_period, "%s", row->period);
		else if (!strcmp(row->kind, kind_names[K_RADAR]))
			snprintf(cur->radar_period, sizeof cur->radar_period, "%s", row->period);
		return 0;
	}
	if (!strcmp(row->kind, kind_names[K_DISCOVER]))
		to = &cur->discover;
	else if (!strcmp(row->kind, kind_names[K_RADAR]))
		to = &cur->radar;
	else if (!strcmp(row->kind, kind_names[K_MIX]) && row->slot < RECS_MFY_MIXES) {
		to = &cur->mix[row->slot];
		if (row->slot + 1 > cur->mixes)
			cur->mixes = row->slot + 1;
	}
	if (to) {
		snprintf(to->playlist, sizeof to->playlist, "%s", row->playlist);
		snprintf(to->period, sizeof to->period, "%s", row->period);
	}
	return 0;
}

static int read_current(struct store *s, const char *user, struct current *cur)
{
	memset(cur, 0, sizeof *cur);
	return store_mfy_slots(s, user, slot_read, cur);
}

/* Creates or rewrites one made-for-you playlist; inside the caller's transaction. */
static int write_list(const struct recs_ctx *c, enum kind kind, int slot, struct slot *cur, const char *period,
                      const char *name, const char *description, const int32_t *items, int n)
{
	struct store *s = c->view->store;
	struct pl_item *pi = calloc((size_t)n + 1, sizeof *pi);
	struct playlist p;
	int rc = -1;

	if (!pi)
		return -1;
	for (int i = 0; i < n; i++) {
		snprintf(pi[i].track, sizeof pi[i].track, "%s", c->m->item_id[items[i]]);
		pi[i].added_at = c->now;
		snprintf(pi[i].added_by, sizeof pi[i].added_by, "%s", SYSTEM_USER);
	}
	if (!cur->playlist[0] || playlist_load(s, cur->playlist, &p) != 0) {
		memset(&p, 0, sizeof p);
		base62_id_random(p.id);
		snprintf(p.owner, sizeof p.owner, "%s", SYSTEM_USER);
		snprintf(p.name, sizeof p.name, "%s", name);
		snprintf(p.description, sizeof p.description, "%s", description);
		p.version = 1;
		/* private, not collaborative, followed by the user it is made for */
		if (store_playlist_insert(s, &p, c->now) < 0 || store_playlist_follow(s, p.id, c->user->id, c->now) < 0)
			goto out;
		snprintf(cur->playlist, sizeof cur->playlist, "%s", p.id);
	} else {
		snprintf(p.name, sizeof p.name, "%s", name);
		snprintf(p.description, sizeof p.description, "%s", description);
		if (store_playlist_set_details(s, &p) < 0)
			goto out;
	}
	/* The items, a new version and the update time. */
	if (playlist_items_rewrite(s, c->view->images_dir, &p, 0, pi, n) < 0 ||
	    store_mfy_set(s, c->user->id, kind_names[kind], slot, p.id, period) < 0)
		goto out;
	snprintf(cur->period, sizeof cur->period, "%s", period);
	rc = 0;
out:
	free(pi);
	return rc;
}

static int drop_mix(const struct recs_ctx *c, int slot, struct slot *cur)
{
	if (store_playlist_delete(c->view->store, cur->playlist) < 0 ||
	    store_mfy_drop(c->view->store, c->user->id, kind_names[K_MIX], slot) < 0)
		return -1;
	memset(cur, 0, sizeof *cur);
	return 0;
}

/* "A, B, C and more": the artists a list is mostly made of. */
static void artists_line(const struct recs_ctx *c, const int32_t *items, int n, char *out, size_t len)
{
	const struct recs_model *m = c->m;
	char name[CATALOG_NAME_MAX];
	int32_t seen[3];
	int k = 0;
	size_t at = 0;

	out[0] = '\0';
	for (int i = 0; i < n && k < 3; i++) {
		int a = m->artist[items[i]];
		bool dup = a < 0;

		for (int j = 0; j < k && !dup; j++)
			dup = seen[j] == a;
		if (dup)
			continue;
		seen[k++] = a;
		if (store_recs_artist_name(c->view->store, m->artist_id[a], name) > 0)
			at += (size_t)snprintf(out + at, at < len ? len - at : 0, "%s%s", at ? ", " : "", name);
	}
	if (at && at < len)
		snprintf(out + at, len - at, " and more");
}

static float cosine(const float *a, const float *b, int k)
{
	float ab = 0, aa = 0, bb = 0;

	for (int f = 0; f < k; f++)
		ab += a[f] * b[f], aa += a[f] * a[f], bb += b[f] * b[f];
	return aa > 0 && bb > 0 ? ab / sqrtf(aa * bb) : 0;
}

struct ranked {
	int32_t item;
	float listen;
};

static int cmp_listen(const void *a, const void *b)
{
	float x = ((const struct ranked *)a)->listen, y = ((const struct ranked *)b)->listen;

	return x < y ? 1 : x > y ? -1 : ((const struct ranked *)a)->item - ((const struct ranked *)b)->item;
}

/* Clusters of the user's most played tracks: by direction of their ALS factors when there
 * is a model of listening, by genre otherwise. Returns the number of clusters; cluster[i] is
 * the cluster of top[i], or -1. */
static int cluster_taste(const struct recs_model *m, const struct ranked *top, int n, int *cluster)
{
	int nc = n / MIX_MIN_ITEMS < RECS_MFY_MIXES ? n / MIX_MIN_ITEMS : RECS_MFY_MIXES;

	if (nc < 1)
		return 0;
	if (!m->k) {
		int genres[RECS_MFY_MIXES], ng = 0;

		for (int i = 0; i < n; i++) {
			int g = m->genre[top[i].item], c = -1;

			for (int j = 0; j < ng; j++)
				if (genres[j] == g)
					c = j;
			if (c < 0 && ng < nc)
				genres[c = ng++] = g;
			cluster[i] = c;
		}
		return ng;
	}
	{
		float cent[RECS_MFY_MIXES][RECS_MAX_K];

		/* seeds: the most played track, then each next one least like those chosen */
		memcpy(cent[0], recs_vec(m, top[0].item), (size_t)m->k * sizeof(float));
		for (int c = 1; c < nc; c++) {
			float worst = 2;
			int pick = 0;

			for (int i = 0; i < n; i++) {
				float best = -2;

				for (int j = 0; j < c; j++) {
					float s = cosine(recs_vec(m, top[i].item), cent[j], m->k);

					best = s > best ? s : best;
				}
				if (best < worst)
					worst = best, pick = i;
			}
			memcpy(cent[c], recs_vec(m, top[pick].item), (size_t)m->k * sizeof(float));
		}
		for (int round = 0; round < 8; round++) {
			float sum[RECS_MFY_MIXES][RECS_MAX_K];

			memset(sum, 0, sizeof sum);
			for (int i = 0; i < n; i++) {
				const float *v = recs_vec(m, top[i].item);
				float best = -2;

				cluster[i] = 0;
				for (int c = 0; c < nc; c++) {
					float s = cosine(v, cent[c], m->k);

					if (s > best)
						best = s, cluster[i] = c;
				}
				for (int f = 0; f < m->k; f++)
					sum[cluster[i]][f] += v[f];
			}
			memcpy(cent, sum, sizeof cent);
		}
	}
	return nc;
}

/* The week's new releases of the user's artists, then of their genres; newest first. */
static int release_radar(const struct recs_model *m, const struct recs_profile *p, const int32_t *artists, int na,
                         int today, struct recs_ctx *c, int32_t *out)
{
	int n = 0, per_artist[LIST_LEN] = { 0 }, seen_artist[LIST_LEN];
	int nseen = 0;

	for (int pass = 0; pass < 2 && n < LIST_LEN; pass++) {
		/* pass 0: the user's artists; pass 1: the genres of their taste */
		int groups = pass == 0 ? na : p->n_genres;

		for (int g = 0; g < groups && n < LIST_LEN; g++) {
			const int32_t *items = pass == 0 ? m->artist_items + m->artist_ptr[artists[g]]
			                                 : m->genre_items + m->genre_ptr[p->genres[g]];
			int64_t count = pass == 0 ? m->artist_ptr[artists[g] + 1] - m->artist_ptr[artists[g]]
			                          : m->genre_ptr[p->genres[g] + 1] - m->genre_ptr[p->genres[g]];

			for (int64_t j = 0; j < count && n < LIST_LEN; j++) {
				int it = items[j], a = m->artist[it], slot = -1;
				bool dup = false;

				if (!m->released[it] || m->released[it] > today || m->released[it] < today - RADAR_DAYS)
					continue;
				for (int k = 0; k < n && !dup; k++)
					dup = out[k] == it;
				for (int k = 0; k < nseen; k++)
					if (seen_artist[k] == a)
						slot = k;
				if (dup || (slot >= 0 && per_artist[slot] >= 2) || (slot < 0 && nseen == LIST_LEN) ||
				    !recs_keep_market(c, it))
					continue;
				if (slot < 0) {
					slot = nseen++;
					seen_artist[slot] = a;
				}
				per_artist[slot]++;
				out[n++] = it;
			}
		}
	}
	return n;
}


/* The user's artists for Release Radar: followed ones, then the most played. */
static int radar_artists(const struct recs_ctx *c, const struct recs_profile *p, int32_t *out)
{
	const struct recs_model *m = c->m;
	char followed[RADAR_ARTISTS / 2][BASE62_ID_LEN + 1];
	int nf = store_recs_followed_artists(c->view->store, c->user->id, followed, RADAR_ARTISTS / 2);
	struct ranked *by = calloc((size_t)p->n + 1, sizeof *by);
	int n = 0;

	for (int i = 0; i < nf; i++)
		if ((out[n] = recs_artist(m, followed[i])) >= 0)
			n++;
	for (int i = 0; i < p->n_artists && n < RADAR_ARTISTS; i++)
		out[n++] = p->artists[i];
	if (!by)
		return n;
	for (int i = 0; i < p->n; i++)
		by[i] = (struct ranked){ p->item[i], p->listen[i] };
	qsort(by, (size_t)p->n, sizeof *by, cmp_listen);
	for (int i = 0; i < p->n && n < RADAR_ARTISTS && by[i].listen > 0; i++) {
		int a = m->artist[by[i].item];
		bool dup = a < 0;

		for (int j = 0; j < n && !dup; j++)
			dup = out[j] == a;
		if (!dup)
			out[n++] = a;
	}
	free(by);
	return n;
}

/* Daily Mixes: the user's most played tracks in clusters, each cluster the profile of a mix
 * of familiar tracks and new ones; the mixes beyond today's clusters go. */
static int make_mixes(struct recs_ctx *c, const struct recs_profile *p, struct current *cur, const char *day)
{
	const struct recs_model *m = c->m;
	struct ranked top[MIX_SEEDS];
	int32_t items[LIST_LEN];
	int cluster[MIX_SEEDS], ntop = 0, nc, n, slot = 0;
	char desc[600];

	/* The most played: top[] is kept sorted from the moment it is full, so its last
	 * entry is always the weakest to replace. */
	for (int i = 0; i < p->n; i++) {
		if (p->listen[i] <= 0)
			continue;
		if (ntop < MIX_SEEDS) {
			top[ntop++] = (struct ranked){ p->item[i], p->listen[i] };
			if (ntop == MIX_SEEDS)
				qsort(top, MIX_SEEDS, sizeof *top, cmp_listen);
		} else if (p->listen[i] > top[MIX_SEEDS - 1].listen) {
			top[MIX_SEEDS - 1] = (struct ranked){ p->item[i], p->listen[i] };
			qsort(top, MIX_SEEDS, sizeof *top, cmp_listen);
		}
	}
	qsort(top, (size_t)ntop, sizeof *top, cmp_listen);
	nc = cluster_taste(m, top, ntop, cluster);
	for (int k = 0; k < nc; k++) {
		struct recs_profile sub = { .history = p->history, .exclude = p->exclude, .n_exclude = p->n_exclude };
		struct recs_query q = { .surface = RECS_MIX, .limit = LIST_LEN, .keep = recs_keep_market,
		                        .ctx = c, .today = recs_today(c) };
		char name[32];
		bool ok = true;

		for (int i = 0; i < ntop && ok; i++)
			if (cluster[i] == k)
				ok = recs_profile_add(&sub, top[i].item, top[i].listen) == 0;
		n = ok && sub.n >= MIX_MIN_ITEMS / 2 ? recs_rank(m, &sub, &q, items) : 0;
		free(sub.item);
		free(sub.listen);
		if (!ok || n < 0)
			return -1;
		if (!n)
			continue;
		snprintf(name, sizeof name, "Daily Mix %d", slot + 1);
		artists_line(c, items, n, desc, sizeof desc);
		if (write_list(c, K_MIX, slot, &cur->mix[slot], day, name, desc, items, n) < 0)
			return -1;
		slot++;
	}
	/* Fewer clusters than yesterday: the extra mixes go. */
	for (int x = slot; x < RECS_MFY_MIXES; x++)
		if (cur->mix[x].playlist[0] && drop_mix(c, x, &cur->mix[x]) < 0)
			return -1;
	cur->mixes = slot;
	return store_mfy_mark(c->view->store, c->user->id, kind_names[K_MIX], day);
}

static int generate(struct recs_ctx *c, struct current *cur, bool discover, bool mixes, bool radar,
                    const char *week, const char *day)
{
	const struct recs_model *m = c->m;
	struct recs_profile p;
	int32_t items[LIST_LEN], artists[RADAR_ARTISTS];
	char desc[600];
	int n, rc = -1;

	if (recs_user_profile(c, &p, true) < 0)
		return -1;
	if (discover) {
		struct recs_query q = { .surface = RECS_DISCOVER, .limit = LIST_LEN, .keep = recs_keep_market,
		                        .ctx = c, .today = recs_today(c) };

		snprintf(desc, sizeof desc, "Thirty tracks you have not heard yet, picked for %s. New every Monday.",
		         c->user->display_name);
		if ((n = recs_rank(m, &p, &q, items)) < 0 ||
		    write_list(c, K_DISCOVER, 0, &cur->discover, week, "Discover Weekly", desc, items, n) < 0)
			goto out;
	}
	if (mixes && make_mixes(c, &p, cur, day) < 0)
		goto out;
	if (radar) {
		int na = radar_artists(c, &p, artists);

		n = release_radar(m, &p, artists, na, recs_today(c), c, items);
		snprintf(desc, sizeof desc, "New music from artists you follow and play, and in the genres you like. New every Monday.");
		/* A radar with nothing new is created once there is something, kept empty otherwise. */
		if ((n || cur->radar.playlist[0]) &&
		    write_list(c, K_RADAR, 0, &cur->radar, week, "Release Radar", desc, items, n) < 0)
			goto out;
		if (store_mfy_mark(c->view->store, c->user->id, kind_names[K_RADAR], week) < 0)
			goto out;
	}
	rc = 0;
out:
	recs_profile_free(&p);
	return rc;
}

/* Whether a list made for period is due: made for another period, or made provisionally
 * (from the catalog alone, marked "~") while a model of listening is live now. */
static bool due(const char *made, const char *period, const struct recs_model *m)
{
	size_t n = strlen(period);

	if (strncmp(made, period, n))
		return true;
	return made[n] == '~' ? !m->catalog_only : made[n] != '\0';
}

/* Reads the user's lists into cur and which of them are due: 1 when any is, 0 when none,
 * -1 on a database error. */
static int refresh_due(struct store *s, const struct recs_ctx *c, struct current *cur, const char *week,
                       const char *day, bool *discover, bool *mixes, bool *radar)
{
	if (read_current(s, c->user->id, cur) < 0)
		return -1;
	*discover = due(cur->discover.period, week, c->m);
	*radar = due(cur->radar_period, week, c->m);
	*mixes = due(cur->mixes_period, day, c->m);
	return *discover || *radar || *mixes;
}

int recs_mfy_refresh(const struct recs_ctx *c)
{
	struct store *s = c->view->store;
	/* The keep callback takes its context unqualified: a copy of c serves. */
	struct recs_ctx ctx = *c;
	struct current cur;
	char week[16], day[16];
	bool discover, mixes, radar;
	int rc;

	periods(c->now, week, day);
	/* What is due is read once before the write lock, for the common case of nothing, and
	 * again under it: another server sharing the database may have made the lists while
	 * this one waited, and making them twice would leave the user two of each. */
	if ((rc = refresh_due(s, c, &cur, week, day, &discover, &mixes, &radar)) <= 0)
		return rc;
	if (store_begin(s) < 0)
		goto fail;
	if ((rc = refresh_due(s, c, &cur, week, day, &discover, &mixes, &radar)) <= 0) {
		store_rollback(s);
		return rc;
	}
	/* The first minutes of a new server: lists made now are remade once the model of
	 * listening is live, and only then stay for their whole period. */
	if (c->m->catalog_only) {
		strcat(week, "~");
		strcat(day, "~");
	}
	if (generate(&ctx, &cur, discover, mixes, radar, week, day) < 0 || store_commit(s) < 0)
		goto fail;
	return 0;
fail:
	log_warn("made for you: could not refresh %s's playlists", c->user->id);
	store_rollback(s);
	return -1;
}

int recs_mfy_lists(struct store *s, const char *user, char ids[RECS_MFY_LISTS][BASE62_ID_LEN + 1])
{
	struct current cur;
	const struct slot *order[RECS_MFY_LISTS];
	int n = 0, k = 0;

	if (read_current(s, user, &cur) < 0)
		return -1;
	order[n++] = &cur.discover;
	for (int i = 0; i < cur.mixes; i++)
		order[n++] = &cur.mix[i];
	order[n++] = &cur.radar;
	for (int i = 0; i < n; i++)
		if (order[i]->playlist[0])
			snprintf(ids[k++], BASE62_ID_LEN + 1, "%s", order[i]->playlist);
	return k;
}
