/* Building the recommendation model (server/recs/model.h) from the store: the catalog, then every
 * user's plays in one ordered scan (each user's interactions and listening sessions), then
 * co-occurrence neighbours, then ALS and the index over its item factors. Steps run in the
 * order that keeps peak memory low: the sessions are freed before the factors exist. */
#include "config.h"
#include "recs/model.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#ifdef HAVE_MALLOC_H
#include <malloc.h>
#endif

#include "log.h"
#include "recs/pfor.h"

#define GENRE_TOP 500
#define POPULAR_TOP 1000
#define SESSION_GAP_MS (30LL * 60 * 1000)
#define SESSION_WINDOW 3
#define PLAYLIST_WINDOW 8
#define PLAYLIST_WEIGHT 1.5f
#define WORD_MAX 23            /* longer words are not names of moods or genres */
#define WORD_TRACKS 50         /* a word's playlist: its most shared tracks */
#define WORD_LISTS_MAX 100000  /* a word in more playlists than this says nothing */
#define NB_CHUNK 1024
#define KMEANS_ROUNDS 6

void recs_params_default(struct recs_params *p)
{
	*p = (struct recs_params){
		.factors = 64, .iterations = 12, .cg_steps = 3, .threads = 0,
		.reg = 0.1f, .alpha = 10.0f, .skip_weight = 2.0f, .neighbours = 30,
	};
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A growable array of fixed-size elements. */
struct vec {
	void *p;
	size_t n, cap, size;
};

static void *vec_push(struct vec *v, size_t count)
{
	if (v->n + count > v->cap) {
		size_t cap = v->cap ? v->cap : 1024;
		void *p;

		while (cap < v->n + count)
			cap += cap / 2;
		if (!(p = realloc(v->p, cap * v->size)))
			return NULL;
		v->p = p;
		v->cap = cap;
	}
	v->n += count;
	return (char *)v->p + (v->n - count) * v->size;
}

/* ---- the catalog ---- */

static int cmp_id(const void *a, const void *b)
{
	return strcmp(a, b);
}

int recs_item(const struct recs_model *m, const char *id)
{
	const char (*hit)[RECS_ID_LEN + 1];

	if (strlen(id) != RECS_ID_LEN)
		return -1;
	hit = bsearch(id, m->item_id, (size_t)m->n_items, sizeof *m->item_id, cmp_id);
	return hit ? (int)(hit - m->item_id) : -1;
}

int recs_artist(const struct recs_model *m, const char *id)
{
	const char (*hit)[RECS_ID_LEN + 1];

	if (strlen(id) != RECS_ID_LEN)
		return -1;
	hit = bsearch(id, m->artist_id, (size_t)m->n_artists, sizeof *m->artist_id, cmp_id);
	return hit ? (int)(hit - m->artist_id) : -1;
}

int recs_genre(const struct recs_model *m, const char *name)
{
	for (int g = 0; g < m->n_genres; g++)
		if (!strcasecmp(m->genre_name[g], name))
			return g;
	return -1;
}

static float clamp01(double x)
{
	return x < 0 ? 0 : x > 1 ? 1 : (float)x;
}

void recs_features(double tempo, double energy, double danceability, double acousticness,
                   double brightness, double loudness, float out[RECS_NFEAT])
{
	out[0] = clamp01((tempo - 40) / 180);
	out[1] = clamp01(energy);
	out[2] = clamp01(danceability);
	out[3] = clamp01(acousticness);
	out[4] = clamp01(brightness);
	out[5] = clamp01((loudness + 40) / 40);
}

static int days_of(const char *date)
{
	int y, mo = 1, d = 1;
	struct tm tm = { 0 };

	if (sscanf(date, "%d-%d-%d", &y, &mo, &d) < 1 || y < 1900 || y > 9999)
		return 0;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	return (int)(timegm(&tm) / 86400);
}

/* Genre names seen so far; catalogs have tens to a few hundred, so a linear scan with the
 * last hit remembered is enough. */
static int genre_index(struct recs_model *m, struct vec *names, const char *g, int *last)
{
	char low[48];
	size_t i;

	for (i = 0; g[i] && i < sizeof low - 1; i++)
		low[i] = (char)tolower((unsigned char)g[i]);
	low[i] = '\0';
	if (*last >= 0 && !strcmp(((char (*)[48])names->p)[*last], low))
		return *last;
	for (size_t k = 0; k < names->n; k++)
		if (!strcmp(((char (*)[48])names->p)[k], low))
			return *last = (int)k;
	char *slot = vec_push(names, 1);

	if (!slot)
		return -1;
	memcpy(slot, low, sizeof low);
	m->n_genres = (int)names->n;
	return *last = (int)names->n - 1;
}

static int cmp_pop_desc(const void *a, const void *b, void *ctx)
{
	const float *pop = ctx;
	float x = pop[*(const int32_t *)a], y = pop[*(const int32_t *)b];

	return x < y ? 1 : x > y ? -1 : *(const int32_t *)a - *(const int32_t *)b;
}

/* Items grouped by a key (artist or genre), each group by popularity, at most `top` each. */
static int group_items(struct recs_model *m, const int32_t *key, int groups, int top,
                       int64_t **ptr_out, int32_t **items_out)
{
	int64_t *ptr = calloc((size_t)groups + 1, sizeof *ptr), *fill = NULL;
	int32_t *items = malloc((size_t)(m->n_items ? m->n_items : 1) * sizeof *items);
	int64_t w = 0;

	if (!ptr || !items || !(fill = malloc(((size_t)groups + 1) * sizeof *fill)))
		goto fail;
	for (int i = 0; i < m->n_items; i++)
		if (key[i] >= 0)
			ptr[key[i] + 1]++;
	for (int g = 0; g < groups; g++)
		ptr[g + 1] += ptr[g];
	memcpy(fill, ptr, ((size_t)groups + 1) * sizeof *fill);
	for (int i = 0; i < m->n_items; i++)
		if (key[i] >= 0)
			items[fill[key[i]]++] = i;
	for (int g = 0; g < groups; g++) {
		int64_t a = ptr[g], n = ptr[g + 1] - a;

		qsort_r(items + a, (size_t)n, sizeof *items, cmp_pop_desc, m->pop);
		if (n > top)
			n = top;
		memmove(items + w, items + a, (size_t)n * sizeof *items);
		ptr[g] = w;   /* safe: a >= w and ptr[g + 1] is read before being rewritten */
		w += n;
	}
	ptr[groups] = w;
	free(fill);
	*ptr_out = ptr;
	*items_out = items;
	return 0;
fail:
	free(ptr);
	free(items);
	free(fill);
	return -1;
}

static int load_catalog(struct store *s, struct recs_model *m, int32_t **duration, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	struct vec artists = { .size = sizeof *m->artist_id }, genres = { .size = 48 };
	int n = 0, last_genre = -1, cap;

	st = store_stmt(s, "SELECT id FROM artists ORDER BY id");
	while (st && sqlite3_step(st) == SQLITE_ROW) {
		char *slot = vec_push(&artists, 1);

		if (!slot)
			goto oom;
		snprintf(slot, RECS_ID_LEN + 1, "%s", store_col_text(st, 0));
	}
	if (st)
		sqlite3_reset(st);
	m->artist_id = artists.p;
	m->n_artists = (int)artists.n;
	st = store_stmt(s, "SELECT count(*) FROM tracks");
	if (!st || sqlite3_step(st) != SQLITE_ROW)
		goto db;
	cap = sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	m->item_id = malloc(((size_t)cap + 1) * sizeof *m->item_id);
	m->artist = malloc(((size_t)cap + 1) * sizeof *m->artist);
	m->genre = malloc(((size_t)cap + 1) * sizeof *m->genre);
	m->released = malloc(((size_t)cap + 1) * sizeof *m->released);
	m->pop = malloc(((size_t)cap + 1) * sizeof *m->pop);
	m->feat = malloc(((size_t)cap + 1) * sizeof *m->feat);
	m->restricted = malloc((size_t)cap + 1);
	*duration = malloc(((size_t)cap + 1) * sizeof **duration);
	if (!m->item_id || !m->artist || !m->genre || !m->released || !m->pop || !m->feat ||
	    !m->restricted || !*duration)
		goto oom;
	st = store_stmt(s, "SELECT t.id, t.artist_id, t.genre, t.popularity, coalesce(a.release_date, ''),"
	                   " t.tempo, t.energy, t.danceability, t.acousticness, t.brightness, t.loudness,"
	                   " t.markets IS NOT NULL, t.duration_ms"
	                   " FROM tracks t LEFT JOIN albums a ON a.id = t.album_id ORDER BY t.id");
	if (!st)
		goto db;
	while (n < cap && sqlite3_step(st) == SQLITE_ROW) {
		const char *artist = store_col_text(st, 1);
		const char (*hit)[RECS_ID_LEN + 1] = bsearch(artist, m->artist_id, (size_t)m->n_artists,
		                                             sizeof *m->artist_id, cmp_id);

		snprintf(m->item_id[n], RECS_ID_LEN + 1, "%s", store_col_text(st, 0));
		m->artist[n] = hit ? (int32_t)(hit - m->artist_id) : -1;
		m->genre[n] = *store_col_text(st, 2) ? genre_index(m, &genres, store_col_text(st, 2), &last_genre) : -1;
		m->pop[n] = (float)sqlite3_column_int(st, 3) / 100.0f;
		m->released[n] = days_of(store_col_text(st, 4));
		recs_features(sqlite3_column_double(st, 5), sqlite3_column_double(st, 6),
		              sqlite3_column_double(st, 7), sqlite3_column_double(st, 8),
		              sqlite3_column_double(st, 9), sqlite3_column_double(st, 10), m->feat[n]);
		m->restricted[n] = (uint8_t)sqlite3_column_int(st, 11);
		(*duration)[n] = sqlite3_column_int(st, 12);
		n++;
	}
	sqlite3_reset(st);
	m->n_items = n;
	m->genre_name = genres.p;
	m->n_genres = (int)genres.n;
	return 0;
oom:
	snprintf(err, errlen, "out of memory loading the catalog");
	return -1;
db:
	snprintf(err, errlen, "reading the catalog: %s", sqlite3_errmsg(s->db));
	return -1;
}

/* The catalog by artist, by genre and as a whole, each by popularity. */
static int group_catalog(struct recs_model *m)
{
	if (group_items(m, m->artist, m->n_artists, m->n_items, &m->artist_ptr, &m->artist_items) < 0 ||
	    group_items(m, m->genre, m->n_genres, GENRE_TOP, &m->genre_ptr, &m->genre_items) < 0)
		goto oom;
	{
		int32_t *all = calloc((size_t)m->n_items + 1, sizeof *all);
		int64_t *ptr;
		int32_t *items;

		if (!all)
			goto oom;
		/* Every item in one group: the catalog's most popular. */
		if (group_items(m, all, 1, POPULAR_TOP, &ptr, &items) < 0) {
			free(all);
			goto oom;
		}
		free(all);
		m->n_popular = (int)ptr[1];
		m->popular = items;
		free(ptr);
	}
	return 0;
oom:
	return -1;
}

/* Popularity from the training rows alone: how many users listened, log-scaled. */
static void pop_from_rows(struct recs_model *m, const int32_t *col, const float *conf, size_t n)
{
	float top = 0;

	memset(m->pop, 0, (size_t)m->n_items * sizeof *m->pop);
	for (size_t j = 0; j < n; j++)
		if (conf[j] > 0)
			m->pop[col[j]] += 1;
	for (int i = 0; i < m->n_items; i++)
		if ((m->pop[i] = log1pf(m->pop[i])) > top)
			top = m->pop[i];
	for (int i = 0; top > 0 && i < m->n_items; i++)
		m->pop[i] /= top;
}

/* ---- listening ---- */

/* Track id -> item, for the scan of every play: open addressing over a power-of-two table. */
struct idmap {
	uint32_t mask;
	int32_t *slot;
};

static uint32_t id_hash(const char *id)
{
	uint32_t h = 2166136261u;

	for (; *id; id++)
		h = (h ^ (unsigned char)*id) * 16777619u;
	return h;
}

static int idmap_build(struct idmap *im, const struct recs_model *m)
{
	uint32_t size = 1024;

	while (size < (uint32_t)m->n_items * 2u)
		size *= 2;
	im->mask = size - 1;
	if (!(im->slot = malloc(size * sizeof *im->slot)))
		return -1;
	memset(im->slot, 0xff, size * sizeof *im->slot);
	for (int i = 0; i < m->n_items; i++) {
		uint32_t h = id_hash(m->item_id[i]) & im->mask;

		while (im->slot[h] >= 0)
			h = (h + 1) & im->mask;
		im->slot[h] = i;
	}
	return 0;
}

static int idmap_get(const struct idmap *im, const struct recs_model *m, const char *id)
{
	for (uint32_t h = id_hash(id) & im->mask; im->slot[h] >= 0; h = (h + 1) & im->mask)
		if (!strcmp(m->item_id[im->slot[h]], id))
			return im->slot[h];
	return -1;
}

struct play {
	int32_t item;
	int32_t ms;
	long long at;
	bool counted, skipped;
};

struct scan {
	const struct recs_params *p;
	const struct recs_model *m;
	const int32_t *duration;
	struct vec ptr, col, conf;   /* the user x item matrix being built */
	struct vec seq;              /* sessions then playlists, -1 between them */
	struct vec held_user, held_row, held_ptr, held_item;
	long long plays, users;
};

static int cmp_play_item_only(const void *a, const void *b)
{
	const struct play *x = a, *y = b;

	return (x->item > y->item) - (x->item < y->item);
}

static int cmp_play_item(const void *a, const void *b)
{
	const struct play *x = a, *y = b;

	return x->item != y->item ? (x->item > y->item) - (x->item < y->item) : (x->at > y->at) - (x->at < y->at);
}

/* One user's plays (in time order) become a row of the matrix, sessions, and with the
 * evaluation split, held-out items. */
static int scan_user(struct scan *sc, const char *user, struct play *pl, int n)
{
	int cut = n, counted = 0;
	int32_t *sep;

	for (int i = 0; i < n; i++)
		counted += pl[i].counted;
	if (sc->p->holdout > 0 && counted >= 2 * sc->p->holdout) {
		/* Train on everything before the user's latest `holdout` counted plays. */
		int left = sc->p->holdout;

		for (cut = n; cut > 0 && left > 0;)
			left -= pl[--cut].counted;
	}
	/* Sessions: counted plays, broken where the user paused for long. */
	for (int i = 0; i < cut; i++) {
		int32_t *slot;

		if (!pl[i].counted)
			continue;
		if (i > 0 && pl[i].at - (pl[i - 1].at + pl[i - 1].ms) > SESSION_GAP_MS) {
			if (!(sep = vec_push(&sc->seq, 1)))
				return -1;
			*sep = -1;
		}
		if (!(slot = vec_push(&sc->seq, 1)))
			return -1;
		*slot = pl[i].item;
	}
	if (!(sep = vec_push(&sc->seq, 1)))
		return -1;
	*sep = -1;
	/* Held-out items: what the user went on to listen to that training did not see. */
	if (cut < n) {
		char *name;
		int64_t *end;
		int32_t *row;

		qsort(pl, (size_t)cut, sizeof *pl, cmp_play_item);
		if (!(name = vec_push(&sc->held_user, 1)))
			return -1;
		snprintf(name, 64, "%s", user);
		if (!(row = vec_push(&sc->held_row, 1)))
			return -1;
		*row = (int32_t)sc->users;
		for (int i = cut; i < n; i++) {
			struct play key = { .item = pl[i].item };
			int32_t *slot;
			bool dup = false;

			/* Any play before the cut, even a skip, means training saw the item. */
			if (!pl[i].counted || bsearch(&key, pl, (size_t)cut, sizeof *pl, cmp_play_item_only))
				continue;
			for (int j = cut; j < i && !dup; j++)
				dup = pl[j].item == pl[i].item && pl[j].counted;
			if (dup)
				continue;
			if (!(slot = vec_push(&sc->held_item, 1)))
				return -1;
			*slot = pl[i].item;
		}
		if (!(end = vec_push(&sc->held_ptr, 1)))
			return -1;
		*end = (int64_t)sc->held_item.n;
	} else {
		qsort(pl, (size_t)n, sizeof *pl, cmp_play_item);
	}
	/* The row: listening per item, as completion, less half a play per skip. */
	for (int i = 0; i < cut;) {
		int j = i;
		float full = 0, skips = 0, net, c;
		int32_t *col;
		float *conf;

		for (; j < cut && pl[j].item == pl[i].item; j++) {
			int d = sc->duration[pl[j].item];

			if (pl[j].counted)
				full += d > 0 && pl[j].ms < d ? (float)pl[j].ms / (float)d : 1.0f;
			else if (pl[j].skipped)
				skips += 1;
		}
		net = full - 0.5f * skips;
		if (net > 0)
			c = 1 + sc->p->alpha * log1pf(net);
		else if (skips > 0)
			c = -(1 + sc->p->skip_weight * skips);
		else
			c = 0;
		if (c != 0) {
			if (!(col = vec_push(&sc->col, 1)) || !(conf = vec_push(&sc->conf, 1)))
				return -1;
			*col = pl[i].item;
			*conf = c;
		}
		i = j;
	}
	int64_t *end = vec_push(&sc->ptr, 1);

	if (!end)
		return -1;
	*end = (int64_t)sc->col.n;
	sc->users++;
	return 0;
}

static int scan_plays(struct store *s, struct scan *sc, struct idmap *im, const atomic_bool *stop,
                      char *err, size_t errlen)
{
	/* Descending users, ascending time: the backwards walk of plays_recent(user_id, started_at
	 * DESC), so no sort of every play is needed. */
	sqlite3_stmt *st = store_stmt(s, "SELECT user_id, track_id, started_at, ms_played, counted,"
	                                 " reason_end = 'skipped' FROM plays"
	                                 " ORDER BY user_id DESC, started_at ASC");
	struct vec pl = { .size = sizeof(struct play) };
	char user[64] = "";
	long long cutoff = sc->p->now_ms;
	int64_t *zero;
	int rc;

	if (!st)
		goto db;
	if (!(zero = vec_push(&sc->ptr, 1)))
		goto oom;
	*zero = 0;
	if (sc->p->holdout > 0 && !(zero = vec_push(&sc->held_ptr, 1)))
		goto oom;
	if (sc->p->holdout > 0)
		*zero = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *u = store_col_text(st, 0);
		struct play *p;
		int item;

		if (strcmp(u, user)) {
			if (pl.n && scan_user(sc, user, pl.p, (int)pl.n) < 0)
				goto oom;
			pl.n = 0;
			snprintf(user, sizeof user, "%s", u);
			if (stop && *stop)
				goto stopped;
		}
		if ((item = idmap_get(im, sc->m, store_col_text(st, 1))) < 0)
			continue;   /* a play of a track since removed */
		if (cutoff && sqlite3_column_int64(st, 2) > cutoff)
			continue;
		if (!(p = vec_push(&pl, 1)))
			goto oom;
		*p = (struct play){ item, sqlite3_column_int(st, 3), sqlite3_column_int64(st, 2),
		                    sqlite3_column_int(st, 4) != 0, sqlite3_column_int(st, 5) != 0 };
		sc->plays++;
	}
	if (rc != SQLITE_DONE)
		goto db_reset;
	sqlite3_reset(st);
	if (pl.n && scan_user(sc, user, pl.p, (int)pl.n) < 0)
		goto oom;
	free(pl.p);
	return 0;
stopped:
	sqlite3_reset(st);
	free(pl.p);
	snprintf(err, errlen, "stopped");
	return -1;
db_reset:
	sqlite3_reset(st);
db:
	free(pl.p);
	snprintf(err, errlen, "reading plays: %s", sqlite3_errmsg(s->db));
	return -1;
oom:
	sqlite3_reset(st);
	free(pl.p);
	snprintf(err, errlen, "out of memory reading plays");
	return -1;
}

/* Where a playlist's tracks sit in the sequence. */
struct list_range {
	char id[RECS_ID_LEN + 1];
	int64_t a, b;
};

/* Users' playlists join the sequence after the sessions, each after a -1; ranges (sorted by
 * playlist id) says where. Made-for-you playlists are left out: they are the model's own
 * output, and learning from them would only echo it. */
static int scan_playlists(struct store *s, struct scan *sc, struct idmap *im, int64_t *start,
                          struct vec *ranges)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT i.playlist_id, i.track_id FROM playlist_items i"
	                                 " JOIN playlists p ON p.id = i.playlist_id"
	                                 " WHERE p.owner_id <> '" SYSTEM_USER "' ORDER BY i.playlist_id, i.pos");
	struct list_range *r = NULL;

	*start = (int64_t)sc->seq.n;
	while (st && sqlite3_step(st) == SQLITE_ROW) {
		int item = idmap_get(im, sc->m, store_col_text(st, 1));
		int32_t *slot;

		if (!r || strcmp(r->id, store_col_text(st, 0))) {
			if (!(slot = vec_push(&sc->seq, 1)) || !(r = vec_push(ranges, 1)))
				goto oom;
			*slot = -1;
			snprintf(r->id, sizeof r->id, "%s", store_col_text(st, 0));
			r->a = r->b = (int64_t)sc->seq.n;
		}
		if (item < 0)
			continue;
		if (!(slot = vec_push(&sc->seq, 1)))
			goto oom;
		*slot = item;
		r->b = (int64_t)sc->seq.n;
	}
	if (st)
		sqlite3_reset(st);
	return 0;
oom:
	sqlite3_reset(st);
	return -1;
}

struct word_ref {
	char w[WORD_MAX + 1];
	int32_t list;            /* index into the ranges */
};

static int cmp_word_ref(const void *a, const void *b)
{
	const struct word_ref *x = a, *y = b;
	int c = strcmp(x->w, y->w);

	return c ? c : (x->list > y->list) - (x->list < y->list);
}

static bool stop_word(const char *w)
{
	static const char *const words[] = { "a", "an", "and", "best", "for", "in", "it", "mix", "music",
	                                     "my", "of", "on", "playlist", "songs", "the", "to", "vol", "with" };

	for (size_t i = 0; i < sizeof words / sizeof *words; i++)
		if (!strcmp(w, words[i]))
			return true;
	return false;
}

static int cmp_count_desc(const void *a, const void *b, void *ctx)
{
	const int32_t *count = ctx, x = *(const int32_t *)a, y = *(const int32_t *)b;

	return count[x] != count[y] ? (count[x] < count[y]) - (count[x] > count[y]) : (x > y) - (x < y);
}

/* Words in playlist names relate their tracks: for each word that names two playlists or more
 * ("rainy", "workout", "jazz"), the tracks those playlists share most, most shared first, join
 * the sequence as one more playlist, so co-occurrence links tracks that never shared a list. */
static int scan_playlist_words(struct store *s, struct scan *sc, const struct vec *ranges)
{
	const struct list_range *r = ranges->p;
	sqlite3_stmt *st = store_stmt(s, "SELECT id, name FROM playlists WHERE owner_id <> '" SYSTEM_USER "' ORDER BY id");
	struct vec refs = { .size = sizeof(struct word_ref) };
	int32_t *count = NULL, *touched = NULL;
	size_t at = 0;
	int rc = -1;

	if (!st)
		return -1;
	/* Both in id order: walk the ranges along (a playlist with no known tracks has none). */
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *id = store_col_text(st, 0), *name = store_col_text(st, 1);

		while (at < ranges->n && strcmp(r[at].id, id) < 0)
			at++;
		if (at == ranges->n || strcmp(r[at].id, id) || r[at].a == r[at].b)
			continue;
		for (const char *q = name; *q;) {
			char w[WORD_MAX + 1];
			size_t n = 0;

			/* a word: letters, digits, '&' ("r&b") and any non-ASCII byte, folded to lower case */
			while (*q && !(isalnum((unsigned char)*q) || *q == '&' || (unsigned char)*q >= 0x80))
				q++;
			while (*q && (isalnum((unsigned char)*q) || *q == '&' || (unsigned char)*q >= 0x80)) {
				if (n < WORD_MAX)
					w[n] = (char)tolower((unsigned char)*q);
				n++;
				q++;
			}
			if (n < 2 || n > WORD_MAX)
				continue;
			w[n] = '\0';
			if (stop_word(w))
				continue;
			struct word_ref *ref = vec_push(&refs, 1);

			if (!ref)
				goto out;
			memcpy(ref->w, w, n + 1);
			ref->list = (int32_t)at;
		}
	}
	sqlite3_reset(st);
	if (refs.n > 1) /* qsort's array may not be NULL, even empty */
		qsort(refs.p, refs.n, refs.size, cmp_word_ref);
	count = calloc((size_t)sc->m->n_items + 1, sizeof *count);
	touched = malloc(((size_t)sc->m->n_items + 1) * sizeof *touched);
	if (!count || !touched)
		goto out;
	for (size_t g = 0, e; g < refs.n; g = e) {
		const struct word_ref *ref = refs.p;
		int nt = 0, lists = 0;
		int32_t *slot;

		for (e = g; e < refs.n && !strcmp(ref[e].w, ref[g].w); e++)
			lists += e == g || ref[e].list != ref[e - 1].list;
		if (lists < 2 || lists > WORD_LISTS_MAX)
			continue;
		for (size_t j = g; j < e; j++) {
			if (j > g && ref[j].list == ref[j - 1].list)
				continue;
			for (int64_t q = r[ref[j].list].a; q < r[ref[j].list].b; q++) {
				int32_t item = ((const int32_t *)sc->seq.p)[q];

				if (item >= 0 && count[item]++ == 0)
					touched[nt++] = item;
			}
		}
		qsort_r(touched, (size_t)nt, sizeof *touched, cmp_count_desc, count);
		if (!(slot = vec_push(&sc->seq, 1)))
			goto out;
		*slot = -1;
		for (int k = 0; k < nt; k++) {
			if (k < WORD_TRACKS) {
				if (!(slot = vec_push(&sc->seq, 1)))
					goto out;
				*slot = touched[k];
			}
			count[touched[k]] = 0;
		}
	}
	rc = 0;
out:
	free(refs.p);
	free(count);
	free(touched);
	return rc;
}

/* ---- co-occurrence ---- */

/* Hands freed memory back between phases: each phase's scratch is freed in the arenas of the
 * threads that made it, and glibc would otherwise keep it, counted against the next phase. */
static void give_back(void)
{
#ifdef HAVE_MALLOC_TRIM
	malloc_trim(0);
#endif
}

struct nb_ctx {
	const struct recs_model *m;
	const int32_t *seq;
	int64_t seq_n, playlists_at;
	const int64_t *occ_ptr;
	const uint32_t *occ;
	int keep;
	float **acc;       /* per thread, n_items */
	int32_t **touched; /* per thread */
	struct nb_chunk { int32_t *count, *item; float *sim; } *chunks;
	bool failed;
};

struct scored {
	int32_t item;
	float s;
};

static int cmp_scored(const void *a, const void *b)
{
	float x = ((const struct scored *)a)->s, y = ((const struct scored *)b)->s;

	return x < y ? 1 : x > y ? -1 : ((const struct scored *)a)->item - ((const struct scored *)b)->item;
}

static void nb_range(void *v, int64_t lo, int64_t hi, int thread)
{
	struct nb_ctx *c = v;
	float *acc = c->acc[thread];
	int32_t *touched = c->touched[thread];
	struct nb_chunk *out = &c->chunks[lo / NB_CHUNK];
	struct vec items = { .size = sizeof(int32_t) }, sims = { .size = sizeof(float) };
	struct scored *best = malloc((size_t)c->m->n_items > 4096 ? 4096 * sizeof *best : ((size_t)c->m->n_items + 1) * sizeof *best);

	out->count = calloc((size_t)(hi - lo), sizeof *out->count);
	if (!out->count || !best) {
		c->failed = true;
		free(best);
		return;
	}
	for (int64_t i = lo; i < hi; i++) {
		int64_t a = c->occ_ptr[i], b = c->occ_ptr[i + 1];
		int nt = 0, nb = 0;
		float ci = (float)(b - a);

		for (int64_t o = a; o < b; o++) {
			int64_t pos = c->occ[o];
			bool in_list = pos >= c->playlists_at;
			int w = in_list ? PLAYLIST_WINDOW : SESSION_WINDOW;
			float weight = in_list ? PLAYLIST_WEIGHT : 1.0f;

			for (int dir = -1; dir <= 1; dir += 2)
				for (int d = 1; d <= w; d++) {
					int64_t q = pos + dir * d;
					int32_t j;

					if (q < 0 || q >= c->seq_n || (j = c->seq[q]) < 0)
						break;
					if (j == (int32_t)i)
						continue;
					if (acc[j] == 0)
						touched[nt++] = j;
					acc[j] += weight / (float)d;
				}
		}
		for (int t = 0; t < nt; t++) {
			int32_t j = touched[t];
			float cj = (float)(c->occ_ptr[j + 1] - c->occ_ptr[j]);
			/* cosine of the occurrence counts, shrunk when the evidence is thin */
			float s = acc[j] / sqrtf(ci * cj) * (acc[j] / (acc[j] + 2.0f));

			acc[j] = 0;
			if (nb < 4096)
				best[nb++] = (struct scored){ j, s };
			else if (s > best[4095].s) {
				/* keep the buffer bounded: sort once, then replace the weakest */
				qsort(best, (size_t)nb, sizeof *best, cmp_scored);
				best[4095] = (struct scored){ j, s };
			}
		}
		qsort(best, (size_t)nb, sizeof *best, cmp_scored);
		if (nb > c->keep)
			nb = c->keep;
		int32_t *di = vec_push(&items, (size_t)nb);
		float *ds = vec_push(&sims, (size_t)nb);

		if ((nb && (!di || !ds))) {
			c->failed = true;
			break;
		}
		for (int k = 0; k < nb; k++)
			di[k] = best[k].item, ds[k] = best[k].s;
		out->count[i - lo] = nb;
	}
	free(best);
	out->item = items.p;
	out->sim = sims.p;
}

static int build_neighbours(struct recs_model *m, struct scan *sc, int64_t playlists_at, int threads, int keep)
{
	struct nb_ctx c = { .m = m, .seq = sc->seq.p, .seq_n = (int64_t)sc->seq.n, .playlists_at = playlists_at,
	                    .keep = keep };
	int64_t *occ_ptr = calloc((size_t)m->n_items + 1, sizeof *occ_ptr), *fill = NULL;
	uint32_t *occ = NULL;
	int nchunks = (m->n_items + NB_CHUNK - 1) / NB_CHUNK, rc = -1;
	int64_t total = 0;

	if (sc->seq.n > UINT32_MAX)
		goto out;
	c.acc = calloc((size_t)threads, sizeof *c.acc);
	c.touched = calloc((size_t)threads, sizeof *c.touched);
	c.chunks = calloc((size_t)nchunks + 1, sizeof *c.chunks);
	if (!occ_ptr || !c.acc || !c.touched || !c.chunks)
		goto out;
	for (int t = 0; t < threads; t++)
		if (!(c.acc[t] = calloc((size_t)m->n_items + 1, sizeof **c.acc)) ||
		    !(c.touched[t] = malloc(((size_t)m->n_items + 1) * sizeof **c.touched)))
			goto out;
	for (size_t q = 0; q < sc->seq.n; q++)
		if (c.seq[q] >= 0)
			occ_ptr[c.seq[q] + 1]++;
	for (int i = 0; i < m->n_items; i++)
		occ_ptr[i + 1] += occ_ptr[i];
	if (!(occ = malloc(((size_t)occ_ptr[m->n_items] + 1) * sizeof *occ)) ||
	    !(fill = malloc(((size_t)m->n_items + 1) * sizeof *fill)))
		goto out;
	memcpy(fill, occ_ptr, ((size_t)m->n_items + 1) * sizeof *fill);
	for (size_t q = 0; q < sc->seq.n; q++)
		if (c.seq[q] >= 0)
			occ[fill[c.seq[q]]++] = (uint32_t)q;
	c.occ_ptr = occ_ptr;
	c.occ = occ;
	pfor(threads, m->n_items, NB_CHUNK, nb_range, &c, NULL);
	/* the index of occurrences is done with: not held while the neighbours are gathered */
	free(occ);
	free(occ_ptr);
	occ = NULL;
	occ_ptr = NULL;
	if (c.failed)
		goto out;
	for (int k = 0; k < nchunks; k++) {
		int lo = k * NB_CHUNK, hi = lo + NB_CHUNK < m->n_items ? lo + NB_CHUNK : m->n_items;

		for (int i = lo; i < hi; i++)
			total += c.chunks[k].count[i - lo];
	}
	m->nb_ptr = malloc(((size_t)m->n_items + 1) * sizeof *m->nb_ptr);
	m->nb_item = malloc(((size_t)total + 1) * sizeof *m->nb_item);
	m->nb_sim = malloc(((size_t)total + 1) * sizeof *m->nb_sim);
	if (!m->nb_ptr || !m->nb_item || !m->nb_sim)
		goto out;
	m->nb_ptr[0] = 0;
	for (int k = 0; k < nchunks; k++) {
		int lo = k * NB_CHUNK, hi = lo + NB_CHUNK < m->n_items ? lo + NB_CHUNK : m->n_items;
		int64_t at = m->nb_ptr[lo], n = 0;

		for (int i = lo; i < hi; i++) {
			m->nb_ptr[i + 1] = m->nb_ptr[i] + c.chunks[k].count[i - lo];
			n += c.chunks[k].count[i - lo];
		}
		if (n) {
			memcpy(m->nb_item + at, c.chunks[k].item, (size_t)n * sizeof *m->nb_item);
			memcpy(m->nb_sim + at, c.chunks[k].sim, (size_t)n * sizeof *m->nb_sim);
		}
		/* Freed as copied, and handed back every so often (the threads' arenas keep small
		 * blocks), so the neighbours are never held twice. */
		free(c.chunks[k].item);
		free(c.chunks[k].sim);
		c.chunks[k].item = NULL;
		c.chunks[k].sim = NULL;
		if (k % 64 == 63)
			give_back();
	}
	rc = 0;
out:
	for (int k = 0; c.chunks && k < nchunks; k++) {
		free(c.chunks[k].count);
		free(c.chunks[k].item);
		free(c.chunks[k].sim);
	}
	for (int t = 0; t < threads; t++) {
		if (c.acc)
			free(c.acc[t]);
		if (c.touched)
			free(c.touched[t]);
	}
	free(c.acc);
	free(c.touched);
	free(c.chunks);
	free(occ_ptr);
	free(occ);
	free(fill);
	return rc;
}

/* ---- the inverted file over item factors ---- */

struct ivf_ctx {
	const float *V, *centroid;
	const int32_t *items;
	int32_t *assign;
	int k, nlist;
};

static void ivf_assign(void *v, int64_t lo, int64_t hi, int thread)
{
	struct ivf_ctx *c = v;

	(void)thread;
	for (int64_t i = lo; i < hi; i++) {
		const float *x = c->V + (size_t)c->items[i] * c->k;
		float best = INFINITY;
		int at = 0;

		for (int l = 0; l < c->nlist; l++) {
			const float *y = c->centroid + (size_t)l * c->k;
			float d = 0;

			for (int f = 0; f < c->k; f++)
				d += (x[f] - y[f]) * (x[f] - y[f]);
			if (d < best)
				best = d, at = l;
		}
		c->assign[i] = at;
	}
}

/* Moves the played items' rows of V into list order, in place, and gives the rest one shared
 * zero row: a list's scan then reads memory sequentially instead of a row per cache miss (5x
 * faster at a million items), and V shrinks to the played items. dest[i] is item i's new row;
 * unplayed items take the rows after the played ones, which are dropped. */
static int relayout_rows(struct recs_model *m, int32_t *dest, int nactive)
{
	size_t k = (size_t)m->k, bytes = k * sizeof *m->V;
	float *a = malloc(bytes), *b = malloc(bytes), *V;
	uint8_t *done = calloc((size_t)m->n_items + 1, 1);
	int rc = -1;

	if (!a || !b || !done)
		goto out;
	/* Cycle by cycle: carry each row to its place, picking up the row it displaces. */
	for (int i = 0; i < m->n_items; i++) {
		int j = i;

		if (done[i] || dest[i] == i) {
			done[i] = 1;
			continue;
		}
		memcpy(a, m->V + (size_t)i * k, bytes);
		do {
			int d = dest[j];
			float *t;

			memcpy(b, m->V + (size_t)d * k, bytes);
			memcpy(m->V + (size_t)d * k, a, bytes);
			done[j] = 1;
			t = a, a = b, b = t;
			j = d;
		} while (j != i);
	}
	memset(m->V + (size_t)nactive * k, 0, bytes);
	if ((V = realloc(m->V, ((size_t)nactive + 1) * bytes)))
		m->V = V;
	for (int i = 0; i < m->n_items; i++)
		dest[i] = dest[i] < nactive ? dest[i] : nactive;
	m->row = dest;
	m->zero_row = nactive;
	rc = 0;
out:
	free(a);
	free(b);
	free(done);
	return rc;
}

static int build_ivf(struct recs_model *m, int threads)
{
	int k = m->k, nactive = 0, nlist, nsample;
	int32_t *active = malloc(((size_t)m->n_items + 1) * sizeof *active), *assign = NULL;
	float *sum = NULL;
	int *count = NULL;
	struct ivf_ctx c;
	int rc = -1;

	if (!active)
		return -1;
	for (int i = 0; i < m->n_items; i++) {
		const float *x = m->V + (size_t)i * k;
		bool nz = false;

		for (int f = 0; f < k && !nz; f++)
			nz = x[f] != 0;
		if (nz)
			active[nactive++] = i;
	}
	nlist = (int)sqrt((double)nactive);
	nlist = nlist < 1 ? 1 : nlist > 1024 ? 1024 : nlist;
	nsample = nactive < nlist * 32 ? nactive : nlist * 32;
	m->centroid = malloc((size_t)nlist * k * sizeof *m->centroid);
	sum = malloc((size_t)nlist * k * sizeof *sum);
	count = malloc((size_t)nlist * sizeof *count);
	assign = malloc(((size_t)nactive + 1) * sizeof *assign);
	if (!m->centroid || !sum || !count || !assign)
		goto out;
	m->nlist = nlist;
	/* k-means on an evenly spread sample, seeded from the sample itself. */
	int32_t *sample = malloc(((size_t)nsample + 1) * sizeof *sample);

	if (!sample)
		goto out;
	for (int i = 0; i < nsample; i++)
		sample[i] = active[(int64_t)i * nactive / nsample];
	for (int l = 0; l < nlist; l++)
		memcpy(m->centroid + (size_t)l * k, m->V + (size_t)sample[(int64_t)l * nsample / nlist] * k,
		       (size_t)k * sizeof *sum);
	c = (struct ivf_ctx){ m->V, m->centroid, sample, assign, k, nlist };
	for (int round = 0; nactive && round < KMEANS_ROUNDS; round++) {
		pfor(threads, nsample, 256, ivf_assign, &c, NULL);
		memset(sum, 0, (size_t)nlist * k * sizeof *sum);
		memset(count, 0, (size_t)nlist * sizeof *count);
		for (int i = 0; i < nsample; i++) {
			for (int f = 0; f < k; f++)
				sum[(size_t)assign[i] * k + f] += m->V[(size_t)sample[i] * k + f];
			count[assign[i]]++;
		}
		for (int l = 0; l < nlist; l++)
			for (int f = 0; count[l] && f < k; f++)
				m->centroid[(size_t)l * k + f] = sum[(size_t)l * k + f] / (float)count[l];
	}
	free(sample);
	c.items = active;
	pfor(threads, nactive, 256, ivf_assign, &c, NULL);
	m->list_ptr = calloc((size_t)nlist + 1, sizeof *m->list_ptr);
	m->list_items = malloc(((size_t)nactive + 1) * sizeof *m->list_items);
	if (!m->list_ptr || !m->list_items)
		goto out;
	for (int i = 0; i < nactive; i++)
		m->list_ptr[assign[i] + 1]++;
	for (int l = 0; l < nlist; l++)
		m->list_ptr[l + 1] += m->list_ptr[l];
	{
		int64_t *fill = malloc(((size_t)nlist + 1) * sizeof *fill);

		if (!fill)
			goto out;
		memcpy(fill, m->list_ptr, ((size_t)nlist + 1) * sizeof *fill);
		for (int i = 0; i < nactive; i++)
			m->list_items[fill[assign[i]]++] = active[i];
		free(fill);
	}
	/* The new row of each item: played ones in list order, then the others. */
	{
		int32_t *dest = malloc(((size_t)m->n_items + 1) * sizeof *dest);
		int next = nactive;

		if (!dest)
			goto out;
		memset(dest, 0xff, ((size_t)m->n_items + 1) * sizeof *dest);
		for (int r = 0; r < nactive; r++)
			dest[m->list_items[r]] = r;
		for (int i = 0; i < m->n_items; i++)
			if (dest[i] < 0)
				dest[i] = next++;
		if (relayout_rows(m, dest, nactive) < 0) {
			free(dest);
			goto out;
		}
	}
	rc = 0;
out:
	free(active);
	free(assign);
	free(sum);
	free(count);
	return rc;
}

/* ---- the whole build ---- */

static void scan_free(struct scan *sc)
{
	free(sc->ptr.p);
	free(sc->col.p);
	free(sc->conf.p);
	free(sc->seq.p);
	free(sc->held_user.p);
	free(sc->held_row.p);
	free(sc->held_ptr.p);
	free(sc->held_item.p);
}


/* Sets v's contents aside on disk, next to the database, and frees them: the session sequence
 * while ALS runs (it would sit beside both factor matrices and the plays both ways, unused until
 * mining), the item factors while co-occurrence is mined. Returns an unlinked file's descriptor,
 * or -1, and then v stays in memory: a full disk costs memory, not the training. */
static int spill(struct store *s, struct vec *v)
{
	const char *db = sqlite3_db_filename(s->db, "main");
	char path[4096];
	size_t left = v->n * v->size;
	const char *p = v->p;
	int fd;

	if (!db || !*db || snprintf(path, sizeof path, "%s.recs-XXXXXX", db) >= (int)sizeof path ||
	    (fd = mkstemp(path)) < 0)
		return -1;
	unlink(path);
	while (left > 0) {
		ssize_t w = write(fd, p, left);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			/* a full disk, say: keep it in memory instead */
			log_warn("recommendations: cannot set %zu MiB aside on disk (%s): training holds it",
			         v->n * v->size >> 20, strerror(errno));
			close(fd);
			return -1;
		}
		p += w;
		left -= (size_t)w;
	}
	free(v->p);
	v->p = NULL;
	return fd;
}

static int unspill(int fd, struct vec *v)
{
	size_t bytes = v->n * v->size, done = 0;

	if (!(v->p = malloc(bytes + v->size)))
		return -1;
	v->cap = v->n;
	while (done < bytes) {
		ssize_t r = pread(fd, (char *)v->p + done, bytes - done, (off_t)done);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0)
				errno = 0;
			return -1;
		}
		done += (size_t)r;
	}
	return 0;
}

static void memlog(const char *what)
{
	char line[256];
	FILE *f;

	if (!getenv("SEGUE_MEMLOG") || !(f = fopen("/proc/self/status", "r")))
		return;
	while (fgets(line, sizeof line, f))
		if (!strncmp(line, "VmRSS", 5) || !strncmp(line, "VmHWM", 5))
			fprintf(stderr, "memlog %s: %s", what, line);
	fclose(f);
}

struct recs_model *recs_model_build(struct store *s, const struct recs_params *p, struct recs_heldout *held,
                                    const atomic_bool *stop, char *err, size_t errlen)
{
	struct recs_model *m = calloc(1, sizeof *m);
	struct scan sc = { .p = p, .ptr = { .size = sizeof(int64_t) }, .col = { .size = sizeof(int32_t) },
	                   .conf = { .size = sizeof(float) }, .seq = { .size = sizeof(int32_t) },
	                   .held_user = { .size = 64 }, .held_row = { .size = sizeof(int32_t) }, .held_ptr = { .size = sizeof(int64_t) },
	                   .held_item = { .size = sizeof(int32_t) } };
	struct idmap im = { 0 };
	int32_t *duration = NULL;
	int threads = p->threads > 0 ? p->threads : pfor_cpus();
	int64_t playlists_at = 0;
	struct vec ranges = { .size = sizeof(struct list_range) };
	double t0 = mono_s();
	float *X = NULL;
	int seq_fd = -1, v_fd = -1;
	struct vec v_spilled = { 0 };

	if (!m) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	atomic_init(&m->refs, 1);
	m->built_at_ms = now_ms();
	m->reg = p->reg;
	m->alpha = p->alpha;
	m->skip_weight = p->skip_weight;
	m->catalog_only = p->catalog_only;
	if (held)
		memset(held, 0, sizeof *held);
	/* One read transaction: the catalog and the plays seen are of one moment. */
	if (store_exec(s, "BEGIN") < 0) {
		snprintf(err, errlen, "cannot begin a read: %s", sqlite3_errmsg(s->db));
		goto fail;
	}
	if (load_catalog(s, m, &duration, err, errlen) < 0)
		goto fail_tx;
	sc.m = m;
	sc.duration = duration;
	if (idmap_build(&im, m) < 0) {
		snprintf(err, errlen, "out of memory");
		goto fail_tx;
	}
	if (!p->catalog_only && scan_plays(s, &sc, &im, stop, err, errlen) < 0)
		goto fail_tx;
	if (!p->catalog_only && (scan_playlists(s, &sc, &im, &playlists_at, &ranges) < 0 ||
	                         scan_playlist_words(s, &sc, &ranges) < 0)) {
		free(ranges.p);
		snprintf(err, errlen, "reading playlists: out of memory");
		goto fail_tx;
	}
	free(ranges.p);
	store_exec(s, "COMMIT");
	memlog("scanned");
	free(im.slot);
	im.slot = NULL;
	free(duration);
	duration = NULL;
	m->plays = sc.plays;
	m->users = sc.users;
	m->interactions = (long long)sc.col.n;
	if (p->holdout > 0)
		pop_from_rows(m, sc.col.p, sc.conf.p, sc.col.n);
	if (group_catalog(m) < 0)
		goto oom;
	if (sc.col.n && p->factors > 0 && (seq_fd = spill(s, &sc.seq)) >= 0)
		give_back();
	if (sc.col.n && p->factors > 0) {
		struct als_matrix ui = { (int)sc.users, m->n_items, sc.ptr.p, sc.col.p, sc.conf.p }, iu;
		struct als_params ap = { p->factors, p->iterations, p->cg_steps, p->reg, threads, 42 };
		double t1 = mono_s();

		m->k = p->factors;
		if (als_transpose(&ui, &iu) < 0)
			goto oom;
		X = malloc((size_t)ui.rows * m->k * sizeof *X);
		m->V = malloc(((size_t)m->n_items + 1) * m->k * sizeof *m->V);
		m->G = malloc((size_t)m->k * m->k * sizeof *m->G);
		if (!X || !m->V || !m->G) {
			als_matrix_free(&iu);
			goto oom;
		}
		memlog("als start");
		if (als_train(&ui, &iu, &ap, X, m->V, stop) < 0) {
			als_matrix_free(&iu);
			snprintf(err, errlen, "training stopped");
			goto fail;
		}
		memlog("als done");
		als_matrix_free(&iu);
		free(X);
		X = NULL;
		give_back();
		als_gram(m->V, m->n_items, m->k, threads, m->G);
		m->als_seconds = mono_s() - t1;
		if (build_ivf(m, threads) < 0)
			goto oom;
	}
	/* Co-occurrence last, from the sessions set aside; the plays matrix is done with unless
	 * the evaluation wants it back. */
	if (!held) {
		free(sc.ptr.p);
		free(sc.col.p);
		free(sc.conf.p);
		sc.ptr.p = sc.col.p = sc.conf.p = NULL;
	}
	if (seq_fd >= 0) {
		int rc = unspill(seq_fd, &sc.seq);

		close(seq_fd);
		seq_fd = -1;
		if (rc < 0) {
			snprintf(err, errlen, "cannot read back the sessions set aside: %s", errno ? strerror(errno) : "short read");
			goto fail;
		}
	}
	/* Mining needs the sessions, not the factors: those wait on disk meanwhile, so the two
	 * big phases never hold their working sets at once. */
	if (m->V) {
		v_spilled = (struct vec){ m->V, ((size_t)m->zero_row + 1) * (size_t)m->k, 0, sizeof *m->V };
		if ((v_fd = spill(s, &v_spilled)) >= 0)
			m->V = NULL;
		give_back();
	}
	memlog("neighbours start");
	if (!p->catalog_only && build_neighbours(m, &sc, playlists_at, threads, p->neighbours) < 0) {
		snprintf(err, errlen, "out of memory mining co-occurrence");
		goto fail;
	}
	free(sc.seq.p);
	sc.seq = (struct vec){ .size = sizeof(int32_t) };
	give_back();
	if (v_fd >= 0) {
		int rc = unspill(v_fd, &v_spilled);

		close(v_fd);
		v_fd = -1;
		if (rc < 0) {
			free(v_spilled.p);
			snprintf(err, errlen, "cannot read back the factors set aside: %s", errno ? strerror(errno) : "short read");
			goto fail;
		}
		m->V = v_spilled.p;
	}
	if (stop && *stop) {
		snprintf(err, errlen, "stopped");
		goto fail;
	}
	if (held) {
		held->users = (int)sc.held_user.n;
		held->user = sc.held_user.p;
		held->row = sc.held_row.p;
		held->ptr = sc.held_ptr.p;
		held->item = sc.held_item.p;
		held->train = (struct als_matrix){ (int)sc.users, m->n_items, sc.ptr.p, sc.col.p, sc.conf.p };
		sc.held_user.p = sc.held_row.p = sc.held_ptr.p = sc.held_item.p = NULL;
		sc.ptr.p = sc.col.p = sc.conf.p = NULL;
	}
	memlog("built");
	scan_free(&sc);
	m->seconds = mono_s() - t0;
	return m;
oom:
	snprintf(err, errlen, "out of memory training");
	goto fail;
fail_tx:
	store_exec(s, "ROLLBACK");
fail:
	if (seq_fd >= 0)
		close(seq_fd);
	if (v_fd >= 0)
		close(v_fd);
	free(X);
	free(im.slot);
	free(duration);
	scan_free(&sc);
	recs_model_unref(m);
	return NULL;
}

void recs_heldout_free(struct recs_heldout *h)
{
	als_matrix_free(&h->train);
	free(h->user);
	free(h->row);
	free(h->ptr);
	free(h->item);
	memset(h, 0, sizeof *h);
}

struct recs_model *recs_model_ref(struct recs_model *m)
{
	if (m)
		atomic_fetch_add(&m->refs, 1);
	return m;
}

void recs_model_unref(struct recs_model *m)
{
	if (!m || atomic_fetch_sub(&m->refs, 1) != 1)
		return;
	free(m->item_id);
	free(m->artist);
	free(m->genre);
	free(m->released);
	free(m->pop);
	free(m->feat);
	free(m->restricted);
	free(m->artist_id);
	free(m->artist_ptr);
	free(m->artist_items);
	free(m->genre_name);
	free(m->genre_ptr);
	free(m->genre_items);
	free(m->popular);
	free(m->V);
	free(m->row);
	free(m->G);
	free(m->centroid);
	free(m->list_ptr);
	free(m->list_items);
	free(m->nb_ptr);
	free(m->nb_item);
	free(m->nb_sim);
	free(m);
}
