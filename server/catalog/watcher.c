/* The library watcher. See catalog/watcher.h. */
#include "config.h"
#include "catalog/watcher.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "catalog/ingest.h"
#include "log.h"
#include "worker.h"

#define DEBOUNCE_S 2.0     /* quiet after the last event before the changes are ingested */
#define MAX_WAIT_S 30.0    /* ...unless writes never stop (a download into the library) */
#define NICE 10            /* the watcher's and ingest's threads yield to the service loop */
#define OVER_SETTING (-1)  /* watch_failed's err: the setting library_max_watches said so */
#define LOOK_MS 250        /* how often the thread looks at the clock and the stop flag */
#define PENDING_MAX 100000 /* changed paths held; beyond, a full scan takes them all */
#define MAX_DEPTH 32       /* as ingest's walk */

#define DIR_EVENTS (IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE | IN_CREATE | \
                    IN_MODIFY | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)

struct library_watch {
	struct worker w;
	const struct settings *cfg;
	char **roots;
	int nroots;
	int fd;                /* inotify; -1 when it could not start */
	char **wd_path;        /* each watch's folder, by descriptor (they only grow) */
	size_t wd_cap;
	bool limit_logged;
	int init_errno;        /* why inotify could not start */
	char **pending;        /* paths changed since the last scan */
	size_t npending, pending_cap;
	bool full;             /* a full scan is due */
	double last_event;     /* when the last change was seen (monotonic s) */
	double first_pending;  /* when the oldest change waiting was seen */
	double next_rescan;    /* when polling: the next full scan */
	atomic_bool rescan;    /* library_watch_rescan asked for a full scan */
	struct library_stats stats;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return !strncmp(path, dir, n) && (path[n] == '/' || !path[n]);
}

/* ---- the watches ---- */

static void forget_wd(struct library_watch *lw, int wd)
{
	if (wd >= 0 && (size_t)wd < lw->wd_cap && lw->wd_path[wd]) {
		free(lw->wd_path[wd]);
		lw->wd_path[wd] = NULL;
		atomic_fetch_sub(&lw->stats.watches, 1);
	}
}

/* Past the watch limit the watcher falls back on periodic scans, and says so once. */
static void watch_failed(struct library_watch *lw, const char *dir, int err)
{
	double every = (double)lw->cfg->library_rescan;

	if (!atomic_load(&lw->stats.polling))
		lw->next_rescan = now_s() + every;
	atomic_store(&lw->stats.polling, true);
	if (lw->limit_logged)
		return;
	lw->limit_logged = true;
	if (err == ENOSPC || err == OVER_SETTING)
		log_warn("library: the inotify watch limit is reached at %ld folders (%s): scanning the library"
		         " again every %.0f s or more instead", atomic_load(&lw->stats.watches),
		         err == ENOSPC ? "raise fs.inotify.max_user_watches" : "the setting library_max_watches",
		         every);
	else
		log_warn("library: cannot watch %s (%s): scanning the library again every %.0f s or more instead",
		         dir, strerror(err), every);
}

/* Watches dir and every folder below it (hidden ones aside, as ingest skips them). Watching
 * a folder again gives the same descriptor, so this also repairs what a move left stale. */
static void watch_tree(struct library_watch *lw, const char *dir, int depth)
{
	DIR *d;
	struct dirent *e;
	char path[PATH_MAX];
	int wd;

	if (lw->fd < 0 || depth > MAX_DEPTH)
		return;
	if ((wd = inotify_add_watch(lw->fd, dir, DIR_EVENTS)) < 0) {
		if (errno != ENOENT && errno != ENOTDIR)
			watch_failed(lw, dir, errno);
		return;
	}
	if (lw->cfg->library_max_watches && ((size_t)wd >= lw->wd_cap || !lw->wd_path[wd]) &&
	    atomic_load(&lw->stats.watches) >= lw->cfg->library_max_watches) {
		inotify_rm_watch(lw->fd, wd);
		watch_failed(lw, dir, OVER_SETTING);
		return;
	}
	if ((size_t)wd >= lw->wd_cap) {
		size_t cap = lw->wd_cap ? lw->wd_cap : 256;
		char **p;

		while (cap <= (size_t)wd)
			cap *= 2;
		if (!(p = realloc(lw->wd_path, cap * sizeof *p))) {
			inotify_rm_watch(lw->fd, wd);
			watch_failed(lw, dir, ENOMEM);
			return;
		}
		memset(p + lw->wd_cap, 0, (cap - lw->wd_cap) * sizeof *p);
		lw->wd_path = p;
		lw->wd_cap = cap;
	}
	if (!lw->wd_path[wd])
		atomic_fetch_add(&lw->stats.watches, 1);
	free(lw->wd_path[wd]);
	lw->wd_path[wd] = strdup(dir);
	if (!(d = opendir(dir)))
		return;
	while ((e = readdir(d))) {
		struct stat st;

		if (e->d_name[0] == '.' || snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= (int)sizeof path)
			continue;
		if (e->d_type == DT_DIR || (e->d_type == DT_UNKNOWN && lstat(path, &st) == 0 && S_ISDIR(st.st_mode)))
			watch_tree(lw, path, depth + 1);
	}
	closedir(d);
}

/* A folder moved away: its watches (and those below) would report under the old name. */
static void unwatch_tree(struct library_watch *lw, const char *dir)
{
	for (size_t wd = 0; wd < lw->wd_cap; wd++)
		if (lw->wd_path[wd] && under(lw->wd_path[wd], dir)) {
			inotify_rm_watch(lw->fd, (int)wd);
			forget_wd(lw, (int)wd);
		}
}

/* ---- what changed ---- */

/* The first change since the last scan starts the longest wait. */
static void note_change(struct library_watch *lw)
{
	if (!lw->npending && !lw->full)
		lw->first_pending = now_s();
}

static void pend(struct library_watch *lw, const char *path)
{
	char **p;

	note_change(lw);
	if (lw->full)
		return;
	if (lw->npending == PENDING_MAX) {
		lw->full = true; /* a scan of everything takes them all, and costs less than tracking */
		return;
	}
	if (lw->npending == lw->pending_cap) {
		size_t cap = lw->pending_cap ? lw->pending_cap * 2 : 64;

		if (!(p = realloc(lw->pending, cap * sizeof *p))) {
			lw->full = true;
			return;
		}
		lw->pending = p;
		lw->pending_cap = cap;
	}
	if (!(lw->pending[lw->npending] = strdup(path)))
		lw->full = true;
	else
		lw->npending++;
}

static bool is_root(const struct library_watch *lw, const char *path)
{
	for (int i = 0; i < lw->nroots; i++)
		if (!strcmp(lw->roots[i], path))
			return true;
	return false;
}

static void on_event(struct library_watch *lw, const struct inotify_event *e)
{
	const char *dir = e->wd >= 0 && (size_t)e->wd < lw->wd_cap ? lw->wd_path[e->wd] : NULL;
	bool is_dir = e->mask & IN_ISDIR;
	char path[PATH_MAX];

	/* Any event, a write to a hidden temporary included, says a copy may be under way. */
	lw->last_event = now_s();
	if (e->mask & IN_Q_OVERFLOW) {
		log_info("library: inotify's queue overflowed: scanning everything again");
		note_change(lw);
		lw->full = true;
		return;
	}
	if (e->mask & IN_IGNORED) {
		forget_wd(lw, e->wd);
		return;
	}
	if (!dir)
		return;
	if (e->mask & (IN_DELETE_SELF | IN_MOVE_SELF)) {
		/* Only a root's own removal matters here: a folder below is its parent's event. */
		if (is_root(lw, dir)) {
			log_warn("library: %s is gone; its tracks are withdrawn until it is back and scanned", dir);
			pend(lw, dir);
			watch_failed(lw, dir, ENOENT);
		}
		return;
	}
	if (!e->len || e->name[0] == '.' || snprintf(path, sizeof path, "%s/%s", dir, e->name) >= (int)sizeof path)
		return;
	if (is_dir) {
		if (e->mask & IN_MOVED_FROM)
			unwatch_tree(lw, path);
		if (e->mask & (IN_CREATE | IN_MOVED_TO))
			watch_tree(lw, path, 0);
		if (e->mask & (IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE))
			pend(lw, path);
	} else if ((e->mask & (IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE)) &&
	           ingest_audio_name(e->name)) {
		pend(lw, path);
	}
}

static void read_events(struct library_watch *lw)
{
	char buf[64 * 1024] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;

	while ((n = read(lw->fd, buf, sizeof buf)) > 0)
		for (char *p = buf; p < buf + n; ) {
			const struct inotify_event *e = (const struct inotify_event *)p;

			on_event(lw, e);
			p += sizeof *e + e->len;
		}
}

/* ---- scans ---- */

static int by_path(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void log_scan(struct library_watch *lw, const char *what, const struct ingest_report *r, double secs)
{
	struct library_stats *st = &lw->stats;

	atomic_fetch_add(&st->scans, 1);
	atomic_fetch_add(&st->withdrawn, (unsigned long long)r->withdrawn);
	atomic_fetch_add(&st->restored, (unsigned long long)r->restored);
	atomic_store(&st->files, r->files);
	atomic_store(&st->added, r->added);
	atomic_store(&st->known, r->updated);
	atomic_store(&st->failed, r->failed);
	atomic_store(&st->forgotten, r->forgotten);
	atomic_store(&st->last_scan_us, (long long)(secs * 1e6));
	log_info("library: %s %d file%s: %d added, %d already known, %d failed, %d gone, %d withdrawn,"
	         " %d restored in %.1f s", what, r->files, r->files == 1 ? "" : "s", r->added, r->updated,
	         r->failed, r->forgotten, r->withdrawn, r->restored, secs);
}

static void clear_pending(struct library_watch *lw)
{
	for (size_t i = 0; i < lw->npending; i++)
		free(lw->pending[i]);
	lw->npending = 0;
}

static void scan_all(struct library_watch *lw)
{
	struct ingest_report r;
	double t0 = now_s();

	/* Changes that come during the scan are caught by the next one. */
	lw->full = false;
	clear_pending(lw);
	atomic_store(&lw->stats.scanning, true);
	for (int i = 0; i < lw->nroots; i++)
		watch_tree(lw, lw->roots[i], 0);
	if (ingest_scan(lw->cfg, lw->roots, lw->nroots, (int)lw->cfg->ingest_jobs, false, true,
	                &lw->w.stop, &r) < 0) {
		atomic_store(&lw->stats.scanning, atomic_load(&lw->rescan));
		log_err("library: the scan failed (see above); trying again at the next change");
		return;
	}
	/* Still scanning if another scan was asked for meanwhile: it runs next. */
	atomic_store(&lw->stats.scanning, atomic_load(&lw->rescan));
	log_scan(lw, "scanned", &r, now_s() - t0);
	/* Looking (the walk, a stat and a lookup a file) at most a tenth of the time; what was
	 * found to ingest is work that had to be done anyway. */
	if (atomic_load(&lw->stats.polling)) {
		double every = 10 * (now_s() - t0 - r.wall_seconds), least = (double)lw->cfg->library_rescan;

		lw->next_rescan = now_s() + (every > least ? every : least);
	}
}

/* The paths changed: those that are there are ingested (a folder is walked), then those gone
 * are forgotten. A path inside another changed folder is left to that folder's walk. */
static void scan_changes(struct library_watch *lw)
{
	struct ingest_report r;
	char **there = NULL, **gone = NULL;
	int nthere = 0, ngone = 0;
	double t0 = now_s();
	char parent[PATH_MAX];

	qsort(lw->pending, lw->npending, sizeof *lw->pending, by_path);
	if (!(there = malloc(lw->npending * sizeof *there)) || !(gone = malloc(lw->npending * sizeof *gone))) {
		free(there);
		lw->full = true;
		return;
	}
	for (size_t i = 0; i < lw->npending; i++) {
		char *p = lw->pending[i], *slash;
		bool inside = i > 0 && !strcmp(p, lw->pending[i - 1]);
		struct stat st;

		snprintf(parent, sizeof parent, "%s", p);
		while (!inside && (slash = strrchr(parent, '/')) && slash > parent) {
			char *key = parent;

			*slash = '\0';
			inside = bsearch(&key, lw->pending, lw->npending, sizeof *lw->pending, by_path) != NULL;
		}
		if (inside)
			continue;
		/* What a walk would take: files and folders, not links or devices. */
		if (lstat(p, &st) < 0)
			gone[ngone++] = p;
		else if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode))
			there[nthere++] = p;
	}
	memset(&r, 0, sizeof r);
	atomic_store(&lw->stats.scanning, true);
	if ((nthere && ingest_scan(lw->cfg, there, nthere, (int)lw->cfg->ingest_jobs, false, true,
	                           &lw->w.stop, &r) < 0) ||
	    (ngone && ingest_forget(lw->cfg, gone, ngone, &r) < 0))
		log_err("library: ingesting the changes failed (see above)");
	else
		log_scan(lw, "took in", &r, now_s() - t0);
	atomic_store(&lw->stats.scanning, atomic_load(&lw->rescan));
	free(there);
	free(gone);
	clear_pending(lw);
}

static void *run(void *arg)
{
	struct library_watch *lw = arg;
	struct pollfd pfd;

	/* Linux keeps a nice value per thread, and the threads ingest starts inherit it:
	 * transcoding takes the cores the service loop leaves. */
	if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), NICE) < 0)
		log_debug("library: cannot lower the watcher's priority: %s", strerror(errno));
	if (lw->fd < 0)
		watch_failed(lw, lw->roots[0], lw->init_errno);
	for (int i = 0; i < lw->nroots; i++)
		watch_tree(lw, lw->roots[i], 0);
	log_info("library: watching %d folder%s (%ld inotify watches); scanning them", lw->nroots,
	         lw->nroots == 1 ? "" : "s", atomic_load(&lw->stats.watches));
	scan_all(lw);
	while (!atomic_load(&lw->w.stop)) {
		double now;

		if (lw->fd >= 0) {
			pfd = (struct pollfd){ .fd = lw->fd, .events = POLLIN };
			if (poll(&pfd, 1, LOOK_MS) > 0)
				read_events(lw);
		} else {
			pthread_mutex_lock(&lw->w.lock);
			worker_wait(&lw->w, LOOK_MS);
			pthread_mutex_unlock(&lw->w.lock);
		}
		now = now_s();
		if (atomic_exchange(&lw->rescan, false)) {
			scan_all(lw);
			continue;
		}
		/* A file is pending once written and closed, so even a flush amid writes takes
		 * no file half-written; a folder walked then might, and is walked again later. */
		if (atomic_load(&lw->w.stop) || (now - lw->last_event < DEBOUNCE_S &&
		    !((lw->npending || lw->full) && now - lw->first_pending > MAX_WAIT_S)))
			continue;
		if (lw->full || (atomic_load(&lw->stats.polling) && now >= lw->next_rescan))
			scan_all(lw);
		else if (lw->npending)
			scan_changes(lw);
	}
	return NULL;
}

struct library_watch *library_watch_start(const struct settings *cfg, char *const *roots, int n)
{
	struct library_watch *lw = calloc(1, sizeof *lw);

	if (!lw)
		return NULL;
	lw->fd = -1;
	if (n <= 0 || !(lw->roots = calloc((size_t)n, sizeof *lw->roots)))
		goto fail;
	lw->cfg = cfg;
	for (int i = 0; i < n; i++)
		if (!(lw->roots[lw->nroots++] = strdup(roots[i])))
			goto fail;
	lw->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	lw->init_errno = errno;
	if (worker_start(&lw->w, 1, run, lw) < 0) {
		log_err("library: cannot start the watcher thread");
		goto fail;
	}
	return lw;
fail:
	library_watch_stop(lw);
	return NULL;
}

void library_watch_rescan(struct library_watch *lw)
{
	/* Seen within LOOK_MS by the loop, which polls inotify or waits that long; scanning
	 * from now, so that whoever asked never reads a status from before the scan. */
	atomic_store(&lw->rescan, true);
	atomic_store(&lw->stats.scanning, true);
}

const struct library_stats *library_watch_stats(const struct library_watch *lw)
{
	return &lw->stats;
}

void library_watch_stop(struct library_watch *lw)
{
	if (!lw)
		return;
	worker_stop(&lw->w);
	if (lw->fd >= 0)
		close(lw->fd);
	for (size_t i = 0; i < lw->wd_cap; i++)
		free(lw->wd_path[i]);
	free(lw->wd_path);
	clear_pending(lw);
	free(lw->pending);
	for (int i = 0; i < lw->nroots; i++)
		free(lw->roots[i]);
	free(lw->roots);
	free(lw);
}
