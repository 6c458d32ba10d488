/* Offline devices, licences and file digests. See store/offline.h. */
#include "config.h"
#include "store/offline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store/store_db.h"

/* --- devices --- */

int store_offline_device_registered(struct store *s, const char *user, const char *device,
                                    long long *registered_at)
{
	struct db_stmt *st = store_stmt(s, "SELECT registered_at FROM offline_devices"
	                                 " WHERE user_id = ? AND device_id = ?");

	if (!st)
		return -1;
	store_bind_text(st, 1, user);
	store_bind_text(st, 2, device);
	return store_one_int64(s, st, "an offline device", registered_at);
}

/* The columns both device queries select, the licence count last. */
#define DEVICE_COLUMNS \
	"SELECT device_id, name, registered_at, last_checkin," \
	" (SELECT count(*) FROM offline_licences l WHERE l.user_id = d.user_id AND l.device_id = d.device_id)" \
	" FROM offline_devices d WHERE user_id = ?"

static void device_fill(struct db_stmt *st, struct offline_device *d)
{
	memset(d, 0, sizeof *d);
	snprintf(d->id, sizeof d->id, "%s", store_col_text(st, 0));
	snprintf(d->name, sizeof d->name, "%s", store_col_text(st, 1));
	d->registered_at = db_col_int64(st, 2);
	d->last_checkin = db_col_int64(st, 3);
	d->tracks = db_col_int64(st, 4);
}

int store_offline_device_get(struct store *s, const char *user, const char *device,
                             struct offline_device *d)
{
	struct db_stmt *st = store_stmt(s, DEVICE_COLUMNS " AND device_id = ?");
	int rc;

	if (!st)
		return -1;
	store_bind_text(st, 1, user);
	store_bind_text(st, 2, device);
	rc = db_step(st);
	if (rc == DB_ROW)
		device_fill(st, d);
	db_reset(st);
	if (rc == DB_ROW || rc == DB_DONE)
		return rc == DB_ROW;
	return store_fail(s, "an offline device");
}

int store_offline_devices(struct store *s, const char *user, struct offline_device **out,
                          size_t *n)
{
	struct db_stmt *st = store_stmt(s, DEVICE_COLUMNS " ORDER BY registered_at, device_id");
	size_t cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if (!st)
		return -1;
	store_bind_text(st, 1, user);
	while ((rc = db_step(st)) == DB_ROW) {
		if (*n == cap) {
			struct offline_device *p = realloc(*out, (cap = cap ? cap * 2 : 8) * sizeof **out);

			if (!p) {
				db_reset(st);
				free(*out);
				*out = NULL;
				*n = 0;
				log_err("store: out of memory listing offline devices");
				return -1;
			}
			*out = p;
		}
		device_fill(st, &(*out)[(*n)++]);
	}
	db_reset(st);
	if (rc != DB_DONE) {
		free(*out);
		*out = NULL;
		*n = 0;
		return store_fail(s, "the offline devices");
	}
	return 0;
}

int store_offline_device_add(struct store *s, const char *user, const char *device,
                             const char *name, long long now_ms)
{
	/* A device that another request registered since the caller looked is renamed, as the
	 * caller would have done had it seen it: with several servers on one database, two
	 * registrations of one device may run at once. */
	struct db_stmt *st = store_stmt(s, "INSERT INTO offline_devices (user_id, device_id, name,"
	                                 " registered_at, last_checkin) VALUES (?1, ?2, ?3, ?4, ?4)"
	                                 " ON CONFLICT (user_id, device_id) DO UPDATE SET name = excluded.name");

	if (!st)
		return -1;
	store_bind_text(st, 1, user);
	store_bind_text(st, 2, device);
	store_bind_text(st, 3, name);
	db_bind_int64(st, 4, now_ms);
	return store_change(s, st, "registering an offline device");
}

int store_offline_device_rename(struct store *s, const char *user, const char *device,
                                const char *name)
{
	struct db_stmt *st = store_stmt(s, "UPDATE offline_devices SET name = ?"
	                                 " WHERE user_id = ? AND device_id = ?");

	if (!st)
		return -1;
	store_bind_text(st, 1, name);
	store_bind_text(st, 2, user);
	store_bind_text(st, 3, device);
	return store_change(s, st, "renaming an offline device");
}

int store_offline_device_remove(struct store *s, const char *user, const char *device)
{
	/* The licences go with the device (ON DELETE CASCADE). */
	struct db_stmt *st = store_stmt(s, "DELETE FROM offline_devices WHERE user_id = ? AND device_id = ?");

	if (!st)
		return -1;
	store_bind_text(st, 1, user);
	store_bind_text(st, 2, device);
	return store_change(s, st, "removing an offline device");
}

int store_offline_device_checked_in(struct store *s, const char *user, const char *device,
                                    long long at_ms)
{
	struct db_stmt *st = store_stmt(s, "UPDATE offline_devices SET last_checkin = ?"
	                                 " WHERE user_id = ? AND device_id = ?");

	if (!st)
		return -1;
	db_bind_int64(st, 1, at_ms);
	store_bind_text(st, 2, user);
	store_bind_text(st, 3, device);
	return store_change(s, st, "an offline check-in");
}

/* --- licences --- */

long long store_offline_licence_count(struct store *s, const char *user, const char *device)
{
	struct db_stmt *st = store_stmt(s, "SELECT count(*) FROM offline_licences"
	                                 " WHERE user_id = ? AND device_id = ?");

	if (!st)
		return -1;
	store_bind_text(st, 1, user);
	store_bind_text(st, 2, device);
	return store_integer(s, st, "counting offline licences");
}

int store_offline_licence_has(struct store *s, const char *user, const char *device,
                              const char *track)
{
	struct db_stmt *st = store_stmt(s, "SELECT 1 FROM offline_licences"
	                                 " WHERE user_id = ? AND device_id = ? AND track_id = ?");

	if (!st)
		return -1;
	store_bind_text(st, 1, user);
	store_bind_text(st, 2, device);
	store_bind_text(st, 3, track);
	return store_one(s, st, "an offline licence", NULL, NULL);
}

int store_offline_licence_put(struct store *s, const char *user, const char *device,
                              const char *track, const char *quality, long long issued_at,
                              long long expires_at)
{
	struct db_stmt *st = store_stmt(s, "INSERT INTO offline_licences (user_id, device_id,"
	                                 " track_id, quality, issued_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)"
	                                 " ON CONFLICT (user_id, device_id, track_id) DO UPDATE SET"
	                                 " quality = excluded.quality, issued_at = excluded.issued_at,"
	                                 " expires_at = excluded.expires_at");

	if (!st)
		return -1;
	store_bind_text(st, 1, user);
	store_bind_text(st, 2, device);
	store_bind_text(st, 3, track);
	store_bind_text(st, 4, quality);
	db_bind_int64(st, 5, issued_at);
	db_bind_int64(st, 6, expires_at);
	return store_change(s, st, "an offline licence") < 0 ? -1 : 1;
}

int store_offline_licences_clear(struct store *s, const char *user, const char *device)
{
	struct db_stmt *st = store_stmt(s, "DELETE FROM offline_licences WHERE user_id = ? AND device_id = ?");

	if (!st)
		return -1;
	store_bind_text(st, 1, user);
	store_bind_text(st, 2, device);
	if (db_step(st) != DB_DONE)
		return store_fail(s, "clearing offline licences");
	return db_changes(s);
}

/* --- digests --- */

int store_audio_digest_get(struct store *s, const char *track, int quality,
                           struct audio_digest *d)
{
	struct db_stmt *st = store_stmt(s, "SELECT size, mtime_ns, digest FROM audio_digests"
	                                 " WHERE track_id = ? AND quality = ?");
	int rc;

	if (!st)
		return -1;
	store_bind_text(st, 1, track);
	db_bind_int(st, 2, quality);
	rc = db_step(st);
	if (rc == DB_ROW) {
		d->size = db_col_int64(st, 0);
		d->mtime_ns = db_col_int64(st, 1);
		snprintf(d->digest, sizeof d->digest, "%s", store_col_text(st, 2));
	}
	db_reset(st);
	if (rc == DB_ROW || rc == DB_DONE)
		return rc == DB_ROW;
	return store_fail(s, "an audio digest");
}

int store_audio_digest_put(struct store *s, const char *track, int quality,
                           const struct audio_digest *d)
{
	struct db_stmt *st = store_stmt(s, "INSERT INTO audio_digests (track_id, quality, size,"
	                                 " mtime_ns, digest) VALUES (?, ?, ?, ?, ?)"
	                                 " ON CONFLICT (track_id, quality) DO UPDATE SET size = excluded.size,"
	                                 " mtime_ns = excluded.mtime_ns, digest = excluded.digest");

	if (!st)
		return -1;
	store_bind_text(st, 1, track);
	db_bind_int(st, 2, quality);
	db_bind_int64(st, 3, d->size);
	db_bind_int64(st, 4, d->mtime_ns);
	store_bind_text(st, 5, d->digest);
	return store_change(s, st, "an audio digest") < 0 ? -1 : 1;
}
