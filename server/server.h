/* What every handler can reach: settings, the database connection of the service loop, the
 * signing keys, rate limits and metrics. One instance per serving process, owned by
 * cmd_serve; nothing here is state the server could not rebuild from the store.
 *
 * The composition root: cli/ and api/ include it; the modules below are given what they need
 * (struct http_ctx, struct hub_config, ...), never this (doc/architecture.md, Dependencies). */
#ifndef SEGUE_SERVER_H
#define SEGUE_SERVER_H

#include "accounts/guard.h"
#include "http/http.h"
#include "http/jobs.h"
#include "http/proxies.h"
#include "transcode/transcode.h"
#include "offline/licence.h"
#include "http/metrics.h"
#include "http/ratelimit.h"
#include "recs/recommender.h"
#include "search/searcher.h"
#include "settings.h"
#include "accounts/sign.h"
#include "accounts/subsonic_pw.h"
#include "store/store.h"

struct lws_context;
struct hub;
struct library_watch;

struct server {
	struct settings cfg;
	struct http_ctx http;      /* what http/ runs requests with (cli/serve.c) */
	struct store store;
	struct keyring keys;
	struct licence_keys licences; /* offline licences (server/api/offline.c) */
	struct subsonic_key subsonic_key; /* Subsonic passwords are sealed under it */
	struct ratelimit rl;
	struct guard guard;        /* waits before password checks and sign-ups */
	struct proxies proxies;    /* whose X-Forwarded-For names the client (trusted_proxies) */
	struct metrics metrics;
	struct searcher search;
	struct recommender recs;
	struct jobs jobs;
	struct transcoder transcodes; /* on-the-fly transcodes (OpenSubsonic stream) */
	struct lws_context *lws;
	struct hub *hub;
	struct library_watch *library; /* the watched folders; NULL when there are none */
	/* The service loop's watcher of a descriptor's input, for the Connect hub's bus (NULL
	 * where the loop has none: the fuzzing fixture, the poll loop). */
	void *loop;
	void *(*read_start)(void *loop, int fd, void (*fn)(void *arg), void *arg);
	void (*read_stop)(void *loop, void *io);
	char media_dir[1100];
	char images_dir[1100];     /* pictures by content (server/images/) */
};

/* Set-up shared by cli/serve.c and the fuzzing fixture (server.c): the login guard from the
 * settings (-1: out of memory), srv->http, and the Connect hub on srv->lws (NULL: out of
 * memory). */
int server_guard_init(struct server *srv);
void server_http_init(struct server *srv);
struct hub *server_hub_new(struct server *srv);

#endif
