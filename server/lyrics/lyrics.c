/* Lyrics in the store and in the API: the stored form of the lines, and the JSON object. See
 * lyrics/lyrics.h. */
#include "config.h"
#include "lyrics/lyrics.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "log.h"
#include "lyrics/charset.h"
#include "store/lyrics.h"

char *lyrics_encode(const struct lyrics *l)
{
	struct buf b = BUF_INIT;

	for (size_t i = 0; i < l->n; i++) {
		if ((l->synced && buf_printf(&b, "%lld\t", l->lines[i].start_ms) < 0) ||
		    buf_puts(&b, l->lines[i].text) < 0 || buf_puts(&b, "\n") < 0) {
			buf_free(&b);
			return NULL;
		}
	}
	return buf_steal(&b);
}

/* One stored line, "START_MS\tTEXT" or "TEXT", NUL-terminated at line. */
static int decode_line(char *line, bool synced, struct lyrics_line *out)
{
	long long ms = 0;
	char *p = line;
	size_t n;

	if (synced) {
		for (; isdigit((unsigned char)*p) && ms <= LYRICS_MS_MAX; p++)
			ms = ms * 10 + (*p - '0');
		if (p == line || *p != '\t' || ms > LYRICS_MS_MAX)
			return -1;
		p++;
	}
	/* What was stored was valid UTF-8 without controls; a row that is not was not ours. */
	for (const char *q = p, *end = p + strlen(p); q < end; q += n)
		if (!(n = charset_utf8_len((const unsigned char *)q, (size_t)(end - q))) ||
		    (unsigned char)*q < 0x20)
			return -1;
	*out = (struct lyrics_line){ synced ? ms : -1, p };
	return 0;
}

int lyrics_decode(const char *enc, bool synced, struct lyrics *out)
{
	size_t n = 0, len = strlen(enc);
	char *p;

	memset(out, 0, sizeof *out);
	for (const char *q = enc; *q; q++)
		n += *q == '\n';
	if (!len || enc[len - 1] != '\n' || n > LYRICS_LINES_MAX)
		return -1;
	if (!(out->text = strdup(enc)) || !(out->lines = calloc(n, sizeof *out->lines)))
		goto fail;
	out->synced = synced;
	for (p = out->text; *p; ) {
		char *nl = strchr(p, '\n');

		*nl = '\0';
		if (decode_line(p, synced, &out->lines[out->n]) < 0)
			goto fail;
		out->n++;
		p = nl + 1;
	}
	return 0;
fail:
	lyrics_free(out);
	return -1;
}

int lyrics_load(struct store *s, const char *track_id, struct lyrics *out)
{
	struct lyrics_row row;
	int rc = store_lyrics_get(s, track_id, &row);

	memset(out, 0, sizeof *out);
	if (rc <= 0)
		return rc;
	if (lyrics_decode(row.lines, row.synced, out) < 0) {
		log_err("lyrics of track %s: the stored lines do not decode", track_id);
		free(row.lines);
		return -1;
	}
	free(row.lines);
	snprintf(out->language, sizeof out->language, "%s", row.language);
	out->source = !strcmp(row.source, "lrc") ? LYRICS_LRC : LYRICS_EMBEDDED;
	return 1;
}

json_t *lyrics_json(const char *track_id, const struct lyrics *l)
{
	json_t *lines = json_array(), *line;

	if (!lines)
		return NULL;
	for (size_t i = 0; i < l->n; i++) {
		line = l->synced ? json_pack("{s:I,s:s}", "start_ms", (json_int_t)l->lines[i].start_ms,
		                             "text", l->lines[i].text)
		                 : json_pack("{s:s}", "text", l->lines[i].text);
		if (!line || json_array_append_new(lines, line) < 0) {
			json_decref(lines);
			return NULL;
		}
	}
	return json_pack("{s:s,s:b,s:o,s:s,s:o}", "track_id", track_id, "synced", l->synced,
	                 "language", l->language[0] ? json_string(l->language) : json_null(),
	                 "source", l->source == LYRICS_LRC ? "lrc" : "embedded", "lines", lines);
}
