/* segue-server backup FILE: a consistent copy of the database, taken while the server
 * serves, and beside it the key files the data directory needs to be whole again (the
 * database alone would leave every signed link, offline licence and Subsonic password
 * unverifiable). Each file is written private under a temporary name and renamed into
 * place, so a reader never sees half a backup file; without --force, an existing file is
 * never replaced (link(2) refuses it even if one appears while the copy runs). */
#include "config.h"
#include "cli/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "log.h"
#include "store/backup.h"
#include "store/secrets.h"

/* The data directory's files besides the database that a restore needs, copied to
 * FILE.NAME. Media and images are not copied: they are large and never change once written
 * (doc/deploy.md copies them with rsync). */
#define key_files store_secret_names
#define NKEYS ((size_t)STORE_NSECRETS)
#define KEY_FILE_MAX (1 << 20)

struct target {
	char path[PATH_MAX];
	char tmp[PATH_MAX];
	bool made; /* tmp exists and is ours to remove */
};

/* A private empty file beside path, named so that a listing shows it for what it is. */
static int make_temp(struct target *t)
{
	char copy[PATH_MAX], base[PATH_MAX];
	int fd;

	snprintf(copy, sizeof copy, "%s", t->path);
	snprintf(base, sizeof base, "%s", t->path);
	if (snprintf(t->tmp, sizeof t->tmp, "%s/.%s.XXXXXX", dirname(copy), basename(base)) >=
	    (int)sizeof t->tmp) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = mkstemp(t->tmp); /* 0600, whatever the umask */
	if (fd < 0)
		return -1;
	t->made = true;
	return fd;
}

/* Renames the finished temporary file to its name: over an existing file only when forced. */
static int commit(struct target *t, bool force)
{
	if (force) {
		if (rename(t->tmp, t->path) < 0)
			return -1;
	} else {
		if (link(t->tmp, t->path) < 0)
			return -1;
		unlink(t->tmp);
	}
	t->made = false;
	return 0;
}

static void drop(struct target *t)
{
	if (t->made)
		unlink(t->tmp);
	t->made = false;
}

static int sync_dir_of(const char *path)
{
	char copy[PATH_MAX];
	int fd, rc;

	snprintf(copy, sizeof copy, "%s", path);
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/* Copies DATA_DIR/name to t (already named); 0 when copied, 1 when the data directory has no
 * such file, -1 after a message. */
static int copy_key(const char *data_dir, const char *name, struct target *t, bool force)
{
	char src[PATH_MAX];
	unsigned char *data = NULL;
	size_t len = 0;
	enum file_read r;
	int fd = -1, ret = -1;

	snprintf(src, sizeof src, "%s/%s", data_dir, name);
	r = file_read_all(src, KEY_FILE_MAX, &data, &len);
	if (r == FILE_READ_ERRNO && errno == ENOENT)
		return 1;
	if (r != FILE_READ_OK) {
		fprintf(stderr, "segue-server: %s: %s\n", src,
		        r == FILE_READ_ERRNO ? strerror(errno)
		        : r == FILE_READ_TOO_BIG ? "too big for a key file" : "not a regular file");
		goto out;
	}
	if ((fd = make_temp(t)) < 0 || fd_write_all(fd, data, len) < 0 || fsync(fd) < 0 ||
	    close(fd) < 0 || (fd = -1, commit(t, force)) < 0) {
		fprintf(stderr, "segue-server: %s: %s\n", t->path, strerror(errno));
		goto out;
	}
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	drop(t);
	if (data) {
		sodium_memzero(data, len);
		free(data);
	}
	return ret;
}

static int usage(void)
{
	fprintf(stderr, "usage: segue-server backup [--force] FILE\n");
	return EXIT_USAGE;
}

int cmd_backup(int argc, char **argv)
{
	struct settings cfg;
	struct store s;
	struct target db = { 0 }, keys[NKEYS];
	const char *file = NULL;
	char err[512], src[PATH_MAX];
	bool force = false, opened = false;
	long long pages = 0;
	struct stat st;
	int rc, fd = -1, ret = EXIT_FAILURE_;

	if ((rc = cli_settings(&cfg, &argc, argv)) != 0)
		return rc;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--force"))
			force = true;
		else if (argv[i][0] == '-' || file)
			return usage();
		else
			file = argv[i];
	}
	if (!file || !*file)
		return usage();
	/* PostgreSQL has its own tools for a consistent copy of a live database; the keys are
	 * in it too. Nothing is written. */
	if (cfg.database[0]) {
		fprintf(stderr, "segue-server: the database is PostgreSQL's: back it up with pg_dump"
		        " (pg_dump --format=custom --file=%s DBNAME), which copies the keys with it;"
		        " nothing was written\n", file);
		return EXIT_USAGE;
	}
	/* A folder would put the temporary file beside the folder, not in it. */
	if (file[strlen(file) - 1] == '/' || (stat(file, &st) == 0 && S_ISDIR(st.st_mode))) {
		fprintf(stderr, "segue-server: %s is a folder: name the backup file\n", file);
		return EXIT_USAGE;
	}
	memset(keys, 0, sizeof keys);
	if (snprintf(db.path, sizeof db.path, "%s", file) >= (int)sizeof db.path)
		goto too_long;
	for (size_t k = 0; k < NKEYS; k++)
		if (snprintf(keys[k].path, sizeof keys[k].path, "%s.%s", file, key_files[k]) >=
		    (int)sizeof keys[k].path)
			goto too_long;
	/* Say so before copying anything rather than leave half a set behind. */
	if (!force) {
		if (lstat(db.path, &st) == 0) {
			fprintf(stderr, "segue-server: %s exists (--force replaces it)\n", db.path);
			return EXIT_EXISTS;
		}
		for (size_t k = 0; k < NKEYS; k++)
			if (lstat(keys[k].path, &st) == 0) {
				fprintf(stderr, "segue-server: %s exists (--force replaces it)\n", keys[k].path);
				return EXIT_EXISTS;
			}
	}
	/* A backup of nothing would make an empty database and copy it. */
	snprintf(src, sizeof src, "%s/segue.db", cfg.data_dir);
	if (stat(src, &st) < 0) {
		fprintf(stderr, "segue-server: %s: %s\n", src, strerror(errno));
		return EXIT_FAILURE_;
	}
	if (store_open(&s, cfg.data_dir, err, sizeof err) < 0) {
		fprintf(stderr, "segue-server: %s\n", err);
		return EXIT_FAILURE_;
	}
	opened = true;
	if ((fd = make_temp(&db)) < 0) {
		fprintf(stderr, "segue-server: %s: %s\n", db.path, strerror(errno));
		goto out;
	}
	close(fd);
	if (store_backup(&s, db.tmp, &pages, err, sizeof err) < 0) {
		fprintf(stderr, "segue-server: %s\n", err);
		goto out;
	}
	store_close(&s);
	opened = false;
	if (commit(&db, force) < 0) {
		int e = errno;

		fprintf(stderr, "segue-server: %s: %s\n", db.path,
		        e == EEXIST ? "appeared while the copy ran; not replaced" : strerror(e));
		ret = e == EEXIST ? EXIT_EXISTS : EXIT_FAILURE_;
		goto out;
	}
	printf("%s  database, %lld pages\n", db.path, pages);
	for (size_t k = 0; k < NKEYS; k++) {
		rc = copy_key(cfg.data_dir, key_files[k], &keys[k], force);
		if (rc < 0)
			goto out;
		if (rc == 0) {
			printf("%s\n", keys[k].path);
			continue;
		}
		/* None in the data directory: an older backup's copy beside FILE would mislead. */
		if (force && unlink(keys[k].path) < 0 && errno != ENOENT) {
			fprintf(stderr, "segue-server: %s: %s\n", keys[k].path, strerror(errno));
			goto out;
		}
		fprintf(stderr, "segue-server: no %s in %s (not made yet): not copied\n", key_files[k],
		        cfg.data_dir);
	}
	if (sync_dir_of(db.path) < 0) {
		fprintf(stderr, "segue-server: %s: %s\n", db.path, strerror(errno));
		goto out;
	}
	ret = EXIT_OK;
out:
	drop(&db);
	if (opened)
		store_close(&s);
	return ret;
too_long:
	fprintf(stderr, "segue-server: %s: name too long\n", file);
	return EXIT_USAGE;
}
