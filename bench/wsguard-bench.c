/* The Connect frame guard's cost (bench/wsguard.sh builds and runs it), next to its anchor,
 * copying the same bytes (what recv(2) itself does to every byte it returns); the guard's
 * figure is what running it over each read, hot in the cache, adds to the copy:
 *   typical   a session's stream of masked JSON messages (120 to 2,000 bytes) with a ping
 *             in every 50, read in 64 KiB reads: ns per byte for the guard and for memcpy
 *   worst     a stream of nothing but empty masked text frames (6 bytes each, all header:
 *             the guard's most work per byte)
 *   recv      one recv(2) of 4 KiB from a socket pair through the executable's recv (an
 *             unwatched descriptor, as every HTTP connection is) next to the system call
 *             made directly: ns per call
 * Each figure is the best of five runs (the machine is shared).
 *   usage: wsguard-bench [MIB]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "connect/wsguard.h"

#define CHUNK 65536

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static size_t put_frame(unsigned char *p, int opcode, size_t len)
{
	size_t h = 0;

	p[h++] = (unsigned char)(0x80 | opcode);
	if (len < 126) {
		p[h++] = (unsigned char)(0x80 | len);
	} else {
		p[h++] = 0x80 | 126;
		p[h++] = (unsigned char)(len >> 8);
		p[h++] = (unsigned char)len;
	}
	memcpy(p + h, "\x11\x22\x33\x44", 4);
	h += 4;
	for (size_t i = 0; i < len; i++)
		p[h + i] = (unsigned char)('a' + i % 26) ^ 0x11;
	return h + len;
}

/* A stream of `size` bytes made of whole frames. */
static unsigned char *stream(size_t size, int worst, size_t *used)
{
	unsigned char *p = malloc(size + 4096);
	size_t off = 0;
	unsigned k = 0;

	if (!p)
		exit(1);
	while (off < size) {
		if (worst)
			off += put_frame(p + off, 1, 0); /* empty text frames: all header */
		else if (++k % 50 == 0)
			off += put_frame(p + off, 9, 4);
		else
			off += put_frame(p + off, 1, 120 + (k * 7919) % 1880);
	}
	*used = off;
	return p;
}

/* Copies the stream in 64 KiB reads into one buffer, as recv(2) does, and (scan) runs the
 * guard over each read while it is hot in the cache, as it is in the server. */
static double pass_ns_per_byte(const unsigned char *p, size_t n, int rounds, int scan)
{
	static unsigned char dst[CHUNK];
	volatile unsigned char sink = 0;
	double t0 = now_s();

	for (int r = 0; r < rounds; r++) {
		struct wsg_scan s = { 0 };
		size_t at;

		for (size_t off = 0; off < n; off += CHUNK) {
			size_t len = n - off < CHUNK ? n - off : CHUNK;

			memcpy(dst, p + off, len);
			/* Each read in a second of its own: the budget never stops the stream. */
			if (scan && wsg_scan_bytes(&s, dst, len, (int64_t)(off / CHUNK) * 1000, &at))
				return -1;
			sink ^= dst[len - 1];
		}
	}
	(void)sink;
	return (now_s() - t0) * 1e9 / ((double)n * rounds);
}

static double recv_ns(int direct, int calls)
{
	int sv[2];
	char buf[4096] = { 0 };
	double t0, total = 0;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		exit(1);
	for (int i = 0; i < calls; i++) {
		if (write(sv[1], buf, sizeof buf) != (ssize_t)sizeof buf)
			exit(1);
		t0 = now_s();
		if (direct)
			(void)syscall(SYS_recvfrom, sv[0], buf, sizeof buf, 0, NULL, NULL);
		else
			(void)recv(sv[0], buf, sizeof buf, 0);
		total += now_s() - t0;
	}
	close(sv[0]);
	close(sv[1]);
	return total * 1e9 / calls;
}

static double best(const unsigned char *p, size_t n, int scan)
{
	double b = 1e9;

	for (int i = 0; i < 5; i++) {
		double v = pass_ns_per_byte(p, n, 2, scan);

		if (v < b)
			b = v;
	}
	return b;
}

static double recv_best(int direct)
{
	double b = 1e9;

	for (int i = 0; i < 5; i++) {
		double v = recv_ns(direct, 50000);

		if (v < b)
			b = v;
	}
	return b;
}

int main(int argc, char **argv)
{
	size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 64, n;
	unsigned char *p = stream(mib << 20, 0, &n);
	double g, c;

	c = best(p, n, 0);
	g = best(p, n, 1) - c;
	printf("typical  guard %.4f ns/byte (%.1f GB/s)  anchor memcpy %.4f ns/byte  ratio %.2f\n",
	       g, 1 / g, c, g / c);
	free(p);
	p = stream(mib << 20, 1, &n);
	c = best(p, n, 0);
	g = best(p, n, 1) - c;
	printf("worst    guard %.4f ns/byte (%.2f GB/s)  anchor memcpy %.4f ns/byte  ratio %.2f\n",
	       g, 1 / g, c, g / c);
	free(p);
	g = recv_best(0);
	c = recv_best(1);
	printf("recv     through the hook %.0f ns/call  anchor direct system call %.0f ns/call  ratio %.2f\n",
	       g, c, g / c);
	return 0;
}
