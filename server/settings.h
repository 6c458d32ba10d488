/* segue-server's settings: one table of options (name, type, default, help) read from the
 * configuration file and overridden by command-line flags. The table is the single source of
 * truth; segue-server(1) documents the same names. */
#ifndef SEGUE_SETTINGS_H
#define SEGUE_SETTINGS_H

#include <stddef.h>

#define SETTINGS_LIST_MAX 16   /* values of a list setting */
#define SETTINGS_LIST_LEN 1024 /* bytes of each, with its NUL */

/* A setting given once per value (library): each line or --set adds one; an empty value
 * empties the list. */
struct settings_list {
	int n;
	char v[SETTINGS_LIST_MAX][SETTINGS_LIST_LEN];
};

enum registration { REG_CLOSED, REG_INVITE, REG_OPEN }; /* the order of its words */

struct settings {
	char listen[128];        /* ADDR:PORT */
	char data_dir[1024];
	char trusted_proxies[512]; /* http/proxies.h */
	char database[1024]; /* a postgresql:// URL, or "": SQLite under data_dir */
	char shared_dir[1024]; /* PostgreSQL: a folder every instance sees (the shared model) */
	char public_url[256];    /* base URL put into hrefs and audio URLs; empty = from Host */
	long url_ttl;            /* seconds a signed audio URL stays valid */
	long access_ttl;         /* seconds an access token stays valid */
	long refresh_ttl;        /* seconds a refresh token stays valid */
	long max_body;           /* bytes of request body accepted */
	long http_header_timeout; /* seconds: request line and headers of a new connection */
	long http_keepalive;      /* seconds: an idle kept-alive connection, and its next headers */
	long http_body_timeout;   /* seconds: a whole request body */
	long http_send_timeout;   /* seconds a client may take none of its answer */
	long http_deferred_timeout; /* seconds an answer waiting on a worker or a device may take */
	long http_linger;         /* seconds an early-answered connection is read before closing */
	long rl_window;          /* rate-limit window, seconds */
	long rl_standard;        /* requests per window per token, by category */
	long rl_search;
	long rl_player;
	long rl_playlist;
	long rl_shared;
	long ingest_jobs;        /* worker threads for ingest; 0 = one per core */
	long transcode_max;      /* transcodes at once (server/transcode/) */
	char artist_separators[256]; /* '|'-separated words that split one artist tag into several */
	char markets[1024];      /* markets a track without SEGUE_MARKETS is available in */
	char log_level[16];
	long registration;       /* enum registration: who may sign up */
	long register_tries;     /* sign-ups from one address before each waits */
	long login_free_tries;   /* failed logins (account, address) before each waits */
	long login_address_tries; /* failed logins from one address before each waits */
	long login_max_wait;     /* seconds: the cap of the doubling wait */
	long popularity_interval; /* seconds between popularity refreshes */
	char event_loop[16];     /* the service loop: libev or poll */
	long connect_heartbeat_ms; /* Connect: heartbeat interval a device is told to keep */
	long connect_timeout_ms;   /* Connect: how long a device has to answer a command */
	long connect_instance_timeout_ms; /* Connect: an instance silent this long is dropped */
	long connect_max_message;  /* Connect: largest WebSocket message, bytes */
	long recs_interval;        /* seconds between trainings of the recommendation model */
	long recs_factors;         /* ALS: latent factors */
	long recs_iterations;      /* ALS: alternations */
	double recs_regularization; /* ALS: lambda */
	double recs_alpha;         /* ALS: confidence per unit of log listening */
	double recs_skip_weight;   /* ALS: confidence that a skipped track is unwanted, per skip */
	long recs_threads;         /* training threads; 0 = one per core */
	long offline_devices;      /* offline devices a premium account may register */
	long offline_tracks;       /* licences (downloaded tracks) per offline device */
	long offline_licence_days; /* days a licence lasts between check-ins */
	struct settings_list library; /* folders serve watches and ingest scans by default */
	long library_max_watches;  /* folders inotify may watch; 0 = as many as it allows */
	long library_rescan;       /* seconds between full scans when not all can be watched */
};

void settings_defaults(struct settings *c);
/* Reads "name = value" lines. Returns 0, or -1 with a message naming the file and line. */
int settings_load(struct settings *c, const char *path, char *err, size_t errlen);
/* Sets one option by name from its text form; -1 with a message when unknown or invalid. */
int settings_set(struct settings *c, const char *name, const char *value, char *err, size_t errlen);
/* Prints every option with its help text (for --help and the man page). */
void settings_print_help(void);

/* What store_open opens for these settings: the database URL, else the data directory. */
static inline const char *settings_database(const struct settings *cfg)
{
	return cfg->database[0] ? cfg->database : cfg->data_dir;
}

#endif
