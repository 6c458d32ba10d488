/* The cover art cache (artcache.h): a picture's URL checked and turned into a local name, the
 * download written beside its final name and renamed into place, so a reader sees a whole
 * file or none. */
#include "config.h"
#include "artcache.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

enum seg_err artcache_fetch(const char *cache_dir, const char *url, long timeout_ms, char *out,
                            size_t len)
{
	return artcache_fetch_cancel(cache_dir, url, timeout_ms, NULL, out, len);
}

enum seg_err artcache_fetch_cancel(const char *cache_dir, const char *url, long timeout_ms,
                                   const atomic_bool *cancel, char *out, size_t len)
{
	char dir[PATH_MAX], tmp[PATH_MAX + 16];
	struct sink s = { .cancel = cancel };
	struct stat st;
	enum seg_err e;
	char *slash;
	int fd = -1;

	if ((e = artcache_path(cache_dir, url, out, len)) != SEG_OK)
		return e;
	if (stat(out, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0)
		return SEG_OK;
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
	return SEG_OK;
out:
	if (s.f)
		fclose(s.f);
	unlink(tmp);
	return e;
}
