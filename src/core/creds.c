/* The credentials file: the session kept on disk (read, written atomically, dropped) under a
 * lock that every segue process and thread sharing it takes, and the wiping of a session's
 * secrets from memory. Part of the API (api_internal.h). */
#include "config.h"
#include "api_internal.h"
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CREDS_MAX (64 * 1024) /* a credentials file is a few hundred bytes */
#define LOCK_POLL_MS 20

void api_wipe_free(char **s)
{
	if (*s) {
		sodium_memzero(*s, strlen(*s));
		free(*s);
		*s = NULL;
	}
}

void api_session_clear(struct session *s)
{
	api_wipe_free(&s->user);
	api_wipe_free(&s->access);
	api_wipe_free(&s->refresh);
	s->expires_at = 0;
}

/* Jansson frees its strings without clearing them; tokens are overwritten in place first. */
void api_wipe_json_string(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	if (json_is_string(v))
		sodium_memzero((char *)json_string_value(v), json_string_length(v));
}

size_t api_server_len(const char *url)
{
	size_t n = strlen(url);

	while (n && url[n - 1] == '/')
		n--;
	return n;
}

static bool same_server(const char *x, const char *y)
{
	size_t n = api_server_len(x);

	return n == api_server_len(y) && !memcmp(x, y, n);
}

/* The directory part of path: "." when there is none. */
static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

static bool is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* mkdir -p with mode 0700 for what it creates; existing directories are left as they are. */
static int mkdir_parents(const char *path)
{
	char *dir = dir_of(path);
	int rc = -1;

	if (!dir)
		return -1;
	for (char *p = dir + 1;; p++) {
		bool end = !*p;

		if (*p && *p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0700) < 0 && errno != EEXIST && !is_dir(dir))
			goto out;
		if (end)
			break;
		*p = '/';
	}
	rc = 0;
out:
	free(dir);
	return rc;
}

void api_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Several processes (the command line, the daemon) and several threads share one credentials
 * file, and refresh tokens rotate: two refreshes with the same token make the server revoke the
 * whole session. So whoever refreshes or rewrites the session holds an exclusive flock on
 * PATH.lock, and re-reads the file under it. The wait is bounded by about one request, the
 * longest a holder keeps it; a lock file that cannot be made (read-only directory) is skipped,
 * since the session could not be saved there anyway. */
enum seg_err api_lock_creds(const struct api *a, bool create_dir, int *fd)
{
	long waited = 0, limit = a->connect_timeout_ms + a->timeout_ms + 1000;
	int f;

	*fd = -1;
	if (create_dir)
		mkdir_parents(a->lock_path);
	if ((f = open(a->lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0)
		return SEG_OK;
	for (;;) {
		if (flock(f, LOCK_EX | LOCK_NB) == 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK) {
			close(f); /* no locks here (some network file systems): go without */
			return SEG_OK;
		}
		if (waited >= limit) {
			close(f);
			return seg_fail(SEG_EFAIL, "another segue process holds %s for too long",
			                a->lock_path);
		}
		api_sleep_ms(LOCK_POLL_MS);
		waited += LOCK_POLL_MS;
	}
	*fd = f;
	return SEG_OK;
}

void api_unlock_creds(int fd)
{
	if (fd >= 0)
		close(fd);
}

static char *dup_member(json_t *obj, const char *key, bool *bad)
{
	const char *v = json_string_value(json_object_get(obj, key));

	if (!v || !*v) {
		*bad = true;
		return NULL;
	}
	return strdup(v);
}

/* Reads the credentials file into out. A file others may read, or that is not ours, is not
 * used: the tokens in it may have leaked. */
enum load api_load_session(const struct api *a, struct session *out)
{
	enum load res = LOAD_BAD;
	const char *server;
	struct stat st;
	char *text = NULL;
	json_t *j = NULL;
	json_error_t e;
	size_t len = 0;
	bool bad = false;
	int fd;

	memset(out, 0, sizeof *out);
	fd = open(a->creds_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return LOAD_NONE;
		seg_fail(SEG_EIO, "cannot read %s: %s", a->creds_path, strerror(errno));
		return LOAD_BAD;
	}
	if (fstat(fd, &st) < 0) {
		seg_fail(SEG_EIO, "cannot read %s: %s", a->creds_path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077)) {
		seg_fail(SEG_EAUTH, "%s is not private to you (mode %03o): it is ignored; "
		         "log in again", a->creds_path, (unsigned)(st.st_mode & 0777));
		goto out;
	}
	if (st.st_size > CREDS_MAX) {
		seg_fail(SEG_EIO, "%s is too large to be a credentials file", a->creds_path);
		goto out;
	}
	if (!(text = malloc((size_t)st.st_size + 1))) {
		res = LOAD_NOMEM;
		goto out;
	}
	while (len < (size_t)st.st_size) {
		ssize_t n = read(fd, text + len, (size_t)st.st_size - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			seg_fail(SEG_EIO, "cannot read %s: %s", a->creds_path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (!(j = json_loadb(text, len, 0, &e)) || !json_is_object(j)) {
		seg_fail(SEG_EIO, "%s is not a credentials file", a->creds_path);
		goto out;
	}
	if (!(server = json_string_value(json_object_get(j, "server")))) {
		seg_fail(SEG_EIO, "%s is not a credentials file", a->creds_path);
		goto out;
	}
	if (!same_server(server, a->server)) {
		res = LOAD_FOREIGN;
		goto out;
	}
	out->user = dup_member(j, "user", &bad);
	out->refresh = dup_member(j, "refresh_token", &bad);
	if (bad) {
		seg_fail(SEG_EIO, "%s is not a credentials file", a->creds_path);
		goto out;
	}
	out->access = dup_member(j, "access_token", &bad);
	out->expires_at = json_integer_value(json_object_get(j, "expires_at"));
	if (bad) { /* no access token: it must be fetched first */
		out->access = strdup("");
		out->expires_at = 1;
	}
	res = out->user && out->refresh && out->access ? LOAD_OK : LOAD_NOMEM;
out:
	if (res != LOAD_OK)
		api_session_clear(out);
	if (j) {
		api_wipe_json_string(j, "access_token");
		api_wipe_json_string(j, "refresh_token");
		json_decref(j);
	}
	if (text) {
		sodium_memzero(text, len);
		free(text);
	}
	close(fd);
	return res;
}

/* Writes the session so that a crash leaves either the old file or the new one, never a
 * torn or world-readable one: a private temporary file beside it, fsync, rename, fsync of the
 * directory. */
enum seg_err api_save_session(struct api *a)
{
	enum seg_err rc = SEG_ENOMEM;
	char *text = NULL, *tmp = NULL, *dir = NULL;
	size_t n = strlen(a->creds_path) + 32;
	json_t *j;
	int fd = -1, saved;

	j = json_pack("{s:s,s:s,s:s,s:s,s:I}", "server", a->server, "user", a->s.user,
	              "access_token", a->s.access, "refresh_token", a->s.refresh,
	              "expires_at", (json_int_t)a->s.expires_at);
	if (!j)
		goto out;
	text = json_dumps(j, JSON_INDENT(2));
	api_wipe_json_string(j, "access_token");
	api_wipe_json_string(j, "refresh_token");
	json_decref(j);
	if (!text || !(dir = dir_of(a->creds_path)))
		goto out;
	if (!(tmp = malloc(n)))
		goto out;
	snprintf(tmp, n, "%s.tmp-%08x", a->creds_path, (unsigned)randombytes_random());
	if (mkdir_parents(a->creds_path) < 0) {
		rc = seg_fail(SEG_EIO, "cannot create the directory %s: %s", dir, strerror(errno));
		goto out;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || fchmod(fd, 0600) < 0 || fd_write_all(fd, text, strlen(text)) < 0 ||
	    fd_write_all(fd, "\n", 1) < 0 || fsync(fd) < 0)
		goto io_error;
	saved = fd;
	fd = -1;
	if (close(saved) < 0 || rename(tmp, a->creds_path) < 0)
		goto io_error;
	/* The rename is done and cannot be taken back: a failing directory fsync (some file
	 * systems refuse it) is not worth reporting. */
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		fsync(fd);
		close(fd);
		fd = -1;
	}
	a->foreign = false;
	rc = SEG_OK;
	goto out;
io_error:
	rc = seg_fail(SEG_EIO, "cannot save the session to %s: %s", a->creds_path, strerror(errno));
	if (fd >= 0)
		close(fd);
	unlink(tmp);
out:
	if (rc == SEG_ENOMEM)
		seg_fail(SEG_ENOMEM, "out of memory");
	if (text) {
		sodium_memzero(text, strlen(text));
		free(text);
	}
	free(tmp);
	free(dir);
	return rc;
}

/* Removes the credentials file unless it holds another server's session. */
enum seg_err api_drop_file(struct api *a, enum load seen)
{
	if (seen == LOAD_FOREIGN || a->foreign)
		return SEG_OK;
	if (unlink(a->creds_path) < 0 && errno != ENOENT)
		return seg_fail(SEG_EIO, "cannot remove %s: %s", a->creds_path, strerror(errno));
	return SEG_OK;
}
