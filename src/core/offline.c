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
#include "store_offline.h"

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
	enum offline_state r = OFFLINE_NONE;
	json_t *lic = NULL, *track = NULL;

	if (store_offline_download(db, id, &lic, &it->expires_at, &track) != 1)
		goto out;
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
	return r;
}

bool offline_has(struct store *db, const char *id)
{
	return store_offline_has(db, id, offline_now()) == 1;
}

json_t *offline_track(struct store *db, const char *id)
{
	json_t *t = NULL;

	store_offline_track(db, id, &t);
	return t;
}

void offline_played(struct store *db, const char *id)
{
	store_offline_played(db, id, offline_now());
}

void offline_requeue(struct store *db, const char *id, const char *why)
{
	/* before anything else the user asked for */
	store_offline_requeue(db, id, -clock_wall_ms(), why);
}

void offline_delete_track(struct store *db, const char *data_dir, const char *id)
{
	char path[PATH_MAX];

	offline_track_path(data_dir, id, path, sizeof path);
	if (unlink(path) < 0 && errno != ENOENT)
		log_warn("offline: %s: %s", path, strerror(errno));
	store_offline_delete(db, id);
}

/* Deletes the downloads no collection holds any more. */
static enum seg_err drop_orphans(struct store *db, const char *data_dir, int *n)
{
	json_t *ids = json_array(), *v;
	size_t i;

	if (!ids)
		return seg_fail(SEG_ENOMEM, "out of memory");
	if (store_offline_orphans(db, ids) < 0) {
		json_decref(ids);
		return SEG_EIO;
	}
	json_array_foreach(ids, i, v)
		offline_delete_track(db, data_dir, json_string_value(v));
	if (n)
		*n += (int)json_array_size(ids);
	json_decref(ids);
	return SEG_OK;
}

/* Where set_members queues a track not yet downloaded: in class 0 when the user asked (in
 * the order asked), else in the background, where what recent (ids in the user's recently
 * played, newest first; may be NULL) holds goes before the rest. */
struct ranking {
	bool asked;
	json_t *recent;
	long long now_ms;
};

static void rank_track(void *arg, const char *id, size_t i, int *klass, long long *prio)
{
	struct ranking *r = arg;
	json_t *played;

	if (r->asked) {
		*klass = KLASS_ASKED;
		*prio = r->now_ms + (long long)i;
	} else if ((played = json_object_get(r->recent, id))) {
		*klass = KLASS_RECENT;
		*prio = json_integer_value(played);
	} else {
		/* the newest additions first */
		*klass = KLASS_BACKGROUND;
		*prio = -(r->now_ms + (long long)i);
	}
}

/* The members of a collection are replaced by tracks (in order); each track not yet
 * downloaded is queued as rank_track says. */
static enum seg_err set_members(struct store *db, const char *uri, const char *quality, json_t *tracks,
                                bool asked, json_t *recent, int *queued)
{
	struct ranking r = { asked, recent, clock_wall_ms() };

	if (store_offline_set_members(db, uri, quality, tracks, offline_now(), rank_track, &r, queued) < 0)
		return SEG_EIO; /* the message is recorded */
	return SEG_OK;
}

enum seg_err offline_add(struct store *db, const char *uri, const char *name, const char *quality,
                         const char *snapshot, json_t *tracks, json_t **out)
{
	json_t *ids = json_array(), *t;
	enum seg_err e;
	int queued = 0;
	size_t i;

	*out = NULL;
	if (!ids)
		return seg_fail(SEG_ENOMEM, "out of memory");
	if ((e = store_begin(db)))
		goto fail;
	if (store_offline_collection_put(db, uri, name, quality, snapshot, offline_now()) < 0) {
		e = SEG_EIO;
		goto rollback;
	}
	if ((e = set_members(db, uri, quality, tracks, true, NULL, &queued)) || (e = store_commit(db)))
		goto rollback;
	json_array_foreach(tracks, i, t)
		if (json_is_string(json_object_get(t, "id")))
			json_array_append(ids, json_object_get(t, "id"));
	*out = json_pack("{s:s,s:s,s:I,s:i,s:o}", "uri", uri, "name", name,
	                 "tracks", (json_int_t)json_array_size(ids), "queued", queued, "ids", ids);
	ids = NULL;
	goto fail;
rollback:
	store_rollback(db);
fail:
	json_decref(ids);
	return e;
}

enum seg_err offline_remove(struct store *db, const char *data_dir, const char *uri, int *removed)
{
	int changed;

	*removed = 0;
	if ((changed = store_offline_collection_delete(db, uri)) < 0)
		return SEG_EIO;
	if (!changed)
		return seg_fail(SEG_ENOTFOUND, "%s is not downloaded (segue offline ls lists what is)", uri);
	return drop_orphans(db, data_dir, removed);
}

enum seg_err offline_collection_tracks(struct store *db, const char *uri, json_t **tracks)
{
	*tracks = json_array();
	if (!*tracks || store_offline_collection_tracks(db, uri, *tracks) < 0)
		return SEG_EIO;
	return SEG_OK;
}

static void add_file_size(void *arg, long long bytes)
{
	*(long long *)arg += (long long)vault_file_size((uint64_t)bytes, VAULT_CHUNK);
}

long long offline_used(struct store *db)
{
	long long used = 0;

	store_offline_sizes(db, add_file_size, &used);
	return used;
}

enum seg_err offline_make_room(struct store *db, const char *data_dir, long long max_mb,
                               long long need, const char *keep)
{
	/* Stale first (by last play, or by download for what was never played), then what only
	 * unfollowed playlists hold, then the least recently played; never the tracks of the
	 * collections the download in hand belongs to (store_offline_evict_candidate). */
	long long cap = max_mb * 1000000LL, used;

	while (max_mb > 0 && (used = offline_used(db)) + need > cap) {
		char id[72], path[PATH_MAX];
		int rank;

		if (store_offline_evict_candidate(db, offline_now() - OFFLINE_STALE_DAYS * 86400LL, keep,
		                                  id, sizeof id, &rank) != 1)
			return seg_fail(SEG_EFAIL, "no room for this download: offline_max_size is %lld MB and "
			                "%.1f MB of it are taken by what this download belongs to; raise it "
			                "(segue set offline_max_size MB) or remove downloads (segue offline rm)",
			                max_mb, used / 1e6);
		log_info("offline: evicting %s (rank %d) to make room", id, rank);
		offline_track_path(data_dir, id, path, sizeof path);
		if (unlink(path) < 0 && errno != ENOENT)
			return seg_fail(SEG_EIO, "%s: %s", path, strerror(errno));
		if (store_offline_evict(db, id) < 0)
			return SEG_EIO;
	}
	return SEG_OK;
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
	store_offline_collections_clear(db);
	drop_orphans(db, data_dir, NULL);
	store_offline_forget_device(db);
}

enum seg_err offline_checkin(struct store *db, struct api *a, const char *data_dir, const char *device,
                             json_t **out)
{
	json_t *held = json_array(), *body = NULL, *got = NULL, *v;
	const char *user = api_user(a);
	enum seg_err e = SEG_OK;
	char path[160], num[32];
	int renewed = 0;
	bool wipe = false;
	size_t i;

	*out = NULL;
	if (!held || !user) {
		e = user ? seg_fail(SEG_ENOMEM, "out of memory")
		         : seg_fail(SEG_EAUTH, "not logged in: run segue login NAME");
		goto out;
	}
	if (store_offline_licensed(db, held) < 0) {
		e = SEG_EIO;
		goto out;
	}
	body = json_pack("{s:O}", "tracks", held);
	snprintf(path, sizeof path, "/v1/segue/offline/devices/%s/checkin", device);
	if ((e = api_request(a, "POST", path, body, &got, NULL)))
		goto out;
	if ((e = store_begin(db)))
		goto out;
	json_array_foreach(json_object_get(got, "licences"), i, v) {
		const char *id = json_string_value(json_object_get(v, "track_id"));
		char *text;

		if (!id || !offline_licence_valid(db, v, user, device, id)) {
			log_warn("offline: check-in: a licence that does not verify, ignored");
			continue;
		}
		if (!(text = json_dumps(v, JSON_COMPACT)))
			continue;
		if (store_offline_renew(db, id, text, json_integer_value(json_object_get(v, "expires_at"))) == 0)
			renewed++;
		free(text);
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
	if ((e = store_commit(db))) {
		store_rollback(db);
		goto out;
	}
	*out = json_pack("{s:i,s:O,s:O}", "renewed", renewed, "revoked",
	                 json_object_get(got, "revoked") ?: json_null(), "checkin_by",
	                 json_object_get(got, "checkin_by") ?: json_null());
out:
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
	json_t *lists = json_array(), *v, *recent = NULL;
	const char *user = api_user(a);
	enum seg_err e = SEG_OK;
	int added = 0, removed = 0;
	size_t i;

	*out = NULL;
	if (!lists)
		return seg_fail(SEG_ENOMEM, "out of memory");
	if (store_offline_playlists(db, lists) < 0) {
		json_decref(lists);
		return SEG_EIO;
	}
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
		store_offline_set_followed(db, uri, followed);
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
		if ((e = store_begin(db)))
			goto next;
		if ((e = set_members(db, uri, quality, tracks, false, recent, &queued)) ||
		    (e = drop_orphans(db, data_dir, &removed))) {
			store_rollback(db);
			goto next;
		}
		store_offline_set_snapshot(db, uri, now_snap);
		if ((e = store_commit(db)))
			store_rollback(db);
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
	json_t *o = json_object();

	if (o && store_offline_marks(db, o) < 0) {
		json_decref(o);
		o = NULL;
	}
	return o;
}

json_t *offline_status(struct store *db, long long max_mb)
{
	char *device = store_kv_get(db, "offline_device"), *at = store_kv_get(db, "offline_checkin_at");
	struct store_offline_counts c;
	json_t *o = NULL;

	if (store_offline_counts(db, offline_now(), &c) == 1)
		o = json_pack("{s:I,s:I,s:I,s:I,s:I,s:o,s:I,s:I,s:I,s:b,s:o}",
		              "downloaded", (json_int_t)c.downloaded,
		              "queued", (json_int_t)c.queued,
		              "failed", (json_int_t)c.failed,
		              "evicted", (json_int_t)c.evicted,
		              "expired", (json_int_t)c.expired,
		              "licences_expire_at", c.has_expiry ? json_integer(c.licences_expire_at) : json_null(),
		              "collections", (json_int_t)c.collections,
		              "used_bytes", (json_int_t)offline_used(db),
		              "limit_bytes", (json_int_t)(max_mb * 1000000LL),
		              "registered", device != NULL,
		              "last_checkin", at ? json_integer(strtoll(at, NULL, 10)) : json_null());
	free(device);
	free(at);
	return o;
}

/* One row of `offline ls URI`, appended to the array arg. */
static int list_member(void *arg, const struct store_offline_member *m)
{
	json_t *t = json_loads(m->track ?: "", 0, NULL);
	json_t *artists = json_object_get(t, "artists");

	json_array_append_new(arg, json_pack("{s:s,s:s,s:s,s:s,s:s,s:I,s:o,s:o}",
	                      "id", m->id, "name", track_title(t),
	                      "artist", json_string_value(json_object_get(json_array_get(artists, 0), "name")) ?: "",
	                      "state", m->state, "quality", m->quality,
	                      "bytes", (json_int_t)m->bytes,
	                      "expires_at", m->has_expiry ? json_integer(m->expires_at) : json_null(),
	                      "error", m->error ? json_string(m->error) : json_null()));
	json_decref(t);
	return 0;
}

enum seg_err offline_list(struct store *db, const char *uri, json_t **out)
{
	int n;

	if (!(*out = json_array()))
		return seg_fail(SEG_ENOMEM, "out of memory");
	n = uri ? store_offline_members(db, uri, list_member, *out) : store_offline_collections(db, *out);
	if (n < 0) {
		json_decref(*out);
		*out = NULL;
		return SEG_EIO;
	}
	if (uri && !json_array_size(*out)) {
		json_decref(*out);
		*out = NULL;
		return seg_fail(SEG_ENOTFOUND, "%s is not downloaded (segue offline ls lists what is)", uri);
	}
	return SEG_OK;
}
