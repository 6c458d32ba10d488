#include "config.h"
#include "library/plays.h"

#include <string.h>

#include "store/catalog.h"

bool plays_counts(long long ms_played, long long duration_ms, const char *reason_end)
{
	return ms_played >= PLAYS_COUNT_AFTER_MS ||
	       (duration_ms < PLAYS_COUNT_AFTER_MS && ms_played >= duration_ms - 1000 &&
	        !strcmp(reason_end, "track_done"));
}

int plays_record(struct store *s, const char *user, const struct play_event *e, long long now)
{
	long long duration;
	int rc = store_track_duration(s, e->track_id, &duration);

	if (rc <= 0)
		return rc < 0 ? -1 : 2;
	return store_play_add(s, user, e, plays_counts(e->ms_played, duration, e->reason_end), now);
}
