/* Offline listening (doc/offline.md): the devices a premium account downloads to, the
 * licences each holds, and the check-in that renews or revokes them.
 *
 *   GET    /v1/segue/offline/devices                  the account's offline devices
 *   PUT    /v1/segue/offline/devices/{id}             register (or rename) this device
 *   DELETE /v1/segue/offline/devices/{id}             remove a device; its licences go
 *   POST   /v1/segue/offline/devices/{id}/licences    licences (and download URLs) for tracks
 *   POST   /v1/segue/offline/devices/{id}/checkin     renew what the device holds, or revoke
 *
 * Listing and removing work for any account, so a user who went back to free can still tidy
 * up; registering and licensing need premium. A licence carries the digest of the file it
 * covers, so the device checks a download before it counts; digests are computed off the
 * service loop (a job) the first time a file is licensed, then kept. */
#include "config.h"
#include "api/handlers.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "audio/audio.h"
#include "base62.h"
#include "catalog/catalog.h"
#include "offline/licence.h"
#include "log.h"
#include "catalog/media.h"
#include "server.h"
#include "store/catalog.h"
#include "store/offline.h"

#define OFFLINE_MAX_IDS 50   /* tracks per licence request, like the Web API's id lists */

static bool device_id_ok(const char *id)
{
	size_t n = strlen(id);

	if (n < 1 || n > OFFLINE_DEVICE_ID_MAX)
		return false;
	for (const char *p = id; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      *p == '-' || *p == '_'))
			return false;
	return true;
}

/* The {id} of the path, checked; replies 400 and returns NULL when malformed. */
static const char *device_param(struct req *r)
{
	if (!device_id_ok(r->params[0])) {
		reply_error(r, 400, "a device id is 1 to %d of A-Z, a-z, 0-9, '-' and '_'",
		            OFFLINE_DEVICE_ID_MAX);
		return NULL;
	}
	return r->params[0];
}

static bool need_premium(struct req *r)
{
	if (r->user.premium)
		return true;
	reply_error(r, 403, "offline listening needs a premium account");
	return false;
}

static json_t *device_json(const struct offline_device *d)
{
	return json_pack("{s:s,s:s,s:o,s:o,s:I}", "id", d->id, "name", d->name, "registered_at",
	                 catalog_time(d->registered_at, false), "last_checkin",
	                 catalog_time(d->last_checkin, false), "tracks", (json_int_t)d->tracks);
}

/* Every device of the user, oldest first (NULL on a database error). */
static json_t *devices_list(struct req *r)
{
	struct offline_device *devices;
	json_t *list;
	size_t n;

	if (store_offline_devices(&r->srv->store, r->user.id, &devices, &n) < 0)
		return NULL;
	if ((list = json_array()))
		for (size_t i = 0; i < n; i++)
			json_array_append_new(list, device_json(&devices[i]));
	free(devices);
	return list;
}

static json_t *with_policy(struct req *r, json_t *o)
{
	json_object_set_new(o, "device_limit", json_integer(r->srv->cfg.offline_devices));
	json_object_set_new(o, "track_limit", json_integer(r->srv->cfg.offline_tracks));
	json_object_set_new(o, "licence_days", json_integer(r->srv->cfg.offline_licence_days));
	json_object_set_new(o, "public_key", json_string(r->srv->licences.pk_b64));
	return o;
}

void h_offline_devices(struct req *r)
{
	json_t *list = devices_list(r);

	if (!list) {
		reply_error(r, 500, "database error");
		return;
	}
	reply_json(r, 200, with_policy(r, json_pack("{s:o}", "devices", list)));
}

static void device_put(struct req *r, const char *device)
{
	struct store *s = &r->srv->store;
	json_t *body = NULL, *list = NULL, *one;
	struct offline_device d;
	const char *name;
	int known;
	size_t i;

	if (!need_premium(r) || !(body = req_json_body(r, false)))
		return;
	name = json_string_value(json_object_get(body, "name"));
	if (!name || !*name || strlen(name) > OFFLINE_DEVICE_NAME_MAX) {
		reply_error(r, 400, "\"name\" must be a string of 1 to %d bytes", OFFLINE_DEVICE_NAME_MAX);
		goto out;
	}
	/* Counted and added in one write transaction: servers sharing a database could each
	 * count one device fewer than the limit and add one. */
	if (store_begin(s) < 0)
		goto db_error;
	if ((known = store_offline_device_registered(s, r->user.id, device, NULL)) < 0 ||
	    !(list = devices_list(r)))
		goto db_error_tx;
	if (!known && (long)json_array_size(list) >= r->srv->cfg.offline_devices) {
		char names[512] = "";
		size_t used = 0;

		json_array_foreach(list, i, one) {
			int n = snprintf(names + used, sizeof names - used, "%s\"%s\" (%s)", i ? ", " : "",
			                 json_string_value(json_object_get(one, "name")),
			                 json_string_value(json_object_get(one, "id")));

			if (n < 0 || (size_t)n >= sizeof names - used)
				break;
			used += (size_t)n;
		}
		reply_error(r, 403, "offline listening is on %ld devices already, the most an account may "
		            "have: %s. Remove one first: `segue offline devices --remove NAME` on any "
		            "device, or DELETE /v1/segue/offline/devices/{id}",
		            r->srv->cfg.offline_devices, names);
		store_rollback(s);
		goto out;
	}
	if ((known ? store_offline_device_rename(s, r->user.id, device, name)
	           : store_offline_device_add(s, r->user.id, device, name, store_now_ms())) < 0 ||
	    store_commit(s) < 0)
		goto db_error_tx;
	if (store_offline_device_get(s, r->user.id, device, &d) <= 0 || !(one = device_json(&d)))
		goto db_error;
	reply_json(r, known ? 200 : 201, with_policy(r, one));
	goto out;
db_error_tx:
	store_rollback(s);
db_error:
	reply_error(r, 500, "database error");
out:
	json_decref(list);
	json_decref(body);
}

void h_offline_device(struct req *r)
{
	const char *device = device_param(r);
	int changed;

	if (!device)
		return;
	if (r->method == M_PUT) {
		device_put(r, device);
		return;
	}
	/* The licences go with the device. */
	changed = store_offline_device_remove(&r->srv->store, r->user.id, device);
	if (changed < 0)
		reply_error(r, 500, "database error");
	else if (!changed)
		reply_error(r, 404, "no offline device %s on this account", device);
	else
		reply_empty(r, 204);
}

/* --- licences ------------------------------------------------------------------------- */

/* Whether track id exists, is available and plays in the user's market: 1, 0 (message in
 * why and the status a refusal carries in *status), -1. */
static int track_playable(struct req *r, const char *id, char *why, size_t len, int *status)
{
	struct track_playback t;
	int rc = store_track_playback(&r->srv->store, id, &t);

	if (rc == 0) {
		snprintf(why, len, "no track with id %s", id);
		*status = 404;
	} else if (rc > 0 && !t.available) {
		snprintf(why, len, "this track is unavailable: its source file is no longer in the library");
		*status = 410;
		rc = 0;
	} else if (rc > 0) {
		rc = api_available(r, t.has_markets ? t.markets : NULL, r->user.country);
		if (!rc) {
			snprintf(why, len, "this track is not available in your market (%s)", r->user.country);
			*status = 403;
		}
	}
	return rc;
}

/* The licence object (without the download fields). */
static json_t *licence_json(struct req *r, const char *device, long long registered_at,
                            const char *track, const char *quality, long long now)
{
	struct licence l = {
		.user = r->user.id, .device = device, .track = track, .quality = quality,
		.registered_at = registered_at, .issued_at = now,
		.expires_at = now + r->srv->cfg.offline_licence_days * 86400,
	};

	licence_sign(&r->srv->licences, &l);
	if (!l.sig[0])
		return NULL;
	return json_pack("{s:s,s:s,s:s,s:s,s:I,s:I,s:s,s:s}", "user_id", l.user, "device_id", device,
	                 "track_id", track, "quality", quality, "issued_at", (json_int_t)l.issued_at,
	                 "expires_at", (json_int_t)l.expires_at, "key", l.key, "signature", l.sig);
}

struct digest_item {
	char id[BASE62_ID_LEN + 1];
	char path[1300];
	struct audio_digest d;        /* as cached, then as found; digest "" when the file is missing */
	bool fresh;                   /* computed by the job: to be cached */
};

struct licence_job {
	struct job job;
	char device[OFFLINE_DEVICE_ID_MAX + 1];
	long long registered_at;
	int quality;
	int n;
	struct digest_item items[OFFLINE_MAX_IDS];
	json_t *refused;
};

static void digest_file(struct digest_item *it)
{
	crypto_generichash_state h;
	unsigned char buf[1 << 16], out[32];
	struct stat st;
	ssize_t got;
	int fd = open(it->path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0) {
		if (fd >= 0)
			close(fd);
		it->d.digest[0] = '\0';
		return;
	}
	long long mtime_ns = (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;

	if (it->d.digest[0] && it->d.size == st.st_size && it->d.mtime_ns == mtime_ns) {
		close(fd);
		return;
	}
	crypto_generichash_init(&h, NULL, 0, sizeof out);
	while ((got = read(fd, buf, sizeof buf)) > 0 || (got < 0 && errno == EINTR))
		if (got > 0)
			crypto_generichash_update(&h, buf, (size_t)got);
	close(fd);
	if (got < 0) {
		it->d.digest[0] = '\0';
		return;
	}
	crypto_generichash_final(&h, out, sizeof out);
	sodium_bin2hex(it->d.digest, sizeof it->d.digest, out, sizeof out);
	it->d.size = st.st_size;
	it->d.mtime_ns = mtime_ns;
	it->fresh = true;
}

static void licence_work(struct job *j)
{
	struct licence_job *l = (struct licence_job *)j;

	for (int i = 0; i < l->n; i++)
		digest_file(&l->items[i]);
}

/* Inside licence_done's write transaction, the request's checks again: the device may have
 * been removed, or licences added (by this server while the digests were made, or by another
 * sharing the database), since h_offline_licences looked. 1 when the licences may be written,
 * 0 after replying why not, -1 on a database error. */
static int still_allowed(struct req *r, struct licence_job *l)
{
	struct store *s = &r->srv->store;
	long long held, adding = 0;
	int known;

	if ((known = store_offline_device_registered(s, r->user.id, l->device, NULL)) <= 0) {
		if (!known)
			reply_error(r, 404, "this device was removed while its licences were being made");
		return known;
	}
	if ((held = store_offline_licence_count(s, r->user.id, l->device)) < 0)
		return -1;
	for (int i = 0; i < l->n; i++) {
		int has;

		if (!l->items[i].d.digest[0])
			continue; /* refused below: the file is missing */
		if ((has = store_offline_licence_has(s, r->user.id, l->device, l->items[i].id)) < 0)
			return -1;
		adding += !has;
	}
	if (held + adding <= r->srv->cfg.offline_tracks)
		return 1;
	reply_error(r, 403, "this device holds %lld downloaded tracks, and may hold at most %ld: "
	            "remove some (segue offline rm) before downloading more",
	            held, r->srv->cfg.offline_tracks);
	return 0;
}

static void licence_done(struct req *r, struct job *j)
{
	struct licence_job *l = (struct licence_job *)j;
	struct store *s = &r->srv->store;
	const char *qname = quality_info[l->quality].name;
	long long now = time(NULL), expires = now + r->srv->cfg.offline_licence_days * 86400;
	json_t *licences = json_array();
	bool began = false;
	int allowed;

	if (!licences)
		goto fail;
	if (store_begin(s) < 0)
		goto fail;
	began = true;
	if ((allowed = still_allowed(r, l)) < 0)
		goto fail;
	if (!allowed) {
		store_rollback(s);
		json_decref(licences);
		json_decref(l->refused);
		return;
	}
	for (int i = 0; i < l->n; i++) {
		struct digest_item *it = &l->items[i];
		json_t *lic, *url;

		if (!it->d.digest[0]) {
			log_err("offline: %s: the audio file cannot be read", it->path);
			json_array_append_new(l->refused, json_pack("{s:s,s:i,s:s}", "id", it->id, "status", 404,
			                                            "message", "the audio file is missing on the server"));
			continue;
		}
		if (it->fresh && store_audio_digest_put(s, it->id, l->quality, &it->d) < 0)
			goto fail;
		if (store_offline_licence_put(s, r->user.id, l->device, it->id, qname, now, expires) < 0)
			goto fail;
		lic = licence_json(r, l->device, l->registered_at, it->id, qname, now);
		url = playback_url(r, it->id, l->quality, now + r->srv->cfg.url_ttl);
		if (!lic || !url) {
			json_decref(lic);
			json_decref(url);
			goto fail;
		}
		json_object_set_new(lic, "url", url);
		json_object_set_new(lic, "url_expires_at", json_integer(now + r->srv->cfg.url_ttl));
		json_object_set_new(lic, "bytes", json_integer(it->d.size));
		json_object_set_new(lic, "digest", json_string(it->d.digest));
		json_array_append_new(licences, lic);
	}
	if (store_commit(s) < 0)
		goto fail;
	reply_json(r, 200, with_policy(r, json_pack("{s:o,s:O}", "licences", licences, "refused", l->refused)));
	json_decref(l->refused);
	return;
fail:
	if (began)
		store_rollback(s);
	json_decref(licences);
	json_decref(l->refused);
	reply_error(r, 500, "the licences could not be issued");
}

void h_offline_licences(struct req *r)
{
	struct store *s = &r->srv->store;
	const char *device = device_param(r), *qname;
	struct licence_job *l = NULL;
	json_t *body = NULL, *ids, *v;
	long long held, adding = 0;
	size_t i;
	int known;

	if (!device || !need_premium(r) || !(body = req_json_body(r, false)))
		return;
	if (!(l = calloc(1, sizeof *l)) || !(l->refused = json_array()))
		goto db_error;
	snprintf(l->device, sizeof l->device, "%s", device);
	if ((known = store_offline_device_registered(s, r->user.id, device, &l->registered_at)) < 0)
		goto db_error;
	if (!known) {
		reply_error(r, 404, "this device is not registered for offline listening "
		            "(PUT /v1/segue/offline/devices/%s first)", device);
		goto out;
	}
	qname = json_string_value(json_object_get(body, "quality"));
	l->quality = qname ? quality_from_name(qname) : Q_HIGH;
	if (l->quality < 0) {
		reply_error(r, 400, "unknown quality \"%.20s\": low, normal, high or very_high", qname);
		goto out;
	}
	ids = json_object_get(body, "ids");
	if (!json_is_array(ids) || !json_array_size(ids) || json_array_size(ids) > OFFLINE_MAX_IDS) {
		reply_error(r, 400, "\"ids\" must be an array of 1 to %d track ids", OFFLINE_MAX_IDS);
		goto out;
	}
	json_array_foreach(ids, i, v) {
		const char *id = json_string_value(v), *in_uri = api_uri_id(id, "track");
		char why[160];
		int ok, dup = 0, status = 0;

		if (in_uri)
			id = in_uri; /* a track URI, segue: or spotify:, names its id */

		if (!id || !base62_is_id(id)) {
			reply_error(r, 400, "\"ids\"[%zu] is not a track id", i);
			goto out;
		}
		for (int k = 0; k < l->n; k++)
			dup |= !strcmp(l->items[k].id, id);
		if (dup)
			continue;
		if ((ok = track_playable(r, id, why, sizeof why, &status)) < 0)
			goto db_error;
		if (!ok) {
			json_array_append_new(l->refused, json_pack("{s:s,s:i,s:s}", "id", id, "status", status,
			                                            "message", why));
			continue;
		}
		if ((ok = store_offline_licence_has(s, r->user.id, device, id)) < 0)
			goto db_error;
		adding += !ok;

		struct digest_item *it = &l->items[l->n++];

		snprintf(it->id, sizeof it->id, "%s", id);
		if (media_path(r->srv->media_dir, id, l->quality, it->path, sizeof it->path) < 0)
			goto db_error;
		/* What is cached; the job checks it against the file. */
		if (store_audio_digest_get(s, id, l->quality, &it->d) < 0)
			goto db_error;
	}
	/* How many licences the device holds beyond the ones being asked for again. */
	if ((held = store_offline_licence_count(s, r->user.id, device)) < 0)
		goto db_error;
	if (held + adding > r->srv->cfg.offline_tracks) {
		reply_error(r, 403, "this device holds %lld downloaded tracks, and may hold at most %ld: "
		            "remove some (segue offline rm) before downloading more",
		            held, r->srv->cfg.offline_tracks);
		goto out;
	}
	l->job.work = licence_work;
	l->job.done = licence_done;
	jobs_submit(&r->srv->jobs, &l->job, r);
	json_decref(body);
	return;
db_error:
	reply_error(r, 500, "database error");
out:
	if (l)
		json_decref(l->refused);
	free(l);
	json_decref(body);
}

/* --- check-in ------------------------------------------------------------------------- */

static void revoke_one(json_t *revoked, const char *id, const char *reason, const char *message)
{
	json_array_append_new(revoked, json_pack("{s:s,s:s,s:s}", "id", id, "reason", reason,
	                                         "message", message));
}

void h_offline_checkin(struct req *r)
{
	struct store *s = &r->srv->store;
	const char *device = device_param(r);
	json_t *body = NULL, *tracks, *v, *licences = NULL, *revoked = NULL;
	const char *all_reason = NULL, *all_message = NULL;
	long long registered_at = 0, now = time(NULL);
	long long expires = now + r->srv->cfg.offline_licence_days * 86400;
	bool began = false;
	size_t i;
	int known;

	if (!device || !(body = req_json_body(r, false)))
		return;
	tracks = json_object_get(body, "tracks");
	if (!json_is_array(tracks) || (long)json_array_size(tracks) > r->srv->cfg.offline_tracks) {
		reply_error(r, 400, "\"tracks\" must be an array of at most %ld {\"id\", \"quality\"} objects",
		            r->srv->cfg.offline_tracks);
		goto out;
	}
	if (!(licences = json_array()) || !(revoked = json_array()))
		goto db_error;
	if ((known = store_offline_device_registered(s, r->user.id, device, &registered_at)) < 0)
		goto db_error;
	/* A device that lost its right keeps nothing: every licence is revoked at once. */
	if (!r->user.premium) {
		all_reason = "premium_required";
		all_message = "offline listening needs a premium account";
	} else if (!known) {
		all_reason = "device_removed";
		all_message = "this device was removed from offline listening";
	}
	if (store_begin(s) < 0)
		goto db_error;
	began = true;
	if (store_offline_licences_clear(s, r->user.id, device) < 0)
		goto db_error;
	json_array_foreach(tracks, i, v) {
		const char *id = json_string_value(json_object_get(v, "id"));
		const char *qname = json_string_value(json_object_get(v, "quality"));
		char why[160];
		json_t *lic;
		int ok, status;

		if (!id || !base62_is_id(id) || !qname || quality_from_name(qname) < 0) {
			if (began)
				store_rollback(s);
			began = false;
			reply_error(r, 400, "\"tracks\"[%zu] must be {\"id\": TRACK_ID, \"quality\": QUALITY}", i);
			goto out;
		}
		if (all_reason) {
			revoke_one(revoked, id, all_reason, all_message);
			continue;
		}
		if ((ok = track_playable(r, id, why, sizeof why, &status)) < 0)
			goto db_error;
		if (!ok) {
			/* withdrawn, gone or out of the market: the device deletes it all the same */
			revoke_one(revoked, id, "unavailable", why);
			continue;
		}
		if (store_offline_licence_put(s, r->user.id, device, id, qname, now, expires) < 0 ||
		    !(lic = licence_json(r, device, registered_at, id, qname, now)))
			goto db_error;
		json_array_append_new(licences, lic);
	}
	if (known && store_offline_device_checked_in(s, r->user.id, device, store_now_ms()) < 0)
		goto db_error;
	if (store_commit(s) < 0)
		goto db_error;
	began = false;
	reply_json(r, 200, with_policy(r, json_pack("{s:O,s:O,s:I}", "licences", licences, "revoked",
	                                            revoked, "checkin_by", (json_int_t)expires)));
	goto out;
db_error:
	if (began)
		store_rollback(s);
	reply_error(r, 500, "database error");
out:
	json_decref(licences);
	json_decref(revoked);
	json_decref(body);
}
