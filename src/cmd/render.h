/* Rendering of command results for people: columns aligned by display cells, durations as
 * m:ss. Everything here reads the JSON a command produced, so the same result prints the same
 * whether the command line or the daemon ran it. */
#ifndef SEGUE_RENDER_H
#define SEGUE_RENDER_H

#include <jansson.h>
#include <stdio.h>

/* s in exactly width terminal cells, as the TUI shows it (text.h): cut with "…" or padded
 * with spaces. Every column of a table that holds names goes through this, so that the next
 * column starts at the same cell on every row whatever the names' scripts. */
void render_column(FILE *f, const char *s, int width);
/* s whole (never cut, like %-*s), then spaces up to width cells: a label column that a
 * longer label overruns. */
void render_pad(FILE *f, const char *s, int width);
/* "3:07" (or "1:02:03"). */
void render_duration(char *out, size_t len, long long ms);
/* "A, B" from an array of artist objects. */
void render_artists(char *out, size_t len, json_t *artists);
/* A numbered table of track objects (items may be {track: ...} wrappers, as in saved tracks
 * and playlist items). */
void render_tracks(FILE *f, json_t *items, size_t first_number);
/* One line per playlist/album/artist object: name and a detail column. */
void render_named(FILE *f, json_t *items, const char *kind);
/* A player-state object (ours or the hub's): what plays, where, on which device. */
void render_state(json_t *st, FILE *f);
/* A Spotify URI for the object ("segue:track:ID"), or its id. */
const char *render_uri(json_t *obj);

#endif
