/* Pictures found while ingesting. See catalog/art.h. */
#include "config.h"
#include "catalog/art.h"

#include <dirent.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define BUCKETS 4096     /* folders of a big library: chains stay short */
#define CANDIDATES 16    /* picture files of one folder considered, best first */
#define PATH_MAX_ 4096

static const char *const cover_names[] = { "cover", "folder", "front", "album" };
static const char *const artist_names[] = { "artist" };
static const char *const picture_exts[] = { "jpg", "jpeg", "png", "webp" };
#define NEXTS (int)(sizeof picture_exts / sizeof picture_exts[0])

/* What was found in one folder: pending until the worker looking at it is done. */
struct entry {
	struct entry *next;
	bool done;
	char hash[IMAGES_HASH_LEN + 1];
	char key[];
};

struct art_cache {
	pthread_mutex_t lock;
	pthread_cond_t ready;
	struct entry *bucket[BUCKETS];
};

struct art_cache *art_cache_new(void)
{
	struct art_cache *c = calloc(1, sizeof *c);

	if (!c)
		return NULL;
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->ready, NULL);
	return c;
}

void art_cache_free(struct art_cache *c)
{
	if (!c)
		return;
	for (int i = 0; i < BUCKETS; i++)
		for (struct entry *e = c->bucket[i], *next; e; e = next) {
			next = e->next;
			free(e);
		}
	pthread_mutex_destroy(&c->lock);
	pthread_cond_destroy(&c->ready);
	free(c);
}

static uint32_t fnv1a(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* The answer for key: 1 with hash when known (waiting while another worker looks), 0 when
 * the caller is to look and then call settle(); -1 when out of memory (look, uncached). */
static int claim(struct art_cache *c, const char *key, char hash[IMAGES_HASH_LEN + 1], struct entry **mine)
{
	uint32_t b = fnv1a(key) % BUCKETS;
	struct entry *e;

	*mine = NULL;
	pthread_mutex_lock(&c->lock);
	for (e = c->bucket[b]; e && strcmp(e->key, key); e = e->next)
		;
	if (e) {
		while (!e->done)
			pthread_cond_wait(&c->ready, &c->lock);
		memcpy(hash, e->hash, sizeof e->hash);
		pthread_mutex_unlock(&c->lock);
		return 1;
	}
	e = calloc(1, sizeof *e + strlen(key) + 1);
	if (e) {
		strcpy(e->key, key);
		e->next = c->bucket[b];
		c->bucket[b] = e;
		*mine = e;
	}
	pthread_mutex_unlock(&c->lock);
	return e ? 0 : -1;
}

static void settle(struct art_cache *c, struct entry *e, const char *hash)
{
	pthread_mutex_lock(&c->lock);
	snprintf(e->hash, sizeof e->hash, "%s", hash);
	e->done = true;
	pthread_cond_broadcast(&c->ready);
	pthread_mutex_unlock(&c->lock);
}

/* Where name stands among names x extensions (lower is better), or -1. */
static int rank(const char *name, const char *const names[], int nnames)
{
	const char *dot = strrchr(name, '.');

	if (!dot)
		return -1;
	for (int n = 0; n < nnames; n++) {
		if (strlen(names[n]) != (size_t)(dot - name) || strncasecmp(name, names[n], (size_t)(dot - name)))
			continue;
		for (int e = 0; e < NEXTS; e++)
			if (!strcasecmp(dot + 1, picture_exts[e]))
				return n * NEXTS + e;
	}
	return -1;
}

struct candidate {
	int rank;
	char name[256];
};

static int by_rank(const void *a, const void *b)
{
	const struct candidate *x = a, *y = b;

	return x->rank != y->rank ? x->rank - y->rank : strcmp(x->name, y->name);
}

/* The best picture of dir among names that can be stored: 1 with hash, 0 for none. A
 * refused one is noted (the first) and the next best tried. */
static int folder_picture(const char *images_dir, const char *dir, const char *const names[], int nnames,
                          char hash[IMAGES_HASH_LEN + 1], char *note, size_t notelen)
{
	struct candidate found[CANDIDATES];
	char path[PATH_MAX_], err[256];
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d)) && n < CANDIDATES) {
		int r = rank(de->d_name, names, nnames);

		if (r >= 0 && strlen(de->d_name) < sizeof found[n].name) {
			found[n].rank = r;
			strcpy(found[n].name, de->d_name);
			n++;
		}
	}
	closedir(d);
	qsort(found, (size_t)n, sizeof *found, by_rank);
	for (int i = 0; i < n; i++) {
		struct stat st;

		if (snprintf(path, sizeof path, "%s/%s", dir, found[i].name) >= (int)sizeof path ||
		    stat(path, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		if (images_put_file(images_dir, path, hash, err, sizeof err) == 0)
			return 1;
		if (note && !note[0])
			snprintf(note, notelen, "%s: picture ignored: %s", path, err);
	}
	return 0;
}

bool art_folder_has_cover(const char *audio_path)
{
	char dir[PATH_MAX_];
	const char *slash = strrchr(audio_path, '/');
	struct dirent *de;
	DIR *d;
	bool found = false;

	snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - audio_path) : 1,
	         slash ? audio_path : ".");
	if (!(d = opendir(dir)))
		return false;
	while (!found && (de = readdir(d)))
		found = rank(de->d_name, cover_names, (int)(sizeof cover_names / sizeof cover_names[0])) >= 0;
	closedir(d);
	return found;
}

/* The folder of path (path up to its last slash; "." for none) into out. */
static void dir_of(const char *path, char *out, size_t len)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		snprintf(out, len, ".");
	else if (slash == path)
		snprintf(out, len, "/");
	else
		snprintf(out, len, "%.*s", (int)(slash - path), path);
}

/* The folder's picture through the cache (kind tells album covers from artists' pictures). */
static int cached_folder(struct art_cache *cache, char kind, const char *images_dir, const char *dir,
                         const char *const names[], int nnames, char hash[IMAGES_HASH_LEN + 1],
                         char *note, size_t notelen)
{
	char key[PATH_MAX_ + 2];
	struct entry *mine = NULL;
	int found;

	snprintf(key, sizeof key, "%c%s", kind, dir);
	if (cache && claim(cache, key, hash, &mine) > 0)
		return hash[0] != '\0';
	found = folder_picture(images_dir, dir, names, nnames, hash, note, notelen);
	if (!found)
		hash[0] = '\0';
	if (mine)
		settle(cache, mine, hash);
	return found;
}

int art_for_track(struct art_cache *cache, const char *images_dir, const char *audio_path,
                  const unsigned char *embedded, size_t embedded_len, char hash[IMAGES_HASH_LEN + 1],
                  char *note, size_t notelen)
{
	char dir[PATH_MAX_], err[256];

	hash[0] = '\0';
	if (note && notelen)
		note[0] = '\0';
	if (embedded && embedded_len) {
		if (images_put(images_dir, embedded, embedded_len, hash, err, sizeof err) == 0)
			return 1;
		if (note)
			snprintf(note, notelen, "%s: picture ignored: %s", audio_path, err);
	}
	dir_of(audio_path, dir, sizeof dir);
	return cached_folder(cache, 'c', images_dir, dir, cover_names,
	                     (int)(sizeof cover_names / sizeof cover_names[0]), hash, note, notelen);
}

int art_for_artist(struct art_cache *cache, const char *images_dir, const char *audio_path,
                   const char *artist_name, char hash[IMAGES_HASH_LEN + 1], char *note, size_t notelen)
{
	char album_dir[PATH_MAX_], artist_dir[PATH_MAX_];
	const char *base;

	hash[0] = '\0';
	if (note && notelen)
		note[0] = '\0';
	dir_of(audio_path, album_dir, sizeof album_dir);
	if (!strchr(album_dir, '/'))
		return 0;
	dir_of(album_dir, artist_dir, sizeof artist_dir);
	base = strrchr(artist_dir, '/');
	base = base ? base + 1 : artist_dir;
	if (!artist_name || !artist_name[0] || strcasecmp(base, artist_name))
		return 0;
	return cached_folder(cache, 'a', images_dir, artist_dir, artist_names,
	                     (int)(sizeof artist_names / sizeof artist_names[0]), hash, note, notelen);
}
