/* The Connect hub's shared state on PostgreSQL (store/bus.h): the channel, instances,
 * devices, player states and parcels (migration 21). */
#include "config.h"
#include "store/bus.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store/pg.h"
#include "store/store_db.h"

#define CHANNEL "segue_connect"

struct store_bus {
	struct pg_conn *pg;
};

/* ---- the listening connection ---- */

struct store_bus *store_bus_listen(const char *url, char *err, size_t errlen)
{
	struct store_bus *b = calloc(1, sizeof *b);

	if (!b) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (!(b->pg = pg_open(url, err, errlen)))
		goto fail;
	if (pg_exec(b->pg, "LISTEN " CHANNEL) < 0) {
		snprintf(err, errlen, "PostgreSQL: LISTEN: %s", pg_errmsg(b->pg));
		goto fail;
	}
	return b;
fail:
	store_bus_close(b);
	return NULL;
}

void store_bus_close(struct store_bus *b)
{
	if (!b)
		return;
	pg_close(b->pg);
	free(b);
}

int store_bus_fd(struct store_bus *b)
{
	return pg_socket(b->pg);
}

int store_bus_read(struct store_bus *b, void (*fn)(void *ud, const char *payload), void *ud)
{
	if (pg_notifications(b->pg, fn, ud) == 0)
		return 0;
	log_warn("connect: the listening connection to PostgreSQL was lost (%s); connecting again",
	         pg_errmsg(b->pg));
	if (pg_reconnect(b->pg) < 0 || pg_exec(b->pg, "LISTEN " CHANNEL) < 0) {
		log_err("connect: cannot listen again: %s", pg_errmsg(b->pg));
		return -1;
	}
	return 1;
}

/* ---- notifications and parcels ---- */

int store_bus_notify(struct store *s, const char *payload)
{
	struct db_stmt *st = store_stmt(s, "SELECT pg_notify('" CHANNEL "', ?)");

	if (!st)
		return -1;
	db_bind_text(st, 1, payload);
	return store_one(s, st, "sending a Connect notification", NULL, NULL) < 0 ? -1 : 0;
}

int store_bus_parcel_put(struct store *s, const char *body, long long *id)
{
	struct db_stmt *st = store_stmt(s, "INSERT INTO connect_parcels (created_at, body) VALUES (?, ?) RETURNING id");

	if (!st)
		return -1;
	db_bind_int64(st, 1, store_now_ms());
	db_bind_text(st, 2, body);
	return store_one_int64(s, st, "keeping a Connect parcel", id) == 1 ? 0 : -1;
}

static void fill_body(struct db_stmt *st, void *out)
{
	*(char **)out = strdup(db_col_text(st, 0));
}

int store_bus_parcel_get(struct store *s, long long id, char **body)
{
	struct db_stmt *st = store_stmt(s, "SELECT body FROM connect_parcels WHERE id = ?");
	int rc;

	*body = NULL;
	if (!st)
		return -1;
	db_bind_int64(st, 1, id);
	rc = store_one(s, st, "reading a Connect parcel", fill_body, body);
	if (rc == 1 && !*body)
		return -1;
	return rc;
}

int store_bus_parcels_purge(struct store *s, long long before)
{
	struct db_stmt *st = store_stmt(s, "DELETE FROM connect_parcels WHERE created_at < ?");

	if (!st)
		return -1;
	db_bind_int64(st, 1, before);
	return store_done(s, st, "dropping old Connect parcels");
}

/* ---- instances ---- */

int store_bus_beat(struct store *s, const char *instance, long long now)
{
	struct db_stmt *st = store_stmt(s, "INSERT INTO connect_instances (id, beat_at) VALUES (?1, ?2)"
	                                   " ON CONFLICT (id) DO UPDATE SET beat_at = ?2");

	if (!st)
		return -1;
	db_bind_text(st, 1, instance);
	db_bind_int64(st, 2, now);
	return store_done(s, st, "beating the instance's heart");
}

struct reaped {
	char (*ids)[40];
	size_t n, cap;
};

static int reap_row(struct db_stmt *st, void *cb, void *ud)
{
	struct reaped *r = ud;

	(void)cb;
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 4;
		char (*ids)[40] = realloc(r->ids, cap * sizeof *ids);

		if (!ids)
			return -1;
		r->ids = ids;
		r->cap = cap;
	}
	snprintf(r->ids[r->n++], sizeof r->ids[0], "%s", db_col_text(st, 0));
	return 0;
}

int store_bus_reap(struct store *s, long long before, void (*dead)(void *ud, const char *id),
                   void *ud)
{
	/* DELETE ... RETURNING: of several instances that see the same silence at once, the row
	 * goes to one. */
	struct db_stmt *st = store_stmt(s, "DELETE FROM connect_instances WHERE beat_at < ? RETURNING id");
	struct reaped r = { 0 };
	int rc = 0;

	if (!st)
		return -1;
	db_bind_int64(st, 1, before);
	if (store_each(s, st, "finding silent instances", reap_row, NULL, &r) < 0)
		rc = -1;
	for (size_t i = 0; i < r.n; i++) {
		struct db_stmt *d = store_stmt(s, "DELETE FROM connect_devices WHERE instance = ?");

		if (!d || (db_bind_text(d, 1, r.ids[i]), store_done(s, d, "dropping a silent instance's devices")) < 0)
			rc = -1;
		dead(ud, r.ids[i]);
	}
	free(r.ids);
	return rc;
}

int store_bus_leave(struct store *s, const char *instance)
{
	struct db_stmt *st = store_stmt(s, "DELETE FROM connect_devices WHERE instance = ?");

	if (!st)
		return -1;
	db_bind_text(st, 1, instance);
	if (store_done(s, st, "dropping the instance's devices") < 0)
		return -1;
	if (!(st = store_stmt(s, "DELETE FROM connect_instances WHERE id = ?")))
		return -1;
	db_bind_text(st, 1, instance);
	return store_done(s, st, "dropping the instance");
}

/* ---- devices ---- */

int store_bus_device_put(struct store *s, const struct store_bus_device *d)
{
	/* seq orders the list: a device that comes back through another instance keeps its
	 * place, as it does within one. */
	struct db_stmt *st = store_stmt(s,
		"INSERT INTO connect_devices (user_id, device_id, instance, name, type, volume, seq)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
		" ON CONFLICT (user_id, device_id) DO UPDATE SET instance = ?3, name = ?4, type = ?5, volume = ?6");

	if (!st)
		return -1;
	db_bind_text(st, 1, d->user_id);
	db_bind_text(st, 2, d->device_id);
	db_bind_text(st, 3, d->instance);
	db_bind_text(st, 4, d->name);
	db_bind_text(st, 5, d->type);
	db_bind_int(st, 6, d->volume);
	db_bind_int64(st, 7, store_now_ms());
	return store_done(s, st, "noting a Connect device");
}

int store_bus_device_drop(struct store *s, const char *user_id, const char *device_id,
                          const char *instance)
{
	struct db_stmt *st = store_stmt(s, "DELETE FROM connect_devices WHERE user_id = ? AND device_id = ? AND instance = ?");

	if (!st)
		return -1;
	db_bind_text(st, 1, user_id);
	db_bind_text(st, 2, device_id);
	db_bind_text(st, 3, instance);
	return store_done(s, st, "dropping a Connect device");
}

static int device_row(struct db_stmt *st, void *cb, void *ud)
{
	void (*fn)(void *, const struct store_bus_device *) = (void (*)(void *, const struct store_bus_device *))cb;
	struct store_bus_device d = {
		.user_id = db_col_text(st, 0), .device_id = db_col_text(st, 1),
		.instance = db_col_text(st, 2), .name = db_col_text(st, 3), .type = db_col_text(st, 4),
		.volume = db_col_int(st, 5),
	};

	fn(ud, &d);
	return 0;
}

int store_bus_devices_each(struct store *s, const char *user_id, const char *instance,
                           void (*fn)(void *ud, const struct store_bus_device *d), void *ud)
{
	struct db_stmt *st = store_stmt(s, "SELECT user_id, device_id, instance, name, type, volume"
	                                   " FROM connect_devices WHERE user_id = ? AND instance <> ?"
	                                   " ORDER BY seq, device_id");

	if (!st)
		return -1;
	db_bind_text(st, 1, user_id);
	db_bind_text(st, 2, instance);
	return store_each(s, st, "reading a user's Connect devices", device_row, (void *)fn, ud);
}

/* ---- player states ---- */

static void fill_versions(struct db_stmt *st, void *out)
{
	struct store_bus_player *p = out;

	p->version = db_col_int64(st, 0);
	p->queue_version = db_col_int64(st, 1);
}

int store_bus_player_put(struct store *s, const char *user_id, struct store_bus_player *p,
                         bool with_queue, long long expected)
{
	/* The row is taken only from the version the writer based its change on: an upsert whose
	 * update is skipped by its WHERE returns no row, and so says that another instance wrote
	 * meanwhile (PostgreSQL re-checks the WHERE on the newest row under its lock, so two
	 * writers from one version cannot both succeed). A first write has no row to meet. */
	struct db_stmt *st = with_queue ?
		store_stmt(s, "INSERT INTO connect_players (user_id, version, state, queue, queue_version,"
		              " active_device, changed_at, changed_by) VALUES (?1, 1, ?2, ?3, 1, ?4, ?5, ?6)"
		              " ON CONFLICT (user_id) DO UPDATE SET version = connect_players.version + 1,"
		              " state = ?2, queue = ?3, queue_version = connect_players.queue_version + 1,"
		              " active_device = ?4, changed_at = ?5, changed_by = ?6"
		              " WHERE connect_players.version = ?7"
		              " RETURNING version, queue_version") :
		store_stmt(s, "INSERT INTO connect_players (user_id, version, state, queue, queue_version,"
		              " active_device, changed_at, changed_by) VALUES (?1, 1, ?2, NULL, 0, ?3, ?4, ?5)"
		              " ON CONFLICT (user_id) DO UPDATE SET version = connect_players.version + 1,"
		              " state = ?2, active_device = ?3, changed_at = ?4, changed_by = ?5"
		              " WHERE connect_players.version = ?6"
		              " RETURNING version, queue_version");
	int n = 2; /* the queue's place, when it has one */

	if (!st)
		return -1;
	db_bind_text(st, 1, user_id);
	db_bind_text(st, 2, p->state);
	if (with_queue)
		db_bind_text(st, ++n, p->queue);
	db_bind_text(st, n + 1, p->active[0] ? p->active : NULL);
	db_bind_int64(st, n + 2, p->changed_at);
	db_bind_text(st, n + 3, p->changed_by);
	db_bind_int64(st, n + 4, expected);
	return store_one(s, st, "keeping a player state", fill_versions, p);
}

struct player_read {
	struct store_bus_player *p;
	bool nomem;
};

static char *dup_or_null(struct db_stmt *st, int i, bool *nomem)
{
	char *v;

	if (db_col_null(st, i))
		return NULL;
	if (!(v = strdup(db_col_text(st, i))))
		*nomem = true;
	return v;
}

static void fill_player(struct db_stmt *st, void *out)
{
	struct player_read *r = out;
	struct store_bus_player *p = r->p;

	p->version = db_col_int64(st, 0);
	p->queue_version = db_col_int64(st, 1);
	p->state = dup_or_null(st, 2, &r->nomem);
	p->queue = dup_or_null(st, 3, &r->nomem);
	snprintf(p->active, sizeof p->active, "%s", db_col_text(st, 4));
	p->changed_at = db_col_int64(st, 5);
	snprintf(p->changed_by, sizeof p->changed_by, "%s", db_col_text(st, 6));
}

int store_bus_player_get(struct store *s, const char *user_id, long long after,
                         long long known_queue_version, struct store_bus_player *p)
{
	struct db_stmt *st = store_stmt(s, "SELECT version, queue_version, state,"
	                                   " CASE WHEN queue_version = ?2 THEN NULL ELSE queue END,"
	                                   " coalesce(active_device, ''), changed_at, changed_by"
	                                   " FROM connect_players WHERE user_id = ?1 AND version > ?3");
	struct player_read r = { .p = p };
	int rc;

	memset(p, 0, sizeof *p);
	if (!st)
		return -1;
	db_bind_text(st, 1, user_id);
	db_bind_int64(st, 2, known_queue_version);
	db_bind_int64(st, 3, after);
	rc = store_one(s, st, "reading a player state", fill_player, &r);
	if (rc == 1 && r.nomem) {
		free(p->state);
		free(p->queue);
		p->state = p->queue = NULL;
		return -1;
	}
	return rc;
}
