/* The JSON bodies the API accepts, through the route table and the handlers as a request
 * reaches them (api/routes.c: authentication, rate limits, the handler's req_json_body and
 * what it does with the object), against a real store (fuzz/fixture.c).
 *
 * Input: one byte choosing the route, then the query string up to the first newline
 * ("a=b&c=d", values as lws hands them, decoded), then the body. The answer must be a status
 * of 2xx to 4xx -- a 5xx is the server failing on what a client sent -- and a JSON answer
 * must parse. */
#include "config.h"

#include <string.h>

#include "api/routes.h"
#include "fixture.h"
#include "fuzz.h"

enum who { ME, OTHER };

/* Every route that reads a JSON body; {me} is the user's id, {pl} the playlist's. */
static const struct { enum http_method m; const char *path; } routes[] = {
	{ M_PUT, "/v1/me/tracks" },
	{ M_DELETE, "/v1/me/tracks" },
	{ M_PUT, "/v1/me/albums" },
	{ M_DELETE, "/v1/me/albums" },
	{ M_PUT, "/v1/me/following" },
	{ M_DELETE, "/v1/me/following" },
	{ M_POST, "/v1/segue/events" },
	{ M_POST, "/v1/users/{me}/playlists" },
	{ M_PUT, "/v1/playlists/{pl}" },
	{ M_POST, "/v1/playlists/{pl}/tracks" },
	{ M_PUT, "/v1/playlists/{pl}/tracks" },
	{ M_DELETE, "/v1/playlists/{pl}/tracks" },
	{ M_PUT, "/v1/playlists/{pl}/followers" },
	{ M_PUT, "/v1/me/player" },
	{ M_PUT, "/v1/me/player/play" },
	{ M_POST, "/v1/me/player/queue" },
	{ M_PUT, "/v1/me/player/seek" },
	{ M_PUT, "/v1/me/player/volume" },
	{ M_POST, "/v1/segue/radio" },
	{ M_POST, "/v1/segue/tracks/match" },
	{ M_PUT, "/v1/me/taste" },
	{ M_PUT, "/v1/segue/offline/devices/fuzzdevice" },
	{ M_POST, "/v1/segue/offline/devices/fuzzdevice/licences" },
	{ M_POST, "/v1/segue/offline/devices/fuzzdevice/checkin" },
};
#define NROUTES (sizeof routes / sizeof routes[0])

static void path_for(struct fixture *fx, const char *pattern, char *out, size_t len)
{
	const char *p;

	if ((p = strstr(pattern, "{me}")))
		snprintf(out, len, "%.*s%s%s", (int)(p - pattern), pattern, fx->user_id, p + 4);
	else if ((p = strstr(pattern, "{pl}")))
		snprintf(out, len, "%.*s%s%s", (int)(p - pattern), pattern, fx->playlist_id, p + 4);
	else
		snprintf(out, len, "%s", pattern);
}

/* "a=b&c" into r's arguments, as read_args in http.c leaves them. */
static void set_args(struct req *r, const char *q, size_t len)
{
	while (len && r->nargs < REQ_MAX_ARGS) {
		const char *amp = memchr(q, '&', len);
		size_t n = amp ? (size_t)(amp - q) : len;
		const char *eq = memchr(q, '=', n);

		fuzz_check(req_add_arg(r, strndup(q, eq ? (size_t)(eq - q) : n),
		                       eq ? strndup(eq + 1, n - (size_t)(eq - q) - 1) : strdup("")) == 0,
		           "out of memory");
		q += amp ? n + 1 : n;
		len -= amp ? n + 1 : n;
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fixture_get();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fixture *fx = fixture_get();
	char path[256];
	const uint8_t *nl;
	struct req *r;
	size_t i;

	if (size < 1)
		return 0;
	i = data[0] % NROUTES;
	data++;
	size--;
	path_for(fx, routes[i].path, path, sizeof path);
	/* The high bit: the other user asks (someone else's playlist). */
	r = fixture_req(fx, routes[i].m, path, (data[-1] & 0x80) ? fx->other_auth : fx->auth);
	if ((nl = memchr(data, '\n', size < 512 ? size : 512))) {
		/* lws decodes and never hands a NUL inside an argument */
		if (!memchr(data, '\0', (size_t)(nl - data)))
			set_args(r, (const char *)data, (size_t)(nl - data));
		size -= (size_t)(nl - data) + 1;
		data = nl + 1;
	}
	if ((long long)size > r->ctx->max_body) {
		fixture_req_free(r);
		return 0; /* http.c answers 413 before a handler sees it */
	}
	fuzz_check(buf_append(&r->body, data, size) == 0, "out of memory");
	r->content_length = (long long)size;

	routes_dispatch(r);
	if (getenv("FUZZ_VERBOSE"))
		fprintf(stderr, "fuzz: %s %s: %d %.*s\n", r->method_name, path, r->status,
		        (int)(r->out.len < 300 ? r->out.len : 300), r->out.p);
	if (!r->pending) {
		fuzz_check(r->status >= 200 && r->status < 500, "%s %s answered %d: %.*s", r->method_name, path,
		           r->status, (int)(r->out.len > 300 ? 300 : r->out.len), r->out.p);
		if (r->ctype && !strcmp(r->ctype, "application/json")) {
			json_t *j = json_loadb(r->out.p, r->out.len, 0, NULL);

			fuzz_check(j != NULL, "%s %s: the answer is not JSON", r->method_name, path);
			json_decref(j);
		}
	}
	fixture_req_free(r);
	return 0;
}
