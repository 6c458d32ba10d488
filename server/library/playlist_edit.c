#include "config.h"
#include "library/playlist_edit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void item_set(struct pl_item *it, const char *track, const char *user, long long now)
{
	snprintf(it->track, sizeof it->track, "%s", track);
	snprintf(it->added_by, sizeof it->added_by, "%s", user);
	it->added_at = now;
}

int playlist_replace(struct store *s, const char *images_dir, struct playlist *p, const char *user,
                     const char (*tracks)[BASE62_ID_LEN + 1], long long n, long long now)
{
	struct pl_item *v = calloc((size_t)n + 1, sizeof *v);
	int rc;

	if (!v)
		return -1;
	for (long long i = 0; i < n; i++)
		item_set(&v[i], tracks[i], user, now);
	rc = playlist_items_rewrite(s, images_dir, p, 0, v, n);
	free(v);
	return rc;
}

int playlist_edit(struct store *s, const char *images_dir, struct playlist *p, const char *user,
                  const long long *remove, int nremove, const char (*add)[BASE62_ID_LEN + 1], int nadd,
                  long long now, long long *from)
{
	long long first = p->length, n_old = 0, k = 0, gone = 0;
	struct pl_item *old = NULL, *v = NULL;
	unsigned char *drop = NULL;
	int rc = -1;

	for (int i = 0; i < nremove; i++) {
		if (remove[i] < 0 || remove[i] >= p->length)
			return 1;
		if (remove[i] < first)
			first = remove[i];
	}
	/* Only what lies at and after the first position touched is read and written again. */
	if (playlist_items_load(s, p, first, &old, &n_old) < 0)
		return -1;
	if (!(drop = calloc((size_t)n_old + 1, 1)) || !(v = calloc((size_t)(n_old + nadd) + 1, sizeof *v)))
		goto out;
	for (int i = 0; i < nremove; i++) {
		gone += !drop[remove[i] - first];
		drop[remove[i] - first] = 1;
	}
	if (p->length - gone + nadd > PLAYLIST_MAX_ITEMS) {
		rc = 1;
		goto out;
	}
	for (long long i = 0; i < n_old; i++)
		if (!drop[i])
			v[k++] = old[i];
	for (int i = 0; i < nadd; i++)
		item_set(&v[k++], add[i], user, now);
	*from = first;
	rc = playlist_items_rewrite(s, images_dir, p, first, v, k) < 0 ? -1 : 0;
out:
	free(old);
	free(drop);
	free(v);
	return rc;
}
