/* The Connect hub's live playlists: sessions watching playlists, and the notice of a change
 * sent to everyone who can see the playlist. */
#include "config.h"
#include "connect/hub_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base62.h"
#include "connect/ws.h"
#include "library/playlists.h"
#include "store/playlists.h"

/* ---- live playlists ---- */

void hub_watchers_drop(struct hub *h, struct hub_conn *c)
{
	for (size_t i = 0; i < h->nwatchers; i++)
		if (h->watchers[i] == c) {
			h->watchers[i] = h->watchers[--h->nwatchers];
			return;
		}
}

void hub_on_watch(struct hub *h, struct hub_conn *c, json_t *m, bool on)
{
	const char *pid = json_string_value(json_object_get(m, "playlist_id"));
	struct playlist pl;
	int i;

	if (!pid || !base62_is_id(pid)) {
		hub_send_error(c, "bad_request", "playlist_id must be a playlist id");
		return;
	}
	for (i = 0; i < c->nwatch && strcmp(c->watch[i], pid); i++)
		;
	if (!on) {
		if (i < c->nwatch) {
			memmove(c->watch[i], c->watch[i + 1], (size_t)(c->nwatch - i - 1) * sizeof c->watch[0]);
			if (--c->nwatch == 0)
				hub_watchers_drop(h, c);
		}
		return;
	}
	if (i < c->nwatch)
		return;
	if (playlist_load(h->cfg.store, pid, &pl) != 0 ||
	    playlist_access(h->cfg.store, &pl, c->user_id) == PL_NONE) {
		hub_send_error(c, "not_found", "no playlist %s that you can see", pid);
		return;
	}
	if (c->nwatch == HUB_WATCH_MAX) {
		hub_send_error(c, "bad_request", "a session watches at most %d playlists", HUB_WATCH_MAX);
		return;
	}
	if (!c->watch && !(c->watch = malloc(HUB_WATCH_MAX * sizeof c->watch[0]))) {
		hub_send_error(c, "failed", "out of memory");
		return;
	}
	if (c->nwatch == 0) {
		if (h->nwatchers == h->capwatchers) {
			size_t cap = h->capwatchers ? h->capwatchers * 2 : 16;
			struct hub_conn **w = realloc(h->watchers, cap * sizeof *w);

			if (!w) {
				hub_send_error(c, "failed", "out of memory");
				return;
			}
			h->watchers = w;
			h->capwatchers = cap;
		}
		h->watchers[h->nwatchers++] = c;
	}
	snprintf(c->watch[c->nwatch++], sizeof c->watch[0], "%s", pid);
	json_t *ack = json_pack("{s:s,s:s}", "type", "watching", "playlist_id", pid);
	hub_send_json(c, ack);
	json_decref(ack);
}

/* A change told to a playlist's owner and followers, each once, through all their sessions. */
struct telling {
	struct hub *h;
	struct ws_payload *text;
};

static void tell_user(void *ud, const char *user_id)
{
	struct telling *t = ud;
	struct hub_user *u = hub_user_find(t->h, user_id);

	if (!u || u->mark == t->h->mark)
		return;
	u->mark = t->h->mark;
	for (struct hub_conn *c = u->conns; c; c = c->next)
		if (hub_told(c))
			ws_send_payload(c, t->text);
}

void hub_playlist_changed(struct hub *h, const char *playlist_id, const char *snapshot_id,
                          json_t *change)
{
	json_t *m = json_pack("{s:s,s:s,s:s,s:o}", "type", "playlist", "playlist_id", playlist_id,
	                      "snapshot_id", snapshot_id, "change", change);
	char *dumped = json_dumps(m, JSON_COMPACT);

	json_decref(m);
	if (!dumped)
		return;
	hub_playlist_tell(h, playlist_id, dumped, strlen(dumped));
	hub_bus_playlist(h, dumped); /* the other instances tell theirs */
	free(dumped);
}

void hub_playlist_tell(struct hub *h, const char *playlist_id, const char *dumped, size_t len)
{
	struct ws_payload *text = ws_payload_new(dumped, len);

	if (!text)
		return;
	h->mark++;
	/* A database error (logged) leaves the watchers alone told. */
	store_playlist_audience(h->cfg.store, playlist_id, tell_user,
	                        &(struct telling){ .h = h, .text = text });
	/* Sessions watching it without following it; each session once, even if it watches
	 * from a user already told. */
	for (size_t i = 0; i < h->nwatchers; i++) {
		struct hub_conn *c = h->watchers[i];

		if (!c->user || c->user->mark == h->mark)
			continue;
		for (int k = 0; k < c->nwatch; k++)
			if (!strcmp(c->watch[k], playlist_id)) {
				ws_send_payload(c, text);
				break;
			}
	}
	ws_payload_unref(text);
}
