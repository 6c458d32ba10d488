#include "config.h"
#include "catalog/playback.h"

#include "audio/audio.h"

enum playback_verdict playback_check(const struct catalog_view *v, const struct user *u,
                                     const char *id, int q, struct track_playback *t)
{
	switch (store_track_playback(v->store, id, t)) {
	case -1:
		return PLAYBACK_DB_ERROR;
	case 0:
		return PLAYBACK_NO_TRACK;
	}
	if (!t->available)
		return PLAYBACK_WITHDRAWN;
	if (!catalog_available(v, t->has_markets ? t->markets : NULL, u->country))
		return PLAYBACK_MARKET;
	if (q == Q_VERY_HIGH && !u->premium)
		return PLAYBACK_TIER;
	return PLAYBACK_OK;
}

int playback_best_quality(const struct user *u)
{
	return u->premium ? Q_VERY_HIGH : Q_HIGH;
}
