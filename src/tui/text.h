/* Text in terminal cells: UTF-8 measured by what each character occupies on screen (CJK and
 * emoji take two cells, combining marks none), cut with an ellipsis to fit, never wrapped. */
#ifndef SEGUE_TUI_TEXT_H
#define SEGUE_TUI_TEXT_H

#include <stddef.h>
#include <wchar.h>

/* Cells s takes on screen. */
int text_width(const char *s);
/* Converts s into at most n-1 wide characters that fit in width cells (cut with "…" when it
 * does not fit), padded with spaces to exactly width cells when pad is set. Invalid UTF-8
 * shows as U+FFFD. Returns the cells used. */
int text_fit(const char *s, int width, int pad, wchar_t *out, size_t n);

#endif
