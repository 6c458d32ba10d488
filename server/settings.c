#include "config.h"
#include "settings.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conffile.h"

enum opt_type { OPT_STR, OPT_LONG, OPT_REAL, OPT_LIST, OPT_CHOICE };

struct option_def {
	const char *name;
	enum opt_type type;
	size_t offset;
	size_t size;      /* for strings: the field's capacity */
	long min, max;    /* for numbers */
	const char *def;
	const char *help;
	const char *choices; /* OPT_CHOICE: '|'-separated words; the field holds the index */
};

#define STR(field, def, help) \
	{ #field, OPT_STR, offsetof(struct settings, field), \
	  sizeof(((struct settings *)0)->field), 0, 0, def, help, NULL }
#define NUM(field, lo, hi, def, help) \
	{ #field, OPT_LONG, offsetof(struct settings, field), 0, lo, hi, def, help, NULL }
#define REAL(field, lo, hi, def, help) \
	{ #field, OPT_REAL, offsetof(struct settings, field), 0, lo, hi, def, help, NULL }
#define LIST(field, help) \
	{ #field, OPT_LIST, offsetof(struct settings, field), 0, 0, 0, "", help, NULL }
#define CHOICE(field, words, def, help) \
	{ #field, OPT_CHOICE, offsetof(struct settings, field), 0, 0, 0, def, help, words }

static const struct option_def options[] = {
	STR(listen, "127.0.0.1:8080", "address and port to listen on (port 0 picks a free one)"),
	STR(data_dir, "", "where the catalog, media, keys and database live"),
	STR(database, "",
	    "a PostgreSQL database (postgresql://USER@HOST/NAME) that several servers share;"
	    " empty: SQLite, segue.db in the data directory"),
	STR(shared_dir, "",
	    "on PostgreSQL, a folder every instance sees, where one trains the recommendation model"
	    " for all; empty: each instance trains its own, one at a time"),
	STR(public_url, "", "base URL clients reach the server at; empty: taken from the Host header"),
	NUM(url_ttl, 5, 7 * 86400, "3600", "seconds a signed audio URL stays valid"),
	NUM(access_ttl, 60, 7 * 86400, "3600", "seconds an access token stays valid"),
	NUM(refresh_ttl, 3600, 365 * 86400, "2592000", "seconds a refresh token stays valid"),
	NUM(max_body, 1024, 64L << 20, "1048576", "largest request body accepted, in bytes"),
	NUM(http_header_timeout, 1, 3600, "20",
	    "seconds a new connection has to send its request line and headers (and the most"
	    " between two parts of a request body)"),
	NUM(http_keepalive, 1, 3600, "30",
	    "seconds an idle kept-alive connection stays open, its next request's headers included"),
	NUM(http_body_timeout, 1, 86400, "60", "seconds a whole request body has to arrive in"),
	NUM(http_send_timeout, 1, 86400, "60",
	    "seconds a client may take none of its answer (a player reading slowly keeps taking)"
	    " before the connection is closed"),
	NUM(http_deferred_timeout, 1, 3600, "60",
	    "seconds an answer waiting on a worker thread or a Connect device may take before a 503"),
	NUM(http_linger, 1, 600, "10",
	    "seconds a connection answered before its body was read (413, 411, 400) keeps being"
	    " read, and dropped, so that the client gets the answer"),
	NUM(rl_window, 1, 3600, "30", "rate-limit window in seconds"),
	NUM(rl_standard, 1, 1000000, "100", "requests per window and token: catalog and account"),
	NUM(rl_search, 1, 1000000, "30", "requests per window and token: search"),
	NUM(rl_player, 1, 1000000, "50", "requests per window and token: player"),
	NUM(rl_playlist, 1, 1000000, "25", "requests per window and token: playlist changes"),
	NUM(rl_shared, 0, 1, "1",
	    "on PostgreSQL, count rate limits in the database, one budget across every instance;"
	    " 0: each instance counts its own"),
	NUM(ingest_jobs, 0, 256, "0", "ingest worker threads; 0 means one per core"),
	NUM(transcode_max, 1, 1024, "16",
	    "transcodes (OpenSubsonic stream to mp3 or opus) running at once; past it a client is"
	    " told the server is busy at once. The default keeps each in real time on two cores"
	    " even when all run flat out"),
	STR(artist_separators, ";|feat.|ft.|featuring",
	    "'|'-separated separators that split a single artist tag into several artists"
	    " (words match with spaces around them); empty: never split"),
	STR(markets, "AR,AT,AU,BE,BR,CA,CH,CL,CO,DE,DK,ES,FI,FR,GB,IE,IN,IT,JP,KR,MX,NL,NO,NZ,PL,PT,SE,US,ZA",
	    "markets a track without its own SEGUE_MARKETS tag is available in"),
	STR(log_level, "info", "error, warning, info or debug"),
	CHOICE(registration, "closed|invite|open", "closed",
	       "who may sign up through POST /api/register: no one (closed), the holder of an invite"
	       " code from segue-server user invite (invite), or anyone (open)"),
	NUM(register_tries, 1, 1000000, "5",
	    "sign-ups tried from one address before each further one waits (1 min, doubling up to"
	    " an hour)"),
	NUM(login_free_tries, 1, 1000000, "5",
	    "failed logins to one account from one address before each further try waits (1 s,"
	    " doubling up to login_max_wait)"),
	NUM(login_address_tries, 1, 1000000, "20",
	    "failed logins from one address, whatever the account, before each further try waits"),
	NUM(login_max_wait, 1, 86400, "600", "seconds: the longest wait between failed logins"),
	STR(trusted_proxies, "",
	    "reverse proxies (addresses, networks: 127.0.0.1, 10.0.0.0/8) whose X-Forwarded-For"
	    " names the client that sign-in and sign-up limits count by; empty: none, every client"
	    " is its socket's address"),
	NUM(popularity_interval, 1, 86400, "60", "seconds between refreshes of track popularity from plays"),
	STR(event_loop, "libev",
	    "the service loop: libev (epoll: a wake-up costs what is ready) or poll (libwebsockets'"
	    " own poll(2) loop, which scans every connection on each wake-up)"),
	NUM(connect_heartbeat_ms, 100, 600000, "5000",
	    "Connect: milliseconds between a device's heartbeats; three missed ones end its session"),
	NUM(connect_timeout_ms, 100, 600000, "5000",
	    "Connect: milliseconds a device has to answer a command"),
	NUM(connect_instance_timeout_ms, 200, 600000, "10000",
	    "Connect on PostgreSQL: milliseconds an instance may be silent before the others drop"
	    " its devices (its heart beats four times in that span)"),
	NUM(connect_max_message, 4096, 64L << 20, "1048576",
	    "Connect: largest WebSocket message accepted, in bytes"),
	NUM(recs_interval, 60, 30L * 86400, "21600",
	    "seconds between trainings of the recommendation model (also on start and on request)"),
	NUM(recs_factors, 4, 256, "64", "recommendations: latent factors of the ALS model"),
	NUM(recs_iterations, 1, 100, "12", "recommendations: ALS iterations per training"),
	REAL(recs_regularization, 0, 100, "0.1", "recommendations: ALS regularisation (lambda)"),
	REAL(recs_alpha, 0, 1000, "10", "recommendations: confidence per unit of log(1 + plays)"),
	REAL(recs_skip_weight, 0, 100, "2", "recommendations: confidence per skip that a track is unwanted"),
	NUM(recs_threads, 0, 64, "0", "recommendations: training threads; 0 means one per core"),
	NUM(offline_devices, 1, 100, "5", "offline: devices a premium account may download to"),
	NUM(offline_tracks, 1, 1000000, "10000", "offline: downloaded tracks per device"),
	NUM(offline_licence_days, 1, 365, "30",
	    "offline: days a downloaded track's licence lasts; a device checks in to renew it"),
	LIST(library, "a folder of masters that serve watches and ingest scans when given none;"
	     " once per folder, up to 16"),
	NUM(library_max_watches, 0, 100000000, "0",
	    "folders of the library inotify may watch; 0 means as many as the system allows"),
	NUM(library_rescan, 1, 86400, "60",
	    "seconds between full scans of the library when inotify cannot watch all of it"),
};

#define NOPTIONS (sizeof options / sizeof options[0])

static const struct option_def *find(const char *name)
{
	for (size_t i = 0; i < NOPTIONS; i++)
		if (!strcmp(options[i].name, name))
			return &options[i];
	return NULL;
}

static int apply(struct settings *c, const struct option_def *o, const char *value,
                 char *err, size_t errlen)
{
	char *field = (char *)c + o->offset;

	if (o->type == OPT_LIST) {
		struct settings_list *l = (struct settings_list *)field;

		if (!*value) {
			l->n = 0;
			return 0;
		}
		if (strlen(value) >= sizeof l->v[0]) {
			snprintf(err, errlen, "%s: value too long (at most %zu bytes)", o->name, sizeof l->v[0] - 1);
			return -1;
		}
		if (l->n == SETTINGS_LIST_MAX) {
			snprintf(err, errlen, "%s: at most %d of them", o->name, SETTINGS_LIST_MAX);
			return -1;
		}
		strcpy(l->v[l->n++], value);
		return 0;
	}
	if (o->type == OPT_STR) {
		if (strlen(value) >= o->size) {
			snprintf(err, errlen, "%s: value too long (at most %zu bytes)", o->name, o->size - 1);
			return -1;
		}
		strcpy(field, value);
		return 0;
	}
	if (o->type == OPT_CHOICE) {
		size_t n = strlen(value);
		long i = 0;

		for (const char *w = o->choices; *w; i++) {
			size_t len = strcspn(w, "|");

			if (len == n && !strncmp(w, value, n)) {
				*(long *)field = i;
				return 0;
			}
			w += len + (w[len] == '|');
		}
		snprintf(err, errlen, "%s: expected one of %s, got \"%s\"", o->name, o->choices, value);
		return -1;
	}
	char *end;
	errno = 0;
	if (o->type == OPT_REAL) {
		double d = strtod(value, &end);

		if (errno || end == value || *end || !(d >= (double)o->min && d <= (double)o->max)) {
			snprintf(err, errlen, "%s: expected a number from %ld to %ld, got \"%s\"",
			         o->name, o->min, o->max, value);
			return -1;
		}
		*(double *)field = d;
		return 0;
	}
	long v = strtol(value, &end, 10);
	if (errno || end == value || *end || v < o->min || v > o->max) {
		snprintf(err, errlen, "%s: expected a whole number from %ld to %ld, got \"%s\"",
		         o->name, o->min, o->max, value);
		return -1;
	}
	*(long *)field = v;
	return 0;
}

void settings_defaults(struct settings *c)
{
	char err[256];

	memset(c, 0, sizeof *c);
	for (size_t i = 0; i < NOPTIONS; i++)
		apply(c, &options[i], options[i].def, err, sizeof err);
}

int settings_set(struct settings *c, const char *name, const char *value, char *err, size_t errlen)
{
	const struct option_def *o = find(name);

	if (!o) {
		snprintf(err, errlen, "unknown option \"%s\"", name);
		return -1;
	}
	return apply(c, o, value, err, errlen);
}

static int set_one(void *ud, const char *name, const char *value, char *err, size_t errlen)
{
	return settings_set(ud, name, value, err, errlen);
}

int settings_load(struct settings *c, const char *path, char *err, size_t errlen)
{
	return conffile_read(path, 0, set_one, c, err, errlen) < 0 ? -1 : 0;
}

void settings_print_help(void)
{
	for (size_t i = 0; i < NOPTIONS; i++)
		printf("  %-14s %s (default: %s)\n", options[i].name, options[i].help,
		       *options[i].def ? options[i].def : "none");
}
