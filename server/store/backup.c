/* The online backup: SQLite's sqlite3_backup_* API, from the live database to a new file. */
#include "config.h"
#include "store/backup.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store/store_db.h"

/* 256 pages of 4 KiB: a millisecond or so of reading between chances for others to write. */
#define BACKUP_FIRST_STEP 256
#define BACKUP_MAX_STEPS 100000

static void pause_ms(long ms)
{
	struct timespec ts = { 0, ms * 1000000L };

	nanosleep(&ts, NULL);
}

/* The copy as a standalone file: the live database is in WAL mode, and a copy left so would
 * need its -wal beside it the first time it is opened. */
static int finish_copy(sqlite3 *dst, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_exec(dst, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	if (sqlite3_prepare_v2(dst, "PRAGMA quick_check", -1, &st, NULL) != SQLITE_OK)
		goto fail;
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW)
		goto fail;
	if (strcmp((const char *)sqlite3_column_text(st, 0), "ok")) {
		snprintf(err, errlen, "the copy fails its check: %.200s", sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	return 0;
fail:
	snprintf(err, errlen, "checking the copy: %s", sqlite3_errmsg(dst));
	sqlite3_finalize(st);
	return -1;
}

int store_backup(struct store *s, const char *dest, long long *pages, char *err, size_t errlen)
{
	sqlite3 *dst = NULL;
	sqlite3_backup *b = NULL;
	int step = BACKUP_FIRST_STEP, last_remaining = -1, rc = SQLITE_OK, ret = -1, fd;

	if (sqlite3_open_v2(dest, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", dest, dst ? sqlite3_errmsg(dst) : "out of memory");
		goto out;
	}
	b = sqlite3_backup_init(dst, "main", s->db, "main");
	if (!b) {
		snprintf(err, errlen, "%s: %s", dest, sqlite3_errmsg(dst));
		goto out;
	}
	for (int n = 0; n < BACKUP_MAX_STEPS; n++) {
		rc = sqlite3_backup_step(b, step);
		if (rc == SQLITE_DONE)
			break;
		if (rc == SQLITE_OK) {
			int remaining = sqlite3_backup_remaining(b);

			/* No progress: another connection wrote and SQLite began again. */
			if (last_remaining >= 0 && remaining >= last_remaining && step < (1 << 30) / 2)
				step *= 2;
			last_remaining = remaining;
			pause_ms(1);
		} else if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
			pause_ms(20);
		} else {
			break;
		}
	}
	if (pages)
		*pages = sqlite3_backup_pagecount(b);
	sqlite3_backup_finish(b);
	b = NULL;
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "copying the database: %s",
		         rc == SQLITE_OK ? "it kept changing faster than it could be copied"
		                         : sqlite3_errstr(rc));
		goto out;
	}
	if (finish_copy(dst, err, errlen) < 0)
		goto out;
	if (sqlite3_close(dst) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", dest, sqlite3_errmsg(dst));
		goto out;
	}
	dst = NULL;
	/* On disk before the caller renames it into place. */
	fd = open(dest, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) < 0) {
		snprintf(err, errlen, "%s: %m", dest);
		if (fd >= 0)
			close(fd);
		goto out;
	}
	close(fd);
	ret = 0;
out:
	if (b)
		sqlite3_backup_finish(b);
	sqlite3_close(dst);
	return ret;
}
