/* Desktop notifications of a new track (org.freedesktop.Notifications.Notify): the title, the
 * artists and album, and the album's cover as a local file, each replacing the last one.
 *
 * The cover comes from the art cache (artcache.h), whose fetch blocks on the network, so a
 * cover not yet on disk is fetched on a worker thread, which wakes the loop through an
 * eventfd; the notification then goes out from the loop (sd-bus is not shared between
 * threads), with the cover or, when it could not be had, without. Notify is called
 * asynchronously: its answer, the id to replace next time, comes through the bus later.
 * The server's capabilities are asked once, at start, for whether it reads markup in a
 * body (then names with & or < are escaped) or shows it as it is. */
#include "config.h"
#include "mpris_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "artcache.h"
#include "log.h"
#include "worker.h"

#define COVER_PX 640
#define COVER_TIMEOUT_MS 5000
#define NOTIFY_TIMEOUT_US (10 * 1000000ULL)
#define TEXT_MAX 512 /* a notification is a glance: longer titles are cut */
#define URL_MAX 1024

struct mpris_notify {
	struct mpris *m;
	uint32_t id;          /* the server's id of our last notification; 0: none */
	sd_bus_slot *call;    /* the Notify call under way, if any */
	sd_bus_slot *caps_call; /* the GetCapabilities call under way, if any */
	bool markup;          /* the server reads a body as markup (until it says, the common case) */
	int efd;              /* the worker -> the loop */
	struct worker w;
	bool worker_on;
	/* Under w.lock: the track waiting for its cover (summary, body, url), and the answer. */
	unsigned gen;         /* bumped by each track; a late cover for an older one is dropped */
	char summary[TEXT_MAX], body[TEXT_MAX], url[URL_MAX];
	bool job;             /* the worker has a url to fetch */
	bool done;            /* the worker finished gen's fetch: path (empty: no cover) */
	char path[4096];
	long long cache_max;  /* art_cache_max_size in bytes, read at start for the worker */
};

/* --- sending ---------------------------------------------------------------------------- */

static int on_reply(sd_bus_message *reply, void *ud, sd_bus_error *unused)
{
	struct mpris_notify *n = ud;
	const sd_bus_error *e = sd_bus_message_get_error(reply);
	uint32_t id;

	n->call = sd_bus_slot_unref(n->call);
	if (e) {
		log_info("mpris: no notification shown (%s)", e->message ? e->message : e->name);
		return 0;
	}
	if (sd_bus_message_read(reply, "u", &id) > 0)
		n->id = id;
	return 0;
}

static int on_caps(sd_bus_message *reply, void *ud, sd_bus_error *unused)
{
	struct mpris_notify *n = ud;
	const char *cap;
	bool markup = false;

	n->caps_call = sd_bus_slot_unref(n->caps_call);
	if (sd_bus_message_is_method_error(reply, NULL) ||
	    sd_bus_message_enter_container(reply, 'a', "s") < 0)
		return 0; /* no server yet: keep the common case */
	while (sd_bus_message_read(reply, "s", &cap) > 0)
		markup |= !strcmp(cap, "body-markup");
	n->markup = markup;
	return 0;
}

static int send_notify(struct mpris_notify *n, const char *summary, const char *body,
                       const char *cover)
{
	sd_bus_message *msg = NULL;
	char uri[4200];
	int r;

	if ((r = sd_bus_message_new_method_call(n->m->bus, &msg, "org.freedesktop.Notifications",
	                                        "/org/freedesktop/Notifications",
	                                        "org.freedesktop.Notifications", "Notify")) < 0 ||
	    (r = sd_bus_message_append(msg, "susss", "Segue", n->id, "", summary, body)) < 0 ||
	    (r = sd_bus_message_append(msg, "as", 0)) < 0 ||
	    (r = sd_bus_message_open_container(msg, 'a', "{sv}")) < 0 ||
	    (r = sd_bus_message_append(msg, "{sv}", "desktop-entry", "s", "segue")) < 0)
		goto out;
	if (cover && cover[0]) {
		snprintf(uri, sizeof uri, "file://%s", cover);
		if ((r = sd_bus_message_append(msg, "{sv}", "image-path", "s", uri)) < 0)
			goto out;
	}
	if ((r = sd_bus_message_close_container(msg)) < 0 ||
	    (r = sd_bus_message_append(msg, "i", -1)) < 0)
		goto out;
	/* One call at a time: a newer track's replaces the older's, whose answer is dropped. */
	n->call = sd_bus_slot_unref(n->call);
	r = sd_bus_call_async(n->m->bus, &n->call, msg, on_reply, n, NOTIFY_TIMEOUT_US);
out:
	if (r < 0)
		log_info("mpris: cannot ask for a notification: %s", strerror(-r));
	sd_bus_message_unref(msg);
	return r;
}

/* --- the text --------------------------------------------------------------------------- */

/* Appends s to out (size TEXT_MAX), with markup escaping what a server that reads a body as
 * markup (the spec's body-markup) would take for it; cut short on a whole character. */
static void put(char *out, const char *s, bool markup)
{
	size_t len = strlen(out);

	for (; s && *s && len + 6 < TEXT_MAX; s++) {
		const char *esc = NULL;

		if (markup)
			esc = *s == '&' ? "&amp;" : *s == '<' ? "&lt;" : *s == '>' ? "&gt;" : NULL;
		if (esc) {
			memcpy(out + len, esc, strlen(esc));
			len += strlen(esc);
		} else {
			out[len++] = *s;
		}
	}
	/* Cut on a character, not in the middle of one. */
	if (s && *s)
		while (len > 0 && ((unsigned char)out[len - 1] & 0xc0) == 0x80)
			len--;
	if (s && *s && len > 0 && ((unsigned char)out[len - 1] & 0x80))
		len--;
	out[len] = '\0';
}

/* "Artist, Artist — Album". */
static void body_of(json_t *item, char *out, bool markup)
{
	json_t *a;
	size_t i;

	out[0] = '\0';
	json_array_foreach(json_object_get(item, "artists"), i, a) {
		if (i)
			put(out, ", ", markup);
		put(out, json_string_value(json_object_get(a, "name")), markup);
	}
	if (json_string_value(json_object_get(json_object_get(item, "album"), "name"))) {
		if (out[0])
			put(out, " \xe2\x80\x94 ", markup);
		put(out, json_string_value(json_object_get(json_object_get(item, "album"), "name")), markup);
	}
}

/* --- the cover worker ------------------------------------------------------------------- */

static void *cover_main(void *arg)
{
	struct mpris_notify *n = arg;
	char url[URL_MAX], path[sizeof n->path];
	const char *cache = n->m->s->paths.cache_dir;

	pthread_mutex_lock(&n->w.lock);
	while (!atomic_load(&n->w.stop)) {
		unsigned gen;
		enum seg_err e;

		if (!n->job) {
			if (!worker_wait(&n->w, -1))
				break;
			continue;
		}
		n->job = false;
		gen = n->gen;
		snprintf(url, sizeof url, "%s", n->url);
		pthread_mutex_unlock(&n->w.lock);
		/* Given up at once when the daemon stops, rather than waiting out the server. */
		e = artcache_fetch_cancel(cache, url, COVER_TIMEOUT_MS, n->cache_max, &n->w.stop, path,
		                          sizeof path);
		if (e && !atomic_load(&n->w.stop))
			log_info("mpris: no cover for the notification: %s", seg_errmsg());
		pthread_mutex_lock(&n->w.lock);
		if (gen == n->gen) {
			snprintf(n->path, sizeof n->path, "%s", e ? "" : path);
			n->done = true;
			(void)!write(n->efd, &(uint64_t){ 1 }, sizeof(uint64_t));
		}
	}
	pthread_mutex_unlock(&n->w.lock);
	return NULL;
}

int mpris_notify_fd(struct mpris_notify *n)
{
	return n ? n->efd : -1;
}

void mpris_notify_dispatch(struct mpris_notify *n)
{
	char summary[TEXT_MAX], body[TEXT_MAX], path[sizeof n->path];
	uint64_t v;
	bool done;

	(void)!read(n->efd, &v, sizeof v);
	pthread_mutex_lock(&n->w.lock);
	done = n->done;
	n->done = false;
	memcpy(summary, n->summary, sizeof summary);
	memcpy(body, n->body, sizeof body);
	memcpy(path, n->path, sizeof path);
	pthread_mutex_unlock(&n->w.lock);
	if (done)
		send_notify(n, summary, body, path);
}

void mpris_notify_track(struct mpris_notify *n, json_t *item)
{
	const char *url = artcache_pick(json_object_get(json_object_get(item, "album"), "images"), COVER_PX);
	char summary[TEXT_MAX] = "", body[TEXT_MAX], path[sizeof n->path];
	bool cached = false;

	put(summary, json_string_value(json_object_get(item, "name")) ?: "?", false);
	body_of(item, body, n->markup);
	pthread_mutex_lock(&n->w.lock);
	n->gen++;
	n->job = n->done = false;
	pthread_mutex_unlock(&n->w.lock);
	if (url && artcache_path(n->m->s->paths.cache_dir, url, path, sizeof path) == SEG_OK)
		cached = access(path, R_OK) == 0;
	else
		url = NULL; /* none, or one the cache refuses */
	/* On disk already, or no cover to fetch: at once. */
	if (!url || cached || !n->worker_on || strlen(url) >= URL_MAX) {
		send_notify(n, summary, body, cached ? path : NULL);
		return;
	}
	pthread_mutex_lock(&n->w.lock);
	memcpy(n->summary, summary, sizeof summary);
	memcpy(n->body, body, sizeof body);
	snprintf(n->url, sizeof n->url, "%s", url);
	n->job = true;
	pthread_mutex_unlock(&n->w.lock);
	worker_wake(&n->w, false);
}

struct mpris_notify *mpris_notify_new(struct mpris *m)
{
	struct mpris_notify *n = calloc(1, sizeof *n);

	if (!n)
		return NULL;
	n->m = m;
	n->markup = true;
	n->cache_max = opt_int(&m->s->opt, OPT_ART_CACHE_MAX_SIZE) * ARTCACHE_MB;
	if ((n->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
		free(n);
		return NULL;
	}
	n->worker_on = worker_start(&n->w, 1, cover_main, n) == 0;
	if (!n->worker_on)
		log_warn("mpris: notifications will come without covers (no worker thread)");
	if (sd_bus_call_method_async(m->bus, &n->caps_call, "org.freedesktop.Notifications",
	                             "/org/freedesktop/Notifications", "org.freedesktop.Notifications",
	                             "GetCapabilities", on_caps, n, "") < 0)
		log_info("mpris: cannot ask the notification server what it shows");
	return n;
}

void mpris_notify_free(struct mpris_notify *n)
{
	if (!n)
		return;
	worker_stop(&n->w);
	sd_bus_slot_unref(n->call);
	sd_bus_slot_unref(n->caps_call);
	close(n->efd);
	free(n);
}
