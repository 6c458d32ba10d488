/* The head guard's recv hook (http/headguard.h) scans only the service thread's reads: a
 * recv on another thread (libpq's, in a worker) must pass it untouched, whatever descriptor
 * number it reads. */
#include "config.h"

#include <pthread.h>
#include <string.h>

#include "http/headguard.h"
#include "http/http.h"
#include "tap.h"

/* Stands in for an lws connection: the guard only keeps the pointer until it refuses a head,
 * which this test never lets happen on the owner thread. */
static char fake_wsi;
#define FD 7

/* A request line longer than the guard allows, with no end: scanned, it is refused (414). */
static char long_line[HEADGUARD_MAX_BYTES + 512];

struct read_result {
	ssize_t n;
	bool untouched;
};

static void *other_thread(void *arg)
{
	struct read_result *res = arg;
	char copy[sizeof long_line];

	memcpy(copy, long_line, sizeof long_line);
	res->n = http_rx(FD, long_line, sizeof long_line);
	res->untouched = !memcmp(copy, long_line, sizeof long_line);
	return NULL;
}

int main(void)
{
	static const char small[] = "GET /v1/me HTTP/1.1\r\nHost: x\r\n\r\n";
	char buf[sizeof small];
	struct read_result res = { 0, false };
	pthread_t t;

	memcpy(long_line, "GET /", 5);
	memset(long_line + 5, 'a', sizeof long_line - 5);

	headguard_watch(FD, (struct lws *)&fake_wsi);
	memcpy(buf, small, sizeof small);
	is_int(http_rx(FD, buf, sizeof small - 1), (long long)(sizeof small - 1),
	       "the loop's read of a small whole head is handed on to lws");
	headguard_watch(FD, (struct lws *)&fake_wsi); /* its next head is scanned */

	ok(pthread_create(&t, NULL, other_thread, &res) == 0 && pthread_join(t, NULL) == 0,
	   "another thread reads the same descriptor number");
	is_int(res.n, (long long)sizeof long_line,
	       "its read passes whole: a head past the bound is not refused off the loop");
	ok(res.untouched, "and its bytes are as read");
	headguard_forget(FD, NULL);
	return done();
}
