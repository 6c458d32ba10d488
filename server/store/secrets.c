#include "config.h"
#include "store/secrets.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileperm.h"
#include "log.h"
#include "store/store_db.h"

const char *const store_secret_names[STORE_NSECRETS] = {
	"signing.keys", "offline.key", "subsonic.key",
};

static bool in_table(struct store *s)
{
	return s && store_is_postgres(s);
}

static int file_path(const char *dir, const char *name, char *path, size_t len)
{
	if (!dir || !*name || strchr(name, '/') ||
	    (size_t)snprintf(path, len, "%s/%s", dir, name) >= len)
		return -1;
	return 0;
}

/* A file's version: its inode and change time, so a file renamed into place within the same
 * clock tick still reads as new. */
static long long file_version(const struct stat *st)
{
	unsigned long long v = (unsigned long long)st->st_ino * 0x9e3779b97f4a7c15ULL;

	v ^= (unsigned long long)st->st_mtim.tv_sec * 1000000000ULL + (unsigned long long)st->st_mtim.tv_nsec;
	return (long long)(v & 0x7fffffffffffffffULL);
}

static int file_read(const char *path, char *out, size_t len, long long *version, char *err,
                     size_t errlen)
{
	struct stat st;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), rc = -1;

	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		goto out;
	}
	if (st.st_mode & 077) {
		snprintf(err, errlen, "%s: must be readable by its owner only (chmod 600)", path);
		goto out;
	}
	while (got + 1 < len) {
		ssize_t n = read(fd, out + got, len - 1 - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	if (got + 1 >= len) {
		snprintf(err, errlen, "%s: longer than a key file can be", path);
		goto out;
	}
	out[got] = '\0';
	if (version)
		*version = file_version(&st);
	rc = 1;
out:
	if (rc < 0)
		sodium_memzero(out, len);
	close(fd);
	return rc;
}

/* Steps a write of a secret. PostgreSQL's message may carry a DETAIL line that quotes the
 * failing row, the secret with it: only the first line is logged. */
static int write_step(struct store *s, struct db_stmt *st, const char *name)
{
	int rc = db_step(st);

	if (rc != DB_DONE) {
		const char *msg = db_errmsg(s);

		log_err("store: writing the secret %s: %.*s", name, (int)strcspn(msg, "\n"), msg);
	}
	db_reset(st);
	return rc == DB_DONE ? 0 : -1;
}

struct row {
	char *out;
	size_t len;
	long long version;
	bool fits;
};

static void fill_row(struct db_stmt *st, void *out)
{
	struct row *r = out;
	const char *body = db_col_text(st, 0);
	size_t n = strlen(body);

	r->version = db_col_int64(st, 1);
	r->fits = n < r->len;
	if (r->fits)
		memcpy(r->out, body, n + 1);
}

int store_secret_read(struct store *s, const char *dir, const char *name, char *out, size_t len,
                      long long *version, char *err, size_t errlen)
{
	struct row r = { .out = out, .len = len };
	struct db_stmt *st;
	char path[1200];
	int rc;

	if (!in_table(s)) {
		if (file_path(dir, name, path, sizeof path) < 0) {
			snprintf(err, errlen, "%s: no place for this secret", name);
			return -1;
		}
		return file_read(path, out, len, version, err, errlen);
	}
	st = store_stmt(s, "SELECT body, version FROM server_secrets WHERE name = ?");
	if (!st) {
		snprintf(err, errlen, "%s: %s", name, db_errmsg(s));
		return -1;
	}
	db_bind_text(st, 1, name);
	rc = store_one(s, st, "a server secret", fill_row, &r);
	if (rc < 0) {
		snprintf(err, errlen, "%s: cannot read it from the database", name);
		return -1;
	}
	if (rc > 0 && !r.fits) {
		snprintf(err, errlen, "%s: longer than a key can be", name);
		return -1;
	}
	if (rc > 0 && version)
		*version = r.version;
	return rc;
}

/* Writes text under name: created only when absent (replace false), or replacing it. */
static int secret_write(struct store *s, const char *dir, const char *name, const char *text,
                        bool replace, char *err, size_t errlen)
{
	struct db_stmt *st;
	char path[1200];

	if (!in_table(s)) {
		if (file_path(dir, name, path, sizeof path) < 0) {
			snprintf(err, errlen, "%s: no place for this secret", name);
			return -1;
		}
		return replace ? file_replace_secret(path, text, err, errlen) :
		                 file_create_secret(path, text, err, errlen);
	}
	st = replace ? store_stmt(s, "INSERT INTO server_secrets (name, body, version, updated_at)"
	                             " VALUES (?1, ?2, 1, ?3) ON CONFLICT (name) DO UPDATE"
	                             " SET body = ?2, version = server_secrets.version + 1,"
	                             " updated_at = ?3") :
	               store_stmt(s, "INSERT INTO server_secrets (name, body, version, updated_at)"
	                             " VALUES (?1, ?2, 1, ?3) ON CONFLICT (name) DO NOTHING");
	if (!st)
		goto fail;
	db_bind_text(st, 1, name);
	db_bind_text(st, 2, text);
	db_bind_int64(st, 3, store_now_ms());
	if (write_step(s, st, name) < 0)
		goto fail;
	return 0;
fail:
	snprintf(err, errlen, "%s: cannot store it in the database", name);
	return -1;
}

int store_secret_create(struct store *s, const char *dir, const char *name, const char *text,
                        char *err, size_t errlen)
{
	return secret_write(s, dir, name, text, false, err, errlen);
}

int store_secret_replace(struct store *s, const char *dir, const char *name, const char *text,
                         char *err, size_t errlen)
{
	return secret_write(s, dir, name, text, true, err, errlen);
}

int store_secret_version(struct store *s, const char *dir, const char *name, long long *version)
{
	struct db_stmt *st;
	char path[1200];
	struct stat sb;

	if (!in_table(s)) {
		if (file_path(dir, name, path, sizeof path) < 0)
			return -1;
		if (stat(path, &sb) != 0)
			return errno == ENOENT ? 0 : -1;
		*version = file_version(&sb);
		return 1;
	}
	st = store_stmt(s, "SELECT version FROM server_secrets WHERE name = ?");
	if (!st)
		return -1;
	db_bind_text(st, 1, name);
	return store_one_int64(s, st, "a server secret's version", version);
}
