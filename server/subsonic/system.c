/* The System family: what the server is and speaks. */
#include "config.h"
#include "subsonic/endpoints.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "audio/audio.h"
#include "catalog/watcher.h"
#include "server.h"
#include "store/catalog.h"

/* The OpenSubsonic extensions this server implements, each at the versions it implements:
 * a client turns features on from this list, so it names nothing that is not served. */
static const struct {
	const char *name;
	int version;
} extensions[] = {
	{ "apiKeyAuthentication", 1 },
	{ "formPost", 1 },
	{ "songLyrics", 1 },
};

void sub_get_open_subsonic_extensions(struct sub_call *c)
{
	json_t *list = json_array();

	for (size_t i = 0; list && i < sizeof extensions / sizeof extensions[0]; i++)
		json_array_append_new(list, json_pack("{s:s,s:[i]}", "name", extensions[i].name,
		                                      "versions", extensions[i].version));
	sub_ok(c, "openSubsonicExtensions", list);
}

void sub_ping(struct sub_call *c)
{
	sub_ok(c, NULL, NULL);
}

/* Segue has no licence to sell: every server is licensed. */
void sub_get_license(struct sub_call *c)
{
	sub_ok(c, "license", json_pack("{s:b}", "valid", 1));
}

void sub_unknown(struct sub_call *c)
{
	const char *name = c->r->path + strlen("/rest/");
	char msg[128] = "no such endpoint";

	/* Echoed whole or not at all: a cut could split a character. */
	if (strlen(name) <= 64)
		snprintf(msg, sizeof msg, "no such endpoint: %s", name);
	/* 404, not 200: a client probing for an endpoint (or a person with a typo) learns it
	 * is not here whichever it reads, the status or the body. */
	sub_error_status(c, 404, SUB_ERR_NOT_FOUND, msg);
}

/* The calling user only: Segue gives no user the right to read another's account. */
void sub_get_user(struct sub_call *c)
{
	const char *name = sub_need(c, "username");
	const struct user *u = &c->r->user;

	if (!name)
		return;
	if (strcasecmp(name, u->id)) {
		sub_error(c, SUB_ERR_FORBIDDEN, "a user may read only their own account");
		return;
	}
	/* Roles as Segue's licences have them: every account streams, downloads (offline
	 * copies are premium's, but download is a stream kept) and makes playlists; nobody
	 * administers the server through this API. */
	sub_ok(c, "user", json_pack("{s:s,s:b,s:i,s:b,s:b,s:b,s:b,s:b,s:b,s:b,s:b,s:b,s:b,s:b,s:b,s:[i]}",
	                            "username", u->id, "scrobblingEnabled", 1,
	                            "maxBitRate", quality_info[u->premium ? Q_VERY_HIGH : Q_HIGH].kbps,
	                            "adminRole", 0, "settingsRole", 0, "downloadRole", 1,
	                            "uploadRole", 0, "playlistRole", 1, "coverArtRole", 0,
	                            "commentRole", 0, "podcastRole", 0, "streamRole", 1,
	                            "jukeboxRole", 0, "shareRole", 0, "videoConversionRole", 0,
	                            "folder", 1));
}

/* count: the songs in the catalog that can be played somewhere (withdrawn ones are not). */
static void scan_status(struct sub_call *c, bool scanning)
{
	long long tracks = store_tracks_count(&c->r->srv->store);
	long long withdrawn = store_tracks_withdrawn(&c->r->srv->store);

	if (tracks < 0 || withdrawn < 0) {
		sub_error(c, SUB_ERR_GENERIC, "the catalog could not be counted");
		return;
	}
	sub_ok(c, "scanStatus", json_pack("{s:b,s:I}", "scanning", scanning, "count", (json_int_t)(tracks - withdrawn)));
}

/* Scans are the library watcher's (catalog/watcher.h): with no library folder being watched,
 * nothing is scanning, and there is nothing to start. */
void sub_get_scan_status(struct sub_call *c)
{
	struct library_watch *lw = c->r->srv->library;

	scan_status(c, lw && atomic_load(&library_watch_stats(lw)->scanning));
}

void sub_start_scan(struct sub_call *c)
{
	struct library_watch *lw = c->r->srv->library;

	if (!lw) {
		sub_error(c, SUB_ERR_GENERIC, "this server watches no library folder (segue-server serve "
		          "--library): its catalog is filled by segue-server ingest");
		return;
	}
	library_watch_rescan(lw);
	scan_status(c, true);
}
