/* Ingest's memory of source files: moves, and withdrawal of what is gone. See
 * catalog/sources.h. */
#include "config.h"
#include "catalog/sources.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base62.h"
#include "store/catalog.h"
#include "store/store.h"

static int compare_paths(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Each remembered file of a track: the paths that no longer exist, to forget. */
struct vanished {
	const char *keep;   /* the path just ingested */
	char **paths;
	size_t n, cap;
};

static bool path_gone(const char *path)
{
	struct stat st;

	return lstat(path, &st) < 0 && (errno == ENOENT || errno == ENOTDIR);
}

static int note_vanished(void *ud, const char *path, const char *track_id)
{
	struct vanished *v = ud;
	char **p;

	(void)track_id;
	/* A relative name is an older ingest's (names are real and absolute now): the file it
	 * named, wherever that was, is remembered by its real name at the latest now. */
	if (!strcmp(path, v->keep) || ((path[0] == '/' || v->keep[0] != '/') && !path_gone(path)))
		return 0;
	if (v->n == v->cap) {
		v->cap = v->cap ? v->cap * 2 : 4;
		if (!(p = realloc(v->paths, v->cap * sizeof *p)))
			return -1;
		v->paths = p;
	}
	return (v->paths[v->n] = strdup(path)) ? (v->n++, 0) : -1;
}

int sources_remember(struct store *s, const char *path, long long size, long long mtime_ns,
                     const char *id)
{
	struct vanished v = { .keep = path };
	char old[BASE62_ID_LEN + 1] = "";
	int withdrawn = 0;

	if (store_ingest_file_get(s, path, old) <= 0)
		old[0] = '\0';
	store_ingest_file_remember(s, path, size, mtime_ns, id);
	if (old[0] && strcmp(old, id) && store_track_withdraw_if_orphaned(s, old, store_now_ms()) > 0) {
		store_bump_tracks(s);
		withdrawn++;
	}
	if (store_ingest_files_of_track(s, id, note_vanished, &v) == 0)
		for (size_t i = 0; i < v.n; i++)
			store_ingest_file_forget(s, v.paths[i]);
	for (size_t i = 0; i < v.n; i++)
		free(v.paths[i]);
	free(v.paths);
	return withdrawn;
}

/* A remembered file under a root that is gone from the disk, and its track. */
struct gone {
	char *const *walked;  /* found by the walk just done, so there: sorted */
	size_t nwalked;
	char **paths;
	char (*tracks)[BASE62_ID_LEN + 1];
	size_t n, cap;
};

static int note_gone(void *ud, const char *path, const char *track_id)
{
	struct gone *g = ud;

	if (g->nwalked && bsearch(&path, g->walked, g->nwalked, sizeof *g->walked, compare_paths))
		return 0;
	if (!path_gone(path))
		return 0; /* there, though the walk did not take it (unreadable folder, hidden...) */
	if (g->n == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 64;
		char **p = realloc(g->paths, cap * sizeof *p);
		char (*t)[BASE62_ID_LEN + 1];

		if (!p)
			return -1;
		g->paths = p;
		if (!(t = realloc(g->tracks, cap * sizeof *t)))
			return -1;
		g->tracks = t;
		g->cap = cap;
	}
	if (!(g->paths[g->n] = strdup(path)))
		return -1;
	snprintf(g->tracks[g->n++], BASE62_ID_LEN + 1, "%s", track_id);
	return 0;
}

int sources_prune(struct store *s, const char *root, char *const *walked, size_t nwalked,
                  struct ingest_report *report)
{
	struct gone g = { .walked = walked, .nwalked = nwalked };
	long long now = store_now_ms();
	int forgotten = 0, withdrawn = 0, rc = -1, r;

	if (store_ingest_files_under(s, root, note_gone, &g) < 0)
		goto out;
	if (!g.n) {
		rc = 0;
		goto out;
	}
	if (store_begin(s) < 0)
		goto out;
	for (size_t i = 0; i < g.n; i++) {
		if ((r = store_ingest_file_forget(s, g.paths[i])) < 0)
			goto fail;
		forgotten += r;
	}
	/* A track named twice is withdrawn by the first call and left alone by the second. */
	for (size_t i = 0; i < g.n; i++) {
		if ((r = store_track_withdraw_if_orphaned(s, g.tracks[i], now)) < 0)
			goto fail;
		withdrawn += r;
	}
	if (withdrawn && store_bump_tracks(s) < 0)
		goto fail;
	if (store_commit(s) < 0)
		goto fail;
	report->forgotten += forgotten;
	report->withdrawn += withdrawn;
	rc = 0;
	goto out;
fail:
	store_rollback(s);
out:
	if (rc < 0)
		fprintf(stderr, "segue-server: ingest: %s: the files gone from it could not be forgotten"
		        " (see the log above)\n", root);
	for (size_t i = 0; i < g.n; i++)
		free(g.paths[i]);
	free(g.paths);
	free(g.tracks);
	return rc;
}

int ingest_forget(const struct settings *cfg, char **paths, int npaths, struct ingest_report *report)
{
	struct store s;
	char err[512];

	if (store_open(&s, settings_database(cfg), err, sizeof err) < 0) {
		fprintf(stderr, "segue-server: %s\n", err);
		return -1;
	}
	for (int i = 0; i < npaths; i++)
		if (sources_prune(&s, paths[i], NULL, 0, report) < 0)
			report->failed++;
	store_close(&s);
	return 0;
}
