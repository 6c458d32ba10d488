#include "config.h"

#include <stdlib.h>

#include "connect/ws.h"
#include "connect/wsguard.h"
#include "tap.h"

/* A masked client frame (payload zeros) into p; its length. */
static size_t frame(unsigned char *p, int fin, int opcode, size_t len, int masked)
{
	size_t h = 0;

	p[h++] = (unsigned char)((fin ? 0x80 : 0) | opcode);
	if (len < 126) {
		p[h++] = (unsigned char)((masked ? 0x80 : 0) | len);
	} else if (len < 65536) {
		p[h++] = (unsigned char)((masked ? 0x80 : 0) | 126);
		p[h++] = (unsigned char)(len >> 8);
		p[h++] = (unsigned char)len;
	} else {
		p[h++] = (unsigned char)((masked ? 0x80 : 0) | 127);
		for (int i = 7; i >= 0; i--)
			p[h++] = (unsigned char)((uint64_t)len >> (8 * i));
	}
	if (masked)
		for (int i = 0; i < 4; i++)
			p[h++] = 0x5a;
	memset(p + h, 0, len);
	return h + len;
}

/* Feeds p in pieces of `step` bytes; the first code other than WSG_OK, with its offset in
 * the whole stream. */
static int feed(struct wsg_scan *s, const unsigned char *p, size_t n, size_t step, int64_t now,
                size_t *where)
{
	for (size_t off = 0; off < n; off += step) {
		size_t len = n - off < step ? n - off : step, at = 0;
		int code = wsg_scan_bytes(s, p + off, len, now, &at);

		if (code) {
			*where = off + at;
			return code;
		}
	}
	return WSG_OK;
}

int main(void)
{
	static unsigned char buf[1 << 18];
	struct wsg_scan s;
	size_t n, where = 0, mark;
	int code;

	/* Frames of every length form, a fragmented message, pings within the budget: read
	 * whole, and split at every size from one byte up, never a violation. */
	n = frame(buf, 1, 1, 5, 1);
	n += frame(buf + n, 1, 1, 300, 1);
	n += frame(buf + n, 1, 2, 70000, 1);
	n += frame(buf + n, 0, 1, 10, 1);
	n += frame(buf + n, 0, 0, 0, 1);
	n += frame(buf + n, 1, 0, 200, 1);
	for (int i = 0; i < 50; i++)
		n += frame(buf + n, 1, 9, 4, 1);
	for (size_t step = 1; step <= 4097; step = step < 16 ? step + 1 : step * 2 + 1) {
		memset(&s, 0, sizeof s);
		code = feed(&s, buf, n, step, 0, &where);
		if (code)
			break;
	}
	is_int(code, WSG_OK, "a valid stream, in reads of 1 to 4097 bytes, passes");
	is_int(s.state, 0, "and ends at a frame boundary");

	/* An unmasked frame after valid ones: 1002, at its first byte, whatever the split. */
	mark = n = frame(buf, 1, 1, 300, 1);
	n += frame(buf + n, 1, 1, 3, 0);
	for (size_t step = 1; step <= 512; step *= 2) {
		memset(&s, 0, sizeof s);
		code = feed(&s, buf, n, step, 0, &where);
		if (code != WSG_UNMASKED || (where != mark && step > 1))
			break;
	}
	is_int(code, WSG_UNMASKED, "an unmasked frame is a protocol error");
	is_int(where, mark, "found at its first byte");
	memset(&s, 0, sizeof s);
	n = frame(buf, 1, 9, 0, 0);
	is_int(feed(&s, buf, n, n, 0, &where), WSG_UNMASKED, "an unmasked ping too");

	/* The budget: WS_RATE_MAX control or continuation frames a second pass, one more does
	 * not; data frames that start messages do not count; a new second starts afresh. */
	n = 0;
	for (int i = 0; i < WS_RATE_MAX; i++)
		n += frame(buf + n, 1, i % 2 ? 9 : 10, 0, 1);
	for (int i = 0; i < 500; i++)
		n += frame(buf + n, 1, 1, 2, 1);
	memset(&s, 0, sizeof s);
	is_int(feed(&s, buf, n, 4096, 5000, &where), WSG_OK, "%d pings and pongs and 500 messages in a second pass", WS_RATE_MAX);
	mark = n;
	n += frame(buf + n, 1, 9, 0, 1);
	memset(&s, 0, sizeof s);
	is_int(feed(&s, buf, n, 4096, 5000, &where), WSG_FLOOD, "one more ping in that second is a flood");
	is_int(where, mark, "found at that ping");
	memset(&s, 0, sizeof s);
	is_int(feed(&s, buf, mark, 4096, 5000, &where), WSG_OK, "the same in one second");
	is_int(feed(&s, buf, mark, 4096, 6000, &where), WSG_OK, "and again the next second");
	is_int(feed(&s, buf, mark, 4096, 6500, &where), WSG_FLOOD, "but not twice in one second");

	n = frame(buf, 0, 1, 1, 1);
	for (int i = 0; i <= WS_RATE_MAX; i++)
		n += frame(buf + n, 0, 0, 0, 1);
	memset(&s, 0, sizeof s);
	is_int(feed(&s, buf, n, 4096, 0, &where), WSG_FLOOD, "empty continuation fragments count");

	/* A 64-bit length is skipped over, not read as frames. */
	n = frame(buf, 1, 2, 100000, 1);
	memset(buf + 14, 0x89, 100000); /* payload bytes that look like unmasked pings */
	memset(&s, 0, sizeof s);
	is_int(feed(&s, buf, n, 777, 0, &where), WSG_OK, "a payload is never taken for frames");
	return done();
}
