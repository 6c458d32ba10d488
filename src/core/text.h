/* Text in terminal cells, for both faces: UTF-8 (what the server sends) measured by what each
 * character occupies on screen -- CJK and emoji two cells, combining marks none -- and cut
 * with an ellipsis to fit, never wrapped. The TUI draws the wide-character form with ncursesw,
 * the command line prints the UTF-8 form; one function decides where both cut, so a name is
 * shortened the same way in either.
 *
 * The decoding is done here, not by the locale; the widths are the C library's (wcwidth), which
 * knows Unicode only in a UTF-8 locale: text_init() makes sure there is one. */
#ifndef SEGUE_TEXT_H
#define SEGUE_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <wchar.h>

/* Sets the character-type locale (LC_CTYPE only) to the user's, or to C.UTF-8 when the user's
 * is not UTF-8 (unset, C, POSIX, a legacy charset): the server's names are UTF-8 whatever the
 * environment says, and the C locale would count them a byte a cell. The other categories stay
 * "C": numbers are printed for mpv and parsed with a decimal point, and libmpv refuses to
 * start under any other LC_NUMERIC (the daemon calls this too). Returns 0, or -1 when no UTF-8 locale exists (widths are
 * then one cell per character). Call it before ncurses starts and before any text_ call. */
int text_init(void);
/* Cells s takes on screen (NULL takes none). */
int text_width(const char *s);
/* s cut to fit width cells: when it does not fit whole, as much as fits in width-1 cells and
 * then "…"; a wide character that would straddle the edge is left out, so the result may be
 * a cell short. With pad, spaces make it exactly width cells. Characters without a width of
 * their own (controls) and invalid UTF-8 show as U+FFFD. out holds n units including the
 * terminating NUL (always written when n > 0); what does not fit in it is dropped. Returns
 * the cells used. */
int text_fit(const char *s, int width, bool pad, wchar_t *out, size_t n);
/* The same, as UTF-8 bytes. */
int text_fit_utf8(const char *s, int width, bool pad, char *out, size_t n);
/* Where to break s to wrap it at width cells: the bytes of its first piece, the whole of s
 * when it fits, else up to and including the last space that fits, else as many characters
 * as fit (never none, so that wrapping always advances: a character wider than width is a
 * piece alone). Lines of lyrics wrap with it. */
size_t text_wrap(const char *s, int width);

#endif
