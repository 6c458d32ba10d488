/* The TUI's cover art: pictures fetched and drawn on a worker of their own (two threads),
 * never on the UI's loop nor behind the backend's command queue, so a slow image server
 * delays only the picture. The UI asks for a picture each time it draws; until the worker
 * has it the answer is "not yet", and the worker wakes the loop through a descriptor when it
 * is ready. Drawn pictures are kept (the last few) so a page drawn again shows its cover at
 * once.
 *
 * Ownership and threads: made, used and freed on the UI's thread. What the UI gets back
 * (struct art_block) stays valid until the next tui_art_take or tui_art_free. */
#ifndef SEGUE_TUI_ART_H
#define SEGUE_TUI_ART_H

#include <stdbool.h>

#include "art.h"
#include "seg.h"

struct tui_art;

/* mode: the resolved art mode (ART_OFF: nothing is ever fetched); colors: what curses has. */
struct tui_art *tui_art_new(struct seg *s, enum art_mode mode, enum art_colors colors);
void tui_art_free(struct tui_art *a);
enum art_mode tui_art_mode(const struct tui_art *a);

/* Readable when the worker has finished pictures; tui_art_take then moves them to the UI's
 * side (returns true when any arrived, so the screen is drawn again). */
int tui_art_fd(const struct tui_art *a);
bool tui_art_take(struct tui_art *a);

/* The picture at url drawn in at most cols x rows cells: the block when it is drawn, NULL
 * while the worker fetches it (asked for here, once) or when it failed (*failed set, with
 * the reason in the TUI's log; asked for again when drawn 30 s later). */
const struct art_block *tui_art_get(struct tui_art *a, const char *url, int cols, int rows,
                                    bool *failed);
/* Fetches url into the disk cache only, behind anything on screen (the track that just
 * started playing: its cover is then ready when the now-playing view opens). */
void tui_art_prefetch(struct tui_art *a, const char *url);

#endif
