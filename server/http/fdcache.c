#include "config.h"
#include "http/fdcache.h"

#include <errno.h>
#include <fcntl.h>
#include <libwebsockets.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SLOTS 512 /* a power of two: the files of many listeners at once (200 KiB) */
#define PATH_MAX_KEPT 200 /* a longer path is opened every time */

struct slot {
	int fd;          /* -1: empty */
	int users;       /* requests holding fd */
	int64_t opened_ms;
	size_t plen;
	char path[PATH_MAX_KEPT];
	struct stat st;
};

static struct {
	struct slot slot[SLOTS];
	int16_t *by_fd;  /* a kept descriptor's slot, or -1: given back without a search */
	int by_fd_cap;
	struct lws_context *cx;
	lws_sorted_usec_list_t sul;
	bool armed;
	pthread_t owner;
	atomic_bool bound;
} cache;

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool on_owner(void)
{
	return atomic_load_explicit(&cache.bound, memory_order_acquire) &&
	       pthread_equal(cache.owner, pthread_self());
}

void fdcache_bind(struct lws_context *cx)
{
	if (atomic_load_explicit(&cache.bound, memory_order_relaxed))
		return;
	for (int i = 0; i < SLOTS; i++)
		cache.slot[i].fd = -1;
	cache.cx = cx;
	cache.owner = pthread_self();
	atomic_store_explicit(&cache.bound, true, memory_order_release);
}

/* Notes that fd is kept in slot i: false when the map cannot grow (then it is not kept). */
static bool map_fd(int fd, int i)
{
	if (fd >= cache.by_fd_cap) {
		int cap = fd < 512 ? 1024 : fd * 2;
		int16_t *m = realloc(cache.by_fd, (size_t)cap * sizeof *m);

		if (!m)
			return false;
		for (int k = cache.by_fd_cap; k < cap; k++)
			m[k] = -1;
		cache.by_fd = m;
		cache.by_fd_cap = cap;
	}
	cache.by_fd[fd] = (int16_t)i;
	return true;
}

static void clear(struct slot *s)
{
	cache.by_fd[s->fd] = -1;
	close(s->fd);
	s->fd = -1;
	s->users = 0;
}

/* Closes what is past its time and held by no request; true while anything is kept. */
static bool sweep_slots(int64_t now)
{
	bool kept = false;

	for (int i = 0; i < SLOTS; i++) {
		struct slot *s = &cache.slot[i];

		if (s->fd < 0)
			continue;
		if (!s->users && now - s->opened_ms >= FDCACHE_VALID_MS)
			clear(s);
		else
			kept = true;
	}
	return kept;
}

static void on_sweep(lws_sorted_usec_list_t *sul)
{
	(void)sul;
	if (sweep_slots(now_ms()))
		lws_sul_schedule(cache.cx, 0, &cache.sul, on_sweep, FDCACHE_VALID_MS * LWS_US_PER_MS);
	else
		cache.armed = false;
}

static int open_plain(const char *path, struct stat *st)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), err;

	if (fd < 0)
		return -1;
	if (fstat(fd, st) == 0)
		return fd;
	err = errno;
	close(fd);
	errno = err;
	return -1;
}

/* Whether path still names the file s holds, unchanged: one stat where a new open would
 * cost three calls, and the answer for a file many requests are reading at that moment. */
static bool still_there(const struct slot *s, const char *path)
{
	struct stat now;

	return stat(path, &now) == 0 && now.st_ino == s->st.st_ino && now.st_dev == s->st.st_dev &&
	       now.st_size == s->st.st_size && now.st_mtim.tv_sec == s->st.st_mtim.tv_sec &&
	       now.st_mtim.tv_nsec == s->st.st_mtim.tv_nsec;
}

/* FNV-1a: spreads paths over the slots; a collision only costs an open. */
static unsigned slot_of(const char *path, size_t len)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)path[i]) * 16777619u;
	return h & (SLOTS - 1);
}

int fdcache_open(const char *path, struct stat *st)
{
	size_t len = strlen(path);
	struct slot *s;
	int64_t now;
	int fd;

	if (!on_owner() || len >= PATH_MAX_KEPT)
		return open_plain(path, st);
	s = &cache.slot[slot_of(path, len)];
	now = now_ms();
	if (s->fd >= 0 && s->plen == len && !memcmp(s->path, path, len) &&
	    (now - s->opened_ms < FDCACHE_VALID_MS || still_there(s, path))) {
		if (now - s->opened_ms >= FDCACHE_VALID_MS)
			s->opened_ms = now; /* checked: good for another while */
		s->users++;
		*st = s->st;
		return s->fd;
	}
	if ((fd = open_plain(path, st)) < 0)
		return -1;
	if (s->fd >= 0 && s->users)
		return fd; /* the slot's file is still being sent: this one goes uncached */
	if (s->fd >= 0)
		clear(s);
	if (!map_fd(fd, (int)(s - cache.slot)))
		return fd; /* (out of memory: uncached) */
	s->fd = fd;
	s->users = 1;
	s->opened_ms = now;
	s->plen = len;
	memcpy(s->path, path, len);
	s->st = *st;
	if (!cache.armed) {
		cache.armed = true;
		lws_sul_schedule(cache.cx, 0, &cache.sul, on_sweep, FDCACHE_VALID_MS * LWS_US_PER_MS);
	}
	return fd;
}

void fdcache_close(int fd)
{
	if (fd < 0)
		return;
	/* A kept descriptor is open, so no other open can have its number: a match is ours. */
	if (on_owner() && fd < cache.by_fd_cap && cache.by_fd[fd] >= 0) {
		struct slot *s = &cache.slot[cache.by_fd[fd]];

		if (s->fd == fd && s->users > 0) {
			s->users--;
			return;
		}
	}
	close(fd);
}
