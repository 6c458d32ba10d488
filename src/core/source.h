/* Where a track's audio and metadata come from: its download on this device (the offline
 * vault, read by offline_stream.c as segue-offline://ID) or the server (a signed URL). The
 * player asks once per load (source_open) and gets either what to hand mpv, with the track
 * object, or why the track cannot play now. The rules of doc/offline.md ("Playing") are
 * kept here and nowhere else:
 *  - a track with a valid download plays from the disk, online or not, and the server is not
 *    asked for its URL, nor for the account's tier;
 *  - with the server out of reach, a download whose licence expired refuses, naming the date;
 *    a track not downloaded is skipped when a download follows in the queue, and otherwise
 *    waited for, as online;
 *  - once a load finds the server away, the loads of the next SOURCE_AWAY_MS do not ask it
 *    again, so skipping through a queue offline does not wait out a timeout per track. */
#ifndef SEGUE_SOURCE_H
#define SEGUE_SOURCE_H

#include <jansson.h>
#include <stddef.h>

#include "err.h"
#include "quality.h"
#include "seg.h"

#define SOURCE_AWAY_MS 3000 /* loads take the server for gone this long after it was */
#define SOURCE_AHEAD 200    /* how far on offline playback looks for a download */

/* The loads' memory of the server; one per player. */
struct source_ctx {
	struct seg *s;
	long long away_until; /* monotonic ms: the server was just found out of reach; 0: ask */
};

/* What the player asks for. */
struct source_want {
	const char *id;
	json_t *track;            /* its track object if the player has it (borrowed), or NULL */
	const char *const *ahead; /* the queue's "up next", nearest first (at most SOURCE_AHEAD) */
	size_t nahead;
	/* The quality to stream at. Called only when the server is asked: learning the account's
	 * tier is a request that a download must not wait for. */
	enum quality (*quality)(void *ud);
	void *ud;
};

enum source_verdict {
	SOURCE_OK,    /* play it */
	SOURCE_SKIP,  /* it cannot play (not downloaded and the server away, licence expired,
	               * market, tier): go on to the next */
	SOURCE_WAIT,  /* the server failed or is away: try again later */
	SOURCE_FATAL, /* the session is gone */
};

/* The answer. */
struct source {
	json_t *track;         /* the track object (new reference), whatever the verdict; NULL
	                        * when none was found */
	char *url;             /* what mpv loads: the signed URL, or segue-offline://ID */
	long long expires_at;  /* unix s: the signed URL's expiry, or the download's licence's */
	long long duration_ms;
	char why[256];         /* for the user, when the verdict is not SOURCE_OK */
};

/* Where w->id comes from. A download is offered to offline_stream.c and its play noted
 * (eviction prefers what is not played). out is the caller's to source_free, whatever the
 * verdict. */
enum source_verdict source_open(struct source_ctx *c, const struct source_want *w, struct source *out);
void source_free(struct source *src);

/* The track object of id (new reference), or NULL: from the state database's cache (a week),
 * the server, or the copy a download keeps for as long as it is kept. */
json_t *source_track(struct source_ctx *c, const char *id);
/* A GET for loading tracks (their objects, URLs, the account's tier), minding the server's
 * recent absence (above). */
enum seg_err source_get(struct source_ctx *c, const char *path, json_t **out);

#endif
