/* Reading a secret for a command: from the terminal with echo off, or the first line of
 * standard input when that is not a terminal (scripts: echo "$PW" | segue login NAME). */
#ifndef SEGUE_PROMPT_H
#define SEGUE_PROMPT_H

#include <stddef.h>

#include "err.h"

enum seg_err cmd_read_password(const char *prompt, char *pw, size_t len);

/* The same for a password being set: from a terminal it is asked twice and must match. */
enum seg_err cmd_read_new_password(const char *prompt, char *pw, size_t len);

#endif
