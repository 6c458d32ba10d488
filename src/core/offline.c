#include "config.h"
#include "offline.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "paths.h"

#define B64 sodium_base64_VARIANT_URLSAFE_NO_PADDING

long long offline_now(void)
{
	const char *fake = getenv("SEGUE_NOW");
	char *end;

	if (fake && *fake) {
		long long t = strtoll(fake, &end, 10);

		if (!*end && t > 0)
			return t;
	}
	return (long long)time(NULL);
}

enum seg_err offline_dir(const char *data_dir, char *out, size_t len)
{
	if ((size_t)snprintf(out, len, "%s/offline", data_dir) >= len)
		return seg_fail(SEG_EUSAGE, "the data directory's path is too long");
	return paths_mkdir(out);
}

void offline_track_path(const char *data_dir, const char *id, char *out, size_t len)
{
	snprintf(out, len, "%s/offline/%s.sgv", data_dir, id);
}

/* Syncs the directory holding path, so that a name just made in it is durable. */
static void sync_dir(const char *path)
{
	char dir[PATH_MAX];
	char *slash;
	int fd;

	snprintf(dir, sizeof dir, "%s", path);
	if ((slash = strrchr(dir, '/')))
		*slash = '\0';
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		fsync(fd);
		close(fd);
	}
}

enum seg_err offline_device_key(const char *data_dir, unsigned char key[VAULT_KEY_BYTES])
{
	char path[PATH_MAX];
	enum seg_err e;
	ssize_t got;
	int fd;

	if ((e = offline_dir(data_dir, path, sizeof path - 16)))
		return e;
	strcat(path, "/device.key");
	for (int attempt = 0; attempt < 2; attempt++) {
		char tmp[PATH_MAX];
		int linked;

		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0) {
			got = read(fd, key, VAULT_KEY_BYTES);
			close(fd);
			if (got == VAULT_KEY_BYTES)
				return SEG_OK;
			return seg_fail(SEG_EIO, "%s is damaged: downloads cannot be decrypted (remove it "
			                "and the offline folder, then download again)", path);
		}
		if (errno != ENOENT)
			break;
		/* Made aside and linked into place: the key appears whole or not at all (a download
		 * thread reading it while another wrote it found it short), and of two makers at
		 * once, threads or processes, the first linked wins and the other reads its key. */
		if (snprintf(tmp, sizeof tmp, "%s.XXXXXX", path) >= (int)sizeof tmp ||
		    (fd = mkostemp(tmp, O_CLOEXEC)) < 0) /* mode 0600 */
			break;
		randombytes_buf(key, VAULT_KEY_BYTES);
		if (write(fd, key, VAULT_KEY_BYTES) != VAULT_KEY_BYTES || fsync(fd) < 0) {
			e = seg_fail(SEG_EIO, "%s: %s", tmp, strerror(errno));
			close(fd);
			unlink(tmp);
			sodium_memzero(key, VAULT_KEY_BYTES);
			return e;
		}
		close(fd);
		linked = link(tmp, path) == 0 ? 0 : errno;
		unlink(tmp);
		if (!linked) {
			sync_dir(path); /* the name too must outlive a crash: the downloads need it */
			return SEG_OK;
		}
		sodium_memzero(key, VAULT_KEY_BYTES);
		if ((errno = linked) != EEXIST)
			break;
	}
	return seg_fail(SEG_EIO, "%s: %s", path, strerror(errno));
}

enum seg_err offline_file_key(const char *data_dir, json_t *licence, unsigned char key[VAULT_KEY_BYTES])
{
	static const char label[] = "segue-offline-file-1";
	const char *lk = json_string_value(json_object_get(licence, "key"));
	const char *track = json_string_value(json_object_get(licence, "track_id"));
	const char *quality = json_string_value(json_object_get(licence, "quality"));
	unsigned char dev[VAULT_KEY_BYTES], material[32];
	crypto_generichash_state h;
	size_t got = 0;
	enum seg_err e;

	if (!lk || !track || !quality ||
	    sodium_base642bin(material, sizeof material, lk, strlen(lk), NULL, &got, NULL, B64) != 0 ||
	    got != sizeof material)
		return seg_fail(SEG_EPROTO, "a licence without usable key material");
	if ((e = offline_device_key(data_dir, dev)))
		return e;
	crypto_generichash_init(&h, dev, sizeof dev, VAULT_KEY_BYTES);
	crypto_generichash_update(&h, (const unsigned char *)label, sizeof label);
	crypto_generichash_update(&h, material, sizeof material);
	crypto_generichash_update(&h, (const unsigned char *)track, strlen(track) + 1);
	crypto_generichash_update(&h, (const unsigned char *)quality, strlen(quality) + 1);
	crypto_generichash_final(&h, key, VAULT_KEY_BYTES);
	sodium_memzero(dev, sizeof dev);
	sodium_memzero(material, sizeof material);
	return SEG_OK;
}

bool offline_licence_valid(struct store *db, json_t *l, const char *user, const char *device,
                           const char *track)
{
	const char *f[] = { "user_id", "device_id", "track_id", "quality", "key", "signature" };
	const char *v[6];
	unsigned char pk[crypto_sign_PUBLICKEYBYTES], sig[crypto_sign_BYTES];
	char *pk64 = store_kv_get(db, "offline_public_key"), *text = NULL;
	size_t got = 0;
	bool ok = false;
	int n;

	for (int i = 0; i < 6; i++)
		if (!(v[i] = json_string_value(json_object_get(l, f[i]))))
			goto out;
	if (!pk64 || strcmp(v[0], user) || strcmp(v[1], device) || strcmp(v[2], track) ||
	    !json_is_integer(json_object_get(l, "issued_at")) ||
	    !json_is_integer(json_object_get(l, "expires_at")))
		goto out;
	if (sodium_base642bin(pk, sizeof pk, pk64, strlen(pk64), NULL, &got, NULL, B64) != 0 ||
	    got != sizeof pk)
		goto out;
	if (sodium_base642bin(sig, sizeof sig, v[5], strlen(v[5]), NULL, &got, NULL, B64) != 0 ||
	    got != sizeof sig)
		goto out;
	/* The signed text: doc/offline.md, "Licences". */
	n = asprintf(&text, "segue-licence-1\n%s\n%s\n%s\n%s\n%lld\n%lld\n%s\n", v[0], v[1], v[2], v[3],
	             (long long)json_integer_value(json_object_get(l, "issued_at")),
	             (long long)json_integer_value(json_object_get(l, "expires_at")), v[4]);
	if (n < 0) {
		text = NULL;
		goto out;
	}
	ok = crypto_sign_verify_detached(sig, (const unsigned char *)text, (size_t)n, pk) == 0;
out:
	free(text);
	free(pk64);
	return ok;
}

static const char *track_title(json_t *track)
{
	return json_string_value(json_object_get(track, "name")) ?: "a track";
}

enum offline_state offline_lookup(struct store *db, const char *data_dir, const char *id,
                                  struct offline_item *it)
{
	sqlite3_stmt *st = store_prepare(db, "SELECT licence, expires_at, track FROM offline_tracks"
	                                     " WHERE track_id = ? AND state = 'done'");
	enum offline_state r = OFFLINE_NONE;
	json_t *lic = NULL, *track = NULL;

	if (!st)
		return OFFLINE_NONE;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW)
		goto out;
	lic = json_loads((const char *)sqlite3_column_text(st, 0) ?: "", 0, NULL);
	track = json_loads((const char *)sqlite3_column_text(st, 2) ?: "", 0, NULL);
	it->expires_at = sqlite3_column_int64(st, 1);
	snprintf(it->title, sizeof it->title, "%s", track_title(track));
	if (it->expires_at <= offline_now()) {
		r = OFFLINE_EXPIRED;
		goto out;
	}
	offline_track_path(data_dir, id, it->path, sizeof it->path);
	if (offline_file_key(data_dir, lic, it->key) == SEG_OK)
		r = OFFLINE_PLAYABLE;
out:
	json_decref(lic);
	json_decref(track);
	sqlite3_finalize(st);
	return r;
}

bool offline_has(struct store *db, const char *id)
{
	sqlite3_stmt *st = store_prepare(db, "SELECT 1 FROM offline_tracks WHERE track_id = ?"
	                                     " AND state = 'done' AND expires_at > ?");
	bool yes;

	if (!st)
		return false;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, offline_now());
	yes = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return yes;
}

json_t *offline_track(struct store *db, const char *id)
{
	sqlite3_stmt *st = store_prepare(db, "SELECT track FROM offline_tracks WHERE track_id = ?");
	json_t *t = NULL;

	if (!st)
		return NULL;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		t = json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL);
	sqlite3_finalize(st);
	return t;
}

void offline_played(struct store *db, const char *id)
{
	sqlite3_stmt *st = store_prepare(db, "UPDATE offline_tracks SET last_played = ? WHERE track_id = ?");

	if (!st)
		return;
	sqlite3_bind_int64(st, 1, offline_now());
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	sqlite3_step(st);
	sqlite3_finalize(st);
}

void offline_requeue(struct store *db, const char *id, const char *why)
{
	sqlite3_stmt *st = store_prepare(db, "UPDATE offline_tracks SET state = 'queued', klass = 0,"
	                                     " prio = ?, error = ? WHERE track_id = ?"); /* KLASS_ASKED */

	if (!st)
		return;
	sqlite3_bind_int64(st, 1, -clock_wall_ms()); /* before anything else the user asked for */
	sqlite3_bind_text(st, 2, why, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, id, -1, SQLITE_STATIC);
	sqlite3_step(st);
	sqlite3_finalize(st);
}

void offline_delete_track(struct store *db, const char *data_dir, const char *id)
{
	char path[PATH_MAX];
	sqlite3_stmt *st = store_prepare(db, "DELETE FROM offline_tracks WHERE track_id = ?");

	offline_track_path(data_dir, id, path, sizeof path);
	if (unlink(path) < 0 && errno != ENOENT)
		log_warn("offline: %s: %s", path, strerror(errno));
	if (!st)
		return;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_step(st);
	sqlite3_finalize(st);
}

/* Deletes the downloads no collection holds any more. */
static enum seg_err drop_orphans(struct store *db, const char *data_dir, int *n)
{
	sqlite3_stmt *st = store_prepare(db, "SELECT track_id FROM offline_tracks WHERE track_id NOT IN"
	                                     " (SELECT track_id FROM offline_members)");
	json_t *ids = json_array(), *v;
	size_t i;

	if (!st || !ids) {
		sqlite3_finalize(st);
		json_decref(ids);
		return seg_fail(SEG_EIO, "state database: %s", sqlite3_errmsg(db->db));
	}
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(ids, json_string((const char *)sqlite3_column_text(st, 0)));
	sqlite3_finalize(st);
	json_array_foreach(ids, i, v)
		offline_delete_track(db, data_dir, json_string_value(v));
	if (n)
		*n += (int)json_array_size(ids);
	json_decref(ids);
	return SEG_OK;
}

/* The members of a collection are replaced by tracks (in order); each track not yet
 * downloaded is queued: in class 0 when the user asked (in the order asked), else in the
 * background, where what recent (ids in the user's recently played, newest first; may be
 * NULL) holds goes before the rest. */
static enum seg_err set_members(struct store *db, const char *uri, const char *quality, json_t *tracks,
                                bool asked, json_t *recent, int *queued)
{
	sqlite3_stmt *del = store_prepare(db, "DELETE FROM offline_members WHERE collection = ?");
	sqlite3_stmt *mem = store_prepare(db, "INSERT OR IGNORE INTO offline_members (collection, track_id,"
	                                      " position) VALUES (?, ?, ?)");
	/* A failed or evicted track asked for again is queued again; one being downloaded or
	 * done stays as it is. */
	sqlite3_stmt *put = store_prepare(db,
		"INSERT INTO offline_tracks (track_id, quality, state, klass, prio, track, added_at)"
		" VALUES (?1, ?2, 'queued', ?3, ?4, ?5, ?6)"
		" ON CONFLICT (track_id) DO UPDATE SET track = excluded.track,"
		"  state = CASE WHEN state IN ('failed', 'evicted') AND ?3 = 0 THEN 'queued' ELSE state END,"
		"  error = CASE WHEN state IN ('failed', 'evicted') AND ?3 = 0 THEN NULL ELSE error END,"
		"  klass = CASE WHEN state = 'queued' OR (state IN ('failed', 'evicted') AND ?3 = 0)"
		"               THEN min(klass, excluded.klass) ELSE klass END,"
		"  prio = CASE WHEN (state IN ('failed', 'evicted') AND ?3 = 0) OR"
		"               (state = 'queued' AND excluded.klass < klass) THEN excluded.prio ELSE prio END");
	sqlite3_stmt *is_queued = store_prepare(db, "SELECT state = 'queued' FROM offline_tracks WHERE track_id = ?");
	long long now_ms = clock_wall_ms(), now = offline_now();
	enum seg_err e = SEG_OK;
	json_t *t, *played;
	size_t i;

	if (!del || !mem || !put || !is_queued) {
		e = seg_fail(SEG_EIO, "state database: %s", sqlite3_errmsg(db->db));
		goto out;
	}
	sqlite3_bind_text(del, 1, uri, -1, SQLITE_STATIC);
	if (sqlite3_step(del) != SQLITE_DONE)
		goto db_error;
	json_array_foreach(tracks, i, t) {
		const char *id = json_string_value(json_object_get(t, "id"));
		char *text;
		int rc;

		if (!id || strlen(id) > 64)
			continue;
		sqlite3_reset(mem);
		sqlite3_bind_text(mem, 1, uri, -1, SQLITE_STATIC);
		sqlite3_bind_text(mem, 2, id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(mem, 3, (sqlite3_int64)i);
		if (sqlite3_step(mem) != SQLITE_DONE)
			goto db_error;
		if (!(text = json_dumps(t, JSON_COMPACT))) {
			e = seg_fail(SEG_ENOMEM, "out of memory");
			goto out;
		}
		sqlite3_reset(put);
		sqlite3_bind_text(put, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_text(put, 2, quality, -1, SQLITE_STATIC);
		if (asked) {
			sqlite3_bind_int(put, 3, KLASS_ASKED);
			sqlite3_bind_int64(put, 4, now_ms + (long long)i);
		} else if ((played = json_object_get(recent, id))) {
			sqlite3_bind_int(put, 3, KLASS_RECENT);
			sqlite3_bind_int64(put, 4, json_integer_value(played));
		} else {
			/* the newest additions first */
			sqlite3_bind_int(put, 3, KLASS_BACKGROUND);
			sqlite3_bind_int64(put, 4, -(now_ms + (long long)i));
		}
		sqlite3_bind_text(put, 5, text, -1, free);
		sqlite3_bind_int64(put, 6, now);
		if (sqlite3_step(put) != SQLITE_DONE)
			goto db_error;
		sqlite3_reset(is_queued);
		sqlite3_bind_text(is_queued, 1, id, -1, SQLITE_STATIC);
		rc = sqlite3_step(is_queued);
		if (rc == SQLITE_ROW && queued)
			*queued += sqlite3_column_int(is_queued, 0);
	}
	goto out;
db_error:
	e = seg_fail(SEG_EIO, "state database: %s", sqlite3_errmsg(db->db));
out:
	sqlite3_finalize(del);
	sqlite3_finalize(mem);
	sqlite3_finalize(put);
	sqlite3_finalize(is_queued);
	return e;
}

enum seg_err offline_add(struct store *db, const char *uri, const char *name, const char *quality,
                         const char *snapshot, json_t *tracks, json_t **out)
{
	sqlite3_stmt *st = NULL;
	json_t *ids = json_array(), *t;
	enum seg_err e;
	int queued = 0;
	size_t i;

	*out = NULL;
	if (!ids)
		return seg_fail(SEG_ENOMEM, "out of memory");
	if ((e = store_exec(db, "BEGIN IMMEDIATE")))
		goto fail;
	st = store_prepare(db, "INSERT INTO offline_collections (uri, name, quality, snapshot_id, added_at)"
	                       " VALUES (?, ?, ?, ?, ?) ON CONFLICT (uri) DO UPDATE SET name = excluded.name,"
	                       " quality = excluded.quality, snapshot_id = excluded.snapshot_id, followed = 1");
	if (!st) {
		e = SEG_EIO;
		goto rollback;
	}
	sqlite3_bind_text(st, 1, uri, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, quality, -1, SQLITE_STATIC);
	if (snapshot)
		sqlite3_bind_text(st, 4, snapshot, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, offline_now());
	if (sqlite3_step(st) != SQLITE_DONE) {
		e = seg_fail(SEG_EIO, "state database: %s", sqlite3_errmsg(db->db));
		goto rollback;
	}
	if ((e = set_members(db, uri, quality, tracks, true, NULL, &queued)) || (e = store_exec(db, "COMMIT")))
		goto rollback;
	json_array_foreach(tracks, i, t)
		if (json_is_string(json_object_get(t, "id")))
			json_array_append(ids, json_object_get(t, "id"));
	*out = json_pack("{s:s,s:s,s:I,s:i,s:o}", "uri", uri, "name", name,
	                 "tracks", (json_int_t)json_array_size(ids), "queued", queued, "ids", ids);
	ids = NULL;
	goto fail;
rollback:
	store_exec(db, "ROLLBACK");
fail:
	sqlite3_finalize(st);
	json_decref(ids);
	return e;
}

enum seg_err offline_remove(struct store *db, const char *data_dir, const char *uri, int *removed)
{
	sqlite3_stmt *st = store_prepare(db, "DELETE FROM offline_collections WHERE uri = ?");
	enum seg_err e;
	int changed;

	*removed = 0;
	if (!st)
		return SEG_EIO;
	sqlite3_bind_text(st, 1, uri, -1, SQLITE_STATIC);
	changed = sqlite3_step(st) == SQLITE_DONE ? sqlite3_changes(db->db) : -1;
	sqlite3_finalize(st);
	if (changed < 0)
		return seg_fail(SEG_EIO, "state database: %s", sqlite3_errmsg(db->db));
	if (!changed)
		return seg_fail(SEG_ENOTFOUND, "%s is not downloaded (segue offline ls lists what is)", uri);
	e = drop_orphans(db, data_dir, removed);
	return e;
}

enum seg_err offline_collection_tracks(struct store *db, const char *uri, json_t **tracks)
{
	sqlite3_stmt *st = store_prepare(db, "SELECT t.track FROM offline_members m JOIN offline_tracks t"
	                                     " ON t.track_id = m.track_id WHERE m.collection = ?"
	                                     " AND t.state = 'done' ORDER BY m.position");

	*tracks = json_array();
	if (!st || !*tracks) {
		sqlite3_finalize(st);
		return SEG_EIO;
	}
	sqlite3_bind_text(st, 1, uri, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		json_t *t = json_loads((const char *)sqlite3_column_text(st, 0) ?: "", 0, NULL);

		if (t)
			json_array_append_new(*tracks, t);
	}
	sqlite3_finalize(st);
	return SEG_OK;
}

long long offline_used(struct store *db)
{
	sqlite3_stmt *st = store_prepare(db, "SELECT bytes FROM offline_tracks WHERE state = 'done'");
	long long used = 0;

	if (!st)
		return 0;
	while (sqlite3_step(st) == SQLITE_ROW)
		used += (long long)vault_file_size((uint64_t)sqlite3_column_int64(st, 0), VAULT_CHUNK);
	sqlite3_finalize(st);
	return used;
}

enum seg_err offline_make_room(struct store *db, const char *data_dir, long long max_mb,
                               long long need, const char *keep)
{
	/* Stale first (by last play, or by download for what was never played), then what only
	 * unfollowed playlists hold, then the least recently played; never the tracks of the
	 * collections the download in hand belongs to. */
	sqlite3_stmt *st = store_prepare(db,
		"SELECT t.track_id, CASE"
		"  WHEN coalesce(t.last_played, t.added_at) < ?1 THEN 0"
		"  WHEN NOT EXISTS (SELECT 1 FROM offline_members m JOIN offline_collections c"
		"                   ON c.uri = m.collection WHERE m.track_id = t.track_id AND c.followed)"
		"  THEN 1 ELSE 2 END AS rank"
		" FROM offline_tracks t WHERE t.state = 'done' AND t.track_id NOT IN"
		"  (SELECT m2.track_id FROM offline_members m2 WHERE m2.collection IN"
		"   (SELECT m3.collection FROM offline_members m3 WHERE m3.track_id = ?2))"
		" ORDER BY rank, coalesce(t.last_played, t.added_at), t.track_id LIMIT 1");
	sqlite3_stmt *evict = store_prepare(db, "UPDATE offline_tracks SET state = 'evicted',"
	                                        " error = 'removed to make room for newer downloads'"
	                                        " WHERE track_id = ?");
	long long cap = max_mb * 1000000LL, used;
	enum seg_err e = SEG_OK;

	if (!st || !evict) {
		e = seg_fail(SEG_EIO, "state database: %s", sqlite3_errmsg(db->db));
		goto out;
	}
	while (max_mb > 0 && (used = offline_used(db)) + need > cap) {
		char id[72], path[PATH_MAX];

		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, offline_now() - OFFLINE_STALE_DAYS * 86400LL);
		sqlite3_bind_text(st, 2, keep ? keep : "", -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_ROW) {
			e = seg_fail(SEG_EFAIL, "no room for this download: offline_max_size is %lld MB and "
			             "%.1f MB of it are taken by what this download belongs to; raise it "
			             "(segue set offline_max_size MB) or remove downloads (segue offline rm)",
			             max_mb, used / 1e6);
			goto out;
		}
		snprintf(id, sizeof id, "%s", (const char *)sqlite3_column_text(st, 0));
		log_info("offline: evicting %s (rank %d) to make room", id, sqlite3_column_int(st, 1));
		offline_track_path(data_dir, id, path, sizeof path);
		if (unlink(path) < 0 && errno != ENOENT) {
			e = seg_fail(SEG_EIO, "%s: %s", path, strerror(errno));
			goto out;
		}
		sqlite3_reset(evict);
		sqlite3_bind_text(evict, 1, id, -1, SQLITE_STATIC);
		if (sqlite3_step(evict) != SQLITE_DONE) {
			e = seg_fail(SEG_EIO, "state database: %s", sqlite3_errmsg(db->db));
			goto out;
		}
	}
out:
	sqlite3_finalize(st);
	sqlite3_finalize(evict);
	return e;
}

enum seg_err offline_register(struct store *db, struct api *a, const char *device, const char *name)
{
	char path[160];
	json_t *body = json_pack("{s:s}", "name", name), *got = NULL;
	const char *pk;
	enum seg_err e;

	snprintf(path, sizeof path, "/v1/segue/offline/devices/%s", device);
	if ((e = api_request(a, "PUT", path, body, &got, NULL)))
		goto out;
	if (!(pk = json_string_value(json_object_get(got, "public_key")))) {
		e = seg_fail(SEG_EPROTO, "the server's answer has no public key");
		goto out;
	}
	if ((e = store_kv_set(db, "offline_public_key", pk)) ||
	    (e = store_kv_set(db, "offline_device", device)))
		goto out;
out:
	json_decref(body);
	json_decref(got);
	return e;
}

/* Forgets every download: the device lost its right to them. */
static void drop_everything(struct store *db, const char *data_dir)
{
	store_exec(db, "DELETE FROM offline_collections");
	drop_orphans(db, data_dir, NULL);
	store_exec(db, "DELETE FROM kv WHERE key IN ('offline_device', 'offline_public_key')");
}

enum seg_err offline_checkin(struct store *db, struct api *a, const char *data_dir, const char *device,
                             json_t **out)
{
	sqlite3_stmt *st = store_prepare(db, "SELECT track_id, quality FROM offline_tracks WHERE licence IS NOT NULL");
	sqlite3_stmt *renew = NULL;
	json_t *held = json_array(), *body = NULL, *got = NULL, *v;
	const char *user = api_user(a);
	enum seg_err e = SEG_OK;
	char path[160], num[32];
	int renewed = 0;
	bool wipe = false;
	size_t i;

	*out = NULL;
	if (!st || !held || !user) {
		e = user ? seg_fail(SEG_EIO, "state database: %s", sqlite3_errmsg(db->db))
		         : seg_fail(SEG_EAUTH, "not logged in: run segue login NAME");
		goto out;
	}
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(held, json_pack("{s:s,s:s}", "id", sqlite3_column_text(st, 0),
		                                      "quality", sqlite3_column_text(st, 1)));
	body = json_pack("{s:O}", "tracks", held);
	snprintf(path, sizeof path, "/v1/segue/offline/devices/%s/checkin", device);
	if ((e = api_request(a, "POST", path, body, &got, NULL)))
		goto out;
	renew = store_prepare(db, "UPDATE offline_tracks SET licence = ?, expires_at = ? WHERE track_id = ?");
	if (!renew || (e = store_exec(db, "BEGIN IMMEDIATE"))) {
		e = e ? e : seg_fail(SEG_EIO, "state database: %s", sqlite3_errmsg(db->db));
		goto out;
	}
	json_array_foreach(json_object_get(got, "licences"), i, v) {
		const char *id = json_string_value(json_object_get(v, "track_id"));
		char *text;

		if (!id || !offline_licence_valid(db, v, user, device, id)) {
			log_warn("offline: check-in: a licence that does not verify, ignored");
			continue;
		}
		if (!(text = json_dumps(v, JSON_COMPACT)))
			continue;
		sqlite3_reset(renew);
		sqlite3_bind_text(renew, 1, text, -1, free);
		sqlite3_bind_int64(renew, 2, json_integer_value(json_object_get(v, "expires_at")));
		sqlite3_bind_text(renew, 3, id, -1, SQLITE_STATIC);
		if (sqlite3_step(renew) == SQLITE_DONE)
			renewed++;
	}
	json_array_foreach(json_object_get(got, "revoked"), i, v) {
		const char *id = json_string_value(json_object_get(v, "id"));
		const char *reason = json_string_value(json_object_get(v, "reason")) ?: "";

		if (!strcmp(reason, "premium_required") || !strcmp(reason, "device_removed"))
			wipe = true;
		else if (id)
			offline_delete_track(db, data_dir, id);
	}
	if (json_array_size(json_object_get(got, "revoked")))
		log_info("offline: the check-in revoked %zu tracks (%s)", json_array_size(json_object_get(got, "revoked")),
		         json_string_value(json_object_get(json_array_get(json_object_get(got, "revoked"), 0), "reason")) ?: "?");
	if (wipe)
		drop_everything(db, data_dir);
	snprintf(num, sizeof num, "%lld", offline_now());
	store_kv_set(db, "offline_checkin_at", num);
	if ((e = store_exec(db, "COMMIT"))) {
		store_exec(db, "ROLLBACK");
		goto out;
	}
	*out = json_pack("{s:i,s:O,s:O}", "renewed", renewed, "revoked",
	                 json_object_get(got, "revoked") ?: json_null(), "checkin_by",
	                 json_object_get(got, "checkin_by") ?: json_null());
out:
	sqlite3_finalize(st);
	sqlite3_finalize(renew);
	json_decref(held);
	json_decref(body);
	json_decref(got);
	return e;
}

/* The user's recently played tracks: {id: rank}, the newest 0 (empty when the server does
 * not answer: the order is a preference, not a need). */
static json_t *recently_played(struct api *a)
{
	json_t *got = NULL, *map = json_object(), *it;
	size_t i;

	if (map && api_get(a, "/v1/me/player/recently-played?limit=50", &got) == SEG_OK)
		json_array_foreach(json_object_get(got, "items"), i, it) {
			const char *id = json_string_value(json_object_get(json_object_get(it, "track"), "id"));

			if (id && !json_object_get(map, id))
				json_object_set_new(map, id, json_integer((json_int_t)i));
		}
	json_decref(got);
	return map;
}

enum seg_err offline_follow_playlists(struct store *db, struct api *a, const char *data_dir, json_t **out)
{
	sqlite3_stmt *st = store_prepare(db, "SELECT uri, quality, coalesce(snapshot_id, '') FROM"
	                                     " offline_collections WHERE uri LIKE 'segue:playlist:%'");
	json_t *lists = json_array(), *v, *recent = NULL;
	const char *user = api_user(a);
	enum seg_err e = SEG_OK;
	int added = 0, removed = 0;
	size_t i;

	*out = NULL;
	if (!st || !lists) {
		sqlite3_finalize(st);
		json_decref(lists);
		return seg_fail(SEG_EIO, "state database: %s", sqlite3_errmsg(db->db));
	}
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(lists, json_pack("[sss]", sqlite3_column_text(st, 0),
		                                       sqlite3_column_text(st, 1), sqlite3_column_text(st, 2)));
	sqlite3_finalize(st);
	if (json_array_size(lists))
		recent = recently_played(a);
	json_array_foreach(lists, i, v) {
		const char *uri = json_string_value(json_array_get(v, 0)), *id = uri + strlen("segue:playlist:");
		const char *quality = json_string_value(json_array_get(v, 1));
		const char *snap = json_string_value(json_array_get(v, 2)), *now_snap, *owner;
		json_t *pl = NULL, *items = NULL, *tracks = NULL, *it, *yes = NULL;
		char path[256];
		bool followed = true;
		size_t k;
		int queued = 0;

		snprintf(path, sizeof path, "/v1/playlists/%s", id);
		e = api_get(a, path, &pl);
		if (e == SEG_ENOTFOUND) {
			followed = false;
		} else if (e) {
			goto next;
		} else {
			owner = json_string_value(json_object_get(json_object_get(pl, "owner"), "id"));
			if (!owner || !user || strcmp(owner, user)) {
				snprintf(path, sizeof path, "/v1/playlists/%s/followers/contains?ids=%s", id, user ?: "");
				if (api_get(a, path, &yes) == SEG_OK && json_is_array(yes))
					followed = json_is_true(json_array_get(yes, 0));
				json_decref(yes);
			}
		}
		st = store_prepare(db, "UPDATE offline_collections SET followed = ? WHERE uri = ?");
		if (st) {
			sqlite3_bind_int(st, 1, followed);
			sqlite3_bind_text(st, 2, uri, -1, SQLITE_STATIC);
			sqlite3_step(st);
			sqlite3_finalize(st);
		}
		e = SEG_OK;
		now_snap = json_string_value(json_object_get(pl, "snapshot_id"));
		if (!pl || !now_snap || !strcmp(now_snap, snap))
			goto next;
		snprintf(path, sizeof path, "/v1/playlists/%s/tracks?limit=100", id);
		if ((e = api_get_all(a, path, NULL, 10000, &items)))
			goto next;
		tracks = json_array();
		json_array_foreach(items, k, it)
			if (json_is_object(json_object_get(it, "track")))
				json_array_append(tracks, json_object_get(it, "track"));
		if ((e = store_exec(db, "BEGIN IMMEDIATE")))
			goto next;
		if ((e = set_members(db, uri, quality, tracks, false, recent, &queued)) ||
		    (e = drop_orphans(db, data_dir, &removed))) {
			store_exec(db, "ROLLBACK");
			goto next;
		}
		st = store_prepare(db, "UPDATE offline_collections SET snapshot_id = ? WHERE uri = ?");
		if (st) {
			sqlite3_bind_text(st, 1, now_snap, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 2, uri, -1, SQLITE_STATIC);
			sqlite3_step(st);
			sqlite3_finalize(st);
		}
		if ((e = store_exec(db, "COMMIT")))
			store_exec(db, "ROLLBACK");
		added += queued;
next:
		json_decref(pl);
		json_decref(items);
		json_decref(tracks);
		if (e)
			break;
	}
	json_decref(lists);
	json_decref(recent);
	if (!e)
		*out = json_pack("{s:i,s:i}", "added", added, "removed", removed);
	return e;
}

json_t *offline_marks(struct store *db)
{
	sqlite3_stmt *t = store_prepare(db, "SELECT track_id, state FROM offline_tracks WHERE state <> 'evicted'");
	sqlite3_stmt *c = store_prepare(db,
		"SELECT m.collection, min(t.state = 'done') FROM offline_members m"
		" JOIN offline_tracks t ON t.track_id = m.track_id GROUP BY m.collection");
	json_t *o = json_object();

	if (!t || !c || !o) {
		json_decref(o);
		o = NULL;
		goto out;
	}
	while (sqlite3_step(t) == SQLITE_ROW)
		json_object_set_new(o, (const char *)sqlite3_column_text(t, 0),
		                    json_string((const char *)sqlite3_column_text(t, 1)));
	while (sqlite3_step(c) == SQLITE_ROW)
		json_object_set_new(o, (const char *)sqlite3_column_text(c, 0),
		                    json_string(sqlite3_column_int(c, 1) ? "done" : "queued"));
out:
	sqlite3_finalize(t);
	sqlite3_finalize(c);
	return o;
}

json_t *offline_status(struct store *db, long long max_mb)
{
	sqlite3_stmt *st = store_prepare(db, "SELECT count(*) FILTER (WHERE state = 'done'),"
	                                     " count(*) FILTER (WHERE state = 'queued'),"
	                                     " count(*) FILTER (WHERE state = 'failed'),"
	                                     " count(*) FILTER (WHERE state = 'evicted'),"
	                                     " count(*) FILTER (WHERE state = 'done' AND expires_at <= ?1),"
	                                     " min(expires_at) FILTER (WHERE state = 'done'),"
	                                     " (SELECT count(*) FROM offline_collections)"
	                                     " FROM offline_tracks");
	char *device = store_kv_get(db, "offline_device"), *at = store_kv_get(db, "offline_checkin_at");
	json_t *o = NULL;

	if (st) {
		sqlite3_bind_int64(st, 1, offline_now());
		if (sqlite3_step(st) == SQLITE_ROW)
			o = json_pack("{s:I,s:I,s:I,s:I,s:I,s:o,s:I,s:I,s:I,s:b,s:o}",
			              "downloaded", (json_int_t)sqlite3_column_int64(st, 0),
			              "queued", (json_int_t)sqlite3_column_int64(st, 1),
			              "failed", (json_int_t)sqlite3_column_int64(st, 2),
			              "evicted", (json_int_t)sqlite3_column_int64(st, 3),
			              "expired", (json_int_t)sqlite3_column_int64(st, 4),
			              "licences_expire_at", sqlite3_column_type(st, 5) == SQLITE_NULL ? json_null()
			                                    : json_integer(sqlite3_column_int64(st, 5)),
			              "collections", (json_int_t)sqlite3_column_int64(st, 6),
			              "used_bytes", (json_int_t)offline_used(db),
			              "limit_bytes", (json_int_t)(max_mb * 1000000LL),
			              "registered", device != NULL,
			              "last_checkin", at ? json_integer(strtoll(at, NULL, 10)) : json_null());
	}
	sqlite3_finalize(st);
	free(device);
	free(at);
	return o;
}

enum seg_err offline_list(struct store *db, const char *uri, json_t **out)
{
	sqlite3_stmt *st;

	*out = json_array();
	if (!uri)
		st = store_prepare(db, "SELECT c.uri, c.name, c.quality, c.followed, count(m.track_id),"
		                       " count(t.track_id) FILTER (WHERE t.state = 'done'),"
		                       " coalesce(sum(t.bytes) FILTER (WHERE t.state = 'done'), 0)"
		                       " FROM offline_collections c LEFT JOIN offline_members m ON m.collection = c.uri"
		                       " LEFT JOIN offline_tracks t ON t.track_id = m.track_id"
		                       " GROUP BY c.uri ORDER BY c.added_at, c.uri");
	else
		st = store_prepare(db, "SELECT t.track_id, t.track, t.state, t.bytes, t.expires_at, t.error,"
		                       " t.quality FROM offline_members m JOIN offline_tracks t"
		                       " ON t.track_id = m.track_id WHERE m.collection = ? ORDER BY m.position");
	if (!st || !*out) {
		sqlite3_finalize(st);
		json_decref(*out);
		*out = NULL;
		return seg_fail(SEG_EIO, "state database: %s", sqlite3_errmsg(db->db));
	}
	if (uri)
		sqlite3_bind_text(st, 1, uri, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (!uri) {
			json_array_append_new(*out, json_pack("{s:s,s:s,s:s,s:b,s:I,s:I,s:I}",
			                      "uri", sqlite3_column_text(st, 0), "name", sqlite3_column_text(st, 1),
			                      "quality", sqlite3_column_text(st, 2), "followed", sqlite3_column_int(st, 3),
			                      "tracks", (json_int_t)sqlite3_column_int64(st, 4),
			                      "downloaded", (json_int_t)sqlite3_column_int64(st, 5),
			                      "bytes", (json_int_t)sqlite3_column_int64(st, 6)));
		} else {
			json_t *t = json_loads((const char *)sqlite3_column_text(st, 1) ?: "", 0, NULL);
			json_t *artists = json_object_get(t, "artists");

			json_array_append_new(*out, json_pack("{s:s,s:s,s:s,s:s,s:s,s:I,s:o,s:o}",
			                      "id", sqlite3_column_text(st, 0), "name", track_title(t),
			                      "artist", json_string_value(json_object_get(json_array_get(artists, 0), "name")) ?: "",
			                      "state", sqlite3_column_text(st, 2), "quality", sqlite3_column_text(st, 6),
			                      "bytes", (json_int_t)sqlite3_column_int64(st, 3),
			                      "expires_at", sqlite3_column_type(st, 4) == SQLITE_NULL ? json_null()
			                                    : json_integer(sqlite3_column_int64(st, 4)),
			                      "error", sqlite3_column_text(st, 5) ? json_string((const char *)sqlite3_column_text(st, 5))
			                                                          : json_null()));
			json_decref(t);
		}
	}
	sqlite3_finalize(st);
	if (uri && !json_array_size(*out)) {
		json_decref(*out);
		*out = NULL;
		return seg_fail(SEG_ENOTFOUND, "%s is not downloaded (segue offline ls lists what is)", uri);
	}
	return SEG_OK;
}
