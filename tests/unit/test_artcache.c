/* The cover art cache (src/core/artcache.c): which URLs name a picture and where it is kept,
 * which of an images array is picked, that a cached picture is not fetched again, and that
 * the cache is kept within its size by removing the pictures used longest ago. */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "artcache.h"
#include "tap.h"

#define H "0123456789abcdef0123456789abcdef"

static void test_parse(void)
{
	char hash[ARTCACHE_HASH_LEN + 1];
	int size = 0;

	is_int(artcache_parse_url("http://127.0.0.1:8080/images/" H "/300.jpg", hash, &size), 0,
	       "the server's picture URL is one");
	is_str(hash, H, "its hash");
	is_int(size, 300, "its size");
	is_int(artcache_parse_url("https://music.example/cdn/images/" H "/64.jpg", hash, &size), 0,
	       "behind a prefix, over https");
	is_int(size, 64, "the smallest size");
	is_int(artcache_parse_url("http://h/images/" H "/640.jpg", hash, &size), 0, "the largest");

	static const char *const bad[] = {
		"http://h/images/" H "/128.jpg",              /* not a size the server makes */
		"http://h/images/" H "/300.png",
		"http://h/images/0123456789ABCDEF0123456789abcdef/300.jpg", /* uppercase */
		"http://h/images/0123456789abcdef0123456789abcde/300.jpg",  /* 31 digits */
		"http://h/images/../../../../etc/passwd/300.jpg",
		"http://h/images/" H "/300.jpg?x=1",
		"http://h/images/" H "/300.jpg#f",
		"http://h/images/%2e%2e/" H "/300.jpg",
		"http://h/a/../images/" H "/300.jpg",
		"http://h/./images/" H "/300.jpg",
		"http://h/pictures/" H "/300.jpg",
		"http://h/x" H "/300.jpg",
		"file:///images/" H "/300.jpg",
		"ftp://h/images/" H "/300.jpg",
		"http:///images/" H "/300.jpg",                /* no host */
		"http://user@h/images/" H "/300.jpg",
		"http://h/images/" H "/300.jpg ",
		"http://h/im ages/" H "/300.jpg",
		"/images/" H "/300.jpg",
		"",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		is_int(artcache_parse_url(bad[i], hash, &size), -1, "refused: \"%s\"", bad[i]);
	is_int(artcache_parse_url(NULL, hash, &size), -1, "refused: no URL");

	char *longurl = malloc(5000);
	memset(longurl, 'a', 5000);
	memcpy(longurl, "http://", 7);
	snprintf(longurl + 4000, 1000, "/images/" H "/300.jpg");
	is_int(artcache_parse_url(longurl, hash, &size), -1, "refused: a URL of 4 KB");
	free(longurl);
}

static void test_path(void)
{
	char out[256];

	is_int(artcache_path("/c/segue", "http://h:1/images/" H "/640.jpg", out, sizeof out), SEG_OK,
	       "a picture's path");
	is_str(out, "/c/segue/images/" H "/640.jpg", "made of the hash and size alone");
	is_int(artcache_path("/c/segue", "http://h/images/" H "/../300.jpg", out, sizeof out),
	       SEG_EUSAGE, "a path with .. in it is no picture's");
	is_int(artcache_path("/c/segue", "http://h/images/" H "/300.jpg", out, 20), SEG_EIO,
	       "a path that does not fit is an error, not cut short");
}

static json_t *images(const char *text)
{
	json_t *j = json_loads(text, 0, NULL);

	if (!j)
		printf("# bad JSON in the test: %s\n", text);
	return j;
}

static void test_pick(void)
{
	json_t *web = images("[{\"url\":\"u640\",\"width\":640,\"height\":640},"
	                     "{\"url\":\"u300\",\"width\":300,\"height\":300},"
	                     "{\"url\":\"u64\",\"width\":64,\"height\":64}]");

	is_str(artcache_pick(web, 300), "u300", "exactly the size wanted");
	is_str(artcache_pick(web, 120), "u300", "the smallest at least as wide");
	is_str(artcache_pick(web, 10), "u64", "a small want takes the smallest");
	is_str(artcache_pick(web, 2000), "u640", "more than there is: the widest");
	json_decref(web);

	json_t *odd = images("[{\"url\":\"small\",\"width\":64},{\"url\":\"nowidth\"},"
	                     "{\"url\":\"\",\"width\":900},{\"width\":1000},{\"url\":\"big\",\"width\":500}]");
	is_str(artcache_pick(odd, 300), "big", "any order; entries without a URL are skipped");
	is_str(artcache_pick(odd, 600), "big", "the widest with a URL");
	json_decref(odd);

	json_t *unsized = images("[{\"url\":\"a\",\"width\":null,\"height\":null}]");
	is_str(artcache_pick(unsized, 300), "a", "an entry without a width when it is the only one");
	json_decref(unsized);

	json_t *empty = json_array();
	ok(!artcache_pick(empty, 300), "an empty array: none");
	json_decref(empty);
	ok(!artcache_pick(NULL, 300), "no array: none");
	json_t *notarr = images("{\"url\":\"x\"}");
	ok(!artcache_pick(notarr, 300), "not an array: none");
	json_decref(notarr);
}

static void test_fetch_cached(void)
{
	char dir[] = "/tmp/segue-artcache-XXXXXX", sub[512], path[512], out[512];
	/* Port 9 on loopback: nothing answers, so only the cache can give the picture. */
	const char *url = "http://127.0.0.1:9/images/" H "/300.jpg";
	int fd;

	if (!mkdtemp(dir)) {
		ok(0, "a temporary directory");
		return;
	}
	is_int(artcache_fetch(dir, "http://127.0.0.1:9/images/../300.jpg", 1000, 0, out, sizeof out),
	       SEG_EUSAGE, "fetch refuses what is not a picture URL");
	struct stat st;
	snprintf(sub, sizeof sub, "%s/images", dir);
	ok(stat(sub, &st) < 0, "and creates nothing for it");

	is_int(artcache_fetch(dir, url, 1000, 0, out, sizeof out), SEG_EUNREACHABLE,
	       "an unreachable server is an error");
	snprintf(sub, sizeof sub, "%s/images/" H, dir);
	ok(stat(sub, &st) == 0 && (st.st_mode & 0777) == 0700, "the cache's directories are 0700");
	snprintf(path, sizeof path, "%s/300.jpg", sub);
	ok(stat(path, &st) < 0, "and no file is left behind");

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ok(fd >= 0 && write(fd, "\xff\xd8\xff\xe0", 4) == 4, "a picture put in the cache");
	if (fd >= 0)
		close(fd);
	is_int(artcache_fetch(dir, url, 1000, 0, out, sizeof out), SEG_OK,
	       "a cached picture is found without the server");
	is_str(out, path, "at its path");

	unlink(path);
	rmdir(sub);
	snprintf(sub, sizeof sub, "%s/images", dir);
	rmdir(sub);
	rmdir(dir);
}

/* A picture of bytes bytes at DIR/images/HASH/SIZE.jpg, last used at the given time. */
static int put(const char *dir, const char *hash, int size, int bytes, time_t used, char *path,
               size_t len)
{
	char sub[512];
	struct timespec t[2] = { { used, 0 }, { used, 0 } };
	char *buf = calloc(1, (size_t)bytes);
	int fd, rc = -1;

	snprintf(sub, sizeof sub, "%s/images", dir);
	mkdir(sub, 0700);
	snprintf(sub, sizeof sub, "%s/images/%s", dir, hash);
	mkdir(sub, 0700);
	snprintf(path, len, "%s/%d.jpg", sub, size);
	if (buf && (fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644)) >= 0) {
		if (write(fd, buf, (size_t)bytes) == bytes && futimens(fd, t) == 0)
			rc = 0;
		close(fd);
	}
	free(buf);
	return rc;
}

static bool exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

static void test_trim(void)
{
	char dir[] = "/tmp/segue-artcache-XXXXXX", a[512], b[512], c[512], d[512], other[512], out[512];
	const char *url_b = "http://127.0.0.1:9/images/" "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb" "/300.jpg";
	time_t now = time(NULL);
	struct stat st;

	if (!mkdtemp(dir)) {
		ok(0, "a temporary directory");
		return;
	}
	is_int(artcache_trim(dir, 1000, NULL), 0, "an empty cache needs no trim");
	ok(put(dir, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 640, 4000, now - 400, a, sizeof a) == 0 &&
	   put(dir, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", 300, 3000, now - 300, b, sizeof b) == 0 &&
	   put(dir, "cccccccccccccccccccccccccccccccc", 64, 2000, now - 200, c, sizeof c) == 0 &&
	   put(dir, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 64, 1000, now - 100, d, sizeof d) == 0,
	   "four pictures in the cache, 10000 bytes, used in turn");
	/* Not a picture's name: a download under way, and a stranger's file. */
	snprintf(other, sizeof other, "%s/images/cccccccccccccccccccccccccccccccc/64.jpg.Ab12Cd", dir);
	close(open(other, O_WRONLY | O_CREAT, 0600));

	is_int(artcache_trim(dir, 0, NULL), 0, "a cap of 0 is no limit");
	is_int(artcache_trim(dir, 10000, NULL), 0, "within the cap, nothing goes");
	ok(exists(a) && exists(b) && exists(c) && exists(d), "and all four stay");

	/* A fetch that finds b in the cache is a use: b is now the most recent. */
	is_int(artcache_fetch(dir, url_b, 1000, 10000, out, sizeof out), SEG_OK, "a cached picture is fetched");
	ok(stat(b, &st) == 0 && st.st_mtime >= now - 5, "and its time is renewed");

	is_int(artcache_trim(dir, 5000, d), 2, "over the cap, the two used longest ago go");
	ok(!exists(a) && !exists(c) && exists(b) && exists(d), "a and c, not b (used just now) nor d");
	snprintf(out, sizeof out, "%s/images/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", dir);
	ok(exists(out), "a's folder stays while it holds another size (d)");
	snprintf(out, sizeof out, "%s/images/cccccccccccccccccccccccccccccccc", dir);
	ok(exists(out) && exists(other), "c's folder stays for the file that is no picture, untouched");

	is_int(artcache_trim(dir, 100, d), 1, "a cap below one picture: all go but the one kept");
	ok(exists(d) && !exists(b), "the picture just stored is kept, even alone too large");
	snprintf(out, sizeof out, "%s/images/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", dir);
	ok(!exists(out), "and a folder left empty goes");

	unlink(d);
	unlink(other);
	snprintf(out, sizeof out, "%s/images/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", dir);
	rmdir(out);
	snprintf(out, sizeof out, "%s/images/cccccccccccccccccccccccccccccccc", dir);
	rmdir(out);
	snprintf(out, sizeof out, "%s/images", dir);
	rmdir(out);
	rmdir(dir);
}

int main(void)
{
	test_parse();
	test_path();
	test_pick();
	test_fetch_cached();
	test_trim();
	return done();
}
