/* Lyrics rows. See store/lyrics.h. */
#include "config.h"
#include "store/lyrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store/store_db.h"

int store_lyrics_put(struct store *s, const char *track_id, const struct lyrics_row *r,
                     long long now)
{
	struct db_stmt *st = store_stmt(s, "INSERT INTO lyrics (track_id, synced, language, source,"
	                                 " lines, updated_at) VALUES (?, ?, ?, ?, ?, ?)"
	                                 " ON CONFLICT(track_id) DO UPDATE SET synced = excluded.synced,"
	                                 " language = excluded.language, source = excluded.source,"
	                                 " lines = excluded.lines, updated_at = excluded.updated_at");

	if (!st)
		return -1;
	store_bind_text(st, 1, track_id);
	db_bind_int(st, 2, r->synced);
	store_bind_text(st, 3, r->language[0] ? r->language : NULL);
	store_bind_text(st, 4, r->source);
	store_bind_text(st, 5, r->lines);
	db_bind_int64(st, 6, now);
	return store_done(s, st, "a track's lyrics");
}

int store_lyrics_get(struct store *s, const char *track_id, struct lyrics_row *out)
{
	struct db_stmt *st = store_stmt(s, "SELECT synced, language, source, lines, updated_at"
	                                 " FROM lyrics WHERE track_id = ?");
	int rc, found = 0;

	memset(out, 0, sizeof *out);
	if (!st)
		return -1;
	store_bind_text(st, 1, track_id);
	rc = db_step(st);
	if (rc == DB_ROW) {
		out->synced = db_col_int(st, 0) != 0;
		snprintf(out->language, sizeof out->language, "%s", store_col_text(st, 1));
		snprintf(out->source, sizeof out->source, "%s", store_col_text(st, 2));
		out->updated_at = db_col_int64(st, 4);
		found = (out->lines = strdup(store_col_text(st, 3))) ? 1 : -1;
	}
	db_reset(st);
	if (rc != DB_ROW && rc != DB_DONE)
		return store_fail(s, "a track's lyrics");
	if (found < 0)
		log_err("store: a track's lyrics: out of memory");
	return found;
}

int store_lyrics_delete(struct store *s, const char *track_id)
{
	struct db_stmt *st = store_stmt(s, "DELETE FROM lyrics WHERE track_id = ?");

	if (!st)
		return -1;
	store_bind_text(st, 1, track_id);
	return store_change(s, st, "a track's lyrics");
}

int store_lyrics_exists(struct store *s, const char *track_id)
{
	struct db_stmt *st = store_stmt(s, "SELECT 1 FROM lyrics WHERE track_id = ?");

	if (!st)
		return -1;
	store_bind_text(st, 1, track_id);
	return store_one(s, st, "a track's lyrics", NULL, NULL);
}

struct sidecar {
	long long *size, *mtime_ns;
};

static void fill_sidecar(struct db_stmt *st, void *out)
{
	struct sidecar *sc = out;

	*sc->size = db_col_int64(st, 0);
	*sc->mtime_ns = db_col_int64(st, 1);
}

int store_lyrics_sidecar(struct store *s, const char *audio_path, long long *size,
                         long long *mtime_ns)
{
	struct db_stmt *st = store_stmt(s, "SELECT size, mtime_ns FROM lyrics_sidecars WHERE path = ?");
	struct sidecar sc = { size, mtime_ns };

	if (!st)
		return -1;
	store_bind_text(st, 1, audio_path);
	return store_one(s, st, "a lyrics file ingest saw", fill_sidecar, &sc);
}

int store_lyrics_sidecar_put(struct store *s, const char *audio_path, long long size,
                             long long mtime_ns)
{
	struct db_stmt *st = store_stmt(s, "INSERT INTO lyrics_sidecars (path, size, mtime_ns)"
	                                 " VALUES (?, ?, ?) ON CONFLICT(path) DO UPDATE SET"
	                                 " size = excluded.size, mtime_ns = excluded.mtime_ns");

	if (!st)
		return -1;
	store_bind_text(st, 1, audio_path);
	db_bind_int64(st, 2, size);
	db_bind_int64(st, 3, mtime_ns);
	return store_done(s, st, "a lyrics file ingest saw");
}

int store_lyrics_sidecar_forget(struct store *s, const char *audio_path)
{
	struct db_stmt *st = store_stmt(s, "DELETE FROM lyrics_sidecars WHERE path = ?");

	if (!st)
		return -1;
	store_bind_text(st, 1, audio_path);
	return store_done(s, st, "a lyrics file ingest saw");
}
