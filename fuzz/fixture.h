/* A server for the fuzz targets that need one (json, hub, http): made once per process as
 * cli/serve.c makes it -- a store in a fresh data folder, signing and licence keys, rate
 * limits, an lws context (for the hub's timers and, in the http target, the connections),
 * the hub -- with two premium users, a bearer token each, a playlist and a Subsonic API key
 * of the first's. No
 * port is opened and no worker thread is started: requests are run by the caller. */
#ifndef SEGUE_FUZZ_FIXTURE_H
#define SEGUE_FUZZ_FIXTURE_H

#include "server.h"

struct fixture {
	struct server *srv;
	char user_id[72], other_id[72];
	char auth[600], other_auth[600]; /* "Bearer ..." */
	char playlist_id[32];            /* the first user's */
	char apikey[64];                 /* a Subsonic API key of the first user */
};

/* Makes the fixture on the first call; later calls return the same one. Aborts if it
 * cannot be made. */
struct fixture *fixture_get(void);

/* A request as http.c would hand it to the route table, without a connection. */
struct req *fixture_req(struct fixture *fx, enum http_method m, const char *path,
                        const char *authorization);
/* Frees a request the route table has answered, telling its holder if it is pending. */
void fixture_req_free(struct req *r);

#endif
