/* The scan of listening: every play, ordered by user and time, becomes a row of the user x item
 * confidence matrix and the user's sessions; playlists and the words of their names then join
 * the sequence that co-occurrence mines. */
#include "config.h"
#include "recs/model_build.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/recs.h"

#define SESSION_GAP_MS (30LL * 60 * 1000)
#define WORD_MAX 23            /* longer words are not names of moods or genres */
#define WORD_TRACKS 50         /* a word's playlist: its most shared tracks */
#define WORD_LISTS_MAX 100000  /* a word in more playlists than this says nothing */

static uint32_t id_hash(const char *id)
{
	uint32_t h = 2166136261u;

	for (; *id; id++)
		h = (h ^ (unsigned char)*id) * 16777619u;
	return h;
}

int recs_idmap_build(struct idmap *im, const struct recs_model *m)
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
			if (!(sep = recs_vec_push(&sc->seq, 1)))
				return -1;
			*sep = -1;
		}
		if (!(slot = recs_vec_push(&sc->seq, 1)))
			return -1;
		*slot = pl[i].item;
	}
	if (!(sep = recs_vec_push(&sc->seq, 1)))
		return -1;
	*sep = -1;
	/* Held-out items: what the user went on to listen to that training did not see. */
	if (cut < n) {
		char *name;
		int64_t *end;
		int32_t *row;

		qsort(pl, (size_t)cut, sizeof *pl, cmp_play_item);
		if (!(name = recs_vec_push(&sc->held_user, 1)))
			return -1;
		snprintf(name, 64, "%s", user);
		if (!(row = recs_vec_push(&sc->held_row, 1)))
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
			if (!(slot = recs_vec_push(&sc->held_item, 1)))
				return -1;
			*slot = pl[i].item;
		}
		if (!(end = recs_vec_push(&sc->held_ptr, 1)))
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
			if (!(col = recs_vec_push(&sc->col, 1)) || !(conf = recs_vec_push(&sc->conf, 1)))
				return -1;
			*col = pl[i].item;
			*conf = c;
		}
		i = j;
	}
	int64_t *end = recs_vec_push(&sc->ptr, 1);

	if (!end)
		return -1;
	*end = (int64_t)sc->col.n;
	sc->users++;
	return 0;
}

/* The scan of plays under way: the current user's plays, gathered until the next user's. */
struct plays_scan {
	struct scan *sc;
	struct idmap *im;
	const atomic_bool *stop;
	struct vec pl;
	char user[64];
	bool oom, stopped;
};

static int scan_play(void *ud, const struct recs_play_source *row)
{
	struct plays_scan *ps = ud;
	struct scan *sc = ps->sc;
	long long cutoff = sc->p->now_ms;
	struct play *p;
	int item;

	if (strcmp(row->user, ps->user)) {
		if (ps->pl.n && scan_user(sc, ps->user, ps->pl.p, (int)ps->pl.n) < 0) {
			ps->oom = true;
			return -1;
		}
		ps->pl.n = 0;
		snprintf(ps->user, sizeof ps->user, "%s", row->user);
		if (ps->stop && *ps->stop) {
			ps->stopped = true;
			return -1;
		}
	}
	if ((item = idmap_get(ps->im, sc->m, row->track)) < 0)
		return 0;   /* a play of a track since removed */
	if (cutoff && row->started_at > cutoff)
		return 0;
	if (!(p = recs_vec_push(&ps->pl, 1))) {
		ps->oom = true;
		return -1;
	}
	*p = (struct play){ item, row->ms_played, row->started_at, row->counted, row->skipped };
	sc->plays++;
	return 0;
}

int recs_scan_plays(struct store *s, struct scan *sc, struct idmap *im, const atomic_bool *stop,
                      char *err, size_t errlen)
{
	struct plays_scan ps = { .sc = sc, .im = im, .stop = stop, .pl = { .size = sizeof(struct play) } };
	int64_t *zero;

	if (!(zero = recs_vec_push(&sc->ptr, 1)))
		goto oom;
	*zero = 0;
	if (sc->p->holdout > 0 && !(zero = recs_vec_push(&sc->held_ptr, 1)))
		goto oom;
	if (sc->p->holdout > 0)
		*zero = 0;
	/* By user, each user's in time order: one user's plays at a time. */
	if (store_recs_plays(s, scan_play, &ps) < 0) {
		if (ps.oom)
			goto oom;
		free(ps.pl.p);
		snprintf(err, errlen, ps.stopped ? "stopped" : "cannot read plays");
		return -1;
	}
	if (ps.pl.n && scan_user(sc, ps.user, ps.pl.p, (int)ps.pl.n) < 0)
		goto oom;
	free(ps.pl.p);
	return 0;
oom:
	free(ps.pl.p);
	snprintf(err, errlen, "out of memory reading plays");
	return -1;
}

/* The scan of playlists under way. */
struct lists_scan {
	struct scan *sc;
	struct idmap *im;
	struct vec *ranges;
	struct list_range *r;   /* the current playlist's */
};

static int scan_item(void *ud, const char *playlist, const char *track)
{
	struct lists_scan *ls = ud;
	struct scan *sc = ls->sc;
	int item = idmap_get(ls->im, sc->m, track);
	int32_t *slot;

	if (!ls->r || strcmp(ls->r->id, playlist)) {
		if (!(slot = recs_vec_push(&sc->seq, 1)) || !(ls->r = recs_vec_push(ls->ranges, 1)))
			return -1;
		*slot = -1;
		snprintf(ls->r->id, sizeof ls->r->id, "%s", playlist);
		ls->r->a = ls->r->b = (int64_t)sc->seq.n;
	}
	if (item < 0)
		return 0;
	if (!(slot = recs_vec_push(&sc->seq, 1)))
		return -1;
	*slot = item;
	ls->r->b = (int64_t)sc->seq.n;
	return 0;
}

/* Users' playlists join the sequence after the sessions, each after a -1; ranges (sorted by
 * playlist id) says where. Made-for-you playlists are left out: they are the model's own
 * output, and learning from them would only echo it. */
int recs_scan_playlists(struct store *s, struct scan *sc, struct idmap *im, int64_t *start,
                          struct vec *ranges)
{
	struct lists_scan ls = { sc, im, ranges, NULL };

	*start = (int64_t)sc->seq.n;
	return store_recs_playlist_items(s, scan_item, &ls);
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

/* The scan of playlist names under way: their words, with the range of each playlist. */
struct words_scan {
	const struct vec *ranges;
	size_t at;              /* the range of the playlist read last, or past it */
	struct vec refs;
};

static int scan_name(void *ud, const char *id, const char *name)
{
	struct words_scan *ws = ud;
	const struct list_range *r = ws->ranges->p;

	/* a playlist with no known tracks has none */
	while (ws->at < ws->ranges->n && strcmp(r[ws->at].id, id) < 0)
		ws->at++;
	if (ws->at == ws->ranges->n || strcmp(r[ws->at].id, id) || r[ws->at].a == r[ws->at].b)
		return 0;
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
		struct word_ref *ref = recs_vec_push(&ws->refs, 1);

		if (!ref)
			return -1;
		memcpy(ref->w, w, n + 1);
		ref->list = (int32_t)ws->at;
	}
	return 0;
}

/* Words in playlist names relate their tracks: for each word that names two playlists or more
 * ("rainy", "workout", "jazz"), the tracks those playlists share most, most shared first, join
 * the sequence as one more playlist, so co-occurrence links tracks that never shared a list. */
int recs_scan_playlist_words(struct store *s, struct scan *sc, const struct vec *ranges)
{
	const struct list_range *r = ranges->p;
	struct words_scan ws = { ranges, 0, { .size = sizeof(struct word_ref) } };
	struct vec *refs = &ws.refs;
	int32_t *count = NULL, *touched = NULL;
	int rc = -1;

	/* Both in id order: the names walk the ranges along. */
	if (store_recs_playlist_names(s, scan_name, &ws) < 0)
		goto out;
	if (refs->n > 1) /* qsort's array may not be NULL, even empty */
		qsort(refs->p, refs->n, refs->size, cmp_word_ref);
	count = calloc((size_t)sc->m->n_items + 1, sizeof *count);
	touched = malloc(((size_t)sc->m->n_items + 1) * sizeof *touched);
	if (!count || !touched)
		goto out;
	for (size_t g = 0, e; g < refs->n; g = e) {
		const struct word_ref *ref = refs->p;
		int nt = 0, lists = 0;
		int32_t *slot;

		for (e = g; e < refs->n && !strcmp(ref[e].w, ref[g].w); e++)
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
		if (!(slot = recs_vec_push(&sc->seq, 1)))
			goto out;
		*slot = -1;
		for (int k = 0; k < nt; k++) {
			if (k < WORD_TRACKS) {
				if (!(slot = recs_vec_push(&sc->seq, 1)))
					goto out;
				*slot = touched[k];
			}
			count[touched[k]] = 0;
		}
	}
	rc = 0;
out:
	free(refs->p);
	free(count);
	free(touched);
	return rc;
}
