/* Errors of the client core. Every fallible core function returns an enum seg_err; the
 * message for a human is kept per thread by seg_fail() and read with seg_errmsg(). The
 * command line turns the code into its exit status (seg_exit_status), so scripts can tell a
 * typo from a dead server. */
#ifndef SEGUE_ERR_H
#define SEGUE_ERR_H

enum seg_err {
	SEG_OK = 0,
	SEG_EFAIL,        /* anything not listed below (exit 1) */
	SEG_EUSAGE,       /* bad command line or request (exit 2) */
	SEG_EAUTH,        /* not logged in, wrong password, session revoked (exit 3) */
	SEG_ENOTFOUND,    /* no such track, playlist, queue entry, ... (exit 4) */
	SEG_EUNREACHABLE, /* the server could not be reached or timed out (exit 5) */
	SEG_EFORBIDDEN,   /* refused: tier, market, not the owner (exit 6) */
	SEG_ENOPLAYER,    /* no daemon runs / nothing is playing (exit 7) */
	SEG_EPROTO,       /* the server (or daemon) answered something we cannot read (exit 8) */
	SEG_ENOMEM,       /* exit 1 */
	SEG_EIO,          /* local files: config, state database, sockets (exit 1) */
};

/* Records the message of the error being returned and returns code, so callers can write
 * "return seg_fail(SEG_ENOTFOUND, "no playlist %s", id);". */
enum seg_err seg_fail(enum seg_err code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The last message recorded on this thread ("" when none). */
const char *seg_errmsg(void);
void seg_clear_error(void);
/* A stable short name for JSON ("not_found", "unreachable", ...), and back. */
const char *seg_err_name(enum seg_err code);
enum seg_err seg_err_from_name(const char *name);
int seg_exit_status(enum seg_err code);

#endif
