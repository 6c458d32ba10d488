/* The server's one route table: method, path pattern, rate-limit category, whether a bearer
 * token is required, and the handler. Patterns are literal segments and {name} segments that
 * match one non-empty path segment. */
#ifndef SEGUE_ROUTES_H
#define SEGUE_ROUTES_H

#include "http/http.h"
#include "http/ratelimit.h"

typedef void (*handler_fn)(struct req *r);

enum route_auth { AUTH_NONE, AUTH_BEARER };

struct route {
	unsigned methods;     /* M_GET | M_HEAD, … */
	const char *pattern;
	enum rl_category category;
	enum route_auth auth;
	handler_fn handler;
};

/* Finds the route, authenticates, applies rate limits and runs the handler; or replies
 * 404, 405, 401 or 429. http/ runs every request through it (struct http_ctx's dispatch, set
 * by cli/serve.c). */
void routes_dispatch(struct req *r);

#endif
