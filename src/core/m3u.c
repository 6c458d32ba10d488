/* M3U playlists as text. See m3u.h. */
#include "config.h"
#include "m3u.h"
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* Whether s is UTF-8 as RFC 3629 has it: no overlong forms, surrogates or code points past
 * U+10FFFF, which a Latin-1 file could otherwise pass for by chance. */
static bool is_utf8(const unsigned char *s, size_t len)
{
	for (size_t i = 0; i < len; ) {
		unsigned char c = s[i];
		uint32_t cp;
		int n;

		if (c < 0x80) {
			i++;
			continue;
		}
		n = (c & 0xe0) == 0xc0 ? 1 : (c & 0xf0) == 0xe0 ? 2 : (c & 0xf8) == 0xf0 ? 3 : -1;
		if (n < 0 || i + (size_t)n >= len)
			return false;
		cp = c & (0x3f >> n);
		for (int k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return false;
		i += (size_t)n + 1;
	}
	return true;
}

/* Windows-1252's characters at 0x80..0x9f, where Latin-1 has controls (kept as such where
 * Windows-1252 has none). */
static const uint16_t cp1252[32] = {
	0x20ac, 0x0081, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
	0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008d, 0x017d, 0x008f,
	0x0090, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
	0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0x009d, 0x017e, 0x0178,
};

/* The text as UTF-8, NUL-terminated, in a new string: as it is, or from Latin-1. */
static char *to_utf8(const unsigned char *s, size_t len)
{
	char *out, *o;

	if (is_utf8(s, len)) {
		if ((out = malloc(len + 1))) {
			memcpy(out, s, len);
			out[len] = '\0';
		}
		return out;
	}
	if (!(out = o = malloc(len * 3 + 1)))
		return NULL;
	for (size_t i = 0; i < len; i++) {
		uint32_t cp = s[i] >= 0x80 && s[i] < 0xa0 ? cp1252[s[i] - 0x80] : s[i];

		if (cp < 0x80) {
			*o++ = (char)cp;
		} else if (cp < 0x800) {
			*o++ = (char)(0xc0 | cp >> 6);
			*o++ = (char)(0x80 | (cp & 0x3f));
		} else {
			*o++ = (char)(0xe0 | cp >> 12);
			*o++ = (char)(0x80 | ((cp >> 6) & 0x3f));
			*o++ = (char)(0x80 | (cp & 0x3f));
		}
	}
	*o = '\0';
	return out;
}

/* s without the blanks around it, in place. */
static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		*--e = '\0';
	return s;
}

static char *dup_or_null(const char *s, bool *nomem)
{
	char *d;

	if (!*s)
		return NULL;
	if (!(d = strdup(s)))
		*nomem = true;
	return d;
}

/* What an #EXTINF line says of the next entry. */
struct extinf {
	char *artist, *title;
	long long duration_ms;
};

static void extinf_clear(struct extinf *x)
{
	free(x->artist);
	free(x->title);
	memset(x, 0, sizeof *x);
}

/* "#EXTINF:" is behind s: "seconds [attributes],Artist - Title". The display text starts
 * after the first comma outside the attributes' quotes; an artist is told only when it is
 * followed by " - ". */
static void extinf_read(char *s, struct extinf *x, bool *nomem)
{
	char *end, *comma = NULL, *sep;
	bool quoted = false;
	double secs;

	extinf_clear(x);
	secs = strtod(s, &end);
	if (end != s && isfinite(secs) && secs > 0 && secs < 100.0 * 3600)
		x->duration_ms = llround(secs * 1000);
	for (char *p = end; *p && !comma; p++) {
		if (*p == '"')
			quoted = !quoted;
		else if (*p == ',' && !quoted)
			comma = p;
	}
	if (!comma)
		return;
	s = trim(comma + 1);
	if ((sep = strstr(s, " - "))) {
		*sep = '\0';
		x->artist = dup_or_null(trim(s), nomem);
		s = trim(sep + 3);
	}
	x->title = dup_or_null(s, nomem);
}

void m3u_free(struct m3u *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->entries[i].location);
		free(m->entries[i].artist);
		free(m->entries[i].title);
	}
	free(m->entries);
	free(m->name);
	memset(m, 0, sizeof *m);
}

/* Takes the location on line into a new entry, with what x said of it. */
static enum seg_err add_entry(const char *what, struct m3u *m, size_t *cap, int line,
                              const char *location, struct extinf *x)
{
	struct m3u_entry *e;

	if (m->n == M3U_ENTRIES_MAX)
		return seg_fail(SEG_EUSAGE, "%s holds more than %d entries, as many as a playlist can",
		                what, M3U_ENTRIES_MAX);
	if (m->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 64;
		struct m3u_entry *v = realloc(m->entries, ncap * sizeof *v);

		if (!v)
			return seg_fail(SEG_ENOMEM, "out of memory");
		m->entries = v;
		*cap = ncap;
	}
	e = &m->entries[m->n];
	if (!(e->location = strdup(location)))
		return seg_fail(SEG_ENOMEM, "out of memory");
	e->line = line;
	e->artist = x->artist;
	e->title = x->title;
	e->duration_ms = x->duration_ms;
	memset(x, 0, sizeof *x);
	m->n++;
	return SEG_OK;
}

enum seg_err m3u_parse(const char *what, const char *text, size_t len, struct m3u *out)
{
	const unsigned char *s = (const unsigned char *)text;
	struct extinf x = { 0 };
	enum seg_err e = SEG_OK;
	bool nomem = false;
	size_t cap = 0;
	char *all, *p;
	int line = 0;

	memset(out, 0, sizeof *out);
	if (memchr(s, '\0', len))
		return seg_fail(SEG_EFAIL, "%s is not a playlist: it holds NUL bytes", what);
	if (len >= 3 && s[0] == 0xef && s[1] == 0xbb && s[2] == 0xbf) {
		s += 3;
		len -= 3;
	}
	if (!(all = to_utf8(s, len)))
		return seg_fail(SEG_ENOMEM, "out of memory");
	for (p = all; *p && !e && !nomem; ) {
		size_t n = strcspn(p, "\r\n");
		char *next = p + n, *l;

		if (*next == '\r' && next[1] == '\n')
			*next++ = '\0';
		if (*next)
			*next++ = '\0';
		line++;
		l = trim(p);
		p = next;
		if (!strncasecmp(l, "#EXTINF:", 8))
			extinf_read(l + 8, &x, &nomem);
		else if (!strncasecmp(l, "#PLAYLIST:", 10) && !out->name)
			out->name = dup_or_null(trim(l + 10), &nomem);
		else if (*l && *l != '#')
			e = add_entry(what, out, &cap, line, l, &x);
	}
	if (nomem && !e)
		e = seg_fail(SEG_ENOMEM, "out of memory");
	extinf_clear(&x);
	free(all);
	if (e)
		m3u_free(out);
	return e;
}

enum seg_err m3u_read(const char *path, struct m3u *out)
{
	struct stat st;
	char *text = NULL;
	size_t got = 0;
	enum seg_err e;
	int fd;

	memset(out, 0, sizeof *out);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return seg_fail(SEG_EIO, "cannot read %s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0) {
		e = seg_fail(SEG_EIO, "cannot read %s: %s", path, strerror(errno));
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		e = seg_fail(SEG_EIO, "cannot read %s: it is a directory", path);
		goto out;
	}
	if (S_ISREG(st.st_mode) && st.st_size > M3U_FILE_MAX) {
		e = seg_fail(SEG_EIO, "cannot read %s: it is larger than a playlist can be (%d MiB)",
		             path, M3U_FILE_MAX >> 20);
		goto out;
	}
	/* One byte more than the limit tells a pipe or a growing file that is too large. */
	if (!(text = malloc(M3U_FILE_MAX + 1))) {
		e = seg_fail(SEG_ENOMEM, "out of memory");
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, text + got, M3U_FILE_MAX + 1 - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			e = seg_fail(SEG_EIO, "cannot read %s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if (got > M3U_FILE_MAX) {
			e = seg_fail(SEG_EIO, "cannot read %s: it is larger than a playlist can be"
			             " (%d MiB)", path, M3U_FILE_MAX >> 20);
			goto out;
		}
	}
	e = m3u_parse(path, text, got, out);
out:
	free(text);
	close(fd);
	return e;
}

/* s with every line break written as a space. */
static int put_line_text(struct buf *b, const char *s)
{
	for (; *s; s++)
		if (buf_append(b, *s == '\r' || *s == '\n' ? " " : s, 1) < 0)
			return -1;
	return 0;
}

int m3u_put_header(struct buf *b, const char *name)
{
	if (buf_puts(b, "#EXTM3U\n") < 0)
		return -1;
	if (name && *name &&
	    (buf_puts(b, "#PLAYLIST:") < 0 || put_line_text(b, name) < 0 || buf_puts(b, "\n") < 0))
		return -1;
	return 0;
}

int m3u_put_entry(struct buf *b, long long duration_ms, const char *artists, const char *title,
                  const char *location)
{
	if (buf_printf(b, "#EXTINF:%lld,", (duration_ms + 500) / 1000) < 0)
		return -1;
	if (artists && *artists && (put_line_text(b, artists) < 0 || buf_puts(b, " - ") < 0))
		return -1;
	if (put_line_text(b, title ? title : "") < 0 || buf_puts(b, "\n") < 0 ||
	    put_line_text(b, location) < 0 || buf_puts(b, "\n") < 0)
		return -1;
	return 0;
}

enum seg_err m3u_write_file(const char *path, const char *data, size_t len)
{
	size_t n = strlen(path) + 48;
	char *tmp = malloc(n);
	enum seg_err e = SEG_OK;
	int fd = -1;

	if (!tmp)
		return seg_fail(SEG_ENOMEM, "out of memory");
	/* 0666: the umask decides, as for any file a command writes. */
	for (int attempt = 0; fd < 0 && attempt < 100; attempt++) {
		snprintf(tmp, n, "%s.tmp-%ld-%d", path, (long)getpid(), attempt);
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0666);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	if (fd < 0) {
		e = seg_fail(SEG_EIO, "cannot write %s: %s", path, strerror(errno));
		goto out;
	}
	if (fd_write_all(fd, data, len) < 0 || fsync(fd) < 0) {
		e = seg_fail(SEG_EIO, "cannot write %s: %s", path, strerror(errno));
		close(fd);
		unlink(tmp);
		goto out;
	}
	if (close(fd) < 0 || rename(tmp, path) < 0) {
		e = seg_fail(SEG_EIO, "cannot write %s: %s", path, strerror(errno));
		unlink(tmp);
	}
out:
	free(tmp);
	return e;
}
