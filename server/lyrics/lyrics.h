/* Lyrics: LRC files and the lyrics tags embed, parsed into lines (timed or not), kept in the
 * store per track, and shaped for GET /v1/segue/lyrics/{id}. The parser (parse.c, over
 * charset.c's text repair) takes any bytes and either gives clean lines -- valid UTF-8,
 * trimmed, without control characters -- or refuses them with a reason; ingest's side
 * (sidecar.c) finds the .lrc beside a master and remembers what it saw of it, so that a
 * re-ingest notices a new, edited or removed .lrc beside audio that did not change. */
#ifndef SEGUE_LYRICS_H
#define SEGUE_LYRICS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "store/store.h"

#define LYRICS_INPUT_MAX (256 * 1024) /* bytes of a .lrc or of embedded lyrics */
#define LYRICS_LINES_MAX 5000         /* lines once parsed (a line with three stamps is three) */
#define LYRICS_LINE_MAX 1000          /* bytes of a line's text; longer ones are cut */
#define LYRICS_MS_MAX (100LL * 3600 * 1000) /* a stamp beyond 100 hours is not a stamp */
#define LYRICS_LANG_MAX 8             /* "eng", "en", "pt-br", with the NUL */

enum lyrics_source { LYRICS_NONE, LYRICS_LRC, LYRICS_EMBEDDED };

struct lyrics_line {
	long long start_ms; /* from the start of the track, >= 0; -1 when the lyrics are unsynced */
	const char *text;   /* may be "" (a timed blank: the previous line ends) */
};

/* Filled by lyrics_parse or lyrics_decode; free with lyrics_free. */
struct lyrics {
	bool synced;                    /* every line has a start; lines are in time order */
	char language[LYRICS_LANG_MAX]; /* lower-case ISO 639 code, "" when not given */
	enum lyrics_source source;      /* set by whoever knows: lyrics_for_track, lyrics_load */
	struct lyrics_line *lines;
	size_t n;
	char *text;                     /* the lines' text, which they point into */
	int skipped;                    /* lines dropped as not LRC (bad stamps, untimed text) */
	int cut;                        /* lines cut to LYRICS_LINE_MAX bytes */
};

enum {
	LYRICS_PLAIN = 1 << 0, /* the text is plain lyrics: brackets are text, not stamps or tags */
};

/* Parses len bytes of LRC -- "[mm:ss.xx]", "[mm:ss.xxx]" and "[mm:ss]" stamps, several on a
 * line, "[offset:+/-ms]", metadata tags ("[ar:...]", "[la:eng]" or "[lang:eng]" for the
 * language), enhanced-LRC word stamps "<mm:ss.xx>" -- or plain text, which gives unsynced
 * lines, into *out (zeroed first). Text may be UTF-8 (with or without a BOM), UTF-16 with a
 * BOM, or Windows-1252; invalid UTF-8 among valid UTF-8 becomes U+FFFD. Lines that are not
 * LRC in a file that has stamps are skipped and counted. Returns 0 (out->n may be 0: nothing
 * to show), or -1 with a one-line reason in err for input refused whole: larger than
 * LYRICS_INPUT_MAX, binary (NUL bytes, control characters), more than LYRICS_LINES_MAX lines,
 * out of memory. */
int lyrics_parse(const char *text, size_t len, struct lyrics *out, unsigned flags, char *err,
                 size_t errlen);
void lyrics_free(struct lyrics *l);
/* A language code as LRC's [la:] or a tag gives it ("en", "eng", "pt-BR", "zh_Hant", spaces
 * around), lower-cased with '_' as '-', into out; false (out untouched) for anything else. */
bool lyrics_language(const char *v, size_t len, char out[LYRICS_LANG_MAX]);

/* A track's lyrics at ingest: the .lrc beside audio_path (Song.flac: Song.lrc, Song.LRC or
 * Song.Lrc) wins; else the embedded lyrics (NULL for none; LRC when embedded_synced, plain
 * otherwise; embedded_lang an ISO 639 code or NULL), whose language also serves an .lrc that
 * names none. Returns 1 with *out filled (source set), 0 when there are none (out is empty
 * and needs no free). A .lrc that cannot be read or is refused, or lines
 * that were skipped, leave one line in note (else note is ""); a refused .lrc falls back to
 * the embedded lyrics; out of memory is a refusal too. note holds notelen >= 1 bytes. */
int lyrics_for_track(const char *audio_path, const char *embedded, int embedded_synced,
                     const char *embedded_lang, struct lyrics *out, char *note, size_t notelen);

/* Whether the .lrc beside audio_path differs from what lyrics_ingest last saw there (by
 * size and modification time to the nanosecond, or by coming or going): 1, 0, -1 on a
 * database error. */
int lyrics_sidecar_changed(struct store *s, const char *audio_path);
/* lyrics_for_track for track_id's master audio_path, stored (replacing or deleting what the
 * track had: the lyrics follow the source file ingested last, as its tags do), and what is
 * beside it remembered for lyrics_sidecar_changed. Returns 0, or -1 when it could not be
 * stored; note as for lyrics_for_track (and says why on -1). */
int lyrics_ingest(struct store *s, const char *audio_path, const char *track_id,
                  const char *embedded, int embedded_synced, const char *embedded_lang,
                  char *note, size_t notelen);

/* Track id's lyrics from the store into *out (free with lyrics_free). Returns 1, 0 when it
 * has none, -1 on a database error or a stored value that does not decode (logged). */
int lyrics_load(struct store *s, const char *track_id, struct lyrics *out);
/* The API's object: {"track_id", "synced", "language" (or null), "source", "lines":
 * [{"start_ms", "text"}]} (no start_ms when unsynced). A new reference, NULL out of memory. */
json_t *lyrics_json(const char *track_id, const struct lyrics *l);

/* The stored form of l's lines: one a line, "START_MS\tTEXT\n" when synced, "TEXT\n" when
 * not (a text holds no tab or newline). Malloc'd, NULL out of memory. Exposed for tests. */
char *lyrics_encode(const struct lyrics *l);
/* Back into *out (synced as stored). Returns 0, -1 when enc is malformed or memory runs out. */
int lyrics_decode(const char *enc, bool synced, struct lyrics *out);

#endif
