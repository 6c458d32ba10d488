#include "config.h"
#include "library/plays.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store/catalog.h"

bool plays_counts(long long ms_played, long long duration_ms, const char *reason_end)
{
	return ms_played >= PLAYS_COUNT_AFTER_MS ||
	       (duration_ms < PLAYS_COUNT_AFTER_MS && ms_played >= duration_ms - 1000 &&
	        !strcmp(reason_end, "track_done"));
}

int plays_record(struct store *s, const char *user, const struct play_event *e, int n,
                 long long now, enum play_fate *fate)
{
	const char **ids = calloc((size_t)n + 1, sizeof *ids);
	long long *duration = calloc((size_t)n + 1, sizeof *duration);
	struct play_add *add = calloc((size_t)n + 1, sizeof *add);
	int known = 0, rc = -1;

	if (!ids || !duration || !add) {
		log_err("plays: out of memory");
		goto out;
	}
	for (int i = 0; i < n; i++)
		ids[i] = e[i].track_id;
	if (store_track_durations(s, ids, n, duration) < 0)
		goto out;
	for (int i = 0; i < n; i++) {
		fate[i] = PLAY_UNKNOWN_TRACK;
		if (duration[i] < 0)
			continue;
		add[known].ev = e[i];
		add[known++].counted = plays_counts(e[i].ms_played, duration[i], e[i].reason_end);
	}
	if (store_plays_add(s, user, add, known, now) < 0)
		goto out;
	for (int i = 0, k = 0; i < n; i++)
		if (duration[i] >= 0)
			fate[i] = add[k++].kept ? PLAY_KEPT : PLAY_DUPLICATE;
	rc = 0;
out:
	free(ids);
	free(duration);
	free(add);
	return rc;
}
