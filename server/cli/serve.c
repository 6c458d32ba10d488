/* segue-server serve: one process, one libwebsockets service loop (cli/loop.c: libev, or
 * poll). Everything a request needs is set up here before the loop runs; SIGTERM and SIGINT
 * end the loop cleanly. */
#include "config.h"
#include "cli/cli.h"
#include "cli/loop.h"

#include <errno.h>
#include <libwebsockets.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include "accounts/auth.h"
#include "api/routes.h"
#include "catalog/watcher.h"
#include "connect/hub.h"
#include "connect/ws.h"
#include "connect/wsguard.h"
#include "http/feed.h"
#include "http/http.h"
#include "log.h"
#include "server.h"

/* Splits "ADDR:PORT" (or "[v6]:PORT"). */
static int parse_listen(const char *s, char *addr, size_t alen, int *port)
{
	const char *colon = strrchr(s, ':');
	const char *a = s;
	size_t n;
	char *end;
	long p;

	if (!colon)
		return -1;
	n = (size_t)(colon - s);
	if (n >= 2 && s[0] == '[' && colon[-1] == ']') {
		a = s + 1;
		n -= 2;
	}
	if (n == 0 || n >= alen)
		return -1;
	memcpy(addr, a, n);
	addr[n] = '\0';
	p = strtol(colon + 1, &end, 10);
	if (*end || end == colon + 1 || p < 0 || p > 65535)
		return -1;
	*port = (int)p;
	return 0;
}


/* Past a million descriptors lws's per-descriptor tables (16 bytes each) are not worth it. */
#define SERVE_MAX_FDS (1 << 20)

/* --library DIR, repeated: the folders to watch. The first replaces those of the
 * configuration file, as any flag overrides the file. Returns 0, or an exit status. */
static int library_flags(struct settings *cfg, int argc, char **argv)
{
	char err[512];
	bool first = true;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--library")) {
			fprintf(stderr, "segue-server serve: unexpected argument \"%s\"\n", argv[i]);
			return EXIT_USAGE;
		}
		if (i + 1 >= argc) {
			fprintf(stderr, "segue-server: --library needs a folder\n");
			return EXIT_USAGE;
		}
		if ((first && settings_set(cfg, "library", "", err, sizeof err) < 0) ||
		    settings_set(cfg, "library", argv[++i], err, sizeof err) < 0) {
			fprintf(stderr, "segue-server: %s\n", err);
			return EXIT_USAGE;
		}
		first = false;
	}
	return 0;
}

/* One descriptor per connection: the soft limit goes up to the hard one, and lws is told to
 * use all of it (its tables are allocated at that size but only touched as descriptors are
 * used). Returns the descriptors this process may have. */
static int raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return 1024;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max > SERVE_MAX_FDS ? SERVE_MAX_FDS : rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			getrlimit(RLIMIT_NOFILE, &rl);
	}
	return rl.rlim_cur > SERVE_MAX_FDS ? SERVE_MAX_FDS : (int)rl.rlim_cur;
}

int cmd_serve(int argc, char **argv)
{
	struct server *srv;
	struct lws_context_creation_info info;
	struct lws_vhost *vh;
	struct serve_loop *loop = NULL;
	char addr[128], err[512], **roots = NULL;
	int port, rc, nroots = 0, nfds, status = EXIT_FAILURE_;
	long limits[RL_NCATEGORIES] = { 0 };
	sigset_t stop_sigs;

	srv = calloc(1, sizeof *srv);
	if (!srv)
		return EXIT_FAILURE_;
	if ((rc = cli_settings(&srv->cfg, &argc, argv)) != 0) {
		free(srv);
		return rc;
	}
	if ((rc = library_flags(&srv->cfg, argc, argv)) != 0 ||
	    (rc = cli_library_roots(&srv->cfg, &roots, &nroots)) != 0) {
		free(srv);
		return rc;
	}
	if (parse_listen(srv->cfg.listen, addr, sizeof addr, &port) < 0) {
		fprintf(stderr, "segue-server: --listen takes ADDR:PORT, got \"%s\"\n", srv->cfg.listen);
		cli_free_paths(roots, nroots);
		free(srv);
		return EXIT_USAGE;
	}
	if (proxies_parse(&srv->proxies, srv->cfg.trusted_proxies, err, sizeof err) < 0) {
		fprintf(stderr, "segue-server: %s\n", err);
		cli_free_paths(roots, nroots);
		free(srv);
		return EXIT_USAGE;
	}
	if (!(loop = serve_loop_new(srv->cfg.event_loop, err, sizeof err))) {
		fprintf(stderr, "segue-server: %s\n", err);
		cli_free_paths(roots, nroots);
		free(srv);
		return EXIT_USAGE;
	}
	snprintf(srv->media_dir, sizeof srv->media_dir, "%s/media", srv->cfg.data_dir);
	snprintf(srv->images_dir, sizeof srv->images_dir, "%s/images", srv->cfg.data_dir);
	if (store_open(&srv->store, settings_database(&srv->cfg), err, sizeof err) < 0 ||
	    keyring_open(&srv->keys, &srv->store, srv->cfg.data_dir, err, sizeof err) < 0 ||
	    licence_keys_open(&srv->licences, &srv->store, srv->cfg.data_dir, err, sizeof err) < 0 ||
	    subsonic_key_open(&srv->subsonic_key, &srv->store, srv->cfg.data_dir, err, sizeof err) < 0) {
		fprintf(stderr, "segue-server: %s\n", err);
		goto out;
	}
	limits[RL_STANDARD] = srv->cfg.rl_standard;
	limits[RL_SEARCH] = srv->cfg.rl_search;
	limits[RL_PLAYER] = srv->cfg.rl_player;
	limits[RL_PLAYLIST] = srv->cfg.rl_playlist;
	if (ratelimit_init(&srv->rl, 1 << 16, srv->cfg.rl_window, limits) < 0) {
		fprintf(stderr, "segue-server: out of memory\n");
		goto out;
	}
	/* Several instances over one PostgreSQL database share one budget per user. */
	if (store_is_postgres(&srv->store) && srv->cfg.rl_shared)
		ratelimit_share(&srv->rl, &srv->store);
	if (server_guard_init(srv) < 0) {
		fprintf(stderr, "segue-server: out of memory\n");
		goto out;
	}
	srv->metrics.start_unix = time(NULL);
	/* SIGINT and SIGTERM for the main thread alone: the threads started from here on inherit
	 * them blocked, so the handler never runs in one of them (racing the loop it stops). */
	sigemptyset(&stop_sigs);
	sigaddset(&stop_sigs, SIGINT);
	sigaddset(&stop_sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop_sigs, NULL);
	if (searcher_start(&srv->search, settings_database(&srv->cfg), srv->cfg.popularity_interval) < 0) {
		fprintf(stderr, "segue-server: cannot start the search indexer\n");
		goto out;
	}
	if (recommender_start(&srv->recs, &srv->cfg) < 0) {
		fprintf(stderr, "segue-server: cannot start the recommendation trainer\n");
		goto out;
	}
	if (nroots && !(srv->library = library_watch_start(&srv->cfg, roots, nroots))) {
		fprintf(stderr, "segue-server: cannot start the library watcher\n");
		goto out;
	}

	nfds = raise_fd_limit();
	lws_set_log_level(log_get_level() >= LOG_DEBUG ? LLL_ERR | LLL_WARN | LLL_NOTICE : LLL_ERR, NULL);
	server_http_init(srv);
	if (serve_loop_has_io(loop)) {
		/* Audio ranges beside lws (http/quick.h): its parser and header tables cost more
		 * than the rest of such a request together. */
		static const char *const quick[] = { "/audio/", NULL };

		srv->http.quick_prefixes = quick;
		srv->http.io_start = serve_loop_io_start;
		srv->http.io_stop = serve_loop_io_stop;
		srv->http.feed_writeable = serve_loop_feed_writeable;
		srv->http.loop = loop;
	}
	wsguard_set_rx_hook(http_rx);
	memset(&info, 0, sizeof info);
	info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS | LWS_SERVER_OPTION_DISABLE_IPV6 * !strchr(addr, ':');
	info.user = &srv->http;
	info.max_http_header_data = HTTP_HEADER_DATA;
	/* Every open HTTP connection holds a header table until its exchange ends, so the pool
	 * bounds how many slow readers can stream at once: make it generous. */
	info.max_http_header_pool = 4096;
	info.fd_limit_per_thread = (unsigned)nfds;
	/* lws times the headers (timeout_secs, also each gap in a body) and idle keep-alive;
	 * http/ times the other states. */
	info.keepalive_timeout = (int)srv->cfg.http_keepalive;
	info.timeout_secs = (unsigned)srv->cfg.http_header_timeout;
	info.timeout_secs_ah_idle = (unsigned)srv->cfg.http_header_timeout;
	serve_loop_configure(loop, &info);
	srv->lws = lws_create_context(&info);
	if (!srv->lws) {
		fprintf(stderr, "segue-server: cannot start the event loop (%s)%s\n", srv->cfg.event_loop,
		        strcmp(srv->cfg.event_loop, "libev") ? "" :
		        ": is libwebsockets' libev plugin installed (Debian: libwebsockets-evlib-ev)?");
		goto out;
	}
	if (serve_loop_has_io(loop)) {
		srv->loop = loop;
		srv->read_start = serve_loop_read_start;
		srv->read_stop = serve_loop_io_stop;
	}
	if (!(srv->hub = server_hub_new(srv))) {
		fprintf(stderr, "segue-server: cannot start the Connect hub (out of memory, or see the log)\n");
		goto out;
	}
	srv->http.upgrade_ud = srv->hub;
	if (jobs_start(&srv->jobs, srv->lws, 2) < 0) {
		fprintf(stderr, "segue-server: cannot start worker threads\n");
		goto out;
	}
	transcoder_init(&srv->transcodes, (int)srv->cfg.transcode_max);
	/* Each protocol's user pointer is its context: the Connect endpoint's is the hub.
	 * tx_packet_size caps each send(): lws's default (4 KiB) would cut a 64 KiB audio range
	 * into sixteen system calls and copy the tail into a buffer list. */
	const struct lws_protocols protocols[] = {
		{ "http", (lws_callback_function *)http_callback, sizeof(struct http_session), 0, 0, NULL,
		  HTTP_MAX_SEND },
		{ WS_PROTOCOL, (lws_callback_function *)ws_callback, sizeof(struct hub_conn),
		  WS_RX_BUFFER, 0, srv->hub, WS_TX_PACKET },
		{ NULL, NULL, 0, 0, 0, NULL, 0 },
	};
	info.port = port;
	info.iface = addr;
	/* No lws "validity" timer per connection (by default a ping after 300 s of quiet and a
	 * hang-up at 310): lws keeps them in one time-sorted list, and inserting a session's
	 * walks past every other one's, so connecting n devices cost n^2/2 steps. Connect has
	 * its own liveness (connect/ws.c), HTTP its timeouts. */
	static const lws_retry_bo_t no_validity = { .secs_since_valid_ping = 0 };
	info.retry_and_idle_policy = &no_validity;
	info.protocols = protocols;
	info.vhost_name = "segue";
	vh = lws_create_vhost(srv->lws, &info);
	if (!vh) {
		fprintf(stderr, "segue-server: cannot listen on %s (in use, or not an address of this host)\n",
		        srv->cfg.listen);
		goto out;
	}
	/* Tests and scripts read this first line to learn the port chosen for :0. */
	printf("listening on %s:%d\n", addr, lws_get_vhost_listen_port(vh));
	fflush(stdout);
	log_info("serving %s from %s on %s, up to %d descriptors", srv->cfg.listen, srv->cfg.data_dir,
	         serve_loop_describe(loop), nfds);

	signal(SIGPIPE, SIG_IGN);
	serve_loop_before_wait(loop, http_settle);
	serve_loop_run(loop, srv->lws, &stop_sigs); /* one that came meanwhile is handled now */
	log_info("stopping");
	hub_stop(srv->hub); /* the other instances drop our devices at once */
	status = EXIT_OK;
out:
	library_watch_stop(srv->library);
	cli_free_paths(roots, nroots);
	jobs_stop(&srv->jobs);
	http_feed_shutdown(); /* transcodes wake the loop no more */
	if (srv->lws)
		lws_context_destroy(srv->lws); /* closes every Connect session first */
	transcoder_stop(&srv->transcodes); /* their requests are gone: they end at once */
	serve_loop_free(loop);
	hub_free(srv->hub);
	recommender_stop(&srv->recs);
	searcher_stop(&srv->search);
	ratelimit_free(&srv->rl);
	guard_free(&srv->guard);
	keyring_wipe(&srv->keys);
	licence_keys_wipe(&srv->licences);
	subsonic_key_wipe(&srv->subsonic_key);
	if (store_is_open(&srv->store))
		store_close(&srv->store);
	free(srv);
	return status;
}
