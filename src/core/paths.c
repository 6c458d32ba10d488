/* XDG locations of the client's files. */
#include "config.h"
#include "paths.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* $VAR/segue, or $HOME/fallback/segue when VAR is unset or not absolute (as the spec says
 * relative values are to be ignored). */
static enum seg_err base_dir(char *out, size_t len, const char *var, const char *fallback)
{
	const char *v = getenv(var), *home = getenv("HOME");
	int n;

	if (v && v[0] == '/')
		n = snprintf(out, len, "%s/segue", v);
	else if (home && home[0] == '/')
		n = snprintf(out, len, "%s/%s/segue", home, fallback);
	else
		return seg_fail(SEG_EUSAGE, "neither %s nor HOME is set to an absolute path", var);
	if (n < 0 || (size_t)n >= len)
		return seg_fail(SEG_EUSAGE, "the path from %s is too long", var);
	return SEG_OK;
}

static enum seg_err join(char *out, size_t len, const char *dir, const char *name)
{
	int n = snprintf(out, len, "%s/%s", dir, name);

	if (n < 0 || (size_t)n >= len)
		return seg_fail(SEG_EUSAGE, "path too long: %s/%s", dir, name);
	return SEG_OK;
}

enum seg_err paths_init(struct paths *p, const char *conf_override)
{
	char config_dir[PATH_MAX];
	const char *run = getenv("XDG_RUNTIME_DIR");
	enum seg_err e;
	int n;

	memset(p, 0, sizeof *p);
	if ((e = base_dir(config_dir, sizeof config_dir, "XDG_CONFIG_HOME", ".config")) ||
	    (e = base_dir(p->data_dir, sizeof p->data_dir, "XDG_DATA_HOME", ".local/share")) ||
	    (e = base_dir(p->cache_dir, sizeof p->cache_dir, "XDG_CACHE_HOME", ".cache")))
		return e;
	if (run && run[0] == '/')
		n = snprintf(p->runtime_dir, sizeof p->runtime_dir, "%s/segue", run);
	else
		n = snprintf(p->runtime_dir, sizeof p->runtime_dir, "/tmp/segue-%u", (unsigned)getuid());
	if (n < 0 || (size_t)n >= sizeof p->runtime_dir)
		return seg_fail(SEG_EUSAGE, "XDG_RUNTIME_DIR is too long");
	if (conf_override) {
		if (strlen(conf_override) >= sizeof p->conf)
			return seg_fail(SEG_EUSAGE, "config path too long");
		strcpy(p->conf, conf_override);
	} else if ((e = join(p->conf, sizeof p->conf, config_dir, "segue.conf"))) {
		return e;
	}
	if ((e = join(p->db, sizeof p->db, p->data_dir, "segue.db")) ||
	    (e = join(p->creds, sizeof p->creds, p->data_dir, "credentials")) ||
	    (e = join(p->sock, sizeof p->sock, p->runtime_dir, "control")) ||
	    (e = join(p->pid, sizeof p->pid, p->runtime_dir, "daemon.pid")) ||
	    (e = join(p->log, sizeof p->log, p->data_dir, "daemon.log")))
		return e;
	/* A UNIX socket path must fit sun_path. */
	if (strlen(p->sock) >= 108)
		return seg_fail(SEG_EUSAGE, "the control socket path is too long: %s", p->sock);
	return SEG_OK;
}

enum seg_err paths_mkdir(const char *dir)
{
	char tmp[PATH_MAX];
	size_t n = strlen(dir);

	if (n == 0 || n >= sizeof tmp)
		return seg_fail(SEG_EIO, "bad directory path");
	memcpy(tmp, dir, n + 1);
	for (char *s = tmp + 1; ; s++) {
		if (*s == '/' || *s == '\0') {
			char c = *s;

			*s = '\0';
			if (mkdir(tmp, 0700) < 0 && errno != EEXIST)
				return seg_fail(SEG_EIO, "cannot create %s: %s", tmp, strerror(errno));
			*s = c;
			if (c == '\0')
				break;
		}
	}
	return SEG_OK;
}

enum seg_err paths_runtime(const struct paths *p)
{
	struct stat st;
	enum seg_err e = paths_mkdir(p->runtime_dir);

	if (e)
		return e;
	if (stat(p->runtime_dir, &st) < 0)
		return seg_fail(SEG_EIO, "%s: %s", p->runtime_dir, strerror(errno));
	/* Someone else's directory in /tmp could be a trap for our socket. */
	if (st.st_uid != getuid() || (st.st_mode & 077))
		return seg_fail(SEG_EIO, "%s is not a private directory of ours (owner %u, mode %o)",
		                p->runtime_dir, (unsigned)st.st_uid, (unsigned)(st.st_mode & 0777));
	return SEG_OK;
}
