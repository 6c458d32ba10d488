/* The TUI's colours: one attribute per element of the screen, from a sensible default and the
 * "color.ELEMENT = FG[,BG]" settings. With NO_COLOR set, or a terminal without colours, only
 * bold, reverse and dim are used. */
#ifndef SEGUE_TUI_THEME_H
#define SEGUE_TUI_THEME_H

#define NCURSES_WIDECHAR 1
#include <curses.h>
#include <jansson.h>

#include "err.h"

enum theme_el {
	TH_NORMAL, TH_SIDEBAR, TH_SELECTED, TH_ACTIVE, TH_HEADER, TH_TITLE, TH_DIM, TH_BAR,
	TH_PROGRESS, TH_STATUS, TH_ERROR, TH_PLAYING, TH_BORDER, TH_COUNT
};

/* After initscr. SEG_EUSAGE naming the setting when an element or colour is unknown. */
enum seg_err theme_init(json_t *colors);
attr_t theme_attr(enum theme_el e);

#endif
