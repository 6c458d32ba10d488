/* Lyrics at ingest: the .lrc beside a master, or what its tags embed, and what ingest saw of
 * the .lrc. See lyrics/lyrics.h. */
#include "config.h"
#include "lyrics/lyrics.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "store/lyrics.h"

#define SIDECAR_PATH_MAX 4200

/* Adds a part to a note of one line, parts separated by "; ". */
__attribute__((format(printf, 3, 4)))
static void note_add(char *note, size_t len, const char *fmt, ...)
{
	size_t used = strlen(note);
	va_list ap;

	if (used && used + 2 < len) {
		memcpy(note + used, "; ", 3);
		used += 2;
	}
	if (used + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(note + used, len - used, fmt, ap);
	va_end(ap);
}

static long long mtime_ns(const struct stat *st)
{
	return (long long)st->st_mtim.tv_sec * 1000000000LL + st->st_mtim.tv_nsec;
}

/* The .lrc beside audio_path: the audio's name with its extension replaced (or added, for a
 * name without one) by .lrc, .LRC or .Lrc, the first that is a file. */
static bool sidecar_find(const char *audio_path, char *path, size_t len, struct stat *st)
{
	static const char *const ext[] = { "lrc", "LRC", "Lrc" };
	const char *slash = strrchr(audio_path, '/'), *dot = strrchr(audio_path, '.');
	size_t base = dot && dot > (slash ? slash + 1 : audio_path) ? (size_t)(dot - audio_path)
	                                                           : strlen(audio_path);

	for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++) {
		if ((size_t)snprintf(path, len, "%.*s.%s", (int)base, audio_path, ext[i]) >= len)
			return false;
		if (stat(path, st) == 0 && S_ISREG(st->st_mode))
			return true;
	}
	return false;
}

/* The whole file, at most LYRICS_INPUT_MAX bytes, into *text (malloc'd). */
static int read_lrc(const char *path, char **text, size_t *len, char *err, size_t errlen)
{
	unsigned char *b;

	switch (file_read_all(path, LYRICS_INPUT_MAX, &b, len)) {
	case FILE_READ_OK:
		*text = (char *)b;
		return 0;
	case FILE_READ_NOT_REGULAR:
		snprintf(err, errlen, "not a regular file");
		return -1;
	case FILE_READ_TOO_BIG:
		snprintf(err, errlen, "too large: %zu bytes, at most %d", *len, LYRICS_INPUT_MAX);
		return -1;
	default:
		snprintf(err, errlen, "%s", strerror(errno));
		return -1;
	}
}

/* Notes what parsing dropped. */
static void note_dropped(char *note, size_t len, const char *what, const struct lyrics *l)
{
	if (l->skipped)
		note_add(note, len, "%s: %d line%s skipped (not LRC)", what, l->skipped,
		         l->skipped == 1 ? "" : "s");
	if (l->cut)
		note_add(note, len, "%s: %d line%s cut to %d bytes", what, l->cut, l->cut == 1 ? "" : "s",
		         LYRICS_LINE_MAX);
}

static void set_language(struct lyrics *l, const char *lang)
{
	if (!l->language[0] && lang)
		lyrics_language(lang, strlen(lang), l->language);
}

int lyrics_for_track(const char *audio_path, const char *embedded, int embedded_synced,
                     const char *embedded_lang, struct lyrics *out, char *note, size_t notelen)
{
	char path[SIDECAR_PATH_MAX], err[256];
	struct stat st;
	char *text = NULL;
	size_t len;

	memset(out, 0, sizeof *out);
	if (notelen)
		note[0] = '\0';
	if (sidecar_find(audio_path, path, sizeof path, &st)) {
		if (read_lrc(path, &text, &len, err, sizeof err) < 0) {
			note_add(note, notelen, "%s not read: %s", path, err);
		} else if (lyrics_parse(text, len, out, 0, err, sizeof err) < 0) {
			note_add(note, notelen, "%s refused: %s", path, err);
		} else if (!out->n) {
			note_add(note, notelen, "%s holds no lyrics", path);
			lyrics_free(out);
		} else {
			free(text);
			note_dropped(note, notelen, path, out);
			out->source = LYRICS_LRC;
			set_language(out, embedded_lang);
			return 1;
		}
		free(text);
	}
	if (!embedded || !*embedded)
		return 0;
	if (lyrics_parse(embedded, strlen(embedded), out, embedded_synced ? 0 : LYRICS_PLAIN, err,
	                 sizeof err) < 0) {
		note_add(note, notelen, "embedded lyrics refused: %s", err);
		return 0;
	}
	if (!out->n) {
		lyrics_free(out);
		return 0;
	}
	note_dropped(note, notelen, "embedded lyrics", out);
	out->source = LYRICS_EMBEDDED;
	set_language(out, embedded_lang);
	return 1;
}

int lyrics_sidecar_changed(struct store *s, const char *audio_path)
{
	char path[SIDECAR_PATH_MAX];
	struct stat st;
	long long size, mtime;
	bool now = sidecar_find(audio_path, path, sizeof path, &st);
	int seen = store_lyrics_sidecar(s, audio_path, &size, &mtime);

	if (seen < 0)
		return -1;
	if (!now)
		return seen;
	return !seen || size != (long long)st.st_size || mtime != mtime_ns(&st);
}

int lyrics_ingest(struct store *s, const char *audio_path, const char *track_id,
                  const char *embedded, int embedded_synced, const char *embedded_lang,
                  char *note, size_t notelen)
{
	char path[SIDECAR_PATH_MAX];
	struct stat st;
	struct lyrics l;
	struct lyrics_row row = { 0 };
	/* Seen before it is read: if it changes in between, the next ingest reads it again. */
	bool seen = sidecar_find(audio_path, path, sizeof path, &st);
	int found = lyrics_for_track(audio_path, embedded, embedded_synced, embedded_lang, &l, note,
	                             notelen);

	if (found < 0)
		goto fail;
	if (found) {
		row.synced = l.synced;
		snprintf(row.language, sizeof row.language, "%s", l.language);
		snprintf(row.source, sizeof row.source, "%s", l.source == LYRICS_LRC ? "lrc" : "embedded");
		if (!(row.lines = lyrics_encode(&l)))
			goto fail;
	}
	if (store_begin(s) < 0)
		goto fail;
	if ((found ? store_lyrics_put(s, track_id, &row, store_now_ms())
	           : store_lyrics_delete(s, track_id)) < 0 ||
	    (seen ? store_lyrics_sidecar_put(s, audio_path, (long long)st.st_size, mtime_ns(&st))
	          : store_lyrics_sidecar_forget(s, audio_path)) < 0 ||
	    store_commit(s) < 0) {
		store_rollback(s);
		goto fail;
	}
	free(row.lines);
	lyrics_free(&l);
	return 0;
fail:
	note_add(note, notelen, "lyrics not stored (see the log)");
	free(row.lines);
	lyrics_free(&l);
	return -1;
}
