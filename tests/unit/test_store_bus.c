/* The player row several Connect hubs share (store/bus.h): written only over the version its
 * writer last read, so that of two writers from one version the second writes nothing, and
 * read only when it is newer than a version the reader has. Over SQLite in a temporary
 * directory, or the PostgreSQL database SEGUE_TEST_DATABASE_URL names
 * (tests/pg/test_store_bus.pg), where the hub runs. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/accounts.h"
#include "store/bus.h"
#include "store/store.h"
#include "tap.h"
#include "teststore.h"

static struct store_bus_player row(const char *state, const char *queue, const char *active)
{
	struct store_bus_player p = { .state = (char *)state, .queue = (char *)queue, .changed_at = 1000 };

	snprintf(p.active, sizeof p.active, "%s", active);
	snprintf(p.changed_by, sizeof p.changed_by, "test");
	return p;
}

static void conditional(struct store *s)
{
	struct store_bus_player a = row("{\"n\":1}", "{\"q\":1}", "phone");
	struct store_bus_player b = row("{\"n\":2}", NULL, "desk");
	struct store_bus_player c = row("{\"n\":3}", NULL, "phone");
	struct store_bus_player got;

	is_int(store_bus_player_get(s, "u1", 0, -1, &got), 0, "no row yet");
	is_int(store_bus_player_put(s, "u1", &a, true, 0), 1, "the first write makes the row");
	ok(a.version == 1 && a.queue_version == 1, "at version 1, its queue at 1 (%lld, %lld)",
	   a.version, a.queue_version);
	c.version = -1;
	is_int(store_bus_player_put(s, "u1", &c, false, 0), 0,
	       "a second writer that saw no row either writes nothing");
	is_int(c.version, -1, "... and learns no version");
	is_int(store_bus_player_put(s, "u1", &b, false, 1), 1, "a write over version 1 is taken");
	ok(b.version == 2 && b.queue_version == 1, "at version 2, the queue left at 1 (%lld, %lld)",
	   b.version, b.queue_version);
	is_int(store_bus_player_put(s, "u1", &c, false, 1), 0,
	       "a write over version 1 from one that has not read version 2: nothing");

	is_int(store_bus_player_get(s, "u1", 2, 1, &got), 0, "nothing newer than version 2");
	is_int(store_bus_player_get(s, "u1", 1, 1, &got), 1, "newer than version 1: read");
	ok(got.version == 2 && got.state && !strcmp(got.state, "{\"n\":2}") && !strcmp(got.active, "desk"),
	   "the row is the write taken, not the one refused (%lld, %s, %s)", got.version,
	   got.state ? got.state : "(null)", got.active);
	ok(!got.queue, "the queue is not read when its version is the one the reader has");
	free(got.state);
	free(got.queue);
	is_int(store_bus_player_get(s, "u1", 0, 0, &got), 1, "read with another queue version");
	ok(got.queue && !strcmp(got.queue, "{\"q\":1}"), "the queue comes with it (%s)",
	   got.queue ? got.queue : "(null)");
	free(got.state);
	free(got.queue);

	is_int(store_bus_player_put(s, "u1", &c, true, 2), 1, "over version 2, with a queue: taken");
	ok(c.version == 3 && c.queue_version == 2, "version 3, the queue at 2 (%lld, %lld)", c.version,
	   c.queue_version);
}

int main(void)
{
	struct teststore t;

	if (teststore_open(&t, "bus") < 0)
		return done();
	if (ok(store_user_insert(&t.s, "u1", "x", true, "US", 1000) == 1, "a user"))
		conditional(&t.s);
	teststore_close(&t);
	return done();
}
