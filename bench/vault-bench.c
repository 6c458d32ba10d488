/* The vault alone, next to the plain file it holds (bench/offline.sh builds and runs it):
 *   write     encrypting the file into a vault (MB/s, fsync included, as a download does)
 *   read      the whole file in 64 KiB reads, as a player streams it: MB/s and CPU ns per
 *             byte, vault vs plain (page cache warm for both)
 *   seek      a 16 KiB read at a random offset, as a seek does (the vault decrypts the chunk
 *             that holds it): p50 / p99 / max in microseconds, vault vs plain
 *   usage: vault-bench PLAIN_FILE WORK_DIR [SEEKS]
 */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "vault.h"

#define READ 65536
#define SEEK_READ 16384

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void report_seeks(const char *name, double *us, int n)
{
	qsort(us, (size_t)n, sizeof *us, cmp);
	printf("  seek+16KiB %-7s p50 %7.1f us  p99 %7.1f us  max %7.1f us\n", name, us[n / 2],
	       us[n * 99 / 100], us[n - 1]);
}

int main(int argc, char **argv)
{
	unsigned char key[VAULT_KEY_BYTES], *plain = NULL, *buf = NULL;
	char vpath[4096];
	struct vault v = { .fd = -1 };
	struct stat st;
	uint64_t at;
	int fd = -1, seeks = argc > 3 ? atoi(argv[3]) : 2000, rounds = 5;
	double t0, c0, *us_v = NULL, *us_p = NULL, best_v = 1e9, best_p = 1e9, cpu_v = 1e9, cpu_p = 1e9;

	if (argc < 3 || sodium_init() < 0 || seeks < 100) {
		fprintf(stderr, "usage: vault-bench PLAIN_FILE WORK_DIR [SEEKS >= 100]\n");
		return 2;
	}
	if ((fd = open(argv[1], O_RDONLY)) < 0 || fstat(fd, &st) < 0 || st.st_size <= 0 ||
	    !(plain = malloc((size_t)st.st_size)) || pread(fd, plain, (size_t)st.st_size, 0) != st.st_size ||
	    !(buf = malloc(READ)) || !(us_v = calloc((size_t)seeks, sizeof *us_v)) ||
	    !(us_p = calloc((size_t)seeks, sizeof *us_p))) {
		fprintf(stderr, "vault-bench: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	randombytes_buf(key, sizeof key);
	snprintf(vpath, sizeof vpath, "%s/bench.sgv", argv[2]);
	unlink(vpath);

	/* write, as a download does: in network-sized pieces, synced at the end */
	t0 = now_s();
	if (vault_open_write(&v, vpath, key, (uint64_t)st.st_size, &at) < 0)
		goto fail;
	for (off_t o = 0; o < st.st_size; o += 16384) {
		size_t n = (size_t)(st.st_size - o < 16384 ? st.st_size - o : 16384);

		if (vault_write(&v, plain + o, n) < 0)
			goto fail;
	}
	if (vault_finish(&v) < 0)
		goto fail;
	vault_close(&v);
	printf("  file %.2f MB; write into a vault (fsync included): %.1f MB/s\n", st.st_size / 1e6,
	       st.st_size / 1e6 / (now_s() - t0));

	/* read the whole file; best of a few rounds, page cache warm */
	if (vault_open_read(&v, vpath, key, false) < 0)
		goto fail;
	for (int r = 0; r < rounds; r++) {
		double w, c;

		t0 = now_s();
		c0 = cpu_s();
		for (uint64_t o = 0; o < (uint64_t)st.st_size; o += READ)
			if (vault_read(&v, o, buf, READ) < 0)
				goto fail;
		w = now_s() - t0;
		c = cpu_s() - c0;
		best_v = w < best_v ? w : best_v;
		cpu_v = c < cpu_v ? c : cpu_v;
		t0 = now_s();
		c0 = cpu_s();
		for (off_t o = 0; o < st.st_size; o += READ)
			if (pread(fd, buf, READ, o) < 0)
				goto fail;
		w = now_s() - t0;
		c = cpu_s() - c0;
		best_p = w < best_p ? w : best_p;
		cpu_p = c < cpu_p ? c : cpu_p;
	}
	printf("  read all   vault %8.1f MB/s   plain %8.1f MB/s   (vault: %.2f ns of CPU a byte;"
	       " 320 kbps audio needs 0.04 MB/s)\n", st.st_size / 1e6 / best_v, st.st_size / 1e6 / best_p,
	       cpu_v * 1e9 / st.st_size);

	/* random seeks: a fresh offset each time, so the chunk cache rarely helps (as a seek) */
	srand(42);
	for (int i = 0; i < seeks; i++) {
		uint64_t o = (uint64_t)((double)rand() / RAND_MAX * (double)(st.st_size - SEEK_READ));

		t0 = now_s();
		if (vault_read(&v, o, buf, SEEK_READ) < 0)
			goto fail;
		us_v[i] = (now_s() - t0) * 1e6;
		t0 = now_s();
		if (pread(fd, buf, SEEK_READ, (off_t)o) < 0)
			goto fail;
		us_p[i] = (now_s() - t0) * 1e6;
	}
	report_seeks("vault", us_v, seeks);
	report_seeks("plain", us_p, seeks);
	printf("RESULT read_vault_mbs=%.1f read_plain_mbs=%.1f seek_vault_p99_us=%.1f seek_plain_p99_us=%.1f\n",
	       st.st_size / 1e6 / best_v, st.st_size / 1e6 / best_p, us_v[seeks * 99 / 100], us_p[seeks * 99 / 100]);
	vault_close(&v);
	unlink(vpath);
	close(fd);
	free(plain);
	free(buf);
	free(us_v);
	free(us_p);
	return 0;
fail:
	fprintf(stderr, "vault-bench: %s: %s\n", vpath, strerror(errno));
	return 1;
}
