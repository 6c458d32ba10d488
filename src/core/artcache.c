/* The cover art cache (artcache.h): a picture's URL checked and turned into a local name, the
 * download written beside its final name and renamed into place, so a reader sees a whole
 * file or none. */
#include "config.h"
#include "artcache.h"

#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "paths.h"

#define DEFAULT_TIMEOUT_MS 15000
#define CONNECT_TIMEOUT_MS 3000
#define URL_MAX 2048

static const int sizes[] = { 640, 300, 64 };

static bool is_lower_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* The scheme and authority: "http://" or "https://" and a host of printable characters
 * without a slash, query or fragment mark. Returns the authority's length, 0 when bad. */
static size_t origin_len(const char *url)
{
	size_t n;

	if (!strncmp(url, "http://", 7))
		n = 7;
	else if (!strncmp(url, "https://", 8))
		n = 8;
	else
		return 0;
	size_t start = n;
	while (url[n] && url[n] != '/') {
		unsigned char c = (unsigned char)url[n];

		if (c <= ' ' || c >= 0x7f || c == '?' || c == '#' || c == '\\' || c == '@')
			return 0;
		n++;
	}
	return n > start ? n : 0;
}

int artcache_parse_url(const char *url, char hash[ARTCACHE_HASH_LEN + 1], int *size)
{
	size_t len, origin;

	if (!url || (len = strlen(url)) > URL_MAX || !(origin = origin_len(url)))
		return -1;
	/* Nothing in the path may be a query, a fragment or a character to be escaped: the
	 * server's URLs have none, and the tail must be the whole rest of the URL. */
	for (size_t i = origin; i < len; i++) {
		unsigned char c = (unsigned char)url[i];

		if (c <= ' ' || c >= 0x7f || c == '?' || c == '#' || c == '%' || c == '\\')
			return -1;
	}
	/* Nor dot segments, which a server or proxy would resolve to some other path. */
	if (strstr(url + origin, "/./") || strstr(url + origin, "/../"))
		return -1;
	for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
		char tail[16];
		int tn = snprintf(tail, sizeof tail, "/%d.jpg", sizes[k]);
		size_t need = strlen("/images/") + ARTCACHE_HASH_LEN + (size_t)tn;
		const char *p;

		if (len - origin < need || strcmp(url + len - (size_t)tn, tail))
			continue;
		p = url + len - need;
		if (strncmp(p, "/images/", 8))
			return -1;
		p += 8;
		for (int i = 0; i < ARTCACHE_HASH_LEN; i++)
			if (!is_lower_hex(p[i]))
				return -1;
		memcpy(hash, p, ARTCACHE_HASH_LEN);
		hash[ARTCACHE_HASH_LEN] = '\0';
		*size = sizes[k];
		return 0;
	}
	return -1;
}

enum seg_err artcache_path(const char *cache_dir, const char *url, char *out, size_t len)
{
	char hash[ARTCACHE_HASH_LEN + 1];
	int size, n;

	if (artcache_parse_url(url, hash, &size) < 0)
		return seg_fail(SEG_EUSAGE, "not a picture of the server's: %.200s", url ? url : "(none)");
	n = snprintf(out, len, "%s/images/%s/%d.jpg", cache_dir, hash, size);
	if (n < 0 || (size_t)n >= len)
		return seg_fail(SEG_EIO, "the art cache's path is too long: %s", cache_dir);
	return SEG_OK;
}

const char *artcache_pick(const json_t *images, int want_px)
{
	const char *above = NULL, *widest = NULL, *unsized = NULL;
	json_int_t above_w = 0, widest_w = 0;
	size_t i;
	json_t *im;

	json_array_foreach((json_t *)images, i, im) {
		const char *url = json_string_value(json_object_get(im, "url"));
		json_t *w = json_object_get(im, "width");

		if (!url || !*url)
			continue;
		if (!json_is_integer(w) || json_integer_value(w) <= 0) {
			if (!unsized)
				unsized = url;
			continue;
		}
		json_int_t wv = json_integer_value(w);
		if (wv >= want_px && (!above || wv < above_w)) {
			above = url;
			above_w = wv;
		}
		if (!widest || wv > widest_w) {
			widest = url;
			widest_w = wv;
		}
	}
	return above ? above : widest ? widest : unsized;
}

/* A download in progress: the temporary file and how much has been written. */
struct sink {
	FILE *f;
	size_t len;
	bool too_big, write_failed;
	const atomic_bool *cancel; /* may be NULL */
};

/* libcurl calls this often (about once a second when nothing moves, more while data
 * flows): a non-zero answer ends the transfer. */
static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
	const struct sink *s = ud;

	return s->cancel && atomic_load(s->cancel);
}

static size_t on_data(char *p, size_t size, size_t nmemb, void *ud)
{
	struct sink *s = ud;
	size_t n = size * nmemb;

	if (n > (size_t)ARTCACHE_MAX_BYTES - s->len) {
		s->too_big = true;
		return 0;
	}
	if (fwrite(p, 1, n, s->f) != n) {
		s->write_failed = true;
		return 0;
	}
	s->len += n;
	return n;
}

/* Whether the file begins as a JPEG: a server that answers 200 with an error page must not
 * leave it in the cache under a picture's name. */
static bool file_is_jpeg(FILE *f)
{
	unsigned char b[3];

	if (fflush(f) != 0 || fseek(f, 0, SEEK_SET) != 0 || fread(b, 1, 3, f) != 3)
		return false;
	return b[0] == 0xff && b[1] == 0xd8 && b[2] == 0xff;
}

static enum seg_err download(const char *url, long timeout_ms, struct sink *s)
{
	CURL *c = curl_easy_init();
	char errbuf[CURL_ERROR_SIZE] = "";
	long status = 0;
	CURLcode cc;
	enum seg_err e;

	if (!c)
		return seg_fail(SEG_ENOMEM, "out of memory");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "segue/" PACKAGE_VERSION);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)CONNECT_TIMEOUT_MS);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)ARTCACHE_MAX_BYTES);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(c, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, s);
	if (s->cancel) {
		curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
		curl_easy_setopt(c, CURLOPT_XFERINFODATA, s);
		curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	}
	cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (s->too_big || cc == CURLE_FILESIZE_EXCEEDED)
		e = seg_fail(SEG_EPROTO, "the picture at %s is larger than %ld MiB", url,
		             ARTCACHE_MAX_BYTES >> 20);
	else if (cc == CURLE_ABORTED_BY_CALLBACK)
		e = seg_fail(SEG_EFAIL, "fetching %s: given up", url);
	else if (s->write_failed)
		e = seg_fail(SEG_EIO, "cannot write the art cache: %s", strerror(errno));
	else if (cc != CURLE_OK)
		e = seg_fail(SEG_EUNREACHABLE, "cannot fetch %s: %s", url,
		             errbuf[0] ? errbuf : curl_easy_strerror(cc));
	else if (status == 404 || status == 410)
		e = seg_fail(SEG_ENOTFOUND, "the server has no picture at %s", url);
	else if (status != 200)
		e = seg_fail(SEG_EPROTO, "fetching %s: HTTP %ld", url, status);
	else if (!file_is_jpeg(s->f))
		e = seg_fail(SEG_EPROTO, "the server sent something that is not a JPEG for %s", url);
	else
		e = SEG_OK;
	curl_easy_cleanup(c);
	return e;
}

/* --- the size cap ----------------------------------------------------------------------- */

#define TRIM_MAX_FILES 1000000 /* what one trim looks at, at most: a bound on its memory */

struct cached {
	char *path;
	off_t size;
	struct timespec used;
};

static int by_use(const void *a, const void *b)
{
	const struct cached *x = a, *y = b;

	if (x->used.tv_sec != y->used.tv_sec)
		return x->used.tv_sec < y->used.tv_sec ? -1 : 1;
	return x->used.tv_nsec < y->used.tv_nsec ? -1 : x->used.tv_nsec > y->used.tv_nsec;
}

/* Whether name is a picture's file name in the cache: SIZE.jpg (not a download's temporary). */
static bool picture_name(const char *name)
{
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		char want[16];

		snprintf(want, sizeof want, "%d.jpg", sizes[i]);
		if (!strcmp(name, want))
			return true;
	}
	return false;
}

static bool hash_name(const char *name)
{
	size_t n = 0;

	for (; name[n]; n++)
		if (!is_lower_hex(name[n]))
			return false;
	return n == ARTCACHE_HASH_LEN;
}

/* Adds the pictures of one HASH folder to *list. -1 when memory runs out. */
static int collect(const char *dir, struct cached **list, size_t *n, size_t *cap, off_t *total)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int rc = 0;

	if (!d)
		return 0; /* removed meanwhile, or not ours to read: nothing to count */
	while ((e = readdir(d)) && *n < TRIM_MAX_FILES) {
		struct stat st;
		char *path;

		if (!picture_name(e->d_name))
			continue;
		if (asprintf(&path, "%s/%s", dir, e->d_name) < 0) {
			rc = -1;
			break;
		}
		if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
			free(path);
			continue;
		}
		if (*n == *cap) {
			size_t c = *cap ? *cap * 2 : 256;
			struct cached *l = realloc(*list, c * sizeof *l);

			if (!l) {
				free(path);
				rc = -1;
				break;
			}
			*list = l;
			*cap = c;
		}
		(*list)[(*n)++] = (struct cached){ path, st.st_size, st.st_mtim };
		*total += st.st_size;
	}
	closedir(d);
	return rc;
}

int artcache_trim(const char *cache_dir, long long max_bytes, const char *keep)
{
	struct cached *list = NULL;
	size_t n = 0, cap = 0;
	off_t total = 0;
	char root[PATH_MAX];
	struct dirent *e;
	int removed = 0, err = 0;
	DIR *d;

	if (max_bytes <= 0)
		return 0;
	if ((size_t)snprintf(root, sizeof root, "%s/images", cache_dir) >= sizeof root) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (!(d = opendir(root)))
		return errno == ENOENT ? 0 : -1;
	while ((e = readdir(d))) {
		char dir[PATH_MAX];

		if (!hash_name(e->d_name) ||
		    (size_t)snprintf(dir, sizeof dir, "%s/%s", root, e->d_name) >= sizeof dir)
			continue;
		if (collect(dir, &list, &n, &cap, &total) < 0) {
			err = ENOMEM;
			break;
		}
	}
	closedir(d);
	if (!err && total > max_bytes) {
		qsort(list, n, sizeof *list, by_use);
		for (size_t i = 0; i < n && total > max_bytes; i++) {
			char *slash;

			if (keep && !strcmp(list[i].path, keep))
				continue;
			if (unlink(list[i].path) < 0 && errno != ENOENT)
				continue;
			total -= list[i].size;
			removed++;
			if ((slash = strrchr(list[i].path, '/'))) {
				*slash = '\0';
				rmdir(list[i].path); /* only once empty: the other sizes may stay */
			}
		}
	}
	for (size_t i = 0; i < n; i++)
		free(list[i].path);
	free(list);
	if (err) {
		errno = err;
		return -1;
	}
	return removed;
}

/* --- fetching ------------------------------------------------------------------------------ */

enum seg_err artcache_fetch(const char *cache_dir, const char *url, long timeout_ms,
                            long long max_bytes, char *out, size_t len)
{
	return artcache_fetch_cancel(cache_dir, url, timeout_ms, max_bytes, NULL, out, len);
}

enum seg_err artcache_fetch_cancel(const char *cache_dir, const char *url, long timeout_ms,
                                   long long max_bytes, const atomic_bool *cancel, char *out,
                                   size_t len)
{
	char dir[PATH_MAX], tmp[PATH_MAX + 16];
	struct sink s = { .cancel = cancel };
	struct stat st;
	enum seg_err e;
	char *slash;
	int fd = -1;

	if ((e = artcache_path(cache_dir, url, out, len)) != SEG_OK)
		return e;
	if (stat(out, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
		/* A use: the trim removes what was used longest ago, by modification time. */
		(void)utimensat(AT_FDCWD, out, NULL, 0);
		return SEG_OK;
	}
	snprintf(dir, sizeof dir, "%s", out);
	if ((slash = strrchr(dir, '/')))
		*slash = '\0';
	if ((e = paths_mkdir(dir)) != SEG_OK)
		return e;
	if ((size_t)snprintf(tmp, sizeof tmp, "%s.XXXXXX", out) >= sizeof tmp)
		return seg_fail(SEG_EIO, "the art cache's path is too long: %s", cache_dir);
	if ((fd = mkstemp(tmp)) < 0)
		return seg_fail(SEG_EIO, "cannot write the art cache in %s: %s", dir, strerror(errno));
	/* mkstemp makes 0600; a picture is no secret, and other tools may show it. */
	if (fchmod(fd, 0644) < 0 || !(s.f = fdopen(fd, "w+b"))) {
		e = seg_fail(SEG_EIO, "cannot write the art cache in %s: %s", dir, strerror(errno));
		close(fd);
		goto out;
	}
	if ((e = download(url, timeout_ms > 0 ? timeout_ms : DEFAULT_TIMEOUT_MS, &s)) != SEG_OK)
		goto out;
	if (fclose(s.f) != 0) {
		s.f = NULL;
		e = seg_fail(SEG_EIO, "cannot write the art cache in %s: %s", dir, strerror(errno));
		goto out;
	}
	s.f = NULL;
	if (rename(tmp, out) < 0) {
		e = seg_fail(SEG_EIO, "cannot write the art cache in %s: %s", dir, strerror(errno));
		goto out;
	}
	/* Room made after the picture is in: a failure to trim costs disk, not the picture. */
	if (artcache_trim(cache_dir, max_bytes, out) < 0)
		log_warn("the art cache in %s cannot be trimmed: %s", cache_dir, strerror(errno));
	return SEG_OK;
out:
	if (s.f)
		fclose(s.f);
	unlink(tmp);
	return e;
}
