#include "config.h"

#include "http/range.h"
#include "tap.h"

static void check(const char *h, long long size, enum range_result want, long long wf, long long wl)
{
	long long f = -1, l = -1;
	enum range_result got = range_parse(h, size, &f, &l);

	if (want == RANGE_OK)
		ok(got == RANGE_OK && f == wf && l == wl, "%s of %lld -> %lld-%lld (got %d %lld-%lld)",
		   h ? h : "(none)", size, wf, wl, got, f, l);
	else
		ok(got == want, "%s of %lld -> %s", h ? h : "(none)", size,
		   want == RANGE_NONE ? "whole file" : "416");
}

int main(void)
{
	check(NULL, 1000, RANGE_NONE, 0, 0);
	check("bytes=0-99", 1000, RANGE_OK, 0, 99);
	check("bytes=100-", 1000, RANGE_OK, 100, 999);
	check("bytes=-100", 1000, RANGE_OK, 900, 999);
	check("bytes=-5000", 1000, RANGE_OK, 0, 999);
	check("bytes=0-5000", 1000, RANGE_OK, 0, 999);
	check("bytes=999-999", 1000, RANGE_OK, 999, 999);
	check(" bytes = 10-20", 1000, RANGE_OK, 10, 20);
	check("bytes=1000-", 1000, RANGE_UNSATISFIABLE, 0, 0);
	check("bytes=5000-6000", 1000, RANGE_UNSATISFIABLE, 0, 0);
	check("bytes=-0", 1000, RANGE_UNSATISFIABLE, 0, 0);
	check("bytes=0-", 0, RANGE_UNSATISFIABLE, 0, 0);
	check("bytes=20-10", 1000, RANGE_NONE, 0, 0);
	check("bytes=abc", 1000, RANGE_NONE, 0, 0);
	check("bytes=", 1000, RANGE_NONE, 0, 0);
	check("items=0-10", 1000, RANGE_NONE, 0, 0);
	check("bytes=0-10,20-30", 1000, RANGE_NONE, 0, 0);
	check("bytes=99999999999999999999-", 1000, RANGE_NONE, 0, 0);
	check("bytes=0-10x", 1000, RANGE_NONE, 0, 0);
	return done();
}
