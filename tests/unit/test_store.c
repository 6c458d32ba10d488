/* The state database shared by several connections of one process (the daemon opens one
 * per download thread) and by other processes (the command line): opening another
 * connection must not drop this process's locks, or another process closing its own
 * connection would checkpoint and delete the WAL under ours, and our writes would vanish. */
#include "config.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store.h"
#include "tap.h"

/* Another process (a fresh one: a fork would inherit SQLite's idea of this process's locks)
 * opens the database, reads, and closes: the last-connection cleanup SQLite does at that
 * close is where a lost lock shows. */
static long long other_process_reads(const char *path)
{
	char *argv[] = { "test_store", "--read", (char *)path, NULL };
	long long v = -1;
	int fds[2];
	pid_t pid;

	if (pipe(fds) < 0 || (pid = fork()) < 0)
		return -2;
	if (pid == 0) {
		dup2(fds[1], STDOUT_FILENO);
		execv("/proc/self/exe", argv);
		_exit(127);
	}
	close(fds[1]);
	FILE *f = fdopen(fds[0], "r");
	if (!f || fscanf(f, "%lld", &v) != 1)
		v = -3;
	if (f)
		fclose(f);
	waitpid(pid, NULL, 0);
	return v;
}

static int read_n(const char *path)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	long long got = -1;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, "SELECT CAST(value AS INTEGER) FROM kv WHERE key = 'n'", -1, &st,
	                       NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		got = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	printf("%lld\n", got);
	return 0;
}

int main(int argc, char **argv)
{
	char dir[] = "/tmp/segue-store-XXXXXX", path[128], wal[140], cmd[160];
	struct store a, b;
	struct stat sb;

	if (argc == 3 && !strcmp(argv[1], "--read"))
		return read_n(argv[2]);
	if (!mkdtemp(dir))
		return 99;
	snprintf(path, sizeof path, "%s/segue.db", dir);
	snprintf(wal, sizeof wal, "%s-wal", path);
	is_int(store_open(&a, path), SEG_OK, "the first connection opens (and creates) the database");
	ok(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600, "created 0600");
	store_kv_set(&a, "n", "1");
	is_int(store_open(&b, path), SEG_OK, "a second connection in the same process opens");
	is_int(other_process_reads(path), 1, "another process reads the first write");

	/* Writes after the other process closed its connection. */
	store_kv_set(&a, "n", "2");
	store_kv_set(&b, "n", "3");
	ok(access(wal, F_OK) == 0, "the WAL is still there while this process has it open");
	is_int(other_process_reads(path), 3, "another process sees the writes made since");
	store_kv_set(&a, "n", "4");
	is_int(other_process_reads(path), 4, "and the next ones");

	store_close(&b);
	store_close(&a);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return 99;
	return done();
}
