/* The Connect hub's device list: one user's devices in the order they arrived, rendered as the
 * Web API's device objects, and its changes told to the user's sessions as changes.
 *
 * A session that said hello with the capability "device_deltas" is sent one small message per
 * change (device_added, device_removed, device_changed; doc/connect.md); its welcome carried
 * the whole list once. A session that did not (a client older than the deltas) is sent the
 * whole list again on every change, as before, so it is never left with a list it cannot
 * read. Each message is rendered once per change, not once per recipient: the sessions share
 * its bytes (ws_payload). */
#include "config.h"
#include "connect/hub_internal.h"

#include <string.h>

#include "connect/ws.h"

/* At most this many deltas make one change: an active device handing over to another. */
#define DELTAS_MAX 2

bool hub_device_id_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n < 1 || n > HUB_DEVICE_ID_MAX)
		return false;
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

json_t *hub_device_object(const struct hub_user *u, const struct hub_conn *c)
{
	return json_pack("{s:s,s:b,s:b,s:b,s:s,s:s,s:i,s:b}", "id", c->device_id,
	                 "is_active", c == u->active, "is_private_session", 0, "is_restricted", 0,
	                 "name", c->name, "type", c->type, "volume_percent", c->volume,
	                 "supports_volume", 1);
}

static bool listed(const struct hub_conn *c)
{
	return c->hello && !c->observer;
}

json_t *hub_devices_array(const struct hub_user *u)
{
	json_t *a = json_array();

	for (const struct hub_conn *c = u ? u->conns : NULL; c; c = c->next)
		if (listed(c))
			json_array_append_new(a, hub_device_object(u, c));
	return a;
}

struct hub_conn *hub_device_find(struct hub_user *u, const char *id)
{
	for (struct hub_conn *c = u ? u->conns : NULL; c; c = c->next)
		if (listed(c) && !strcmp(c->device_id, id))
			return c;
	return NULL;
}

/* The list's order is arrival: a new session goes last, and one that replaces an earlier
 * session of its device takes that session's place (it is the same device). The replaced one
 * is unlinked afterwards by its detach. */
void hub_device_link(struct hub_user *u, struct hub_conn *c, struct hub_conn *in_place_of)
{
	struct hub_conn **pp = &u->conns;

	if (in_place_of) {
		c->next = in_place_of->next;
		in_place_of->next = c;
		return;
	}
	while (*pp)
		pp = &(*pp)->next;
	c->next = NULL;
	*pp = c;
}

/* Tells u's sessions (but skip) of one change, made of n deltas (stolen): each in turn to
 * the sessions that read deltas, and the whole list, once, to the others. */
static void devices_tell(struct hub_user *u, json_t **deltas, size_t n, struct hub_conn *skip)
{
	struct ws_payload *p[DELTAS_MAX] = { 0 }, *full = NULL;
	bool legacy = false;

	for (size_t i = 0; i < n; i++)
		p[i] = hub_payload(deltas[i]);
	for (struct hub_conn *c = u->conns; c; c = c->next) {
		if (c == skip || !hub_told(c))
			continue;
		if (!c->deltas) {
			legacy = true;
			continue;
		}
		for (size_t i = 0; i < n; i++)
			ws_send_payload(c, p[i]);
	}
	if (legacy)
		full = hub_payload(json_pack("{s:s,s:o}", "type", "devices", "devices", hub_devices_array(u)));
	for (struct hub_conn *c = legacy ? u->conns : NULL; c; c = c->next)
		if (c != skip && hub_told(c) && !c->deltas)
			ws_send_payload(c, full);
	ws_payload_unref(full);
	for (size_t i = 0; i < n; i++)
		ws_payload_unref(p[i]);
}

static json_t *delta(const char *type, const struct hub_user *u, const struct hub_conn *c)
{
	return json_pack("{s:s,s:o}", "type", type, "device", hub_device_object(u, c));
}

/* The changes of a device of this process are the other instances' too (connect/bus.c);
 * theirs come here through their instances' messages, and go no further. */
void hub_devices_added(struct hub_user *u, struct hub_conn *c, struct hub_conn *skip)
{
	json_t *m = delta("device_added", u, c);

	if (!c->remote)
		hub_bus_device_put(c->hub, c);
	devices_tell(u, &m, 1, skip);
}

void hub_devices_changed(struct hub_user *u, struct hub_conn *c, struct hub_conn *skip)
{
	json_t *m = delta("device_changed", u, c);

	if (!c->remote)
		hub_bus_device_put(c->hub, c);
	devices_tell(u, &m, 1, skip);
}

void hub_devices_removed(struct hub_user *u, const struct hub_conn *gone)
{
	json_t *m = json_pack("{s:s,s:s}", "type", "device_removed", "id", gone->device_id);

	if (!gone->remote)
		hub_bus_device_drop(gone->hub, u, gone);
	devices_tell(u, &m, 1, NULL);
}

/* c (listed; NULL: none) becomes the active device: the one that was active, then c, as
 * one change. */
void hub_active_set(struct hub_user *u, struct hub_conn *c)
{
	struct hub_conn *prev = u->active;
	json_t *m[DELTAS_MAX];
	size_t n = 0;

	if (prev == c)
		return;
	if (c)
		hub_bus_note(u, HC_MOVE, c); /* (nothing while the bus mirrors another's row) */
	u->active = c;
	if (prev && listed(prev))
		m[n++] = delta("device_changed", u, prev);
	if (c)
		m[n++] = delta("device_changed", u, c);
	if (n)
		devices_tell(u, m, n, NULL);
	hub_bus_player_changed(u->hub, u);
}
