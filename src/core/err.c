/* Error codes and the per-thread message that goes with the last one. */
#include "config.h"
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static _Thread_local char errmsg[1024];

static const struct {
	const char *name;
	int exit_status;
} errs[] = {
	[SEG_OK] = { "ok", 0 },
	[SEG_EFAIL] = { "failed", 1 },
	[SEG_EUSAGE] = { "usage", 2 },
	[SEG_EAUTH] = { "auth", 3 },
	[SEG_ENOTFOUND] = { "not_found", 4 },
	[SEG_EUNREACHABLE] = { "unreachable", 5 },
	[SEG_EFORBIDDEN] = { "forbidden", 6 },
	[SEG_ENOPLAYER] = { "no_player", 7 },
	[SEG_EPROTO] = { "protocol", 8 },
	[SEG_ENOMEM] = { "no_memory", 1 },
	[SEG_EIO] = { "io", 1 },
};

#define NERRS (sizeof errs / sizeof errs[0])

enum seg_err seg_fail(enum seg_err code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(errmsg, sizeof errmsg, fmt, ap);
	va_end(ap);
	return code;
}

const char *seg_errmsg(void)
{
	return errmsg;
}

void seg_clear_error(void)
{
	errmsg[0] = '\0';
}

const char *seg_err_name(enum seg_err code)
{
	return (unsigned)code < NERRS ? errs[code].name : "failed";
}

enum seg_err seg_err_from_name(const char *name)
{
	for (size_t i = 0; name && i < NERRS; i++)
		if (!strcmp(errs[i].name, name))
			return (enum seg_err)i;
	return SEG_EFAIL;
}

int seg_exit_status(enum seg_err code)
{
	return (unsigned)code < NERRS ? errs[code].exit_status : 1;
}
