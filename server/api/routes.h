/* The server's one route table: method, path pattern, rate-limit category, whether a bearer
 * token is required, and the handler. Patterns are literal segments and {name} segments that
 * match one non-empty path segment. */
#ifndef SEGUE_ROUTES_H
#define SEGUE_ROUTES_H

#include "http/http.h"
#include "http/ratelimit.h"

typedef void (*handler_fn)(struct req *r);
struct sub_call;

/* AUTH_SUBSONIC: the Subsonic API's own credentials in the query or form (subsonic/auth.h);
 * AUTH_SUBSONIC_OPEN: a Subsonic endpoint without them. Both run a Subsonic endpoint (ROUTE_SUB). */
enum route_auth { AUTH_NONE, AUTH_BEARER, AUTH_SUBSONIC, AUTH_SUBSONIC_OPEN };

struct route {
	unsigned methods;     /* M_GET | M_HEAD, … */
	const char *pattern;
	enum rl_category category;
	enum route_auth auth;
	handler_fn handler;   /* AUTH_SUBSONIC*: a sub_fn, stored by ROUTE_SUB */
};

/* A Subsonic endpoint (void (*)(struct sub_call *)) in a route's handler slot, and back: the
 * table keeps one shape for every route, and a function pointer converted to another type
 * and back is the same pointer (C11 6.3.2.3). The conditional checks fn's type. */
typedef void (*route_sub_fn)(struct sub_call *c);
#define ROUTE_SUB(fn) ((handler_fn)(void (*)(void))(1 ? (fn) : (route_sub_fn)0))
#define ROUTE_SUB_FN(h) ((route_sub_fn)(void (*)(void))(h))

/* Finds the route, authenticates, applies rate limits and runs the handler; or replies
 * 404, 405, 401 or 429. http/ runs every request through it (struct http_ctx's dispatch, set
 * by cli/serve.c). */
void routes_dispatch(struct req *r);
/* http_ctx.refuse: a request refused before it was read whole, answered as its path's API
 * answers errors (a Subsonic error under /rest/). */
void routes_refuse(struct req *r, int status, const char *message);

#endif
