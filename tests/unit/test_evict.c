/* Eviction order under offline_max_size: tracks unplayed for 90 days first (oldest first),
 * then tracks only unfollowed playlists hold, then the least recently played; never a track
 * of the collection being downloaded; and a clear refusal when only that is left. */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "offline.h"
#include "store.h"
#include "store_sqlite.h" /* the test writes its downloads with SQL of its own */
#include "tap.h"

#define NOW 2000000000LL
#define DAY 86400LL
#define TRACK_BYTES 1000000LL

static struct store db;
static char dir[64];

static void collection(const char *uri, int followed)
{
	char sql[256];

	snprintf(sql, sizeof sql, "INSERT INTO offline_collections (uri, name, quality, followed, added_at)"
	         " VALUES ('%s', '%s', 'high', %d, %lld)", uri, uri, followed, NOW - 200 * DAY);
	ok(store_exec(&db, sql) == SEG_OK, "collection %s", uri);
}

/* A downloaded track in the given collections; played days_ago (or, if negative, never, and
 * downloaded -days_ago days ago). */
static void track(const char *id, long long days_ago, const char *in1, const char *in2)
{
	char sql[512], path[PATH_MAX];
	const char *in[] = { in1, in2 };
	int fd;

	if (days_ago >= 0)
		snprintf(sql, sizeof sql, "INSERT INTO offline_tracks (track_id, quality, state, klass, prio, bytes,"
		         " added_at, last_played) VALUES ('%s', 'high', 'done', 0, 0, %lld, %lld, %lld)",
		         id, TRACK_BYTES, NOW - 200 * DAY, NOW - days_ago * DAY);
	else
		snprintf(sql, sizeof sql, "INSERT INTO offline_tracks (track_id, quality, state, klass, prio, bytes,"
		         " added_at) VALUES ('%s', 'high', 'done', 0, 0, %lld, %lld)",
		         id, TRACK_BYTES, NOW + days_ago * DAY);
	ok(store_exec(&db, sql) == SEG_OK, "track %s", id);
	for (int i = 0; i < 2 && in[i]; i++) {
		snprintf(sql, sizeof sql, "INSERT INTO offline_members (collection, track_id, position)"
		         " VALUES ('%s', '%s', 0)", in[i], id);
		store_exec(&db, sql);
	}
	offline_track_path(dir, id, path, sizeof path);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) >= 0)
		close(fd);
}

static const char *state_of(const char *id)
{
	static char state[16];
	sqlite3_stmt *st = store_prepare(&db, "SELECT state FROM offline_tracks WHERE track_id = ?");

	snprintf(state, sizeof state, "missing");
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		snprintf(state, sizeof state, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return state;
}

int main(void)
{
	/* The order eviction must take them in. */
	static const char *order[] = { "stale_played", "stale_never", "unfollowed_old", "unfollowed_new",
	                               "shared_old", "album_old", "album_new" };
	const long long max_mb = 100, cap = max_mb * 1000000LL;
	char path[PATH_MAX], msg[PATH_MAX];
	size_t n = sizeof order / sizeof order[0];

	snprintf(dir, sizeof dir, "/tmp/segue-evict-XXXXXX");
	if (!mkdtemp(dir))
		return 99;
	setenv("SEGUE_NOW", "2000000000", 1);
	snprintf(path, sizeof path, "%s/segue.db", dir);
	if (store_open(&db, path) != SEG_OK || offline_dir(dir, msg, sizeof msg) != SEG_OK)
		return 99;

	collection("segue:album:A", 1);
	collection("segue:playlist:Gone", 0);  /* unfollowed */
	collection("segue:playlist:Kept", 1);
	collection("segue:playlist:Now", 1);   /* the one downloading */
	/* Inserted out of order, so that insertion order cannot pass for the policy. */
	track("album_new", 2, "segue:album:A", NULL);
	track("unfollowed_new", 1, "segue:playlist:Gone", NULL);
	track("stale_never", -95, "segue:album:A", NULL);
	track("shared_old", 20, "segue:playlist:Gone", "segue:playlist:Kept");
	track("album_old", 5, "segue:album:A", NULL);
	track("stale_played", 100, "segue:album:A", NULL);
	track("unfollowed_old", 10, "segue:playlist:Gone", NULL);
	track("now_done", 300, "segue:playlist:Now", NULL);   /* stale, but protected */
	/* The track being downloaded is a member of its collection before it is a file. */
	store_exec(&db, "INSERT INTO offline_members (collection, track_id, position)"
	                " VALUES ('segue:playlist:Now', 'now_queued', 1)");

	is_int(offline_make_room(&db, dir, max_mb, 1000, "now_queued"), SEG_OK, "room to spare: nothing to do");
	is_str(state_of("stale_played"), "done", "and nothing evicted");

	for (size_t i = 0; i < n; i++) {
		/* Ask for one byte more than is free: exactly one track has to go. */
		long long need = cap - offline_used(&db) + 1;
		int evicted = 0;

		ok(offline_make_room(&db, dir, max_mb, need, "now_queued") == SEG_OK, "room made (%zu)", i + 1);
		for (size_t k = 0; k < n; k++)
			evicted += !strcmp(state_of(order[k]), "evicted");
		is_int(evicted, (long long)i + 1, "one track at a time");
		is_str(state_of(order[i]), "evicted", "eviction %zu takes %s", i + 1, order[i]);
		offline_track_path(dir, order[i], path, sizeof path);
		ok(access(path, F_OK) != 0, "and deletes its file");
	}
	is_str(state_of("now_done"), "done", "the collection being downloaded keeps its tracks");
	ok(offline_make_room(&db, dir, max_mb, cap, "now_queued") == SEG_EFAIL &&
	   strstr(seg_errmsg(), "offline_max_size"), "with only that left, a clear refusal: %s", seg_errmsg());
	is_str(state_of("now_done"), "done", "which evicts nothing");
	is_int(offline_make_room(&db, dir, 0, cap * 10, "now_queued"), SEG_OK, "no limit (0): always room");

	store_close(&db);
	snprintf(msg, sizeof msg, "rm -rf '%s'", dir);
	if (system(msg) != 0)
		return 99;
	return done();
}
