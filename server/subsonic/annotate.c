/* Media annotation: star and unstar, getStarred2 and scrobble. A star is the Web API's save
 * (a song: a saved track; an album: a saved album; an artist: a followed artist), so what a
 * phone stars shows in the terminal's library and the other way round. A scrobbled submission
 * is a play event as Segue's own clients deliver them, kept once per (user, song, time). */
#include "config.h"
#include "subsonic/endpoints.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base62.h"
#include "connect/hub.h"
#include "library/plays.h"
#include "library/saved.h"
#include "server.h"
#include "store/catalog.h"
#include "store/subsonic_catalog.h"
#include "store/library.h"
#include "subsonic/objects.h"
#include "subsonic/render.h"

#define STAR_MAX 100     /* ids of each kind in one star or unstar */
#define SCROBBLE_MAX 100 /* songs in one scrobble */
#define STARRED_MAX 500  /* items of each kind getStarred2 lists, newest first */
#define NOW_PLAYING_GRACE_MS 30000 /* a paused song stays "now playing" a little past its end */

struct kind {
	const char *param;       /* id, albumId, artistId */
	const char *name;        /* song, album, artist */
	enum library_kind store;
	enum catalog_kind catalog;
};

static const struct kind kinds[] = {
	{ "id", "song", LIBRARY_TRACKS, CATALOG_TRACK },
	{ "albumId", "album", LIBRARY_ALBUMS, CATALOG_ALBUM },
	{ "artistId", "artist", LIBRARY_ARTISTS, CATALOG_ARTIST },
};

/* Whether every id names something, one statement per kind whatever their number (a round
 * trip each on PostgreSQL); else answers for the first unknown one in the call's order
 * (order[k][i]: ids[k][i]'s place in it). */
static bool all_known(struct sub_call *c, const char *ids[3][STAR_MAX], const int n[3],
                      const int order[3][STAR_MAX])
{
	int first_k = -1, first_i = 0;

	for (int k = 0; k < 3; k++) {
		int miss = n[k] ? store_catalog_missing(&c->r->srv->store, kinds[k].catalog, ids[k], n[k]) : 0;

		if (miss < 0) {
			sub_error(c, SUB_ERR_GENERIC, "database error");
			return false;
		}
		if (miss < n[k] && (first_k < 0 || order[k][miss] < order[first_k][first_i])) {
			first_k = k;
			first_i = miss;
		}
	}
	if (first_k < 0)
		return true;
	sub_error(c, SUB_ERR_NOT_FOUND, "no %s with id %s", kinds[first_k].name, ids[first_k][first_i]);
	return false;
}

/* The ids of each kind, each checked: known when starring (unstarring what is gone is
 * harmless). `id` may name a folder too (render.h's prefixes), which stars its album or
 * artist. False after answering. */
static bool read_ids(struct sub_call *c, bool save, const char *ids[3][STAR_MAX], int n[3])
{
	int order[3][STAR_MAX], seen = 0;

	for (int k = 0; k < 3; k++) {
		const char *got[STAR_MAX + 1];
		int m = sub_args(c, kinds[k].param, got, STAR_MAX + 1);

		if (m > STAR_MAX) {
			sub_error(c, SUB_ERR_GENERIC, "too many %ss (%s): at most %d in one call", kinds[k].name,
			          kinds[k].param, STAR_MAX);
			return false;
		}
		for (int i = 0; i < m; i++) {
			int into = k;
			const char *id = got[i];

			/* A folder (getMusicDirectory's) stars its album or artist. */
			if (k == 0 && !strncmp(id, SUB_ALBUM_PREFIX, strlen(SUB_ALBUM_PREFIX))) {
				into = 1;
				id += strlen(SUB_ALBUM_PREFIX);
			} else if (k == 0 && !strncmp(id, SUB_ARTIST_PREFIX, strlen(SUB_ARTIST_PREFIX))) {
				into = 2;
				id += strlen(SUB_ARTIST_PREFIX);
			}
			if (n[into] == STAR_MAX) {
				sub_error(c, SUB_ERR_GENERIC, "too many %ss: at most %d in one call", kinds[into].name,
				          STAR_MAX);
				return false;
			}
			if (!base62_is_id(id)) {
				sub_error(c, SUB_ERR_NOT_FOUND, "no %s with id %s", kinds[into].name, sub_echo(got[i]));
				return false;
			}
			order[into][n[into]] = seen++;
			ids[into][n[into]++] = id;
		}
	}
	if (!n[0] && !n[1] && !n[2]) {
		sub_error(c, SUB_ERR_MISSING, "give id, albumId or artistId");
		return false;
	}
	return !save || all_known(c, ids, n, order);
}

static void star(struct sub_call *c, bool save)
{
	struct store *s = &c->r->srv->store;
	const char *ids[3][STAR_MAX];
	int n[3] = { 0, 0, 0 };
	long long now = store_now_ms();

	if (!read_ids(c, save, ids, n))
		return;
	if (store_begin(s) < 0)
		goto fail;
	for (int k = 0; k < 3; k++)
		if (n[k] && saved_change(s, kinds[k].store, c->r->user.id, ids[k], n[k], save, now) < 0) {
			store_rollback(s);
			goto fail;
		}
	if (store_commit(s) < 0) {
		store_rollback(s);
		goto fail;
	}
	sub_ok(c, NULL, NULL);
	return;
fail:
	sub_error(c, SUB_ERR_GENERIC, "the stars could not be changed");
}

void sub_star(struct sub_call *c) { star(c, true); }
void sub_unstar(struct sub_call *c) { star(c, false); }

/* One kind's starred items, newest first, each with when it was starred. */
static json_t *starred(struct sub_call *c, const struct kind *k)
{
	struct library_item *items = calloc(STARRED_MAX, sizeof *items);
	json_t *list = json_array();
	int n;

	if (!items || !list ||
	    (n = store_library_page(&c->r->srv->store, k->store, c->r->user.id, 0, items, STARRED_MAX)) < 0) {
		free(items);
		json_decref(list);
		return NULL;
	}
	for (int i = 0; i < n; i++) {
		json_t *o = k->store == LIBRARY_TRACKS ? sub_song(c, items[i].id) :
		            k->store == LIBRARY_ALBUMS ? sub_album(c, items[i].id) : sub_artist(c, items[i].id);

		/* A song withdrawn since it was starred is not listed; its star stays. */
		if (!o)
			continue;
		json_object_set_new(o, "starred", sub_time(items[i].added_at));
		json_array_append_new(list, o);
	}
	free(items);
	return list;
}

void sub_get_starred2(struct sub_call *c)
{
	json_t *songs = starred(c, &kinds[0]), *albums = starred(c, &kinds[1]), *artists = starred(c, &kinds[2]);

	if (!songs || !albums || !artists) {
		json_decref(songs);
		json_decref(albums);
		json_decref(artists);
		sub_error(c, SUB_ERR_GENERIC, "database error");
		return;
	}
	sub_ok(c, "starred2", json_pack("{s:o,s:o,s:o}", "artist", artists, "album", albums, "song", songs));
}

/* A song's check before its play is kept: known, and playable by the user (in their market,
 * not withdrawn): a play of a song the user may not hear is not counted, whatever the client
 * says (50, as stream refuses it). 1 with its duration, 0 after answering. */
static int scrobble_check(struct sub_call *c, const char *id, long long *duration_ms)
{
	struct sub_scope sc = sub_scope_of(c);
	struct sub_song song;
	int rc = base62_is_id(id) ? store_sub_song(&c->r->srv->store, &sc, id, &song) : 0;

	if (rc < 0) {
		sub_error(c, SUB_ERR_GENERIC, "database error");
		return 0;
	}
	if (!rc) {
		sub_error(c, SUB_ERR_NOT_FOUND, "no song with id %s", sub_echo(id));
		return 0;
	}
	if (!song.playable) {
		/* As stream refuses it: the song is known, the user may not hear it. */
		sub_error(c, SUB_ERR_FORBIDDEN, "song %s is not available to you: not in your market (%s), or"
		          " withdrawn", id, c->r->user.country);
		return 0;
	}
	*duration_ms = song.duration_ms;
	return 1;
}

/* scrobble: with submission=true (the default), each song was played at its time (the
 * call's time when none is given): a play event whose id names the song and that time, so a
 * retried scrobble is the same event and counts once. Its length is the song's: the client
 * says it was played, by its own rule (most play half a song, or four minutes). With
 * submission=false the songs are only being played now: nothing is counted. */
void sub_scrobble(struct sub_call *c)
{
	struct store *s = &c->r->srv->store;
	const char *ids[SCROBBLE_MAX + 1], *times[SCROBBLE_MAX + 1];
	long long now = store_now_ms(), when[SCROBBLE_MAX], duration[SCROBBLE_MAX];
	char event_ids[SCROBBLE_MAX][80];
	struct play_event ev[SCROBBLE_MAX];
	enum play_fate fate[SCROBBLE_MAX];
	int n = sub_args(c, "id", ids, SCROBBLE_MAX + 1), nt = sub_args(c, "time", times, SCROBBLE_MAX + 1);
	bool submission;

	if (!n) {
		sub_need(c, "id");
		return;
	}
	if (n > SCROBBLE_MAX) {
		sub_error(c, SUB_ERR_GENERIC, "too many ids: at most %d in one call", SCROBBLE_MAX);
		return;
	}
	if (nt > 1 && nt != n) {
		sub_error(c, SUB_ERR_GENERIC, "give one time, or one for each id");
		return;
	}
	if (!sub_bool(c, "submission", true, &submission))
		return;
	for (int i = 0; i < n; i++) {
		const char *tv = nt ? times[nt > 1 ? i : 0] : NULL;
		char *end;

		when[i] = now;
		if (tv) {
			when[i] = strtoll(tv, &end, 10);
			/* A day of slack for clients whose clocks run ahead. */
			if (!*tv || *end || when[i] <= 0 || when[i] > now + 86400LL * 1000) {
				sub_error(c, SUB_ERR_GENERIC, "time must be a time in milliseconds since 1970, not in the future");
				return;
			}
		}
		if (!scrobble_check(c, ids[i], &duration[i]))
			return;
	}
	if (!submission) {
		/* Now playing: the last song named, until it would end (getNowPlaying). */
		char by[128];

		sub_client_name(c, by, sizeof by);
		if (hub_now_playing_set(c->r->srv->hub, c->r->user.id, ids[n - 1], by,
		                        when[n - 1] + duration[n - 1] + NOW_PLAYING_GRACE_MS) < 0)
			sub_error(c, SUB_ERR_GENERIC, "out of memory");
		else
			sub_ok(c, NULL, NULL);
		return;
	}
	for (int i = 0; i < n; i++) {
		snprintf(event_ids[i], sizeof event_ids[i], "subsonic:%s:%lld", ids[i], when[i]);
		ev[i] = (struct play_event) {
			.event_id = event_ids[i], .track_id = ids[i], .context_uri = NULL,
			.reason_end = "track_done", .started_at = when[i], .ms_played = duration[i],
		};
	}
	if (store_begin(s) < 0)
		goto fail;
	if (plays_record(s, c->r->user.id, ev, n, now, fate) < 0) {
		store_rollback(s);
		goto fail;
	}
	if (store_commit(s) < 0) {
		store_rollback(s);
		goto fail;
	}
	sub_ok(c, NULL, NULL);
	return;
fail:
	sub_error(c, SUB_ERR_GENERIC, "the plays could not be stored");
}

/* getNowPlaying: what the caller plays now, on a Connect device (while it plays) and on an
 * OpenSubsonic client (from its scrobble with submission=false until the song would end).
 * Other users' listening is theirs: it is not listed. */
void sub_get_now_playing(struct sub_call *c)
{
	struct hub_now_playing now[2];
	int n = hub_now_playing(c->r->srv->hub, c->r->user.id, now);
	long long t = store_now_ms();
	json_t *entries = json_array();

	for (int i = 0; entries && i < n; i++) {
		json_t *o = sub_song(c, now[i].track);

		if (!o)
			continue;
		json_object_update_new(o, json_pack("{s:s,s:I,s:i,s:s,s:s}", "username", c->r->user.id,
		                       "minutesAgo", (json_int_t)((t - now[i].at) / 60000), "playerId",
		                       now[i].device ? 1 : 2, "playerName", now[i].by, "state", "playing"));
		json_array_append_new(entries, o);
	}
	if (!entries) {
		sub_error(c, SUB_ERR_GENERIC, "out of memory");
		return;
	}
	sub_ok(c, "nowPlaying", json_pack("{s:o}", "entry", entries));
}
