#include "config.h"
#include "library/saved.h"

#include <stdlib.h>

#include "log.h"

int saved_change(struct store *s, enum library_kind k, const char *user, const char *const *ids, int n,
                 bool save, long long now)
{
	long long latest, *at;
	int found, rc;

	if (n <= 0)
		return 0;
	if (!save)
		return store_library_remove_many(s, k, user, ids, n) < 0 ? -1 : 0;
	if ((found = store_library_latest(s, k, user, &latest)) < 0)
		return -1;
	if (found && latest >= now)
		now = latest + 1;
	if (!(at = malloc((size_t)n * sizeof *at))) {
		log_err("library: out of memory saving %d ids", n);
		return -1;
	}
	for (int i = 0; i < n; i++)
		at[i] = now + i;
	rc = store_library_add_many(s, k, user, ids, at, n);
	free(at);
	return rc < 0 ? -1 : 0;
}
