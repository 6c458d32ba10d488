#include "config.h"
#include "library/saved.h"

int saved_change(struct store *s, enum library_kind k, const char *user, const char *const *ids, int n,
                 bool save, long long now)
{
	if (save) {
		long long latest;
		int found = store_library_latest(s, k, user, &latest);

		if (found < 0)
			return -1;
		if (found && latest >= now)
			now = latest + 1;
	}
	for (int i = 0; i < n; i++)
		if ((save ? store_library_add(s, k, user, ids[i], now + i)
		          : store_library_remove(s, k, user, ids[i])) < 0)
			return -1;
	return 0;
}
