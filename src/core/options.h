/* The client's settings: one table (name, type, default, limits, help), read from segue.conf,
 * overridden by command-line flags and settable at run time (`segue set NAME VALUE`, the TUI's
 * :set). segue.conf(5) documents the same table.
 *
 * segue.conf is lines of "name = value"; '#' starts a comment; blank lines are ignored;
 * values may be quoted with double quotes. An unknown name or a bad value is an error naming
 * the file and line, so a typo never silently does nothing. */
#ifndef SEGUE_OPTIONS_H
#define SEGUE_OPTIONS_H

#include <jansson.h>
#include <stdbool.h>

#include "err.h"

enum opt {
	OPT_SERVER,
	OPT_QUALITY,
	OPT_ADAPTIVE,
	OPT_NORMALIZE,
	OPT_CROSSFADE,
	OPT_VOLUME,
	OPT_AUDIO_OUTPUT,
	OPT_DEVICE_NAME,
	OPT_OUTBOX_INTERVAL,
	OPT_LOG_LEVEL,
	OPT_MPV_OPTIONS,
	OPT_OFFLINE_MAX_SIZE,
	OPT_DOWNLOAD_QUALITY,
	OPT_DOWNLOAD_PARALLEL,
	OPT_DOWNLOAD_RATE,
	OPT_ART,
	OPT_MPRIS,
	OPT_NOTIFY,
	OPT_CONTROL_IDLE_TIMEOUT,
	OPT_ART_CACHE_MAX_SIZE,
	OPT_COUNT
};

enum opt_type { OT_STRING, OT_INT, OT_BOOL, OT_ENUM };

struct opt_def {
	const char *name;
	enum opt_type type;
	const char *def;
	int min, max;                /* OT_INT */
	const char *const *choices;  /* OT_ENUM, NULL-terminated */
	const char *help;
};

extern const struct opt_def opt_defs[OPT_COUNT];

struct options {
	char *val[OPT_COUNT]; /* owned; always set after options_init */
	bool set[OPT_COUNT];  /* set by the file or a flag rather than defaulted */
	json_t *binds;        /* the TUI's "bind.ACTION = KEYS" lines: {"ACTION": "KEYS"} */
	json_t *colors;       /* the TUI's "color.ELEMENT = FG[,BG]" lines */
};

enum seg_err options_init(struct options *o);
void options_free(struct options *o);
/* Reads a config file; a missing file is not an error when missing_ok. */
enum seg_err options_load(struct options *o, const char *path, bool missing_ok);
/* Validates and sets one option by name. */
enum seg_err options_set(struct options *o, const char *name, const char *value);
int options_find(const char *name); /* -1 when unknown */

const char *opt_str(const struct options *o, enum opt i);
int opt_int(const struct options *o, enum opt i);
bool opt_bool(const struct options *o, enum opt i);
/* The index of an OT_ENUM option's value among its choices. */
int opt_enum(const struct options *o, enum opt i);
/* {"name": value, ...} with ints and bools as JSON numbers and booleans. */
json_t *options_json(const struct options *o);

#endif
