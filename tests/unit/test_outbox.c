/* The outbox keeps every play on disk from its start until the server has it: begin, progress
 * and finish are durable, plays cut short by a crash are recovered once, and only closed plays
 * are pending. Delivery itself is exercised against a real server by tests/client.py. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "outbox.h"
#include "store.h"
#include "store_sqlite.h" /* the test reads rows with SQL of its own */
#include "tap.h"

static const char *const T1 = "0123456789abcdefABCDEF", *const T2 = "ABCDEFabcdef0123456789";

static long long col(struct store *s, const char *sql, const char *id)
{
	sqlite3_stmt *st = store_prepare(s, sql);
	long long v = -1;

	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

int main(void)
{
	char dir[] = "/tmp/segue-outbox-XXXXXX", path[256], a[OUTBOX_ID_LEN + 1], b[OUTBOX_ID_LEN + 1];
	struct store s;

	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof path, "%s/sub/segue.db", dir);
	is_int(store_open(&s, path), SEG_OK, "the database and its directory are created");
	is_int(access(path, R_OK | W_OK), 0, "the file exists");
	is_int(outbox_pending(&s), 0, "an empty outbox has nothing pending");

	is_int(outbox_begin(&s, T1, "segue:album:0123456789abcdefABCDEF", 1700000000000LL, a), SEG_OK,
	       "a play begins");
	is_int((long long)strlen(a), OUTBOX_ID_LEN, "it gets a %d-character id", OUTBOX_ID_LEN);
	is_int(outbox_begin(&s, T2, NULL, 1700000001000LL, b), SEG_OK, "a second play begins");
	ok(strcmp(a, b) != 0, "ids differ");
	is_int(outbox_pending(&s), 0, "plays still going are not pending");

	is_int(outbox_progress(&s, a, 12000), SEG_OK, "progress is saved");
	is_int(col(&s, "SELECT ms_played FROM outbox WHERE id = ?", a), 12000, "and read back");
	is_int(outbox_finish(&s, a, 31000, "track_done"), SEG_OK, "a play finishes");
	is_int(outbox_pending(&s), 1, "a finished play is pending");
	is_int(outbox_progress(&s, a, 1), SEG_OK, "progress after the end is ignored");
	is_int(col(&s, "SELECT ms_played FROM outbox WHERE id = ?", a), 31000, "the final figure stays");
	is_int(outbox_finish(&s, a, 5, "skipped"), SEG_OK, "finishing twice is harmless");
	is_int(col(&s, "SELECT ms_played FROM outbox WHERE id = ?", a), 31000, "and changes nothing");

	/* A crash: reopen with the second play still open. */
	store_close(&s);
	is_int(store_open(&s, path), SEG_OK, "the database reopens");
	is_int(outbox_pending(&s), 1, "the finished play survived");
	is_int(outbox_recover(&s), 1, "the play cut short is recovered");
	is_int(outbox_recover(&s), 0, "and only once");
	is_int(outbox_pending(&s), 2, "both are pending now");
	is_int(col(&s, "SELECT reason_end = 'error' FROM outbox WHERE id = ?", b), 1,
	       "the cut play ends with reason error");
	ok(col(&s, "SELECT seq FROM outbox WHERE id = ?", a) < col(&s, "SELECT seq FROM outbox WHERE id = ?", b),
	   "delivery order follows the order plays began");

	store_close(&s);
	snprintf(path, sizeof path, "rm -rf '%s'", dir);
	if (system(path) != 0)
		printf("# could not remove %s\n", dir);
	return done();
}
