/* The client core's context: everything a command runs against. One per process (the
 * command line, the daemon, later the TUI). Parts are made on first use, so `segue --help`
 * touches no file and `segue search` opens no audio device. */
#ifndef SEGUE_SEG_H
#define SEGUE_SEG_H

#include <stdbool.h>

#include "api.h"
#include "err.h"
#include "options.h"
#include "paths.h"
#include "store.h"

struct player;
struct device;
struct downloader;

struct seg {
	struct paths paths;
	struct options opt;
	struct api *api;       /* seg_api() */
	struct store store;    /* seg_store() */
	bool store_ok;
	struct player *player; /* set by the daemon; NULL elsewhere */
	struct device *device; /* its Connect device (device.h); NULL elsewhere */
	struct downloader *downloader; /* the daemon's downloads (download.h); NULL elsewhere */
	bool json;             /* the face wants JSON (streaming commands print as they go) */
	bool tty;              /* the command line prints for people on a terminal (not --json,
	                        * not a pipe): a command may draw there what only a terminal
	                        * shows (show's cover art); never set in the daemon or TUI */
	const char *config;    /* --config as given (NULL: the default), for processes it starts */
	int (*run_tui)(struct seg *s, const char *config); /* the terminal face, when linked in */
	void *face;            /* the face's own data (the daemon's state) */
};

/* Reads the config file (conf_path or the XDG default; a missing default is fine). */
enum seg_err seg_init(struct seg *s, const char *conf_path);
void seg_free(struct seg *s);
/* The API client for the configured server; NULL (with a message) when it cannot be made. */
struct api *seg_api(struct seg *s);
/* The opened state database, or NULL (with a message). */
struct store *seg_store(struct seg *s);
/* This installation's stable device id (22 characters, made on first use). */
const char *seg_device_id(struct seg *s);
/* The name this device shows: device_name, or the host name. */
const char *seg_device_name(struct seg *s);

#endif
