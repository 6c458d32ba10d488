/* Whether a user may hear a track, and at which stored quality: the one licence check, for the
 * Web API's playback (api/playback.c) and OpenSubsonic's stream and download
 * (subsonic/stream.c) alike, so that neither face gives what the other would refuse. */
#ifndef SEGUE_CATALOG_PLAYBACK_H
#define SEGUE_CATALOG_PLAYBACK_H

#include "catalog/catalog.h"
#include "types/user.h"

enum playback_verdict {
	PLAYBACK_OK,
	PLAYBACK_DB_ERROR,
	PLAYBACK_NO_TRACK,
	PLAYBACK_WITHDRAWN, /* its source file left the library */
	PLAYBACK_MARKET,    /* not licensed in the user's country */
	PLAYBACK_TIER,      /* very_high for a free account */
};

/* May u hear track id at quality q (enum quality)? t gets the track's playback facts
 * (duration, gain) whenever the track exists. */
enum playback_verdict playback_check(const struct catalog_view *v, const struct user *u,
                                     const char *id, int q, struct track_playback *t);
/* The best stored quality u may have: very_high for premium, high for free. */
int playback_best_quality(const struct user *u);

#endif
