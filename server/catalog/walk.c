#include "config.h"
#include "catalog/walk.h"

#include <stdbool.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

/* Extensions of the audio files FFmpeg reads. What is inside decides how a file is decoded
 * (an .mp3 holding FLAC is read as FLAC); the extension only decides whether it is tried. */
static const char *const audio_ext[] = {
	"mp3", "mp2", "m4a", "m4b", "mp4", "aac", "alac", "flac", "ogg", "oga", "opus", "wav",
	"wave", "bwf", "aif", "aiff", "aifc", "wv", "ape", "wma", "asf", "mpc", "tta", "dsf",
	"dff", "caf", "au", "snd", "w64", "rf64", "mka", "webm", "ac3", "eac3", "dts", "thd",
	"mlp", "tak", "shn", "amr", "voc", "sox", "sf", "ircam", "oma", "vqf", "wsd",
};

/* What rippers, taggers and players leave next to the music: counted, not mentioned. */
static const char *const companion_ext[] = {
	"jpg", "jpeg", "png", "webp", "gif", "bmp", "tif", "tiff", "lrc", "cue", "m3u", "m3u8",
	"pls", "xspf", "nfo", "txt", "log", "sfv", "md5", "sha1", "sha256", "ffp", "accurip",
	"pdf", "ini", "db",
};

static int ext_in(const char *name, const char *const *list, size_t n)
{
	const char *dot = strrchr(name, '.');

	if (dot == NULL)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(dot + 1, list[i]) == 0)
			return 1;
	return 0;
}

static int is_audio(const char *name)
{
	return ext_in(name, audio_ext, sizeof audio_ext / sizeof audio_ext[0]);
}

bool walk_is_audio_name(const char *name)
{
	return is_audio(name);
}

static int is_companion(const char *name)
{
	return ext_in(name, companion_ext, sizeof companion_ext / sizeof companion_ext[0]);
}

static void say(const char *path, const char *what)
{
	fprintf(stderr, "segue-server: ingest: %s: %s\n", path, what);
}

static int add(struct walk *w, const char *path)
{
	if (w->n == WALK_MAX_FILES) {
		say(path, "skipped: more than 1000000 files in one ingest");
		w->failed++;
		return 0;
	}
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 256;
		char **p = realloc(w->paths, cap * sizeof *p);

		if (p == NULL)
			return -1;
		w->paths = p;
		w->cap = cap;
	}
	if ((w->paths[w->n] = strdup(path)) == NULL)
		return -1;
	w->n++;
	return 0;
}

/* A file met in a folder: tried, or counted as not audio. */
static int found(struct walk *w, const char *path, const char *name)
{
	if (is_audio(name))
		return add(w, path);
	if (!is_companion(name))
		say(path, "skipped: not an audio file");
	w->not_audio++;
	return 0;
}

static int walk_dir(struct walk *w, const char *dir, int depth)
{
	DIR *d;
	struct dirent *e;
	char path[4096];
	int rc = 0;

	if (depth > WALK_MAX_DEPTH) {
		say(dir, "skipped: folders nested too deep");
		w->failed++;
		return 0;
	}
	if ((d = opendir(dir)) == NULL) {
		say(dir, strerror(errno));
		w->failed++;
		return 0;
	}
	while (rc == 0 && (e = readdir(d)) != NULL) {
		struct stat st;

		if (e->d_name[0] == '.')
			continue; /* hidden files and folders, ".", "..", our own temporaries */
		if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= (int)sizeof path) {
			say(dir, "skipped an entry: path too long");
			w->failed++;
			continue;
		}
		if (lstat(path, &st) < 0) {
			say(path, strerror(errno));
			w->failed++;
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			rc = walk_dir(w, path, depth + 1);
			continue;
		}
		/* A link to a file is followed (libraries are often linked together); a link to
		 * a folder is not, as it could lead round in a circle. */
		if (S_ISLNK(st.st_mode) && stat(path, &st) < 0) {
			say(path, "broken symbolic link");
			w->failed++;
		} else if (S_ISREG(st.st_mode)) {
			rc = found(w, path, e->d_name);
		} else if (S_ISDIR(st.st_mode)) {
			say(path, "skipped: symbolic link to a folder (name the folder itself)");
		} else {
			say(path, "skipped: not a regular file");
			w->not_audio++;
		}
	}
	closedir(d);
	return rc;
}

static int compare_paths(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int walk_paths(struct walk *w, char **paths, int npaths)
{
	memset(w, 0, sizeof *w);
	for (int i = 0; i < npaths; i++) {
		const char *base = strrchr(paths[i], '/');
		struct stat st;
		int rc = 0;

		if (stat(paths[i], &st) < 0) {
			say(paths[i], strerror(errno));
			w->failed++;
		} else if (S_ISDIR(st.st_mode)) {
			rc = walk_dir(w, paths[i], 0);
		} else if (!S_ISREG(st.st_mode)) {
			say(paths[i], "not a regular file");
			w->failed++;
		} else if (is_companion(base != NULL ? base + 1 : paths[i])) {
			w->not_audio++; /* a cover in a shell glob such as Album/ */
		} else {
			rc = add(w, paths[i]);
		}
		if (rc != 0)
			return -1;
	}
	if (w->n > 1)
		qsort(w->paths, w->n, sizeof *w->paths, compare_paths);
	return 0;
}

void walk_free(struct walk *w)
{
	for (size_t i = 0; i < w->n; i++)
		free(w->paths[i]);
	free(w->paths);
	memset(w, 0, sizeof *w);
}
