#include "config.h"
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int fd_write_all(int fd, const void *p, size_t len)
{
	const char *c = p;

	while (len) {
		ssize_t n = write(fd, c, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0) {
			errno = EIO;
			return -1;
		}
		c += n;
		len -= (size_t)n;
	}
	return 0;
}

enum file_read file_read_all(const char *path, size_t max, unsigned char **out, size_t *len)
{
	enum file_read r = FILE_READ_ERRNO;
	unsigned char *b = NULL;
	struct stat st;
	size_t n = 0, cap;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC), saved;

	*out = NULL;
	*len = 0;
	if (fd < 0 || fstat(fd, &st) < 0)
		goto out;
	if (!S_ISREG(st.st_mode)) {
		r = FILE_READ_NOT_REGULAR;
		goto out;
	}
	if ((unsigned long long)st.st_size > max) {
		*len = (size_t)st.st_size;
		r = FILE_READ_TOO_BIG;
		goto out;
	}
	/* Room for one byte more than fstat saw, to see a file that grew since; one that did
	 * gets more room, up to one byte past max. */
	cap = (size_t)st.st_size + 1;
	if (!(b = malloc(cap + 1)))
		goto out;
	for (;;) {
		ssize_t got;

		if (n == cap) {
			unsigned char *more;

			if (cap > max)
				break;
			cap = cap > max / 2 ? max + 1 : cap * 2;
			if (!(more = realloc(b, cap + 1)))
				goto out;
			b = more;
		}
		if ((got = read(fd, b + n, cap - n)) < 0 && errno == EINTR)
			continue;
		if (got < 0)
			goto out;
		if (got == 0)
			break;
		n += (size_t)got;
	}
	if (n > max) {
		*len = n;
		r = FILE_READ_TOO_BIG;
		goto out;
	}
	b[n] = '\0';
	*out = b;
	*len = n;
	b = NULL;
	r = FILE_READ_OK;
out:
	saved = errno;
	free(b);
	if (fd >= 0)
		close(fd);
	errno = saved;
	return r;
}

int file_write_atomic(const char *path, mode_t mode, bool keep, int (*fill)(FILE *f, void *ctx),
                      void *ctx, char *err, size_t errlen)
{
	char tmp[4200];
	FILE *f = NULL;
	int fd;

	if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", path) >= sizeof tmp) {
		snprintf(err, errlen, "%s: the path is too long", path);
		return -1;
	}
	/* mkstemp makes the file 0600 whatever the umask: a secret is never readable, not even
	 * for the moment before the fchmod. */
	if ((fd = mkstemp(tmp)) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if ((mode != 0600 && fchmod(fd, mode) < 0) || !(f = fdopen(fd, "wb")))
		goto fail;
	fd = -1; /* f's now */
	errno = 0;
	if (fill(f, ctx) < 0 || fflush(f) != 0 || fsync(fileno(f)) != 0)
		goto fail;
	if (fclose(f) != 0) {
		f = NULL;
		goto fail;
	}
	f = NULL;
	if (keep) {
		if (link(tmp, path) != 0 && errno != EEXIST)
			goto fail;
		unlink(tmp);
	} else if (rename(tmp, path) != 0) {
		goto fail;
	}
	return 0;
fail:
	snprintf(err, errlen, "%s: %s", path, strerror(errno ? errno : EIO));
	if (f)
		fclose(f);
	else if (fd >= 0)
		close(fd);
	unlink(tmp);
	return -1;
}
