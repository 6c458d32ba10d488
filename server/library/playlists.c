#include "config.h"
#include "library/playlists.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base62.h"
#include "images/images.h"
#include "log.h"
#include "store/images.h"
#include "store/playlists.h"

int playlist_load(struct store *s, const char *id, struct playlist *p)
{
	int rc = store_playlist_get(s, id, p);

	return rc < 0 ? -1 : !rc;
}

int playlist_unchanged(struct store *s, const struct playlist *p)
{
	struct playlist now;
	int rc = store_playlist_get(s, p->id, &now);

	if (rc <= 0)
		return rc;
	return now.version == p->version && now.length == p->length;
}

bool playlist_follows(struct store *s, const char *id, const char *user)
{
	return store_playlist_follows(s, id, user) == 1;
}

enum pl_access playlist_access(struct store *s, const struct playlist *p, const char *user)
{
	bool follows;

	if (!strcasecmp(p->owner, user))
		return PL_WRITE;
	follows = playlist_follows(s, p->id, user);
	if (p->collaborative && follows)
		return PL_WRITE;
	return p->public_ || follows ? PL_READ : PL_NONE;
}

static void check(const struct playlist *p, long long version, char out[9])
{
	char key[64], id[BASE62_ID_LEN + 1];

	snprintf(key, sizeof key, "snapshot\x1f%s\x1f%lld", p->id, version);
	base62_id_from_bytes(key, strlen(key), id);
	memcpy(out, id + BASE62_ID_LEN - 8, 8);
	out[8] = '\0';
}

void playlist_snapshot(const struct playlist *p, long long version, char out[SNAPSHOT_MAX])
{
	char c[9];

	check(p, version, c);
	snprintf(out, SNAPSHOT_MAX, "%lld-%s", version, c);
}

long long playlist_snapshot_version(const struct playlist *p, const char *snapshot)
{
	char c[9], *end;
	long long v;

	if (!snapshot)
		return -1;
	v = strtoll(snapshot, &end, 10);
	if (end == snapshot || *end != '-' || v < 1 || v > p->version)
		return -1;
	check(p, v, c);
	return strcmp(end + 1, c) ? -1 : v;
}

int playlist_items_range(struct store *s, const struct playlist *p, long long from, long long to,
                         struct pl_item **items, long long *n)
{
	long long cap = to - from > 0 ? to - from : 1, got = 0;
	struct pl_item *a;

	*items = NULL;
	*n = 0;
	if (!(a = calloc((size_t)cap, sizeof *a)))
		return -1;
	/* Nothing to read past the end (an append): no statement. */
	if (to > from && (got = store_playlist_items(s, p->id, from, a, to - from)) < 0) {
		free(a);
		return -1;
	}
	*items = a;
	*n = got;
	return 0;
}

int playlist_items_load(struct store *s, const struct playlist *p, long long from,
                        struct pl_item **items, long long *n)
{
	return playlist_items_range(s, p, from, p->length, items, n);
}

int playlist_touch(struct store *s, struct playlist *p)
{
	if (store_playlist_bump(s, p->id, p->length, store_now_ms()) < 0)
		return -1;
	p->version++;
	return 0;
}

/* The mosaic of p's covers, stored as its picture unless its owner uploaded one. When the
 * first four covers are those of the last mosaic, it is found made and nothing is decoded. */
static void cover_refresh(struct store *s, const char *images_dir, const struct playlist *p)
{
	char covers[4][STORE_IMAGE_MAX], hash[IMAGES_HASH_LEN + 1], err[256], old[STORE_IMAGE_MAX];
	const char *names[4];
	bool custom;
	int n;

	if (store_playlist_image(s, p->id, old, &custom) <= 0 || custom ||
	    (n = store_playlist_covers(s, p->id, covers, 4)) < 0)
		return;
	for (int i = 0; i < n; i++)
		names[i] = covers[i];
	if (images_mosaic(images_dir, names, n, hash, err, sizeof err) < 0) {
		log_warn("playlist %s: its picture is kept: %s", p->id, err);
		return;
	}
	if (strcmp(hash, old))
		store_playlist_image_set(s, p->id, hash, false);
}

/* What follows every change of items: the picture, then the version. */
static int items_changed(struct store *s, const char *images_dir, struct playlist *p)
{
	if (images_dir)
		cover_refresh(s, images_dir, p);
	return playlist_touch(s, p);
}

int playlist_items_rewrite(struct store *s, const char *images_dir, struct playlist *p, long long from,
                           const struct pl_item *items, long long n)
{
	if (store_playlist_items_put(s, p->id, from, items, n) < 0 ||
	    (from + n < p->length && store_playlist_items_cut(s, p->id, from + n) < 0))
		return -1;
	p->length = from + n;
	return items_changed(s, images_dir, p);
}

int playlist_items_overwrite(struct store *s, const char *images_dir, struct playlist *p, long long from,
                             const struct pl_item *items, long long n)
{
	if (from < 0 || from + n > p->length) {
		log_err("playlist %s: items %lld to %lld overwritten past its end (%lld)", p->id, from,
		        from + n, p->length);
		return -1;
	}
	if (store_playlist_items_put(s, p->id, from, items, n) < 0)
		return -1;
	return items_changed(s, images_dir, p);
}
