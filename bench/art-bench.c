/* Cover art for one album page, timed in the client's own functions: the cover fetched into
 * the disk cache (artcache_fetch) and drawn as symbols for the TUI's header box
 * (art_render), with the cache cold (the file removed first) and warm; the anchor is the
 * same bytes fetched with libcurl into memory, a fresh handle each time, as artcache does.
 * Prints p50 and p99 in milliseconds, and the ratios to the anchor.
 *   usage: art-bench CACHE_DIR URLS_FILE COLS ROWS ROUNDS */
#include <curl/curl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "art.h"
#include "artcache.h"

#define MAX_URLS 1000

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static size_t discard(char *p, size_t size, size_t n, void *ud)
{
	*(size_t *)ud += size * n;
	return size * n;
}

static double anchor(const char *url)
{
	CURL *c = curl_easy_init();
	size_t got = 0;
	long status = 0;
	double t0 = now_ms(), t;

	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &got);
	if (curl_easy_perform(c) != CURLE_OK || curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status) ||
	    status != 200 || !got) {
		fprintf(stderr, "art-bench: cannot fetch %s\n", url);
		exit(1);
	}
	t = now_ms() - t0;
	curl_easy_cleanup(c);
	return t;
}

static double page(const char *cache, const char *url, int cols, int rows, bool cold)
{
	char path[4200];
	struct art_block b;
	double t0;

	if (cold && artcache_path(cache, url, path, sizeof path) == SEG_OK)
		unlink(path);
	t0 = now_ms();
	if (artcache_fetch(cache, url, 15000, path, sizeof path) ||
	    art_render(path, ART_SYMBOLS, ART_CELLS, ART_COLORS_240, cols, rows, 0, 0, &b)) {
		fprintf(stderr, "art-bench: %s: %s\n", url, seg_errmsg());
		exit(1);
	}
	double t = now_ms() - t0;
	art_block_free(&b);
	return t;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double pct(double *v, int n, double p)
{
	int i = (int)ceil(p / 100.0 * n) - 1;

	return v[i < 0 ? 0 : i >= n ? n - 1 : i];
}

int main(int argc, char **argv)
{
	static char urls[MAX_URLS][512];
	int n = 0, cols, rows, rounds;
	FILE *f;

	if (argc != 6 || !(f = fopen(argv[2], "r"))) {
		fprintf(stderr, "usage: art-bench CACHE_DIR URLS_FILE COLS ROWS ROUNDS\n");
		return 2;
	}
	while (n < MAX_URLS && fgets(urls[n], sizeof urls[n], f))
		if ((urls[n][strcspn(urls[n], "\n")] = '\0', urls[n][0]))
			n++;
	fclose(f);
	cols = atoi(argv[3]);
	rows = atoi(argv[4]);
	rounds = atoi(argv[5]);
	if (!n || cols < 1 || rows < 1 || rounds < 1)
		return 2;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	int total = n * rounds;
	double *a = calloc((size_t)total, sizeof *a), *cold = calloc((size_t)total, sizeof *cold),
	       *warm = calloc((size_t)total, sizeof *warm);

	for (int r = 0; r < rounds; r++)
		for (int i = 0; i < n; i++) {
			int k = r * n + i;

			a[k] = anchor(urls[i]);
			cold[k] = page(argv[1], urls[i], cols, rows, true);
			warm[k] = page(argv[1], urls[i], cols, rows, false);
		}
	qsort(a, (size_t)total, sizeof *a, cmp);
	qsort(cold, (size_t)total, sizeof *cold, cmp);
	qsort(warm, (size_t)total, sizeof *warm, cmp);
	printf("%d album pages x %d rounds, a %dx%d cell box (symbols, 240 colours)\n", n, rounds, cols, rows);
	printf("%-44s %8s %8s\n", "", "p50 ms", "p99 ms");
	printf("%-44s %8.2f %8.2f\n", "anchor: the picture's bytes with libcurl", pct(a, total, 50), pct(a, total, 99));
	printf("%-44s %8.2f %8.2f   x%.1f / x%.1f the anchor\n", "art, cold cache: fetch + write + decode + draw",
	       pct(cold, total, 50), pct(cold, total, 99), pct(cold, total, 50) / pct(a, total, 50),
	       pct(cold, total, 99) / pct(a, total, 99));
	printf("%-44s %8.2f %8.2f   x%.1f / x%.1f the anchor\n", "art, warm cache: read + decode + draw",
	       pct(warm, total, 50), pct(warm, total, 99), pct(warm, total, 50) / pct(a, total, 50),
	       pct(warm, total, 99) / pct(a, total, 99));
	free(a);
	free(cold);
	free(warm);
	curl_global_cleanup();
	return 0;
}
