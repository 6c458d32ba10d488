/* The TUI's cover art worker (tui_art.h). The UI's side and the worker's meet in three places,
 * under the worker's lock: the request for the picture on screen (one slot: a newer request
 * replaces one not yet started), the track to prefetch (one slot), and the finished pictures
 * waiting for the UI. The pictures the UI has taken are its own (no lock): the worker never
 * frees what the UI may be drawing. */
#include "config.h"
#include "tui_art.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "artcache.h"
#include "clock.h"
#include "log.h"
#include "worker.h"

#define THREADS 2           /* one slow picture does not hold up the next */
#define FETCH_MS 15000
#define KEPT 8              /* pictures kept drawn, the least recently used replaced */
#define READY_MAX 4
#define URL_MAX 1024
#define RETRY_MS 30000      /* a picture that failed is asked for again after this long */

struct key {
	char url[URL_MAX];
	int cols, rows;
};

struct drawn {
	struct key key;
	struct art_block b;
	bool failed, used;
	long long seen;      /* when last asked for, for replacing the least recently used */
	long long failed_at; /* when it was taken, failed (a server that was away may be back) */
};

struct tui_art {
	struct worker w;
	bool started;
	int pipe[2];
	enum art_mode mode;
	enum art_colors colors;
	int cell_w, cell_h;
	char cache_dir[PATH_MAX];
	long long cache_max; /* art_cache_max_size in bytes, read at start: workers read no options */
	/* Under w.lock. */
	struct key want;
	bool want_set;
	struct key busy[THREADS]; /* what each thread works on ("" url: nothing) */
	char prefetch[URL_MAX];
	struct drawn ready[READY_MAX];
	int nready;
	/* The UI's alone. */
	struct drawn kept[KEPT];
};

static bool same(const struct key *a, const struct key *b)
{
	return a->cols == b->cols && a->rows == b->rows && !strcmp(a->url, b->url);
}

/* One job, without the lock: a picture fetched, and drawn when render is set. */
static void work(struct tui_art *a, const struct key *k, bool render, struct drawn *out)
{
	char path[PATH_MAX + 64];
	enum seg_err e;

	memset(out, 0, sizeof *out);
	out->key = *k;
	e = artcache_fetch_cancel(a->cache_dir, k->url, FETCH_MS, a->cache_max, &a->w.stop, path,
	                          sizeof path);
	if (!e && render)
		e = art_render(path, a->mode, a->mode == ART_SYMBOLS ? ART_CELLS : ART_TEXT, a->colors,
		               k->cols, k->rows, a->cell_w, a->cell_h, &out->b);
	if (e) {
		out->failed = true;
		if (!atomic_load(&a->w.stop))
			log_warn("cover art: %s", seg_errmsg());
	}
}

static void *run(void *arg)
{
	struct tui_art *a = arg;
	int slot = -1;

	pthread_mutex_lock(&a->w.lock);
	for (int i = 0; i < THREADS; i++)
		if (a->busy[i].url[0] == '\0' && a->busy[i].cols == 0) {
			a->busy[i].cols = -1; /* claimed: this thread's slot */
			slot = i;
			break;
		}
	while (slot >= 0) {
		struct key k;
		struct drawn d;
		bool render;

		if (a->want_set) {
			k = a->want;
			a->want_set = false;
			render = true;
		} else if (a->prefetch[0]) {
			memset(&k, 0, sizeof k);
			snprintf(k.url, sizeof k.url, "%s", a->prefetch);
			a->prefetch[0] = '\0';
			render = false;
		} else {
			if (!worker_wait(&a->w, -1))
				break;
			continue;
		}
		a->busy[slot] = k;
		pthread_mutex_unlock(&a->w.lock);
		work(a, &k, render, &d);
		pthread_mutex_lock(&a->w.lock);
		memset(&a->busy[slot], 0, sizeof a->busy[slot]);
		a->busy[slot].cols = -1;
		if (atomic_load(&a->w.stop)) {
			art_block_free(&d.b);
			break;
		}
		if (render) {
			if (a->nready == READY_MAX) {
				art_block_free(&a->ready[0].b);
				memmove(a->ready, a->ready + 1, sizeof a->ready[0] * (READY_MAX - 1));
				a->nready--;
			}
			a->ready[a->nready++] = d;
			/* A full pipe already says there is something to take. */
			if (write(a->pipe[1], "a", 1) < 0 && errno != EAGAIN)
				log_warn("cover art: cannot wake the interface: %s", strerror(errno));
		}
	}
	pthread_mutex_unlock(&a->w.lock);
	return NULL;
}

struct tui_art *tui_art_new(struct seg *s, enum art_mode mode, enum art_colors colors)
{
	struct tui_art *a = calloc(1, sizeof *a);

	if (!a)
		return NULL;
	a->pipe[0] = a->pipe[1] = -1;
	a->mode = mode;
	a->colors = colors;
	snprintf(a->cache_dir, sizeof a->cache_dir, "%s", s->paths.cache_dir);
	a->cache_max = opt_int(&s->opt, OPT_ART_CACHE_MAX_SIZE) * ARTCACHE_MB;
	art_cell_pixels(STDOUT_FILENO, &a->cell_w, &a->cell_h);
	if (mode == ART_OFF)
		return a;
	if (pipe2(a->pipe, O_NONBLOCK | O_CLOEXEC) < 0) {
		log_warn("cover art is off: %s", strerror(errno));
		a->mode = ART_OFF;
		return a;
	}
	if (worker_start(&a->w, THREADS, run, a) < 0) {
		log_warn("cover art is off: no thread could be started");
		worker_stop(&a->w);
		a->mode = ART_OFF;
		return a;
	}
	a->started = true;
	return a;
}

void tui_art_free(struct tui_art *a)
{
	if (!a)
		return;
	if (a->started)
		worker_stop(&a->w);
	for (int i = 0; i < a->nready; i++)
		art_block_free(&a->ready[i].b);
	for (int i = 0; i < KEPT; i++)
		art_block_free(&a->kept[i].b);
	if (a->pipe[0] >= 0)
		close(a->pipe[0]);
	if (a->pipe[1] >= 0)
		close(a->pipe[1]);
	free(a);
}

enum art_mode tui_art_mode(const struct tui_art *a)
{
	return a ? a->mode : ART_OFF;
}

int tui_art_fd(const struct tui_art *a)
{
	return a ? a->pipe[0] : -1;
}

static void keep(struct tui_art *a, struct drawn *d)
{
	struct drawn *slot = &a->kept[0];

	for (int i = 0; i < KEPT; i++) {
		if (!a->kept[i].used) {
			slot = &a->kept[i];
			break;
		}
		if (a->kept[i].seen < slot->seen)
			slot = &a->kept[i];
	}
	art_block_free(&slot->b);
	*slot = *d;
	slot->used = true;
	slot->seen = slot->failed_at = clock_mono_ms();
}

bool tui_art_take(struct tui_art *a)
{
	char buf[64];
	bool any = false;

	if (!a || !a->started)
		return false;
	while (read(a->pipe[0], buf, sizeof buf) > 0)
		;
	pthread_mutex_lock(&a->w.lock);
	for (int i = 0; i < a->nready; i++) {
		keep(a, &a->ready[i]);
		any = true;
	}
	a->nready = 0;
	pthread_mutex_unlock(&a->w.lock);
	return any;
}

const struct art_block *tui_art_get(struct tui_art *a, const char *url, int cols, int rows,
                                    bool *failed)
{
	struct key k = { .cols = cols, .rows = rows };

	*failed = false;
	if (!a || !a->started || !url || cols < 1 || rows < 1)
		return NULL;
	if (snprintf(k.url, sizeof k.url, "%s", url) >= (int)sizeof k.url) {
		*failed = true;
		return NULL;
	}
	for (int i = 0; i < KEPT; i++)
		if (a->kept[i].used && same(&a->kept[i].key, &k)) {
			if (a->kept[i].failed && clock_mono_ms() - a->kept[i].failed_at > RETRY_MS) {
				a->kept[i].used = false;
				break;
			}
			a->kept[i].seen = clock_mono_ms();
			*failed = a->kept[i].failed;
			return a->kept[i].failed ? NULL : &a->kept[i].b;
		}
	pthread_mutex_lock(&a->w.lock);
	bool asked = a->want_set && same(&a->want, &k);

	for (int i = 0; i < THREADS && !asked; i++)
		asked = same(&a->busy[i], &k);
	for (int i = 0; i < a->nready && !asked; i++)
		asked = same(&a->ready[i].key, &k);
	if (!asked) {
		a->want = k;
		a->want_set = true;
		pthread_cond_signal(&a->w.wake);
	}
	pthread_mutex_unlock(&a->w.lock);
	return NULL;
}

void tui_art_prefetch(struct tui_art *a, const char *url)
{
	if (!a || !a->started || !url || strlen(url) >= URL_MAX)
		return;
	pthread_mutex_lock(&a->w.lock);
	snprintf(a->prefetch, sizeof a->prefetch, "%s", url);
	pthread_cond_signal(&a->w.wake);
	pthread_mutex_unlock(&a->w.lock);
}
