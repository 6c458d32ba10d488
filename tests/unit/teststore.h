/* A store for a unit test of the server's store: the PostgreSQL database
 * SEGUE_TEST_DATABASE_URL names (tests/pg/run gives one), else SQLite in a temporary
 * directory, removed again by teststore_close. */
#ifndef SEGUE_TESTSTORE_H
#define SEGUE_TESTSTORE_H

#include <stdio.h>
#include <stdlib.h>

#include "store/store.h"
#include "tap.h"

struct teststore {
	struct store s;
	char dir[64]; /* "" on PostgreSQL */
};

/* Opens t (name goes into the directory's name). Returns 0, or -1 after a failed ok(). */
static int teststore_open(struct teststore *t, const char *name)
{
	const char *url = getenv("SEGUE_TEST_DATABASE_URL");
	char err[256] = "";

	*t = (struct teststore){ .dir = "" };
	if (!(url && *url)) {
		snprintf(t->dir, sizeof t->dir, "/tmp/segue-test-%s-XXXXXX", name);
		if (!mkdtemp(t->dir)) {
			ok(0, "a temporary directory");
			return -1;
		}
	}
	return ok(store_open(&t->s, t->dir[0] ? t->dir : url, err, sizeof err) == 0, "a store (%s)",
	          err) ? 0 : -1;
}

static void teststore_close(struct teststore *t)
{
	char cmd[128];

	store_close(&t->s);
	if (t->dir[0]) {
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", t->dir);
		if (system(cmd) != 0)
			ok(0, "removing %s", t->dir);
	}
}

#endif
