/* Cover art kept on disk: the server's pictures, fetched once and kept under
 * $XDG_CACHE_HOME/segue/images/HASH/SIZE.jpg (paths.h's cache_dir + "/images").
 *
 * Only the server's own picture URLs are accepted: http(s)://HOST[:PORT][/PREFIX]/images/HASH/
 * SIZE.jpg, HASH being 32 lowercase hex digits and SIZE one of 640, 300 or 64. The local
 * name is made from those two parts alone, so no URL can name a file outside the cache. A
 * picture's name is the hash of its source, so a cached file never goes stale: it is never
 * fetched again. The cache is kept within a size (the art_cache_max_size option): a picture
 * stored past it makes room by removing those used longest ago, a use being a fetch that
 * found it (which renews its modification time).
 *
 * Threading: every function may be called from any thread at once. None keeps state between
 * calls (artcache_fetch makes its own curl handle); two fetches of one picture at the same
 * time both download it and the last rename wins, with identical bytes. artcache_fetch
 * BLOCKS on the network (up to its timeout): call it from a worker, never from a UI or
 * event loop. Errors are returned as seg_err with seg_errmsg() set on the calling thread. */
#ifndef SEGUE_ARTCACHE_H
#define SEGUE_ARTCACHE_H

#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "err.h"

#define ARTCACHE_HASH_LEN 32
#define ARTCACHE_MAX_BYTES (4L << 20) /* a larger answer is refused, not stored */
#define ARTCACHE_MB 1000000LL        /* art_cache_max_size's unit, as offline_max_size's */

/* Reads a picture URL: 0 with hash (NUL-terminated) and *size (640, 300 or 64), or -1 when
 * the URL is not of the server's picture form. */
int artcache_parse_url(const char *url, char hash[ARTCACHE_HASH_LEN + 1], int *size);

/* Fills out with the cached file's path for url: CACHE_DIR/images/HASH/SIZE.jpg. Creates
 * nothing. SEG_EUSAGE for a URL that is not a picture's, SEG_EIO when the path is too long. */
enum seg_err artcache_path(const char *cache_dir, const char *url, char *out, size_t len);

/* The URL among a Web API `images` array ([{url, width, height}], widest first) whose width
 * is nearest want_px from above (the smallest at least that wide), else the widest there
 * is; an entry without a width counts only when no other has one. Borrowed from images (it
 * lives as long as the array); NULL when the array holds no URL. */
const char *artcache_pick(const json_t *images, int want_px);

/* The picture at url on disk: from the cache (its time renewed), or downloaded into it first
 * (status 200, at most ARTCACHE_MAX_BYTES, JPEG bytes; written to a temporary file, 0644, and
 * renamed into place; directories made 0700), after which the cache is trimmed to max_bytes
 * (artcache_trim; <= 0: no limit). timeout_ms bounds the whole download (<= 0: 15 s). On
 * SEG_OK out holds the path. SEG_EUSAGE: not a picture URL; SEG_ENOTFOUND: the server has
 * no such picture; SEG_EUNREACHABLE: no answer in time; SEG_EPROTO: too large, not a JPEG
 * or another status; SEG_EIO: the cache cannot be written. */
enum seg_err artcache_fetch(const char *cache_dir, const char *url, long timeout_ms,
                            long long max_bytes, char *out, size_t len);
/* The same, given up (SEG_EFAIL, nothing kept) soon after *cancel becomes true: a worker
 * that is being stopped does not wait out a slow server. */
enum seg_err artcache_fetch_cancel(const char *cache_dir, const char *url, long timeout_ms,
                                   long long max_bytes, const atomic_bool *cancel, char *out,
                                   size_t len);

/* Removes the cached pictures used longest ago (oldest modification time first) until those
 * left take at most max_bytes, never keep (a path, or NULL): the picture just stored, even
 * alone larger. Only CACHE_DIR/images/HASH/SIZE.jpg files are counted and removed, and a
 * HASH folder left empty goes too. Returns how many pictures were removed, or -1 (errno)
 * when the cache cannot be read; a picture another process removed first is no error. */
int artcache_trim(const char *cache_dir, long long max_bytes, const char *keep);

#endif
