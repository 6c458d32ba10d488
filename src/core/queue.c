/* The play queue: context, play order, hand queue and repeat mode (see queue.h).
 *
 * Invariants kept by every function here:
 *  - with a context, norder == ntracks >= 1, order[] is a permutation of 0..ntracks-1 and
 *    pos < norder; without one, tracks and order are NULL and every count is 0;
 *  - with shuffle off, order[] is the identity, so "the context's own order" and the play
 *    order are the same thing and an up-next move with shuffle off reorders tracks[] itself;
 *  - cur is "" with a context only once the last pass ended with repeat off; pos then stays
 *    on the last entry of the order, so nothing of the context is left in "up next";
 *  - the hand queue's allocation holds at least user_cap(nuser) entries. */
#include "config.h"
#include "queue.h"

#include <stdlib.h>
#include <string.h>

#define SEED_ZERO 0x9e3779b97f4a7c15ULL /* used for seed 0 and if mixing ever yields 0 */

static const char *const repeat_names[] = {
	[REPEAT_OFF] = "off",
	[REPEAT_CONTEXT] = "context",
	[REPEAT_TRACK] = "track",
};

#define NREPEAT (sizeof repeat_names / sizeof repeat_names[0])

/* xorshift64 state step; the output is multiplied (xorshift64*) because the raw low bits of
 * xorshift64 are weak and we reduce modulo small track counts. */
static uint64_t rng_next(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x * 0x2545f4914f6cdd1dULL;
}

/* A uniform integer in [0, n), n >= 1. Plain "% n" favours small values; rejecting the
 * 2^64 mod n lowest outputs leaves a range that is an exact multiple of n. Takes the state by
 * pointer so queue_peek can run the same draws on a copy. */
static size_t rng_below(uint64_t *s, size_t n)
{
	uint64_t bound = n, min = (UINT64_MAX - bound + 1) % bound, r;

	do
		r = rng_next(s);
	while (r < min);
	return (size_t)(r % bound);
}

static void swap_at(size_t *a, size_t i, size_t j)
{
	size_t t = a[i];

	a[i] = a[j];
	a[j] = t;
}

/* Fisher-Yates over a[0..n): every permutation equally likely. */
static void shuffle(uint64_t *s, size_t *a, size_t n)
{
	for (size_t i = 0; i + 1 < n; i++)
		swap_at(a, i, i + rng_below(s, n - i));
}

/* The first draw of a new shuffled pass, shared by queue_next (through new_pass) and
 * queue_peek so both pick the same track. The pass starts as the identity with the track that
 * just ended swapped to the last slot, and the first slot is drawn from the n-1 others.
 * Returns the slot drawn. */
static size_t pass_draw(uint64_t *s, size_t n)
{
	return rng_below(s, n - 1);
}

/* What the slot drawn by pass_draw holds: itself, unless it is where the ended track was. */
static size_t pass_slot_track(size_t slot, size_t n, size_t ended)
{
	return slot == ended ? n - 1 : slot;
}

/* Lays out a new pass in order[] (pos becomes 0). Shuffled, it is uniform over the orders
 * that do not start with the track that ended the last pass, so no track plays twice in a
 * row across passes; that needs two tracks or more. */
static void new_pass(struct queue *q)
{
	size_t n = q->norder, ended = q->order[q->pos];

	for (size_t i = 0; i < n; i++)
		q->order[i] = i;
	if (q->shuffle && n > 1) {
		size_t j = pass_draw(&q->rng, n);

		swap_at(q->order, ended, n - 1);
		swap_at(q->order, 0, j);
		shuffle(&q->rng, q->order + 1, n - 1);
	}
	q->pos = 0;
}

static bool valid_id(const char *id)
{
	size_t i;

	if (!id)
		return false;
	for (i = 0; i < QUEUE_ID_MAX; i++) {
		char c = id[i];

		if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')))
			return false;
	}
	return id[i] == '\0';
}

/* id is always a whole queue_id inside the queue (which may be cur itself) */
static void set_cur(struct queue *q, const char *id, bool user)
{
	memmove(q->cur, id, sizeof q->cur);
	q->cur_is_user = user;
}

static void clear_cur(struct queue *q)
{
	q->cur[0] = '\0';
	q->cur_is_user = false;
}

/* How many context entries are left in "up next": those after pos in this pass. */
static size_t context_left(const struct queue *q)
{
	return q->norder && q->pos + 1 < q->norder ? q->norder - q->pos - 1 : 0;
}

/* Moves element from to index to in an array of size-byte elements, shifting those between. */
static void array_move(void *base, size_t size, size_t from, size_t to)
{
	char *a = base, tmp[sizeof(queue_id) > sizeof(size_t) ? sizeof(queue_id) : sizeof(size_t)];

	if (from == to)
		return;
	memcpy(tmp, a + from * size, size);
	if (from < to)
		memmove(a + from * size, a + (from + 1) * size, (to - from) * size);
	else
		memmove(a + (to + 1) * size, a + to * size, (from - to) * size);
	memcpy(a + to * size, tmp, size);
}

/* The hand queue grows by doubling, but struct queue has no capacity field (and the header
 * is the contract), so the capacity is a function of the count: 0, then powers of two from
 * 8. Shrinking never reallocates, so the allocation only ever holds more than this. */
static size_t user_cap(size_t n)
{
	size_t c = 8;

	if (!n)
		return 0;
	while (c < n)
		c *= 2;
	return c;
}

/* Makes room for one more hand-queued id. -1 when full or out of memory (nothing changed). */
static int user_reserve(struct queue *q)
{
	queue_id *u;

	if (q->nuser >= QUEUE_MAX)
		return -1;
	if (q->nuser + 1 <= user_cap(q->nuser))
		return 0;
	u = realloc(q->user, user_cap(q->nuser + 1) * sizeof *u);
	if (!u)
		return -1;
	q->user = u;
	return 0;
}

/* Inserts id into the hand queue at index at (<= nuser); user_reserve must have succeeded. */
static void user_insert(struct queue *q, const char *id, size_t at)
{
	if (at < q->nuser)
		memmove(q->user + at + 1, q->user + at, (q->nuser - at) * sizeof *q->user);
	memmove(q->user[at], id, sizeof q->user[at]);
	q->nuser++;
}

static void user_delete(struct queue *q, size_t at)
{
	if (at + 1 < q->nuser)
		memmove(q->user + at, q->user + at + 1, (q->nuser - at - 1) * sizeof *q->user);
	q->nuser--;
}

/* Makes id a context track playing at order index at (pos < at <= norder). With shuffle on it
 * is appended to the context's own order; with shuffle off the order is the identity, so it
 * goes into tracks[] at the same index. -1 when full or out of memory (nothing changed: a
 * tracks[] grown before order[] failed to grow is merely larger than needed). */
static int context_insert(struct queue *q, const char *id, size_t at)
{
	queue_id *t;
	size_t *o, k;

	if (q->ntracks >= QUEUE_MAX)
		return -1;
	t = realloc(q->tracks, (q->ntracks + 1) * sizeof *t);
	if (!t)
		return -1;
	q->tracks = t;
	o = realloc(q->order, (q->norder + 1) * sizeof *o);
	if (!o)
		return -1;
	q->order = o;
	k = q->shuffle ? q->ntracks : at;
	if (k < q->ntracks)
		memmove(q->tracks + k + 1, q->tracks + k, (q->ntracks - k) * sizeof *q->tracks);
	memmove(q->tracks[k], id, sizeof q->tracks[k]);
	q->ntracks++;
	if (q->shuffle) {
		if (at < q->norder)
			memmove(q->order + at + 1, q->order + at,
				(q->norder - at) * sizeof *q->order);
		q->order[at] = k;
	} else {
		q->order[q->norder] = q->norder;
	}
	q->norder++;
	return 0;
}

/* Removes the entry at order index at (> pos) from the context altogether, so it is gone
 * from later passes too; order[] entries past it in tracks[] shift down by one. */
static void context_delete(struct queue *q, size_t at)
{
	size_t k = q->order[at];

	if (k + 1 < q->ntracks)
		memmove(q->tracks + k, q->tracks + k + 1, (q->ntracks - k - 1) * sizeof *q->tracks);
	q->ntracks--;
	if (at + 1 < q->norder)
		memmove(q->order + at, q->order + at + 1, (q->norder - at - 1) * sizeof *q->order);
	q->norder--;
	for (size_t i = 0; i < q->norder; i++)
		if (q->order[i] > k)
			q->order[i]--;
}

void queue_init(struct queue *q, uint64_t seed)
{
	/* splitmix64 of the seed: neighbouring seeds give unrelated xorshift states, and the
	 * state is never 0, where xorshift would stay stuck */
	uint64_t z = (seed ? seed : SEED_ZERO) + 0x9e3779b97f4a7c15ULL;

	memset(q, 0, sizeof *q);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	q->rng = z ? z : SEED_ZERO;
}

void queue_free(struct queue *q)
{
	queue_reset(q);
}

int queue_set_context(struct queue *q, const char *context_uri, const char *const *ids, size_t n,
		      size_t start)
{
	queue_id *tracks = NULL;
	size_t *order = NULL;

	if (!context_uri)
		context_uri = "";
	if (!ids || n == 0 || n > QUEUE_MAX || start >= n || strlen(context_uri) > QUEUE_URI_MAX)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!valid_id(ids[i]))
			return -1;
	tracks = malloc(n * sizeof *tracks);
	order = malloc(n * sizeof *order);
	if (!tracks || !order)
		goto fail;
	for (size_t i = 0; i < n; i++)
		memcpy(tracks[i], ids[i], sizeof tracks[i]);
	free(q->tracks);
	free(q->order);
	q->tracks = tracks;
	q->order = order;
	q->ntracks = q->norder = n;
	strcpy(q->context, context_uri);
	if (q->shuffle) {
		/* the current first, then everything else in a uniform random order */
		order[0] = start;
		for (size_t i = 0, j = 1; i < n; i++)
			if (i != start)
				order[j++] = i;
		shuffle(&q->rng, order + 1, n - 1);
		q->pos = 0;
	} else {
		for (size_t i = 0; i < n; i++)
			order[i] = i;
		q->pos = start;
	}
	set_cur(q, tracks[start], false);
	return 0;
fail:
	free(tracks);
	free(order);
	return -1;
}

int queue_extend(struct queue *q, const char *const *ids, size_t n)
{
	queue_id *tracks;
	size_t *order;

	if (!n)
		return 0;
	if (!q->ntracks || q->ntracks + n > QUEUE_MAX)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!valid_id(ids[i]))
			return -1;
	if (!(tracks = realloc(q->tracks, (q->ntracks + n) * sizeof *tracks)))
		return -1;
	q->tracks = tracks;
	if (!(order = realloc(q->order, (q->norder + n) * sizeof *order)))
		return -1;   /* tracks grew but ntracks did not: still consistent */
	q->order = order;
	for (size_t i = 0; i < n; i++) {
		memcpy(q->tracks[q->ntracks + i], ids[i], sizeof q->tracks[0]);
		q->order[q->norder + i] = q->ntracks + i;
	}
	q->ntracks += n;
	q->norder += n;
	return 0;
}

size_t queue_left(const struct queue *q)
{
	return q->norder && q->pos + 1 < q->norder ? q->norder - q->pos - 1 : 0;
}

int queue_restore(struct queue *q, const char *context_uri, const char *const *ids, size_t n,
                  const size_t *order, size_t pos, const char *const *user, size_t nuser,
                  const char *cur, bool cur_is_user, bool shuffle, enum repeat r)
{
	struct queue fresh;
	unsigned char *seen = NULL;

	if (!context_uri)
		context_uri = "";
	if (n > QUEUE_MAX || nuser > QUEUE_MAX || strlen(context_uri) > QUEUE_URI_MAX ||
	    (n && pos >= n) || (!n && pos) || (unsigned)r >= NREPEAT || (cur && *cur && !valid_id(cur)))
		return -1;
	if (n && !(seen = calloc(n, 1)))
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!valid_id(ids[i]) || order[i] >= n || seen[order[i]]++ || (!shuffle && order[i] != i)) {
			free(seen);
			return -1;
		}
	}
	free(seen);
	for (size_t i = 0; i < nuser; i++)
		if (!valid_id(user[i]))
			return -1;
	/* A current context track must be the one at pos. */
	if (cur && *cur && !cur_is_user && (!n || strcmp(ids[order[pos]], cur)))
		return -1;
	queue_init(&fresh, q->rng);
	fresh.shuffle = shuffle;
	fresh.repeat = r;
	if (n && queue_set_context(&fresh, context_uri, ids, n, 0) < 0)
		goto fail;
	if (n) {
		memcpy(fresh.order, order, n * sizeof *order);
		fresh.pos = pos;
	}
	for (size_t i = 0; i < nuser; i++)
		if (queue_add(&fresh, user[i]) < 0)
			goto fail;
	if (cur && *cur)
		set_cur(&fresh, cur, cur_is_user);
	else
		clear_cur(&fresh);
	queue_free(q);
	*q = fresh;
	return 0;
fail:
	queue_free(&fresh);
	return -1;
}

void queue_reset(struct queue *q)
{
	free(q->tracks);
	free(q->order);
	free(q->user);
	q->context[0] = '\0';
	q->tracks = NULL;
	q->ntracks = 0;
	q->order = NULL;
	q->norder = 0;
	q->pos = 0;
	q->user = NULL;
	q->nuser = 0;
	clear_cur(q);
}

const char *queue_current(const struct queue *q)
{
	return q->cur[0] ? q->cur : NULL;
}

const char *queue_next(struct queue *q, bool natural_end)
{
	if (q->repeat == REPEAT_TRACK && natural_end && q->cur[0])
		return q->cur;
	if (q->nuser) {
		set_cur(q, q->user[0], true);
		user_delete(q, 0);
		return q->cur;
	}
	if (!q->norder) {
		clear_cur(q);
		return NULL;
	}
	if (q->pos + 1 < q->norder) {
		q->pos++;
	} else if (q->repeat != REPEAT_OFF) {
		/* repeat=track only gets here on a skip (or with nothing current), and a skip
		 * past the end wraps rather than stopping: only repeat off ends the queue */
		new_pass(q);
	} else {
		clear_cur(q);
		return NULL;
	}
	set_cur(q, q->tracks[q->order[q->pos]], false);
	return q->cur;
}

/* Follows queue_next(q, true) step by step. Across a pass boundary with shuffle on it runs
 * the new pass's first draw on a copy of the generator: the draw is all that decides the
 * first track, and queue_next will make the very same one, so nothing needs storing. */
const char *queue_peek(struct queue *q)
{
	uint64_t s = q->rng;

	if (q->repeat == REPEAT_TRACK && q->cur[0])
		return q->cur;
	if (q->nuser)
		return q->user[0];
	if (!q->norder)
		return NULL;
	if (q->pos + 1 < q->norder)
		return q->tracks[q->order[q->pos + 1]];
	if (q->repeat == REPEAT_OFF)
		return NULL;
	if (!q->shuffle || q->norder == 1)
		return q->tracks[0];
	return q->tracks[pass_slot_track(pass_draw(&s, q->norder), q->norder, q->order[q->pos])];
}

const char *queue_prev(struct queue *q)
{
	if (!q->norder)
		return queue_current(q); /* only hand-queued tracks: restart the current one */
	if (q->cur[0] && !q->cur_is_user) {
		if (q->pos > 0)
			q->pos--;
		else if (q->repeat == REPEAT_CONTEXT)
			q->pos = q->norder - 1;
	}
	/* from a hand-queued track, or after the end, back to the last context track played */
	set_cur(q, q->tracks[q->order[q->pos]], false);
	return q->cur;
}

int queue_add(struct queue *q, const char *id)
{
	queue_id copy;

	/* id may point into the hand queue itself (an up-next entry queued again), which
	 * growing it would free */
	if (!valid_id(id))
		return -1;
	memcpy(copy, id, sizeof copy);
	if (user_reserve(q) < 0)
		return -1;
	user_insert(q, copy, q->nuser);
	return 0;
}

size_t queue_upnext(const struct queue *q, const char **ids, bool *user, size_t max)
{
	size_t nctx = context_left(q), k = 0;

	for (size_t i = 0; i < q->nuser && k < max && ids; i++, k++) {
		ids[k] = q->user[i];
		if (user)
			user[k] = true;
	}
	for (size_t i = 0; i < nctx && k < max && ids; i++, k++) {
		ids[k] = q->tracks[q->order[q->pos + 1 + i]];
		if (user)
			user[k] = false;
	}
	return q->nuser + nctx;
}

int queue_remove(struct queue *q, size_t n)
{
	if (n < 1 || n > q->nuser + context_left(q))
		return -1;
	if (n <= q->nuser)
		user_delete(q, n - 1);
	else
		context_delete(q, q->pos + n - q->nuser);
	return 0;
}

/* Up-next positions map to storage as: 1..nuser are user[0..nuser), the rest are
 * order[pos+1..]. The one place the header leaves open is the boundary slot between the last
 * hand-queued entry and the first context one: either membership shows the same list there,
 * so the entry keeps the one it had. */
int queue_move(struct queue *q, size_t from, size_t to)
{
	size_t total = q->nuser + context_left(q), nuser_after;
	bool from_user, to_user;
	queue_id id;

	if (from < 1 || from > total || to < 1 || to > total)
		return -1;
	if (from == to)
		return 0;
	from_user = from <= q->nuser;
	nuser_after = q->nuser - from_user;
	to_user = to <= nuser_after || (to == nuser_after + 1 && from_user);
	if (from_user && to_user) {
		array_move(q->user, sizeof *q->user, from - 1, to - 1);
	} else if (!from_user && !to_user) {
		size_t a = q->pos + from - q->nuser, b = q->pos + to - q->nuser;

		/* with shuffle off the order is the identity: the context's own order moves */
		if (q->shuffle)
			array_move(q->order, sizeof *q->order, a, b);
		else
			array_move(q->tracks, sizeof *q->tracks, a, b);
	} else if (from_user) {
		memcpy(id, q->user[from - 1], sizeof id);
		if (context_insert(q, id, q->pos + to - nuser_after) < 0)
			return -1;
		user_delete(q, from - 1);
	} else {
		size_t a = q->pos + from - q->nuser;

		if (user_reserve(q) < 0)
			return -1;
		memcpy(id, q->tracks[q->order[a]], sizeof id);
		context_delete(q, a);
		user_insert(q, id, to - 1);
	}
	return 0;
}

void queue_clear(struct queue *q)
{
	free(q->user);
	q->user = NULL;
	q->nuser = 0;
}

/* On: only what is left of this pass (after pos) is shuffled, so the current track and the
 * history that prev walks back through stay put. Off: the order becomes the context's own
 * again and play resumes after the last context track played (still current unless a
 * hand-queued one is); after the end of the last pass the queue stays ended. */
void queue_set_shuffle(struct queue *q, bool on)
{
	if (on == q->shuffle)
		return;
	q->shuffle = on;
	if (!q->norder)
		return;
	if (on) {
		shuffle(&q->rng, q->order + q->pos + 1, q->norder - q->pos - 1);
		return;
	}
	q->pos = q->cur[0] ? q->order[q->pos] : q->norder - 1;
	for (size_t i = 0; i < q->norder; i++)
		q->order[i] = i;
}

void queue_set_repeat(struct queue *q, enum repeat r)
{
	if ((unsigned)r < NREPEAT)
		q->repeat = r;
}

const char *repeat_name(enum repeat r)
{
	return (unsigned)r < NREPEAT ? repeat_names[r] : "off";
}

int repeat_from_name(const char *name)
{
	for (size_t i = 0; name && i < NREPEAT; i++)
		if (!strcmp(repeat_names[i], name))
			return (int)i;
	return -1;
}
