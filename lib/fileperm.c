#include "fileperm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "log.h"

int file_make_private(const char *path, char *err, size_t errlen)
{
	char proc[64];
	struct stat st;
	int fd, rc = -1;

	/* An O_PATH descriptor, not a name: what is checked is what is changed even if the name
	 * is replaced meanwhile, and closing it drops none of the POSIX locks this process may
	 * hold on the file (closing any other descriptor of an open SQLite database would). */
	fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file (a private file must be one)", path);
		goto out;
	}
	rc = 0;
	if (!(st.st_mode & 077))
		goto out;
	/* fchmod() does not take an O_PATH descriptor; its /proc link reaches the same file. */
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
	if (chmod(proc, 0600) < 0) {
		snprintf(err, errlen, "%s: mode %03o lets others read it, and it cannot be made 0600: %s",
		         path, (unsigned)(st.st_mode & 0777), strerror(errno));
		rc = -1;
		goto out;
	}
	log_warn("%s was mode %03o: made 0600, as every file holding secrets is", path,
	         (unsigned)(st.st_mode & 0777));
	rc = 1;
out:
	close(fd);
	return rc;
}

int sqlite_files_make_private(const char *db_path, char *err, size_t errlen)
{
	static const char *const suffix[] = { "", "-wal", "-shm", "-journal" };
	char path[4096];
	int any = 0;

	for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
		int rc;

		if ((size_t)snprintf(path, sizeof path, "%s%s", db_path, suffix[i]) >= sizeof path) {
			snprintf(err, errlen, "%s: path too long", db_path);
			return -1;
		}
		if ((rc = file_make_private(path, err, errlen)) < 0)
			return -1;
		any |= rc;
	}
	return any;
}

int file_create_private(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);

	if (fd >= 0) {
		close(fd); /* new: no lock of ours is on it yet */
		return 0;
	}
	if (errno == EEXIST)
		return 0;
	snprintf(err, errlen, "%s: %s", path, strerror(errno));
	return -1;
}

static int put_text(FILE *f, void *text)
{
	return fputs(text, f) < 0 ? -1 : 0;
}

int file_create_secret(const char *path, const char *text, char *err, size_t errlen)
{
	return file_write_atomic(path, 0600, true, put_text, (void *)text, err, errlen);
}

int file_replace_secret(const char *path, const char *text, char *err, size_t errlen)
{
	return file_write_atomic(path, 0600, false, put_text, (void *)text, err, errlen);
}
