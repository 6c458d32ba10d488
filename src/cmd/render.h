/* Rendering of command results for people: aligned columns, durations as m:ss. Everything
 * here reads the JSON a command produced, so the same result prints the same whether the
 * command line or the daemon ran it. */
#ifndef SEGUE_RENDER_H
#define SEGUE_RENDER_H

#include <jansson.h>
#include <stdio.h>

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
