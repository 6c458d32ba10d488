/* Several segue-server instances over one PostgreSQL database as one Connect hub
 * (doc/connect.md, Several instances; the tables are store/bus.h's).
 *
 * Each instance keeps its own sessions, as one process does, and a mirror of the rest: for
 * every user it has seen, the devices the other instances hold (struct hub_conn with
 * `remote`, here "remote devices": listed and commanded like any other, told nothing), and
 * the user's player state, which lives in the database (a row per user, versioned) so that
 * it outlives the instance that last held the active device; an instance writes the row only
 * over the version it last read, and weighs its change against a newer one (rebase). The
 * instances keep each other's mirrors up to date through one LISTEN/NOTIFY channel, whose
 * messages are small and say what changed (a device joined, changed or left; a user's state
 * is at version N; this message is for that device; this answer is for that instance's
 * command; a playlist changed; an instance is gone); a message over the notification's limit
 * travels as a parcel (a row) whose id the notification carries.
 *
 * So the hub's logic runs unchanged wherever the command or the transfer was asked for:
 * a command to a remote device is sent to its instance, which hands it to the session; the
 * device's answer carries the asking instance in its id ("h12@instance") and goes back
 * there, to the pending command that waits for it. Every instance writes its heartbeat; one
 * silent for connect_instance_timeout_ms is reaped by whichever instance sees it first, and
 * everyone drops its devices.
 *
 * The listening connection's socket is watched by the service loop (an ev_io beside lws's
 * watchers), so a notification is handled as it arrives; on the poll loop, which has no
 * such watchers, it is read every POLL_MS. Nothing here blocks but the database's own
 * statements, which the service loop runs everywhere. */
#include "config.h"
#include "connect/hub_internal.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connect/ws.h"
#include "log.h"
#include "store/bus.h"
#include "store/store.h"

#define POLL_MS 10
#define PARCEL_KEEP_MS 60000 /* a parcel is read within this long after it was sent */
#define INSTANCE_ID_LEN 16

struct hub_bus {
	struct hub *h;
	struct store_bus *listen;
	char instance[INSTANCE_ID_LEN + 1];
	char suffix[INSTANCE_ID_LEN + 2];   /* "@instance" */
	void *io;                           /* the loop's watcher of the socket, or NULL */
	int fd;
	lws_sorted_usec_list_t beat, flush, poll;
	struct hub_user *dirty;             /* users whose player row is to be written */
	bool applying;                      /* handling another instance's message */
	bool stopped;
};

struct remote {
	struct hub_conn c;                  /* first: a hub_conn's address is the remote's */
	char instance[40];
	bool seen;                          /* resync: still in the database */
};

static struct store *store_of(const struct hub_bus *b)
{
	return b->h->cfg.store;
}

const char *hub_bus_id_suffix(const struct hub *h)
{
	return h->bus ? h->bus->suffix : "";
}

/* ---- sending ---- */

/* Sends env (stolen) on the channel, as a parcel when it is too big; `to` (may be NULL)
 * names the one instance it is for, so that the others need not fetch the parcel. */
static void post(struct hub_bus *b, json_t *env, const char *to)
{
	char *text;
	long long id;

	json_object_set_new(env, "o", json_string(b->instance));
	text = json_dumps(env, JSON_COMPACT);
	json_decref(env);
	if (!text) {
		log_err("connect: out of memory for a message to the other instances");
		return;
	}
	if (strlen(text) <= STORE_BUS_PAYLOAD_MAX) {
		store_bus_notify(store_of(b), text);
	} else if (store_bus_parcel_put(store_of(b), text, &id) == 0) {
		json_t *small = json_pack("{s:s,s:I}", "o", b->instance, "r", (json_int_t)id);
		char *note;

		if (to)
			json_object_set_new(small, "i", json_string(to));
		if ((note = json_dumps(small, JSON_COMPACT)))
			store_bus_notify(store_of(b), note);
		free(note);
		json_decref(small);
	}
	free(text);
}

void hub_bus_send(struct hub *h, struct hub_conn *remote, const char *text, bool xfer_in)
{
	struct remote *r = (struct remote *)remote;

	if (!h->bus || h->bus->stopped || !remote->user)
		return;
	post(h->bus, json_pack("{s:s,s:s,s:s,s:s,s:s,s:b}", "k", "to", "i", r->instance, "u",
	                       remote->user->id, "d", remote->device_id, "m", text, "x", xfer_in),
	     r->instance);
}

static void flush_all(struct hub_bus *b);

/* A device of ours answered a command of another instance's. When it confirmed that
 * instance's transfer_in, it plays now: this instance makes it the active device and writes
 * the row before it passes the confirmation on, and says at which version. The transfer's
 * instance hears that row's notification first (one sender's notifications arrive in order)
 * and takes the row as it is, writing nothing (hub_bus_handed_over): one write a handover.
 * So the handover is in the row from the moment the device confirmed: a command without
 * device_id the device sends right after goes to it, and once the transfer's answer reaches
 * whoever asked, one sent through any instance does too. */
bool hub_bus_result(struct hub *h, struct hub_conn *c, json_t *m)
{
	const char *id = json_string_value(json_object_get(m, "id"));
	const char *at = id ? strrchr(id, '@') : NULL;
	struct hub_user *u = c->user;
	long long written = 0;

	if (!h->bus || h->bus->stopped || !at || !strcmp(at + 1, h->bus->instance) ||
	    strlen(at + 1) != INSTANCE_ID_LEN)
		return false;
	if (u->bus_xfer_in == c) {
		u->bus_xfer_in = NULL; /* it answered the transfer */
		if (json_is_true(json_object_get(m, "ok"))) {
			long long before = u->bus_version;

			hub_xfer_took_over(u, c, m, NULL);
			flush_all(h->bus);
			/* Written, or a newer row read that has it active already: the transfer's
			 * instance reads as far as that. Else (the write failed) it writes itself. */
			if (!u->bus_dirty && u->active == c && u->bus_version > before)
				written = u->bus_version;
		}
	}
	post(h->bus, json_pack("{s:s,s:s,s:s,s:s,s:O,s:I}", "k", "res", "i", at + 1, "u", u->id,
	                       "d", c->device_id, "m", m, "v", (json_int_t)written), at + 1);
	return true;
}

void hub_bus_playlist(struct hub *h, const char *text)
{
	if (h->bus && !h->bus->stopped)
		post(h->bus, json_pack("{s:s,s:s}", "k", "pl", "m", text), NULL);
}

void hub_bus_revoked(struct hub *h, const char *user_id)
{
	if (h->bus && !h->bus->stopped)
		post(h->bus, json_pack("{s:s,s:s}", "k", "revoke", "u", user_id), NULL);
}

/* ---- devices ---- */

void hub_bus_device_put(struct hub *h, struct hub_conn *c)
{
	struct hub_bus *b = h->bus;
	struct store_bus_device d;

	if (!b || b->stopped || !c->user)
		return;
	d = (struct store_bus_device){ c->user->id, c->device_id, b->instance, c->name, c->type, c->volume };
	store_bus_device_put(store_of(b), &d);
	post(b, json_pack("{s:s,s:s,s:s,s:s,s:s,s:i}", "k", "dev", "u", c->user->id, "d", c->device_id,
	                  "n", c->name, "t", c->type, "v", c->volume), NULL);
}

void hub_bus_device_drop(struct hub *h, const struct hub_user *u, const struct hub_conn *c)
{
	struct hub_bus *b = h->bus;

	if (!b || b->stopped)
		return;
	store_bus_device_drop(store_of(b), u->id, c->device_id, b->instance);
	post(b, json_pack("{s:s,s:s,s:s}", "k", "drop", "u", u->id, "d", c->device_id), NULL);
}

static struct hub_conn *remote_new(struct hub *h, struct hub_user *u, const char *instance,
                                   const char *id, const char *name, const char *type, int volume)
{
	struct remote *r = calloc(1, sizeof *r);
	size_t nl = strlen(name), tl = strlen(type);

	if (!r || !(r->c.name = malloc(nl + tl + 2))) {
		free(r);
		log_err("connect: out of memory for another instance's device");
		return NULL;
	}
	memcpy(r->c.name, name, nl + 1);
	r->c.type = r->c.name + nl + 1;
	memcpy(r->c.type, type, tl + 1);
	r->c.hub = h;
	r->c.user = u;
	r->c.hello = r->c.remote = true;
	snprintf(r->c.user_id, sizeof r->c.user_id, "%s", u->id);
	snprintf(r->c.device_id, sizeof r->c.device_id, "%s", id);
	snprintf(r->instance, sizeof r->instance, "%s", instance);
	r->c.volume = volume < 0 || volume > 100 ? 100 : volume;
	return &r->c;
}

void hub_bus_proxy_free(struct hub_conn *c)
{
	if (!c || !c->remote)
		return;
	free(c->name);
	free((struct remote *)c);
}

/* Another instance holds this device now (it joined there, changed, or moved there). */
static void remote_put(struct hub *h, struct hub_user *u, const char *instance, const char *id,
                       const char *name, const char *type, int volume)
{
	struct hub_conn *old = hub_device_find(u, id), *c;

	if (old && old->remote) {
		/* Changed in place: commands may be waiting on this device. */
		struct remote *r = (struct remote *)old;
		bool same = !strcmp(old->name, name) && !strcmp(old->type, type) && old->volume == volume;

		snprintf(r->instance, sizeof r->instance, "%s", instance);
		if (same)
			return;
		if (strcmp(old->name, name) || strcmp(old->type, type)) {
			size_t nl = strlen(name), tl = strlen(type);
			char *both = malloc(nl + tl + 2);

			if (!both) {
				log_err("connect: out of memory for another instance's device");
				return;
			}
			memcpy(both, name, nl + 1);
			memcpy(both + nl + 1, type, tl + 1);
			free(old->name);
			old->name = both;
			old->type = both + nl + 1;
		}
		old->volume = volume < 0 || volume > 100 ? 100 : volume;
		hub_devices_changed(u, old, NULL);
		return;
	}
	if (!(c = remote_new(h, u, instance, id, name, type, volume)))
		return;
	hub_device_link(u, c, old);
	if (old) {
		/* A session of ours for this device: the device reconnected through another
		 * instance, whose session takes over, as a second session does within one. */
		hub_conn_detach(h, old, c);
		ws_close(old, WS_CLOSE_REPLACED, "replaced by a newer session of this device");
		hub_devices_changed(u, c, NULL);
	} else {
		hub_devices_added(u, c, NULL);
	}
	if (!strcmp(id, u->bus_unheard)) {
		/* The row had it active before its announcement reached this instance. */
		u->bus_unheard[0] = '\0';
		if (!u->active) {
			hub_active_set(u, c);
			hub_broadcast_player(u, false);
		}
	}
}

static void remote_drop(struct hub *h, struct hub_user *u, const char *instance, const char *id)
{
	struct hub_conn *c = hub_device_find(u, id);

	if (!c || !c->remote || strcmp(((struct remote *)c)->instance, instance))
		return; /* it is held elsewhere now */
	hub_conn_detach(h, c, NULL);
	hub_bus_proxy_free(c);
}

/* Every device of a silent instance leaves. persist: this instance reaped it, and writes
 * the states of the users whose active device went (paused where they were). */
static void instance_gone(struct hub_bus *b, const char *instance, bool persist)
{
	struct hub *h = b->h;

	for (size_t k = 0; k < USER_BUCKETS; k++)
		for (struct hub_user *u = h->buckets[k]; u; u = u->next) {
			bool active_went = false;
			char about[sizeof u->bus_about];

			for (struct hub_conn *c = u->conns, *next; c; c = next) {
				next = c->next;
				if (c->remote && !strcmp(((struct remote *)c)->instance, instance)) {
					if (u->active == c) {
						active_went = true;
						snprintf(about, sizeof about, "%s", c->device_id);
					}
					remote_drop(h, u, instance, c->device_id);
				}
			}
			if (active_went && persist) {
				b->applying = false;
				/* A report of the device that went: moot if another instance moved
				 * playback meanwhile. */
				if (u->bus_change == HC_NONE) {
					u->bus_change = HC_REPORT;
					snprintf(u->bus_about, sizeof u->bus_about, "%s", about);
					u->bus_displaced[0] = '\0';
				}
				hub_bus_player_changed(h, u);
				b->applying = true;
			}
		}
}

/* This instance was taken for dead (its heart stalled past the timeout: a loop held up, a
 * database that did not answer) and its devices dropped: they are announced again. */
static void reannounce(struct hub_bus *b)
{
	struct hub *h = b->h;

	log_warn("connect: the other instances took this one for dead; announcing its devices again");
	/* Its heart first: the row the others dropped is back before its devices are. */
	store_bus_beat(store_of(b), b->instance, store_now_ms());
	b->applying = false;
	for (size_t k = 0; k < USER_BUCKETS; k++)
		for (struct hub_user *u = h->buckets[k]; u; u = u->next)
			for (struct hub_conn *c = u->conns; c; c = c->next)
				if (hub_told(c) && !c->observer)
					hub_bus_device_put(h, c);
	b->applying = true;
}

static void add_remote(void *ud, const struct store_bus_device *d)
{
	struct hub_user *u = ud;
	struct hub_conn *c;

	if (hub_device_find(u, d->device_id))
		return;
	if ((c = remote_new(u->hub, u, d->instance, d->device_id, d->name, d->type, d->volume)))
		hub_device_link(u, c, NULL);
}

/* ---- player states ---- */

#define WRITE_TRIES 4 /* a change that meets this many newer rows in a row gives way */

/* What a newer row says beside what u takes from it. */
struct row_seen {
	char active[72];     /* the active device's id ("": none), known here or not */
	bool queue_changed;
};

/* Reads u's row into u when it is newer than the version u has: its versions, state, the
 * queue when that moved, who changed it. The active device is left to the caller. 1 read,
 * 0 nothing newer, -1 (logged). */
static int row_take(struct hub_bus *b, struct hub_user *u, struct row_seen *seen)
{
	struct store_bus_player p;
	json_t *state = NULL, *queue = NULL;
	int rc = store_bus_player_get(store_of(b), u->id, u->bus_version, u->bus_queue_version, &p);

	if (rc == 0)
		u->bus_unsure = false;
	if (rc != 1)
		return rc;
	if ((p.state && !(state = json_loads(p.state, 0, NULL))) ||
	    (p.queue && !(queue = json_loads(p.queue, 0, NULL)))) {
		log_err("connect: the player state of %s in the database cannot be read", u->id);
		json_decref(state);
		json_decref(queue);
		rc = -1;
		goto out;
	}
	seen->queue_changed = p.queue_version != u->bus_queue_version;
	snprintf(seen->active, sizeof seen->active, "%s", p.active);
	u->bus_version = p.version;
	json_decref(u->state);
	u->state = state;
	if (seen->queue_changed) {
		u->bus_queue_version = p.queue_version;
		json_decref(u->queue);
		u->queue = queue;
		json_decref(u->bus_queue_sent);
		u->bus_queue_sent = json_incref(queue);
	}
	if (p.changed_by[0])
		hub_state_changed_by(u, p.changed_by);
	u->changed_at = p.changed_at;
	u->bus_unsure = false;
out:
	free(p.state);
	free(p.queue);
	return rc;
}

/* The device the row has active (id; "": none) as this instance knows it: NULL for none,
 * and for one it has not heard of yet, whose id is kept until it is announced or the row
 * moves on. */
static struct hub_conn *row_device(struct hub_user *u, const char *id)
{
	struct hub_conn *c = id[0] ? hub_device_find(u, id) : NULL;

	snprintf(u->bus_unheard, sizeof u->bus_unheard, "%s", id[0] && !c ? id : "");
	return c;
}

/* Reads u's row when it is newer than what u has; tell: u's sessions hear of it. A change of
 * this instance's waiting to be written is not read over: its write meets the newer row and
 * weighs it (rebase). Returns row_take's answer (0 also when a change waits). */
static int player_load(struct hub_bus *b, struct hub_user *u, bool tell)
{
	struct row_seen seen;
	struct hub_conn *active;
	int rc;

	if (u->bus_dirty || (rc = row_take(b, u, &seen)) != 1)
		return u->bus_dirty ? 0 : rc;
	active = row_device(u, seen.active);
	if (tell) {
		hub_active_set(u, active);
		hub_broadcast_player(u, seen.queue_changed);
	} else {
		u->active = active;
	}
	return 1;
}

void hub_bus_user_load(struct hub *h, struct hub_user *u)
{
	struct hub_bus *b = h->bus;

	if (!b)
		return;
	u->bus_queue_version = -1; /* no queue read yet */
	b->applying = true;
	store_bus_devices_each(store_of(b), u->id, b->instance, add_remote, u);
	player_load(b, u, false);
	b->applying = false;
}

/* Writes u's state over the version u last read or wrote: 1 written (and the others told),
 * 0 another instance wrote meanwhile (nothing was), -1 failed (logged). */
static int row_put(struct hub_bus *b, struct hub_user *u)
{
	struct store_bus_player p = { 0 };
	bool with_queue = u->queue != u->bus_queue_sent;
	char note[160];
	int rc = -1;

	p.state = u->state ? json_dumps(u->state, JSON_COMPACT) : NULL;
	p.queue = with_queue && u->queue ? json_dumps(u->queue, JSON_COMPACT) : NULL;
	if ((u->state && !p.state) || (with_queue && u->queue && !p.queue)) {
		log_err("connect: out of memory writing the player state of %s", u->id);
		goto out;
	}
	snprintf(p.active, sizeof p.active, "%s", u->active ? u->active->device_id : "");
	p.changed_at = u->changed_at;
	snprintf(p.changed_by, sizeof p.changed_by, "%s", u->changed_by ? u->changed_by : "");
	if ((rc = store_bus_player_put(store_of(b), u->id, &p, with_queue, u->bus_version)) != 1)
		goto out;
	u->bus_version = p.version;
	u->bus_unheard[0] = '\0'; /* the row has this instance's active device now */
	if (with_queue) {
		u->bus_queue_version = p.queue_version;
		json_decref(u->bus_queue_sent);
		u->bus_queue_sent = json_incref(u->queue);
	}
	/* Built by hand: this is every state change's one notification. */
	snprintf(note, sizeof note, "{\"k\":\"player\",\"o\":\"%s\",\"u\":\"%s\",\"v\":%lld}",
	         b->instance, u->id, p.version);
	store_bus_notify(store_of(b), note);
out:
	free(p.state);
	free(p.queue);
	return rc;
}

/* This instance's change, kept aside while a newer row is read into u. */
struct mine {
	json_t *state, *queue;       /* references; queue NULL when the change left it */
	struct hub_conn *active;
	char *changed_by;
	long long changed_at;
};

/* A write of u's met another version than u's: the newer row is read into u. The mirror
 * follows the row on every path. When the row has no version newer than u's (it went back:
 * deleted and made anew, a database restored), it is read whole; when it cannot be read,
 * u's versions are dropped, so that the next read (the next routing by the active device,
 * notification or write) takes it whole; until then u keeps what its sessions were told.
 * 1: read into u (seen says what beside); else the change is not written (logged). */
static int row_reread(struct hub_bus *b, struct hub_user *u, struct row_seen *seen)
{
	int rc = row_take(b, u, seen);

	if (rc == 0) {
		log_warn("connect: the player state of %s in the database went back to an older"
		         " version than this instance's: it is read anew", u->id);
		u->bus_version = u->bus_queue_version = -1;
		rc = row_take(b, u, seen);
	}
	if (rc != 1) {
		log_warn("connect: the player state of %s could not be written, nor the newer one"
		         " read: it is read again before it is next used", u->id);
		u->bus_version = u->bus_queue_version = -1;
		u->bus_unsure = true;
	}
	return rc;
}

/* A device that the row has active is told to stop: through the mirror when this instance
 * knows the device, else by its id to every instance, and the one that holds it tells it
 * (its announcement may not have reached this instance yet). */
static void stop_device(struct hub_bus *b, struct hub_user *u, const char *device_id)
{
	struct hub_conn *c = hub_device_find(u, device_id);

	if (c)
		hub_send_stop(b->h, c);
	else
		post(b, json_pack("{s:s,s:s,s:s}", "k", "stop", "u", u->id, "d", device_id), NULL);
}

/* This instance's change gives way to the row read into u (seen): a queue of the change's,
 * not written (queue_unwritten), goes back to the last one written or read, the row's active
 * device is taken, and u's sessions, told of the change, are told of the row. Whatever gives
 * way (a moot change, one that met newer rows WRITE_TRIES times) comes here, so that no later
 * write carries any of it. */
static void give_way(struct hub_bus *b, struct hub_user *u, const struct row_seen *seen,
                     bool queue_unwritten)
{
	bool was = b->applying;

	b->applying = true;
	if (queue_unwritten && !seen->queue_changed) {
		json_decref(u->queue);
		u->queue = json_incref(u->bus_queue_sent);
	}
	hub_active_set(u, row_device(u, seen->active));
	hub_broadcast_player(u, seen->queue_changed || queue_unwritten);
	b->applying = was;
}

static void mine_free(struct mine *m)
{
	json_decref(m->state);
	json_decref(m->queue);
	free(m->changed_by);
}

/* Another instance wrote u's row since this one last read or wrote it: the newer row is read,
 * and this instance's change weighed against it (doc/connect.md, Several instances, "Which
 * change holds"):
 * - a report (a device's state while it is the active one, its leaving, a state taken when
 *   nothing played) holds only while the newer row has the same active device (or none,
 *   again): else playback moved on meanwhile, and what it said is moot;
 * - a move (a device pressed play, a transfer this instance ran) holds unless the newer row
 *   already has that device active (another instance put it there, with the device's own
 *   later word); the device the newer row had playing is told to stop;
 * - a saved play queue holds whatever the newer row says, and stops its device likewise.
 * True: u holds the change again, over the newer version, to be written. False: u and its
 * sessions have the newer row (or, when it could not be read, u's versions are dropped). */
static bool rebase(struct hub_bus *b, struct hub_user *u)
{
	struct mine m = {
		json_incref(u->state), u->queue != u->bus_queue_sent ? json_incref(u->queue) : NULL,
		u->active, u->changed_by ? strdup(u->changed_by) : NULL, u->changed_at,
	};
	const char *mine_active = m.active ? m.active->device_id : "";
	struct row_seen seen;
	bool keep, was = b->applying;

	if (row_reread(b, u, &seen) != 1) {
		mine_free(&m);
		return false;
	}
	switch (u->bus_change) {
	case HC_SAVE:
		keep = true;
		break;
	case HC_MOVE:
		/* (A device that moved playback to itself and left at once leaves nothing.) */
		keep = m.active && strcmp(seen.active, mine_active) != 0;
		break;
	default:
		keep = !strcmp(seen.active, u->bus_about);
		break;
	}
	log_debug("connect: the player state of %s was written meanwhile by another instance"
	          " (version %lld): this change %s", u->id, u->bus_version,
	          keep ? "holds over it" : "is moot, and gives way to it");
	if (!keep) {
		give_way(b, u, &seen, m.queue != NULL);
		mine_free(&m);
		return false;
	}
	b->applying = true;
	if (u->bus_change >= HC_MOVE && seen.active[0] && strcmp(seen.active, mine_active) &&
	    strcmp(seen.active, u->bus_displaced))
		stop_device(b, u, seen.active);
	json_decref(u->state);
	u->state = m.state;
	if (m.queue) {
		json_decref(u->queue);
		u->queue = m.queue;
	}
	u->active = m.active;
	u->bus_unheard[0] = '\0';
	free(u->changed_by);
	u->changed_by = m.changed_by;
	u->changed_at = m.changed_at;
	/* The sessions have this instance's state; the queue they have is the newer one's
	 * when this change left it. */
	if (seen.queue_changed && !m.queue)
		hub_broadcast_player(u, true);
	b->applying = was;
	return true;
}

static void flush_user(struct hub_bus *b, struct hub_user *u)
{
	for (int tries = 1; row_put(b, u) == 0; tries++) {
		if (tries == WRITE_TRIES) {
			bool queue_unwritten = u->queue != u->bus_queue_sent;
			struct row_seen seen;

			log_warn("connect: the player state of %s was newer %d times in a row: this"
			         " instance's change gives way", u->id, tries);
			if (row_reread(b, u, &seen) == 1)
				give_way(b, u, &seen, queue_unwritten);
			break;
		}
		if (!rebase(b, u))
			break;
	}
	u->bus_change = HC_NONE;
}

static void flush_all(struct hub_bus *b)
{
	while (b->dirty) {
		struct hub_user *u = b->dirty;

		b->dirty = u->bus_next;
		u->bus_next = NULL;
		u->bus_dirty = false;
		flush_user(b, u);
	}
}

static void on_flush(lws_sorted_usec_list_t *sul)
{
	flush_all(lws_container_of(sul, struct hub_bus, flush));
}

void hub_bus_flush(struct hub *h)
{
	if (h->bus && !h->bus->stopped)
		flush_all(h->bus);
}

void hub_bus_note(struct hub_user *u, enum hub_change kind, const struct hub_conn *about)
{
	struct hub_bus *b = u->hub->bus;

	/* The first note of a kind stands until the write: it is what the change rested on. */
	if (!b || b->applying || b->stopped || kind <= u->bus_change)
		return;
	u->bus_change = kind;
	snprintf(u->bus_about, sizeof u->bus_about, "%s", about ? about->device_id : "");
	snprintf(u->bus_displaced, sizeof u->bus_displaced, "%s", u->active ? u->active->device_id : "");
	if (kind >= HC_MOVE && !u->active && u->bus_unheard[0]) {
		/* The row has a device active that this instance has not heard of: the move
		 * displaces it, and only its id can tell it to stop. */
		snprintf(u->bus_displaced, sizeof u->bus_displaced, "%s", u->bus_unheard);
		stop_device(b, u, u->bus_unheard);
		u->bus_unheard[0] = '\0';
	}
}

/* Written when the loop comes back from what it is doing: a change is often several steps
 * (the active device, then the state), and makes one write and one notification. */
void hub_bus_player_changed(struct hub *h, struct hub_user *u)
{
	struct hub_bus *b = h ? h->bus : NULL;

	if (!b || b->applying || b->stopped || u->bus_dirty)
		return;
	if (u->bus_change == HC_NONE)
		hub_bus_note(u, HC_REPORT, u->active); /* a change of the state alone */
	u->bus_dirty = true;
	u->bus_next = b->dirty;
	b->dirty = u;
	lws_sul_schedule(h->cfg.lws, 0, &b->flush, on_flush, 1);
}

static bool has_remote(const struct hub_user *u)
{
	for (const struct hub_conn *c = u->conns; c; c = c->next)
		if (c->remote)
			return true;
	return false;
}

/* The row is read only when another instance may have moved playback without this one
 * knowing yet. While this instance holds every device of the user that it knows of, and no
 * other instance commanded one of them since its last read (bus_unsure), the active device
 * is one of its own or none, and every way another instance changes which: a transfer (its
 * transfer_in passes through here, and this instance writes the handover), a device of the
 * user's there (announced before it plays: once this instance has heard of it, it reads), a
 * play queue saved there (its stop to the device playing passes through here), shows here
 * first. A device announced there that has not reached this instance yet and claims playback
 * is the one thing left: a change of this instance's then meets its row, and the move stops
 * it by its id (stop_device). */
void hub_bus_refresh(struct hub *h, struct hub_user *u)
{
	struct hub_bus *b = h->bus;
	bool was;

	if (!b || b->stopped)
		return;
	if (u->bus_dirty) {
		/* A change of this instance's own is waiting: its write meets a newer row, if
		 * there is one, and reads it. */
		flush_all(b);
		return;
	}
	if (!u->bus_unsure && !has_remote(u))
		return;
	was = b->applying;
	b->applying = true;
	player_load(b, u, true);
	b->applying = was;
}

bool hub_bus_handed_over(struct hub *h, struct hub_user *u, const struct hub_conn *target)
{
	struct hub_bus *b = h->bus;
	long long v = u->bus_handed;
	bool was;

	if (!b || b->stopped || !target->remote || v <= 0)
		return false;
	if (u->bus_dirty) {
		flush_all(b); /* a change of this instance's meets the handover's row, or a newer */
	} else if (u->bus_version < v) {
		/* Its notification is on the way still (or was read over): the row is read. */
		was = b->applying;
		b->applying = true;
		player_load(b, u, true);
		b->applying = was;
	}
	return true;
}

/* ---- what the other instances say ---- */

static void apply(struct hub_bus *b, json_t *env)
{
	struct hub *h = b->h;
	const char *k = json_string_value(json_object_get(env, "k"));
	const char *inst = json_string_value(json_object_get(env, "i"));
	const char *uid = json_string_value(json_object_get(env, "u"));
	const char *dev = json_string_value(json_object_get(env, "d"));
	const char *origin = json_string_value(json_object_get(env, "o"));
	json_t *m = json_object_get(env, "m");
	struct hub_user *u = uid ? hub_user_find(h, uid) : NULL;
	struct hub_conn *c;

	if (!k)
		return;
	/* What another instance changed and wrote is mirrored here, not written again
	 * (applying); what follows from a message for this instance (a command to hand to a
	 * session, an answer to a command of ours) is this instance's own doing, and is. A user
	 * this instance has not seen is read whole when it is (hub_bus_user_load). */
	b->applying = !strcmp(k, "dev") || !strcmp(k, "drop") || !strcmp(k, "player") || !strcmp(k, "gone");
	if (!strcmp(k, "dev") && u && dev && origin) {
		const char *name = json_string_value(json_object_get(env, "n"));
		const char *type = json_string_value(json_object_get(env, "t"));

		if (name && type && hub_device_id_ok(dev))
			remote_put(h, u, origin, dev, name, type, (int)hub_int_member(env, "v", 100));
	} else if (!strcmp(k, "drop") && u && dev && origin) {
		remote_drop(h, u, origin, dev);
	} else if (!strcmp(k, "player") && u) {
		if (hub_int_member(env, "v", 0) > u->bus_version)
			player_load(b, u, true);
	} else if (!strcmp(k, "to") && u && dev && json_is_string(m) && inst && !strcmp(inst, b->instance)) {
		u->bus_unsure = true; /* another instance acts on the user's playback */
		if ((c = hub_device_find(u, dev)) && !c->remote) {
			if (json_is_true(json_object_get(env, "x")))
				u->bus_xfer_in = c;
			ws_send(c, json_string_value(m), json_string_length(m));
		}
	} else if (!strcmp(k, "res") && u && dev && json_is_object(m) && inst && !strcmp(inst, b->instance)) {
		if ((c = hub_device_find(u, dev)) && c->remote) {
			u->bus_handed = hub_int_member(env, "v", 0);
			hub_on_result(h, c, m);
			u->bus_handed = 0;
		}
	} else if (!strcmp(k, "stop") && u && dev) {
		/* A move of another instance's displaced this device, which it did not know. */
		u->bus_unsure = true;
		if ((c = hub_device_find(u, dev)) && !c->remote)
			hub_send_stop(h, c);
	} else if (!strcmp(k, "gone") && inst && !strcmp(inst, b->instance)) {
		reannounce(b);
	} else if (!strcmp(k, "gone") && inst) {
		instance_gone(b, inst, false);
	} else if (!strcmp(k, "pl") && json_is_string(m)) {
		json_t *pm = json_loads(json_string_value(m), 0, NULL);
		const char *pid = json_string_value(json_object_get(pm, "playlist_id"));

		if (pid)
			hub_playlist_tell(h, pid, json_string_value(m), json_string_length(m));
		json_decref(pm);
	} else if (!strcmp(k, "revoke") && u) {
		hub_tokens_check(h, uid);
	}
	b->applying = false;
}

static void on_note(void *ud, const char *payload)
{
	struct hub_bus *b = ud;
	json_t *env = json_loads(payload, 0, NULL);
	const char *origin = json_string_value(json_object_get(env, "o"));
	const char *to = json_string_value(json_object_get(env, "i"));
	json_t *parcel = json_object_get(env, "r");

	if (!origin || !strcmp(origin, b->instance))
		goto out; /* ours: done here already */
	if (json_is_integer(parcel)) {
		char *body = NULL;

		if (to && strcmp(to, b->instance))
			goto out;
		if (store_bus_parcel_get(store_of(b), json_integer_value(parcel), &body) != 1) {
			log_warn("connect: a message from instance %s is lost (its parcel is gone)", origin);
			goto out;
		}
		json_decref(env);
		env = json_loads(body, 0, NULL);
		free(body);
		if (!env)
			return;
	}
	apply(b, env);
out:
	json_decref(env);
}

static void resync_device(void *ud, const struct store_bus_device *d)
{
	struct hub_user *u = ud;
	struct hub_conn *c;

	remote_put(u->hub, u, d->instance, d->device_id, d->name, d->type, d->volume);
	if ((c = hub_device_find(u, d->device_id)) && c->remote)
		((struct remote *)c)->seen = true;
}

/* The listening connection was made again: what was said meanwhile is lost, so every
 * mirror is brought to what the database says, its sessions told of the differences. */
static void resync(struct hub_bus *b)
{
	struct hub *h = b->h;

	b->applying = true;
	for (size_t k = 0; k < USER_BUCKETS; k++)
		for (struct hub_user *u = h->buckets[k]; u; u = u->next) {
			for (struct hub_conn *c = u->conns; c; c = c->next)
				if (c->remote)
					((struct remote *)c)->seen = false;
			if (store_bus_devices_each(store_of(b), u->id, b->instance, resync_device, u) < 0)
				continue;
			for (struct hub_conn *c = u->conns, *next; c; c = next) {
				next = c->next;
				if (c->remote && !((struct remote *)c)->seen) {
					hub_conn_detach(h, c, NULL);
					hub_bus_proxy_free(c);
				}
			}
			player_load(b, u, true);
		}
	b->applying = false;
}

static void watch_socket(struct hub_bus *b);

static void on_readable(void *arg)
{
	struct hub_bus *b = arg;

	int rc;

	if (b->stopped)
		return;
	rc = store_bus_read(b->listen, on_note, b);
	if (rc == 1) {
		log_info("connect: listening to the other instances again");
		watch_socket(b);
		resync(b);
	} else if (rc < 0 && b->fd >= 0) {
		/* Tried again at each heartbeat, not at each wake-up: connecting blocks. */
		if (b->io && b->h->cfg.read_stop)
			b->h->cfg.read_stop(b->h->cfg.loop, b->io);
		b->io = NULL;
		b->fd = -1;
	}
}

static void on_poll(lws_sorted_usec_list_t *sul)
{
	struct hub_bus *b = lws_container_of(sul, struct hub_bus, poll);

	if (b->fd >= 0)
		on_readable(b);
	if (!b->stopped)
		lws_sul_schedule(b->h->cfg.lws, 0, &b->poll, on_poll, (lws_usec_t)POLL_MS * LWS_US_PER_MS);
}

static void watch_socket(struct hub_bus *b)
{
	const struct hub_config *cfg = &b->h->cfg;

	if (b->io && cfg->read_stop)
		cfg->read_stop(cfg->loop, b->io);
	b->io = NULL;
	b->fd = store_bus_fd(b->listen);
	if (b->fd >= 0 && cfg->read_start)
		b->io = cfg->read_start(cfg->loop, b->fd, on_readable, b);
	if (!b->io && !b->poll.list.owner)
		lws_sul_schedule(cfg->lws, 0, &b->poll, on_poll, (lws_usec_t)POLL_MS * LWS_US_PER_MS);
}

/* ---- instances ---- */

static void on_dead(void *ud, const char *instance)
{
	struct hub_bus *b = ud;

	log_info("connect: instance %s is silent: its devices leave", instance);
	post(b, json_pack("{s:s,s:s}", "k", "gone", "i", instance), NULL);
	b->applying = true;
	instance_gone(b, instance, true);
	b->applying = false;
}

static long beat_ms(const struct hub *h)
{
	long ms = h->cfg.instance_timeout_ms / 4;

	return ms < 50 ? 50 : ms;
}

static void on_beat(lws_sorted_usec_list_t *sul)
{
	struct hub_bus *b = lws_container_of(sul, struct hub_bus, beat);
	long long now = store_now_ms();

	store_bus_beat(store_of(b), b->instance, now);
	store_bus_reap(store_of(b), now - b->h->cfg.instance_timeout_ms, on_dead, b);
	store_bus_parcels_purge(store_of(b), now - PARCEL_KEEP_MS);
	if (b->fd < 0)
		on_readable(b); /* the listening connection was lost: try it again */
	lws_sul_schedule(b->h->cfg.lws, 0, &b->beat, on_beat, (lws_usec_t)beat_ms(b->h) * LWS_US_PER_MS);
}

int hub_bus_start(struct hub *h)
{
	struct hub_bus *b = calloc(1, sizeof *b);
	unsigned char raw[INSTANCE_ID_LEN / 2];
	char err[512];

	if (!b) {
		log_err("connect: out of memory");
		return -1;
	}
	b->h = h;
	b->fd = -1;
	randombytes_buf(raw, sizeof raw);
	for (size_t i = 0; i < sizeof raw; i++)
		snprintf(b->instance + 2 * i, 3, "%02x", raw[i]);
	snprintf(b->suffix, sizeof b->suffix, "@%s", b->instance);
	if (!(b->listen = store_bus_listen(h->cfg.bus_url, err, sizeof err))) {
		log_err("connect: cannot listen for the other instances: %s", err);
		free(b);
		return -1;
	}
	h->bus = b;
	if (store_bus_beat(store_of(b), b->instance, store_now_ms()) < 0) {
		hub_bus_free(h);
		return -1;
	}
	/* Instances that died while none was running are dropped before any user is read in,
	 * so that their devices are never listed. */
	store_bus_reap(store_of(b), store_now_ms() - h->cfg.instance_timeout_ms, on_dead, b);
	watch_socket(b);
	lws_sul_schedule(h->cfg.lws, 0, &b->beat, on_beat, (lws_usec_t)beat_ms(h) * LWS_US_PER_MS);
	log_info("connect: instance %s, with the others through PostgreSQL", b->instance);
	return 0;
}

void hub_bus_stop(struct hub *h)
{
	struct hub_bus *b = h->bus;

	if (!b || b->stopped)
		return;
	/* The devices that play here stop with it: their users' states are kept paused where
	 * they are, as when a device leaves, for the instance they come back through. */
	for (size_t k = 0; k < USER_BUCKETS; k++)
		for (struct hub_user *u = h->buckets[k]; u; u = u->next)
			if (u->active && !u->active->remote) {
				hub_bus_note(u, HC_REPORT, u->active);
				u->active = NULL;
				if (u->state) {
					json_object_set_new(u->state, "progress_ms", json_integer(hub_now_position(u->state)));
					json_object_set_new(u->state, "timestamp", json_integer(store_now_ms()));
					json_object_set_new(u->state, "is_playing", json_false());
				}
				hub_bus_player_changed(h, u);
			}
	flush_all(b);
	b->stopped = true;
	lws_sul_cancel(&b->beat);
	lws_sul_cancel(&b->flush);
	lws_sul_cancel(&b->poll);
	if (b->io && h->cfg.read_stop)
		h->cfg.read_stop(h->cfg.loop, b->io);
	b->io = NULL;
	/* The others drop this instance's devices now rather than when its heart is silent. */
	store_bus_leave(store_of(b), b->instance);
	post(b, json_pack("{s:s,s:s}", "k", "gone", "i", b->instance), NULL);
}

void hub_bus_free(struct hub *h)
{
	struct hub_bus *b = h->bus;

	if (!b)
		return;
	if (b->io && h->cfg.read_stop)
		h->cfg.read_stop(h->cfg.loop, b->io);
	store_bus_close(b->listen);
	free(b);
	h->bus = NULL;
}

void hub_bus_user_free(struct hub_user *u)
{
	/* The sessions of this process are gone (closed with the loop); the remote devices
	 * are the hub's. */
	for (struct hub_conn *c = u->conns, *next; c; c = next) {
		next = c->next;
		hub_bus_proxy_free(c);
	}
	json_decref(u->bus_queue_sent);
}
