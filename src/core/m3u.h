/* M3U and M3U8 playlists, the files other players read and write: one location per line
 * (a path, relative or absolute, or a URL), each perhaps after an "#EXTINF:seconds,Artist -
 * Title" line that describes it, and "#PLAYLIST:name". This reads and writes the text; what
 * the entries are in the catalog is the commands' business (src/cmd/cmd_playlist_m3u.c). */
#ifndef SEGUE_M3U_H
#define SEGUE_M3U_H

#include <stddef.h>

#include "buf.h"
#include "err.h"

#define M3U_FILE_MAX (10 << 20) /* bytes of a playlist file */
#define M3U_ENTRIES_MAX 10000   /* as many as a playlist holds */

struct m3u_entry {
	int line;              /* of its location, from 1 */
	char *location;        /* as written, blanks around it trimmed */
	char *artist, *title;  /* from its #EXTINF; NULL when that gives none */
	long long duration_ms; /* from its #EXTINF; 0 when unknown */
};

/* A parsed playlist; every string is UTF-8 and owned by it (m3u_free). */
struct m3u {
	char *name;            /* #PLAYLIST, NULL when there is none */
	struct m3u_entry *entries;
	size_t n;
};

/* Parses text (len bytes, NUL-terminated or not): a UTF-8 byte order mark is skipped, and
 * text that is not UTF-8 is read as Latin-1 (Windows-1252, as players on Windows write an
 * .m3u); lines end in LF, CRLF or CR. SEG_EFAIL for text that holds NUL bytes (not a
 * playlist), SEG_EUSAGE for more than M3U_ENTRIES_MAX entries, SEG_ENOMEM; the message
 * names the file as what. On error *out is empty. */
enum seg_err m3u_parse(const char *what, const char *text, size_t len, struct m3u *out);
/* Reads and parses the file at path (at most M3U_FILE_MAX bytes): SEG_EIO with the reason
 * when it cannot be read, else as m3u_parse. */
enum seg_err m3u_read(const char *path, struct m3u *out);
void m3u_free(struct m3u *m);

/* Writing: "#EXTM3U" and "#PLAYLIST:name", then per entry "#EXTINF:seconds,artists - title"
 * and its location. A line break inside a name, which would end the line early, is written
 * as a space. Each returns 0, -1 when memory runs out. */
int m3u_put_header(struct buf *b, const char *name);
int m3u_put_entry(struct buf *b, long long duration_ms, const char *artists, const char *title,
                  const char *location);
/* Writes len bytes to path so that it holds either its old content or all of the new: a
 * temporary file beside it, synced, then renamed over it. SEG_EIO with the reason. */
enum seg_err m3u_write_file(const char *path, const char *data, size_t len);

#endif
