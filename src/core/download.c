#include "config.h"
#include "download.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "offline.h"
#include "seg.h"
#include "store_offline.h"
#include "vault.h"

#define MAX_WORKERS 8
#define BACKOFF_MAX_MS 60000
#define REPAIR_ATTEMPTS 3
/* A daemon that runs for weeks checks in and follows its playlists every few hours, so
 * licences (30 days) never lapse while it is online and a playlist changed elsewhere comes
 * down the same day; one that found the server away tries again sooner. */
#define SYNC_PERIOD_MS (6 * 3600 * 1000LL)
#define SYNC_RETRY_MS (15 * 60 * 1000LL)
#define LICENCE_PATH "/v1/segue/offline/devices/%s/licences"
#define LICENCE_BATCH 16      /* licences asked for at once: the track in hand and the next ones */
#define AHEAD_MARGIN_S 300    /* a licence fetched ahead is used while its URL has this long left */

struct active {
	char id[72];
	char name[160];
	long long bytes, done;    /* plaintext size and bytes in the vault or in memory */
	bool busy;
};

struct worker {
	struct downloader *d;
	int slot;
	struct store db;
	struct api *api;
	CURL *curl;
};

struct downloader {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t threads[MAX_WORKERS];
	int nthreads;
	bool stop;
	bool sync_wanted, syncing;
	long long sync_due;       /* monotonic ms of the next check-in on its own */
	long long pause_until;    /* monotonic ms: the network failed, wait */
	long backoff_ms;
	long long rate_free_at;   /* monotonic us: when the bytes taken so far fit download_rate */
	int notify_fd;            /* eventfd: something for the daemon's subscribers */
	long long notified_at;    /* monotonic ms, to send progress at most twice a second */
	json_t *last_sync;
	json_t *ahead;            /* track id -> licence with URL, fetched with another's */
	struct active active[MAX_WORKERS];

	/* copied from the seg at start */
	char data_dir[PATH_MAX], db_path[PATH_MAX], creds[PATH_MAX], server[512];
	char device[72], device_name[128], quality[16];
	long long max_mb;
	long rate_kb;
	struct worker workers[MAX_WORKERS];
};

enum outcome { DONE, FAILED, RETRY_NETWORK, GONE, STOPPED };

#define NOTIFY_PROGRESS_MS 500

/* Tells the daemon the downloads changed (lock held); progress alone only now and then. */
static void notify(struct downloader *d, bool progress_only)
{
	long long now = clock_mono_ms();
	uint64_t one = 1;

	if (progress_only && now - d->notified_at < NOTIFY_PROGRESS_MS)
		return;
	d->notified_at = now;
	if (write(d->notify_fd, &one, sizeof one) < 0) {
		/* EAGAIN: a count is already waiting, which says as much. */
	}
}

/* --- one download ----------------------------------------------------------------------- */

struct transfer {
	struct worker *w;
	struct vault *v;
	long long fetched;
	long long checked_at;     /* monotonic ms the row was last seen queued */
	bool gone, failed_write;
	int write_errno;
};

/* On a database error, as if still queued: the file stays. */
static bool still_queued(struct store *db, const char *id)
{
	return store_offline_is_queued(db, id) != 0;
}

/* Sleeps on d->wake (lock held) for at most us microseconds. */
static void wait_us(struct downloader *d, long long us)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += us / 1000000;
	ts.tv_nsec += (us % 1000000) * 1000;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_cond_timedwait(&d->wake, &d->lock, &ts);
}

/* Holds a worker back so that all downloads together stay under download_rate. curl has a
 * limit of its own, but it reads whatever has arrived (up to a hundred buffers) before it
 * looks at the clock, so on a fast link a whole track lands before it pauses. */
static void pace(struct downloader *d, size_t n)
{
	long long now = clock_mono_us(), until;

	if (d->rate_kb <= 0)
		return;
	pthread_mutex_lock(&d->lock);
	if (d->rate_free_at < now)
		d->rate_free_at = now; /* idle time is not saved up for a burst */
	d->rate_free_at += (long long)n * 1000 / d->rate_kb; /* KB/s: a byte takes 1000/rate us */
	until = d->rate_free_at;
	while (!d->stop && (now = clock_mono_us()) < until)
		wait_us(d, until - now > 200000 ? 200000 : until - now);
	pthread_mutex_unlock(&d->lock);
}

static size_t on_body(char *data, size_t size, size_t n, void *ud)
{
	struct transfer *t = ud;
	struct active *a = &t->w->d->active[t->w->slot];

	if (vault_write(t->v, data, size * n) < 0) {
		t->failed_write = true;
		t->write_errno = errno;
		return 0;
	}
	t->fetched += (long long)(size * n);
	pthread_mutex_lock(&t->w->d->lock);
	a->done = (long long)(t->v->written + t->v->fill);
	notify(t->w->d, true);
	pthread_mutex_unlock(&t->w->d->lock);
	pace(t->w->d, size * n);
	return size * n;
}

static int on_progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	struct transfer *t = ud;
	struct worker *w = t->w;
	long long now = clock_mono_ms();
	bool stop;

	(void)dt, (void)dn, (void)ut, (void)un;
	pthread_mutex_lock(&w->d->lock);
	stop = w->d->stop;
	pthread_mutex_unlock(&w->d->lock);
	if (stop)
		return 1;
	/* `segue offline rm` while it downloads: give up on it. */
	if (now - t->checked_at > 1000) {
		t->checked_at = now;
		if (!still_queued(&w->db, w->d->active[w->slot].id)) {
			t->gone = true;
			return 1;
		}
	}
	return 0;
}

static void set_state(struct store *db, const char *id, const char *state, const char *error, long long fetched)
{
	store_offline_finish(db, id, state, error, fetched);
}

struct batch {
	struct downloader *d;
	json_t *ids;
};

/* One queued track for the batch, unless a thread has it or a licence waits for it (lock
 * held); stops when the batch is full. */
static int batch_add(void *arg, const struct store_offline_queued *q)
{
	struct batch *b = arg;
	bool skip = json_object_get(b->d->ahead, q->id) != NULL;

	for (int i = 0; i < MAX_WORKERS; i++)
		skip |= b->d->active[i].busy && !strcmp(b->d->active[i].id, q->id);
	if (!skip)
		json_array_append_new(b->ids, json_string(q->id));
	return json_array_size(b->ids) >= LICENCE_BATCH;
}

/* The ids to ask licences for along with id: the next queued tracks of the same quality that
 * no thread is downloading and none has a licence waiting for (lock not held). */
static json_t *batch_ids(struct worker *w, const char *id, const char *quality)
{
	struct downloader *d = w->d;
	struct batch b = { d, json_pack("[s]", id) };

	if (!b.ids)
		return NULL;
	pthread_mutex_lock(&d->lock);
	if (json_array_size(b.ids) < LICENCE_BATCH)
		store_offline_queue(&w->db, quality, id, LICENCE_BATCH + MAX_WORKERS, batch_add, &b);
	pthread_mutex_unlock(&d->lock);
	return b.ids;
}

/* A licence fetched ahead for id at quality whose URL has time left (new reference), or NULL. */
static json_t *take_ahead(struct downloader *d, const char *id, const char *quality)
{
	json_t *l;

	pthread_mutex_lock(&d->lock);
	l = json_incref(json_object_get(d->ahead, id));
	json_object_del(d->ahead, id);
	pthread_mutex_unlock(&d->lock);
	if (l && (strcmp(json_string_value(json_object_get(l, "quality")) ?: "", quality) ||
	          json_integer_value(json_object_get(l, "url_expires_at")) < offline_now() + AHEAD_MARGIN_S)) {
		json_decref(l);
		l = NULL;
	}
	return l;
}

/* Asks for the licences of ids; *got is the answer. Registers the device again when the server
 * no longer knows it (removed elsewhere). */
static enum seg_err ask_licences(struct worker *w, json_t *ids, const char *quality, json_t **got)
{
	struct downloader *d = w->d;
	json_t *body = json_pack("{s:O,s:s}", "ids", ids, "quality", quality);
	char path[192];
	enum seg_err e;

	*got = NULL;
	snprintf(path, sizeof path, LICENCE_PATH, d->device);
	e = api_request(w->api, "POST", path, body, got, NULL);
	if (e == SEG_ENOTFOUND) {
		json_decref(*got);
		*got = NULL;
		if ((e = offline_register(&w->db, w->api, d->device, d->device_name)) == SEG_OK)
			e = api_request(w->api, "POST", path, body, got, NULL);
	}
	json_decref(body);
	return e;
}

/* Asks for the licence and URL of id at quality (with those of the next few queued tracks,
 * kept for their turn: one request, and one durable write on the server, for several
 * tracks); stores the licence. */
static enum outcome get_licence(struct worker *w, const char *id, const char *quality, json_t **lic)
{
	struct downloader *d = w->d;
	char *text = NULL, *old_digest = NULL;
	json_t *got = NULL, *ids = NULL, *l = NULL, *x;
	enum outcome r = FAILED;
	enum seg_err e = SEG_OK;
	size_t i;

	*lic = NULL;
	if ((l = take_ahead(d, id, quality)))
		goto have;
	if (!(ids = batch_ids(w, id, quality)))
		goto out;
	e = ask_licences(w, ids, quality, &got);
	if (e == SEG_EFORBIDDEN && json_array_size(ids) > 1) {
		/* The batch may be what is over a limit: this track alone decides. */
		json_decref(got);
		json_array_clear(ids);
		json_array_append_new(ids, json_string(id));
		e = ask_licences(w, ids, quality, &got);
	}
	if (e == SEG_EUNREACHABLE || (e == SEG_EFAIL && !got)) {
		r = RETRY_NETWORK;
		goto out;
	}
	if (e) {
		set_state(&w->db, id, "failed", seg_errmsg(), 0);
		goto out;
	}
	pthread_mutex_lock(&d->lock);
	json_array_foreach(json_object_get(got, "licences"), i, x) {
		const char *tid = json_string_value(json_object_get(x, "track_id")) ?: "";

		if (!strcmp(tid, id))
			l = json_incref(x);
		else /* a copy: the thread that takes it edits it */
			json_object_set_new(d->ahead, tid, json_deep_copy(x));
	}
	pthread_mutex_unlock(&d->lock);
	if (!l) {
		const char *why = NULL;

		json_array_foreach(json_object_get(got, "refused"), i, x)
			if (!strcmp(json_string_value(json_object_get(x, "id")) ?: "", id))
				why = json_string_value(json_object_get(x, "message"));
		set_state(&w->db, id, "failed", why ? why : "the server gave no licence", 0);
		goto out;
	}
have:
	if (!offline_licence_valid(&w->db, l, api_user(w->api), d->device, id) ||
	    !json_string_value(json_object_get(l, "url")) || !json_string_value(json_object_get(l, "digest")) ||
	    json_integer_value(json_object_get(l, "bytes")) <= 0) {
		set_state(&w->db, id, "failed", "the server's licence does not verify", 0);
		goto out;
	}
	/* A file changed on the server (a new encoding) starts afresh: its chunks would not
	 * belong with the old ones. */
	store_offline_digest(&w->db, id, &old_digest);
	if (old_digest && strcmp(old_digest, json_string_value(json_object_get(l, "digest")))) {
		char file[PATH_MAX];

		offline_track_path(d->data_dir, id, file, sizeof file);
		unlink(file);
	}
	*lic = json_deep_copy(l);
	json_object_del(l, "url");
	json_object_del(l, "url_expires_at");
	text = json_dumps(l, JSON_COMPACT);
	if (!text || !*lic) {
		json_decref(*lic);
		*lic = NULL;
		goto out;
	}
	store_offline_set_licence(&w->db, id, text, json_integer_value(json_object_get(l, "expires_at")),
	                          json_integer_value(json_object_get(l, "bytes")),
	                          json_string_value(json_object_get(l, "digest")));
	r = DONE;
out:
	free(text);
	free(old_digest);
	json_decref(l);
	json_decref(ids);
	json_decref(got);
	return r;
}

/* Fetches [from, end) of url into the vault. */
static enum outcome fetch(struct worker *w, struct transfer *t, const char *url, uint64_t from)
{
	char range[64];
	long status = 0;
	CURLcode rc;

	curl_easy_reset(w->curl);
	snprintf(range, sizeof range, "%llu-", (unsigned long long)from);
	curl_easy_setopt(w->curl, CURLOPT_URL, url);
	curl_easy_setopt(w->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(w->curl, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
	/* A stalled connection: under 1 KB/s for 30 s. */
	curl_easy_setopt(w->curl, CURLOPT_LOW_SPEED_LIMIT, 1024L);
	curl_easy_setopt(w->curl, CURLOPT_LOW_SPEED_TIME, 30L);
	curl_easy_setopt(w->curl, CURLOPT_RANGE, range);
	curl_easy_setopt(w->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(w->curl, CURLOPT_WRITEDATA, t);
	curl_easy_setopt(w->curl, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(w->curl, CURLOPT_XFERINFODATA, t);
	curl_easy_setopt(w->curl, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(w->curl, CURLOPT_FAILONERROR, 1L);
	rc = curl_easy_perform(w->curl);
	curl_easy_getinfo(w->curl, CURLINFO_RESPONSE_CODE, &status);
	if (t->gone)
		return GONE;
	if (rc == CURLE_ABORTED_BY_CALLBACK)
		return STOPPED;
	if (t->failed_write) {
		log_warn("offline: writing a download: %s", strerror(t->write_errno));
		return FAILED;
	}
	if (rc != CURLE_OK)
		return status >= 400 && status < 500 ? FAILED : RETRY_NETWORK;
	/* A server that ignored the range sent the whole file from byte 0. */
	if (from > 0 && status != 206)
		return FAILED;
	return DONE;
}

static enum outcome download_one(struct worker *w, const char *id, const char *quality)
{
	struct downloader *d = w->d;
	struct active *a = &d->active[w->slot];
	unsigned char key[VAULT_KEY_BYTES];
	char path[PATH_MAX], msg[512];
	struct transfer t = { .w = w };
	struct vault v = { .fd = -1 };
	json_t *lic = NULL;
	enum outcome r;
	uint64_t at;
	long long bytes;

	if ((r = get_licence(w, id, quality, &lic)) != DONE)
		return r;
	bytes = json_integer_value(json_object_get(lic, "bytes"));
	pthread_mutex_lock(&d->lock);
	a->bytes = bytes;
	pthread_mutex_unlock(&d->lock);
	if (offline_make_room(&w->db, d->data_dir, d->max_mb,
	                      (long long)vault_file_size((uint64_t)bytes, VAULT_CHUNK), id)) {
		set_state(&w->db, id, "failed", seg_errmsg(), 0);
		r = FAILED;
		goto out;
	}
	offline_track_path(d->data_dir, id, path, sizeof path);
	if (offline_dir(d->data_dir, msg, sizeof msg) || offline_file_key(d->data_dir, lic, key)) {
		set_state(&w->db, id, "failed", seg_errmsg(), 0);
		r = FAILED;
		goto out;
	}
	for (int attempt = 0; attempt < REPAIR_ATTEMPTS; attempt++) {
		if (vault_open_write(&v, path, key, (uint64_t)bytes, &at) < 0) {
			snprintf(msg, sizeof msg, "%s: %s", path, strerror(errno));
			set_state(&w->db, id, "failed", msg, t.fetched);
			r = FAILED;
			goto out;
		}
		t.v = &v;
		t.checked_at = clock_mono_ms();
		if (at) /* resumed: the bytes already there are not fetched again */
			log_info("offline: %s: resuming at %llu of %lld bytes", id, (unsigned long long)at, bytes);
		if (at < (uint64_t)bytes &&
		    (r = fetch(w, &t, json_string_value(json_object_get(lic, "url")), at)) != DONE) {
			if (r == FAILED)
				set_state(&w->db, id, "failed", t.failed_write ? strerror(t.write_errno)
				                                  : "the server refused the download", t.fetched);
			goto out;
		}
		if (vault_finish(&v) < 0) {
			snprintf(msg, sizeof msg, "the download was cut short (%s)", strerror(errno));
			set_state(&w->db, id, "failed", msg, t.fetched);
			r = FAILED;
			goto out;
		}
		if (vault_verify(&v, json_string_value(json_object_get(lic, "digest"))) == 0) {
			/* Removed while it finished: the row is gone, and so goes the file. */
			r = still_queued(&w->db, id) ? DONE : GONE;
			if (r == DONE)
				set_state(&w->db, id, "done", NULL, t.fetched);
			goto out;
		}
		if (errno == EILSEQ) {
			/* Every chunk sound, the whole wrong: start again from nothing. */
			log_warn("offline: %s does not match its digest; downloading it again", id);
			vault_close(&v);
			unlink(path);
			continue;
		}
		/* A damaged chunk: the next open resumes from it. */
		log_warn("offline: %s: chunk %lld is damaged; fetching it again", id, (long long)v.bad_chunk);
		vault_close(&v);
	}
	set_state(&w->db, id, "failed", "the download kept arriving damaged", t.fetched);
	r = FAILED;
out:
	vault_close(&v);
	sodium_memzero(key, sizeof key);
	json_decref(lic);
	if (r == GONE) {
		/* Removed while downloading: nothing of it stays. */
		if (!still_queued(&w->db, id))
			unlink(path);
	} else if (r == RETRY_NETWORK || r == STOPPED) {
		store_offline_add_fetched(&w->db, id, t.fetched);
	}
	return r;
}

/* --- threads ------------------------------------------------------------------------- */

struct claim {
	struct worker *w;
	char *id, *quality;
	size_t idlen, qlen;
	bool found;
};

/* Takes q unless another thread has it (lock held); stops at the first taken. */
static int claim_one(void *arg, const struct store_offline_queued *q)
{
	struct claim *c = arg;
	struct downloader *d = c->w->d;
	bool taken = false;

	for (int i = 0; i < MAX_WORKERS; i++)
		taken |= d->active[i].busy && !strcmp(d->active[i].id, q->id);
	if (taken)
		return 0;
	json_t *t = json_loads(q->track ?: "", 0, NULL);
	struct active *a = &d->active[c->w->slot];

	snprintf(c->id, c->idlen, "%s", q->id);
	snprintf(c->quality, c->qlen, "%s", q->quality);
	snprintf(a->id, sizeof a->id, "%s", q->id);
	snprintf(a->name, sizeof a->name, "%s", json_string_value(json_object_get(t, "name")) ?: q->id);
	a->bytes = a->done = 0;
	a->busy = true;
	notify(d, false);
	json_decref(t);
	c->found = true;
	return 1;
}

/* The next queued track no other thread has (lock held). */
static bool claim(struct worker *w, char *id, size_t idlen, char *quality, size_t qlen)
{
	struct claim c = { w, id, quality, idlen, qlen, false };

	/* Every slot, not the first nthreads: the threads start working while downloader_start
	 * still counts them (an unused slot is never busy). */
	store_offline_queue(&w->db, NULL, NULL, MAX_WORKERS + 1, claim_one, &c);
	return c.found;
}

static void do_sync(struct worker *w)
{
	struct downloader *d = w->d;
	json_t *report = json_object(), *part = NULL;
	char *registered = store_kv_get(&w->db, "offline_device");
	enum seg_err e = SEG_OK;

	if (registered && !(e = offline_checkin(&w->db, w->api, d->data_dir, d->device, &part))) {
		json_object_set_new(report, "checkin", part);
		part = NULL;
	}
	if (!e && !(e = offline_follow_playlists(&w->db, w->api, d->data_dir, &part))) {
		json_object_set_new(report, "playlists", part);
		part = NULL;
	}
	json_object_set_new(report, "at", json_integer(offline_now()));
	if (e)
		json_object_set_new(report, "error", json_string(seg_errmsg()));
	free(registered);
	pthread_mutex_lock(&d->lock);
	json_object_clear(d->ahead); /* a check-in may have revoked what they were for */
	json_decref(d->last_sync);
	d->last_sync = report;
	d->syncing = false;
	notify(d, false);
	d->sync_due = clock_mono_ms() + (e == SEG_EUNREACHABLE ? SYNC_RETRY_MS : SYNC_PERIOD_MS);
	pthread_cond_broadcast(&d->wake);
	pthread_mutex_unlock(&d->lock);
}

static void *run(void *ud)
{
	struct worker *w = ud;
	struct downloader *d = w->d;
	char id[72], quality[16];

	pthread_mutex_lock(&d->lock);
	while (!d->stop) {
		long long now = clock_mono_ms();

		if (d->sync_due && now >= d->sync_due && !d->syncing) {
			d->sync_due = 0;
			d->sync_wanted = true;
		}
		if (d->sync_wanted && !d->syncing) {
			d->sync_wanted = false;
			d->syncing = true;
			pthread_mutex_unlock(&d->lock);
			do_sync(w);
			pthread_mutex_lock(&d->lock);
			continue;
		}
		if (now < d->pause_until || !claim(w, id, sizeof id, quality, sizeof quality)) {
			/* Wake for a pause's end, else now and then for work queued by another process. */
			wait_us(d, (now < d->pause_until ? d->pause_until - now : 5000) * 1000);
			continue;
		}
		pthread_mutex_unlock(&d->lock);
		enum outcome r = download_one(w, id, quality);
		pthread_mutex_lock(&d->lock);
		d->active[w->slot].busy = false;
		notify(d, false);
		if (r == RETRY_NETWORK) {
			d->backoff_ms = d->backoff_ms ? d->backoff_ms * 2 : 1000;
			if (d->backoff_ms > BACKOFF_MAX_MS)
				d->backoff_ms = BACKOFF_MAX_MS;
			/* Full jitter, so that several devices do not come back in step. */
			d->pause_until = clock_mono_ms() + d->backoff_ms / 2 + randombytes_uniform((uint32_t)d->backoff_ms / 2 + 1);
			log_info("offline: the server is unreachable; downloads wait %ld ms", d->backoff_ms);
		} else if (r == DONE) {
			d->backoff_ms = 0;
		}
		pthread_cond_broadcast(&d->wake);
	}
	pthread_mutex_unlock(&d->lock);
	return NULL;
}

enum seg_err downloader_start(struct seg *s, struct downloader **out)
{
	struct downloader *d = calloc(1, sizeof *d);
	const char *device = seg_device_id(s);
	enum seg_err e = SEG_OK;

	*out = NULL;
	if (!d || !device) {
		free(d);
		return seg_fail(SEG_ENOMEM, "out of memory");
	}
	pthread_mutex_init(&d->lock, NULL);
	pthread_cond_init(&d->wake, NULL);
	if (!(d->ahead = json_object())) {
		d->notify_fd = -1;
		downloader_stop(d);
		return seg_fail(SEG_ENOMEM, "out of memory");
	}
	if ((d->notify_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
		e = seg_fail(SEG_EFAIL, "eventfd: %s", strerror(errno));
		downloader_stop(d);
		return e;
	}
	snprintf(d->data_dir, sizeof d->data_dir, "%s", s->paths.data_dir);
	snprintf(d->db_path, sizeof d->db_path, "%s", s->paths.db);
	snprintf(d->creds, sizeof d->creds, "%s", s->paths.creds);
	snprintf(d->server, sizeof d->server, "%s", opt_str(&s->opt, OPT_SERVER));
	snprintf(d->device, sizeof d->device, "%s", device);
	snprintf(d->device_name, sizeof d->device_name, "%s", seg_device_name(s));
	d->max_mb = opt_int(&s->opt, OPT_OFFLINE_MAX_SIZE);
	d->rate_kb = opt_int(&s->opt, OPT_DOWNLOAD_RATE);
	d->sync_wanted = true; /* on start: licences due, playlists changed while we were away */
	for (int i = 0; i < opt_int(&s->opt, OPT_DOWNLOAD_PARALLEL) && i < MAX_WORKERS; i++) {
		struct worker *w = &d->workers[i];
		struct api_opts o = { .server = d->server, .creds_path = d->creds, .retries = 0 };

		w->d = d;
		w->slot = i;
		if ((e = store_open(&w->db, d->db_path)))
			break;
		if (!(w->api = api_new(&o)) || !(w->curl = curl_easy_init())) {
			e = seg_fail(SEG_ENOMEM, "out of memory");
			break;
		}
		if (pthread_create(&d->threads[i], NULL, run, w)) {
			e = seg_fail(SEG_ENOMEM, "cannot start a download thread");
			break;
		}
		d->nthreads++;
	}
	if (e && !d->nthreads) {
		downloader_stop(d);
		return e;
	}
	*out = d;
	return SEG_OK;
}

void downloader_stop(struct downloader *d)
{
	if (!d)
		return;
	pthread_mutex_lock(&d->lock);
	d->stop = true;
	pthread_cond_broadcast(&d->wake);
	pthread_mutex_unlock(&d->lock);
	for (int i = 0; i < d->nthreads; i++)
		pthread_join(d->threads[i], NULL);
	for (int i = 0; i < MAX_WORKERS; i++) {
		struct worker *w = &d->workers[i];

		if (w->curl)
			curl_easy_cleanup(w->curl);
		api_free(w->api);
		if (w->db.db)
			store_close(&w->db);
	}
	json_decref(d->last_sync);
	json_decref(d->ahead);
	if (d->notify_fd >= 0)
		close(d->notify_fd);
	pthread_cond_destroy(&d->wake);
	pthread_mutex_destroy(&d->lock);
	free(d);
}

void downloader_kick(struct downloader *d)
{
	pthread_mutex_lock(&d->lock);
	d->pause_until = 0;
	d->backoff_ms = 0;
	pthread_cond_broadcast(&d->wake);
	pthread_mutex_unlock(&d->lock);
}

void downloader_sync(struct downloader *d)
{
	pthread_mutex_lock(&d->lock);
	d->sync_wanted = true;
	d->pause_until = 0;
	pthread_cond_broadcast(&d->wake);
	pthread_mutex_unlock(&d->lock);
}

json_t *downloader_progress(struct downloader *d)
{
	json_t *active = json_array(), *o;

	pthread_mutex_lock(&d->lock);
	for (int i = 0; i < d->nthreads; i++)
		if (d->active[i].busy)
			json_array_append_new(active, json_pack("{s:s,s:s,s:I,s:I}", "id", d->active[i].id,
			                                        "name", d->active[i].name, "bytes",
			                                        (json_int_t)d->active[i].bytes, "done",
			                                        (json_int_t)d->active[i].done));
	/* A copy of the last sync: the daemon's thread serialises it while a sync replaces it. */
	o = json_pack("{s:o,s:b,s:b,s:o}", "active", active, "syncing", d->syncing || d->sync_wanted,
	              "waiting_network", clock_mono_ms() < d->pause_until,
	              "last_sync", d->last_sync ? json_deep_copy(d->last_sync) : json_null());
	pthread_mutex_unlock(&d->lock);
	return o;
}

int downloader_fd(struct downloader *d)
{
	return d->notify_fd;
}

void downloader_drain(struct downloader *d)
{
	uint64_t n;

	while (read(d->notify_fd, &n, sizeof n) == sizeof n)
		;
}

json_t *downloader_report(struct seg *s)
{
	struct store *db = seg_store(s);
	json_t *o = db ? offline_status(db, opt_int(&s->opt, OPT_OFFLINE_MAX_SIZE)) : NULL;

	if (o)
		json_object_set_new(o, "downloads", s->downloader ? downloader_progress(s->downloader) : json_null());
	return o;
}
