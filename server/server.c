/* The parts of a serving process's set-up that read the settings into its modules, written
 * once for cli/serve.c and for the fuzzing fixture (fuzz/fixture.c), which must run requests
 * exactly as serve does. */
#include "config.h"
#include "server.h"

#include "accounts/auth.h"
#include "api/routes.h"
#include "connect/hub.h"
#include "connect/ws.h"

int server_guard_init(struct server *srv)
{
	return guard_init(&srv->guard, &(struct guard_limits){ srv->cfg.login_free_tries,
	                                                      srv->cfg.login_address_tries,
	                                                      srv->cfg.login_max_wait,
	                                                      srv->cfg.register_tries });
}

/* http/ runs each request through the route table, and hands WebSocket upgrades to Connect
 * (upgrade_ud, the hub, is set once there is one); it knows nothing else of ours. */
void server_http_init(struct server *srv)
{
	srv->http = (struct http_ctx){
		.dispatch = routes_dispatch,
		.upgrade = ws_confirm_upgrade,
		.refuse = routes_refuse,
		.srv = srv,
		.metrics = &srv->metrics,
		.jobs = &srv->jobs,
		.public_url = srv->cfg.public_url,
		.listen = srv->cfg.listen,
		.max_body = srv->cfg.max_body,
		.body_timeout = srv->cfg.http_body_timeout,
		.deferred_timeout = srv->cfg.http_deferred_timeout,
		.send_timeout = srv->cfg.http_send_timeout,
		.linger = srv->cfg.http_linger,
		.keepalive = srv->cfg.http_keepalive,
		.proxies = &srv->proxies,
	};
}

/* The Connect handshake's token is checked as every API request's is. */
static const char *connect_auth(void *store, const char *authorization, struct user *who)
{
	return auth_bearer(store, authorization, who);
}

struct hub *server_hub_new(struct server *srv)
{
	struct hub_config cfg = {
		.store = &srv->store,
		.lws = srv->lws,
		.heartbeat_ms = srv->cfg.connect_heartbeat_ms,
		.timeout_ms = srv->cfg.connect_timeout_ms,
		.max_message = srv->cfg.connect_max_message,
		.authenticate = connect_auth,
		.auth_ud = &srv->store,
		/* On PostgreSQL, several instances may serve: the hub is shared through it. */
		.bus_url = store_is_postgres(&srv->store) ? settings_database(&srv->cfg) : NULL,
		.instance_timeout_ms = srv->cfg.connect_instance_timeout_ms,
		.loop = srv->loop,
		.read_start = srv->read_start,
		.read_stop = srv->read_stop,
	};

	return hub_new(&cfg);
}
