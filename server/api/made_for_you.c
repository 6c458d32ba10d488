/* Made for you: Discover Weekly (thirty tracks the user has never played, weekly), up to six
 * Daily Mixes (clusters of the user's taste, familiar tracks among new ones, daily) and
 * Release Radar (the last four weeks' releases of followed and often-played artists, weekly).
 * They are real playlists owned by the system user "_segue", private, followed by the user,
 * so they list with the user's playlists and play like any other. Each is generated when the
 * user first asks after its period (ISO week or day) began, and then stays as it is for the
 * rest of the period: the same Discover Weekly all week. Also the onboarding taste a new user
 * picks (genres and artists) that recommendations start from. */
#include "config.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base62.h"
#include "catalog/catalog.h"
#include "api/handlers.h"
#include "log.h"
#include "library/playlists.h"
#include "recs/profile.h"
#include "server.h"

#define LIST_LEN 30
#define MIXES_MAX 6
#define MIX_SEEDS 120
#define MIX_MIN_ITEMS 8
#define RADAR_DAYS 28
#define RADAR_ARTISTS 40
#define TASTE_MAX 10

enum kind { K_DISCOVER, K_MIX, K_RADAR };
static const char *const kind_names[] = { "discover-weekly", "daily-mix", "release-radar" };

struct slot {
	char playlist[BASE62_ID_LEN + 1];
	char period[16];
};

struct current {
	struct slot discover, radar, mix[MIXES_MAX];
	int mixes;
	char mixes_period[16], radar_period[16];   /* when they were last made, even if empty */
};

static void periods(char week[16], char day[16])   /* room for a "~" after each */
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(week, 16, "%G-W%V", &tm);
	strftime(day, 16, "%Y-%m-%d", &tm);
}

static int read_current(struct req *r, struct current *c)
{
	sqlite3_stmt *st = store_stmt(&r->srv->store, "SELECT kind, slot, playlist_id, period FROM made_for_you"
	                                              " WHERE user_id = ? ORDER BY kind, slot");

	memset(c, 0, sizeof *c);
	if (!st)
		return -1;
	store_bind_text(st, 1, r->user.id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *kind = store_col_text(st, 0);
		int slot = sqlite3_column_int(st, 1);
		struct slot *to = NULL;

		if (slot < 0) {
			/* the marker of a generation that may have written nothing */
			if (!strcmp(kind, kind_names[K_MIX]))
				snprintf(c->mixes_period, sizeof c->mixes_period, "%s", store_col_text(st, 3));
			else if (!strcmp(kind, kind_names[K_RADAR]))
				snprintf(c->radar_period, sizeof c->radar_period, "%s", store_col_text(st, 3));
			continue;
		}
		if (!strcmp(kind, kind_names[K_DISCOVER]))
			to = &c->discover;
		else if (!strcmp(kind, kind_names[K_RADAR]))
			to = &c->radar;
		else if (!strcmp(kind, kind_names[K_MIX]) && slot >= 0 && slot < MIXES_MAX) {
			to = &c->mix[slot];
			if (slot + 1 > c->mixes)
				c->mixes = slot + 1;
		}
		if (to) {
			snprintf(to->playlist, sizeof to->playlist, "%s", store_col_text(st, 2));
			snprintf(to->period, sizeof to->period, "%s", store_col_text(st, 3));
		}
	}
	sqlite3_reset(st);
	return 0;
}

/* Creates or rewrites one made-for-you playlist; inside the caller's transaction. */
static int write_list(struct req *r, const struct recs_model *m, enum kind kind, int slot, struct slot *cur,
                      const char *period, const char *name, const char *description, const int32_t *items, int n)
{
	struct store *s = &r->srv->store;
	long long now = store_now_ms();
	struct pl_item *pi = calloc((size_t)n + 1, sizeof *pi);
	struct playlist p;
	sqlite3_stmt *st;
	int rc = -1;

	if (!pi)
		return -1;
	for (int i = 0; i < n; i++) {
		snprintf(pi[i].track, sizeof pi[i].track, "%s", m->item_id[items[i]]);
		pi[i].added_at = now;
		snprintf(pi[i].added_by, sizeof pi[i].added_by, "%s", SYSTEM_USER);
	}
	if (!cur->playlist[0] || playlist_load(s, cur->playlist, &p) != 0) {
		memset(&p, 0, sizeof p);
		base62_id_random(p.id);
		snprintf(p.owner, sizeof p.owner, SYSTEM_USER);
		p.version = 1;
		st = store_stmt(s, "INSERT INTO playlists (id, owner_id, name, description, public, collaborative,"
		                   " version, length, created_at, updated_at) VALUES (?, ?, ?, ?, 0, 0, 1, 0, ?, ?)");
		if (!st)
			goto out;
		store_bind_text(st, 1, p.id);
		store_bind_text(st, 2, SYSTEM_USER);
		store_bind_text(st, 3, name);
		store_bind_text(st, 4, description);
		sqlite3_bind_int64(st, 5, now);
		sqlite3_bind_int64(st, 6, now);
		if (sqlite3_step(st) != SQLITE_DONE)
			goto out;
		st = store_stmt(s, "INSERT INTO playlist_followers (playlist_id, user_id, followed_at) VALUES (?, ?, ?)"
		                   " ON CONFLICT DO NOTHING");
		if (!st)
			goto out;
		store_bind_text(st, 1, p.id);
		store_bind_text(st, 2, r->user.id);
		sqlite3_bind_int64(st, 3, now);
		if (sqlite3_step(st) != SQLITE_DONE)
			goto out;
		snprintf(cur->playlist, sizeof cur->playlist, "%s", p.id);
	} else {
		st = store_stmt(s, "UPDATE playlists SET name = ?, description = ?, updated_at = ? WHERE id = ?");
		if (!st)
			goto out;
		store_bind_text(st, 1, name);
		store_bind_text(st, 2, description);
		sqlite3_bind_int64(st, 3, now);
		store_bind_text(st, 4, p.id);
		if (sqlite3_step(st) != SQLITE_DONE)
			goto out;
	}
	if (playlist_items_rewrite(s, &p, 0, pi, n) < 0)
		goto out;
	st = store_stmt(s, "INSERT INTO made_for_you (user_id, kind, slot, playlist_id, period) VALUES (?, ?, ?, ?, ?)"
	                   " ON CONFLICT (user_id, kind, slot) DO UPDATE SET playlist_id = excluded.playlist_id,"
	                   " period = excluded.period");
	if (!st)
		goto out;
	store_bind_text(st, 1, r->user.id);
	store_bind_text(st, 2, kind_names[kind]);
	sqlite3_bind_int(st, 3, slot);
	store_bind_text(st, 4, p.id);
	store_bind_text(st, 5, period);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto out;
	snprintf(cur->period, sizeof cur->period, "%s", period);
	rc = 0;
out:
	if (st)
		sqlite3_reset(st);
	free(pi);
	return rc;
}

static int mark(struct req *r, enum kind kind, const char *period)
{
	sqlite3_stmt *st = store_stmt(&r->srv->store, "INSERT INTO made_for_you (user_id, kind, slot, playlist_id, period)"
	                                              " VALUES (?, ?, -1, '', ?) ON CONFLICT (user_id, kind, slot)"
	                                              " DO UPDATE SET period = excluded.period");

	if (!st)
		return -1;
	store_bind_text(st, 1, r->user.id);
	store_bind_text(st, 2, kind_names[kind]);
	store_bind_text(st, 3, period);
	return sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
}

static int drop_mix(struct req *r, int slot, struct slot *cur)
{
	sqlite3_stmt *st = store_stmt(&r->srv->store, "DELETE FROM playlists WHERE id = ?");

	if (!st)
		return -1;
	store_bind_text(st, 1, cur->playlist);
	if (sqlite3_step(st) != SQLITE_DONE)
		return -1;
	st = store_stmt(&r->srv->store, "DELETE FROM made_for_you WHERE user_id = ? AND kind = ? AND slot = ?");
	if (!st)
		return -1;
	store_bind_text(st, 1, r->user.id);
	store_bind_text(st, 2, kind_names[K_MIX]);
	sqlite3_bind_int(st, 3, slot);
	if (sqlite3_step(st) != SQLITE_DONE)
		return -1;
	memset(cur, 0, sizeof *cur);
	return 0;
}

/* "A, B, C and more": the artists a list is mostly made of. */
static void artists_line(struct req *r, const struct recs_model *m, const int32_t *items, int n, char *out, size_t len)
{
	sqlite3_stmt *st = store_stmt(&r->srv->store, "SELECT name FROM artists WHERE id = ?");
	int32_t seen[3];
	int k = 0;
	size_t at = 0;

	out[0] = '\0';
	for (int i = 0; st && i < n && k < 3; i++) {
		int a = m->artist[items[i]];
		bool dup = a < 0;

		for (int j = 0; j < k && !dup; j++)
			dup = seen[j] == a;
		if (dup)
			continue;
		seen[k++] = a;
		store_bind_text(st, 1, m->artist_id[a]);
		if (sqlite3_step(st) == SQLITE_ROW)
			at += (size_t)snprintf(out + at, at < len ? len - at : 0, "%s%s", at ? ", " : "", store_col_text(st, 0));
		sqlite3_reset(st);
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
	int nc = n / MIX_MIN_ITEMS < MIXES_MAX ? n / MIX_MIN_ITEMS : MIXES_MAX;

	if (nc < 1)
		return 0;
	if (!m->k) {
		int genres[MIXES_MAX], ng = 0;

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
		float cent[MIXES_MAX][RECS_MAX_K];

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
			float sum[MIXES_MAX][RECS_MAX_K];

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
static int radar_artists(struct req *r, const struct recs_model *m, const struct recs_profile *p, int32_t *out)
{
	sqlite3_stmt *st = store_stmt(&r->srv->store, "SELECT artist_id FROM followed_artists WHERE user_id = ?"
	                                              " ORDER BY followed_at DESC LIMIT ?");
	struct ranked *by = calloc((size_t)p->n + 1, sizeof *by);
	int n = 0;

	if (st) {
		store_bind_text(st, 1, r->user.id);
		sqlite3_bind_int(st, 2, RADAR_ARTISTS / 2);
		while (sqlite3_step(st) == SQLITE_ROW && n < RADAR_ARTISTS)
			if ((out[n] = recs_artist(m, store_col_text(st, 0))) >= 0)
				n++;
		sqlite3_reset(st);
	}
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

static int generate(struct req *r, const struct recs_model *m, struct current *c, bool discover, bool mixes,
                    bool radar, const char *week, const char *day)
{
	struct api_view v;
	struct recs_ctx ctx = { api_view(r, &v), m, &r->user, r->user.country, store_now_ms() };
	struct recs_profile p;
	int32_t items[LIST_LEN], artists[RADAR_ARTISTS];
	char desc[600];
	int n, rc = -1;

	if (recs_user_profile(&ctx, &p, true) < 0)
		return -1;
	if (discover) {
		struct recs_query q = { .surface = RECS_DISCOVER, .limit = LIST_LEN, .keep = recs_keep_market,
		                        .ctx = &ctx, .today = recs_today(&ctx) };

		snprintf(desc, sizeof desc, "Thirty tracks you have not heard yet, picked for %s. New every Monday.",
		         r->user.display_name);
		if ((n = recs_rank(m, &p, &q, items)) < 0 ||
		    write_list(r, m, K_DISCOVER, 0, &c->discover, week, "Discover Weekly", desc, items, n) < 0)
			goto out;
	}
	if (mixes) {
		struct ranked top[MIX_SEEDS];
		int cluster[MIX_SEEDS], ntop = 0, nc, slot = 0;

		/* The most played: top[] is kept sorted from the moment it is full, so its last
		 * entry is always the weakest to replace. */
		for (int i = 0; i < p.n; i++) {
			if (p.listen[i] <= 0)
				continue;
			if (ntop < MIX_SEEDS) {
				top[ntop++] = (struct ranked){ p.item[i], p.listen[i] };
				if (ntop == MIX_SEEDS)
					qsort(top, MIX_SEEDS, sizeof *top, cmp_listen);
			} else if (p.listen[i] > top[MIX_SEEDS - 1].listen) {
				top[MIX_SEEDS - 1] = (struct ranked){ p.item[i], p.listen[i] };
				qsort(top, MIX_SEEDS, sizeof *top, cmp_listen);
			}
		}
		qsort(top, (size_t)ntop, sizeof *top, cmp_listen);
		nc = cluster_taste(m, top, ntop, cluster);
		for (int k = 0; k < nc; k++) {
			struct recs_profile sub = { .history = p.history, .exclude = p.exclude, .n_exclude = p.n_exclude };
			struct recs_query q = { .surface = RECS_MIX, .limit = LIST_LEN, .keep = recs_keep_market,
			                        .ctx = &ctx, .today = recs_today(&ctx) };
			char name[32];
			bool ok = true;

			for (int i = 0; i < ntop && ok; i++)
				if (cluster[i] == k)
					ok = recs_profile_add(&sub, top[i].item, top[i].listen) == 0;
			n = ok && sub.n >= MIX_MIN_ITEMS / 2 ? recs_rank(m, &sub, &q, items) : 0;
			free(sub.item);
			free(sub.listen);
			if (!ok || n < 0)
				goto out;
			if (!n)
				continue;
			snprintf(name, sizeof name, "Daily Mix %d", slot + 1);
			artists_line(r, m, items, n, desc, sizeof desc);
			if (write_list(r, m, K_MIX, slot, &c->mix[slot], day, name, desc, items, n) < 0)
				goto out;
			slot++;
		}
		/* Fewer clusters than yesterday: the extra mixes go. */
		for (int x = slot; x < MIXES_MAX; x++)
			if (c->mix[x].playlist[0] && drop_mix(r, x, &c->mix[x]) < 0)
				goto out;
		c->mixes = slot;
		if (mark(r, K_MIX, day) < 0)
			goto out;
	}
	if (radar) {
		int na = radar_artists(r, m, &p, artists);

		n = release_radar(m, &p, artists, na, recs_today(&ctx), &ctx, items);
		snprintf(desc, sizeof desc, "New music from artists you follow and play, and in the genres you like. New every Monday.");
		/* A radar with nothing new is created once there is something, kept empty otherwise. */
		if ((n || c->radar.playlist[0]) &&
		    write_list(r, m, K_RADAR, 0, &c->radar, week, "Release Radar", desc, items, n) < 0)
			goto out;
		if (mark(r, K_RADAR, week) < 0)
			goto out;
	}
	rc = 0;
out:
	recs_profile_free(&p);
	return rc;
}

/* Brings the user's made-for-you playlists up to their periods. Without a model they stay as
 * they are; a failure is logged and the listing goes on with what exists. */
/* Whether a list made for period is due: made for another period, or made provisionally
 * (from the catalog alone, marked "~") while a model of listening is live now. */
static bool due(const char *made, const char *period, const struct recs_model *m)
{
	size_t n = strlen(period);

	if (strncmp(made, period, n))
		return true;
	return made[n] == '~' ? !m->catalog_only : made[n] != '\0';
}

void mfy_refresh(struct req *r)
{
	struct recs_model *m;
	struct current c;
	char week[16], day[16];
	bool discover, mixes, radar;

	if (read_current(r, &c) < 0)
		return;
	if (!(m = recommender_get(&r->srv->recs)))
		return;
	periods(week, day);
	discover = due(c.discover.period, week, m);
	radar = due(c.radar_period, week, m);
	mixes = due(c.mixes_period, day, m);
	if (!discover && !radar && !mixes) {
		recs_model_unref(m);
		return;
	}
	/* The first minutes of a new server: lists made now are remade once the model of
	 * listening is live, and only then stay for their whole period. */
	if (m->catalog_only) {
		strcat(week, "~");
		strcat(day, "~");
	}
	if (store_begin(&r->srv->store) < 0 ||
	    generate(r, m, &c, discover, mixes, radar, week, day) < 0 ||
	    store_commit(&r->srv->store) < 0) {
		log_warn("made for you: could not refresh %s's playlists: %s", r->user.id,
		         sqlite3_errmsg(r->srv->store.db));
		store_rollback(&r->srv->store);
	}
	recs_model_unref(m);
}

void h_made_for_you(struct req *r)
{
	struct current c;
	json_t *items = json_array();

	mfy_refresh(r);
	if (read_current(r, &c) < 0) {
		json_decref(items);
		reply_error(r, 500, "database error");
		return;
	}
	/* Discover Weekly, the mixes in order, then Release Radar. */
	{
		struct slot *order[MIXES_MAX + 2];
		int n = 0;

		order[n++] = &c.discover;
		for (int i = 0; i < c.mixes; i++)
			order[n++] = &c.mix[i];
		order[n++] = &c.radar;
		for (int i = 0; i < n; i++) {
			json_t *o = order[i]->playlist[0] ? api_playlist_simple(r, order[i]->playlist) : NULL;

			if (o)
				json_array_append_new(items, o);
		}
	}
	reply_json(r, 200, json_pack("{s:o,s:i}", "items", items, "total", (int)json_array_size(items)));
}

/* ---- onboarding taste ---- */

static void taste_set(struct req *r);

void h_taste(struct req *r)
{
	struct store *s = &r->srv->store;
	sqlite3_stmt *st;
	json_t *genres, *artists;

	if (r->method == M_PUT) {
		taste_set(r);
		return;
	}
	genres = json_array();
	artists = json_array();
	st = store_stmt(s, "SELECT kind, value FROM taste WHERE user_id = ? ORDER BY added_at, value");
	if (st) {
		store_bind_text(st, 1, r->user.id);
		while (sqlite3_step(st) == SQLITE_ROW)
			json_array_append_new(!strcmp(store_col_text(st, 0), "genre") ? genres : artists,
			                      json_string(store_col_text(st, 1)));
		sqlite3_reset(st);
	}
	reply_json(r, 200, json_pack("{s:o,s:o}", "genres", genres, "artists", artists));
}

static bool genre_known(struct req *r, const char *g)
{
	sqlite3_stmt *st = store_stmt(&r->srv->store, "SELECT 1 FROM tracks WHERE genre = ? COLLATE NOCASE LIMIT 1");
	bool ok;

	if (!st)
		return false;
	store_bind_text(st, 1, g);
	ok = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_reset(st);
	return ok;
}

/* PUT /v1/me/taste {genres: [...], artists: [ids]}: replaces the picks. */
static void taste_set(struct req *r)
{
	struct store *s = &r->srv->store;
	json_t *body = req_json_body(r, false), *lists[2];
	static const char *const names[2] = { "genres", "artists" };
	long long now = store_now_ms();
	sqlite3_stmt *st;

	if (!body)
		return;
	for (int k = 0; k < 2; k++) {
		size_t i;
		json_t *v;

		lists[k] = json_object_get(body, names[k]);
		if (lists[k] && (!json_is_array(lists[k]) || json_array_size(lists[k]) > TASTE_MAX)) {
			reply_error(r, 400, "%s must be an array of at most %d", names[k], TASTE_MAX);
			goto out;
		}
		json_array_foreach(lists[k], i, v) {
			const char *x = json_string_value(v);

			if (!x || !*x || strlen(x) > 64 ||
			    (k == 0 ? !genre_known(r, x) : !base62_is_id(x) || !api_exists(r, "artist", x))) {
				reply_error(r, 400, "%s[%zu]: no such %s in the catalog (see %s)", names[k], i,
				            k == 0 ? "genre" : "artist",
				            k == 0 ? "/v1/recommendations/available-genre-seeds" : "/v1/search");
				goto out;
			}
		}
	}
	if (!lists[0] && !lists[1]) {
		reply_error(r, 400, "give genres, artists or both");
		goto out;
	}
	if (store_begin(s) < 0)
		goto fail;
	for (int k = 0; k < 2; k++) {
		size_t i;
		json_t *v;

		if (!lists[k])
			continue;
		st = store_stmt(s, "DELETE FROM taste WHERE user_id = ? AND kind = ?");
		if (!st)
			goto fail_tx;
		store_bind_text(st, 1, r->user.id);
		store_bind_text(st, 2, k == 0 ? "genre" : "artist");
		if (sqlite3_step(st) != SQLITE_DONE)
			goto fail_tx;
		json_array_foreach(lists[k], i, v) {
			char low[65];
			const char *x = json_string_value(v);
			size_t j;

			for (j = 0; x[j] && j < sizeof low - 1; j++)
				low[j] = k == 0 ? (char)tolower((unsigned char)x[j]) : x[j];
			low[j] = '\0';
			st = store_stmt(s, "INSERT INTO taste (user_id, kind, value, added_at) VALUES (?, ?, ?, ?)"
			                   " ON CONFLICT DO NOTHING");
			if (!st)
				goto fail_tx;
			store_bind_text(st, 1, r->user.id);
			store_bind_text(st, 2, k == 0 ? "genre" : "artist");
			store_bind_text(st, 3, low);
			sqlite3_bind_int64(st, 4, now + (long long)i);
			if (sqlite3_step(st) != SQLITE_DONE)
				goto fail_tx;
		}
	}
	if (store_commit(s) < 0)
		goto fail_tx;
	reply_empty(r, 204);
	goto out;
fail_tx:
	store_rollback(s);
fail:
	reply_error(r, 500, "database error");
out:
	json_decref(body);
}
