/* The (Open)Subsonic API: /rest/NAME and /rest/NAME.view, by GET or form POST, answered in
 * XML (the default) or JSON (f=json; f=jsonp with a callback), errors as the specification's
 * codes inside an HTTP 200. What Navidrome, gonic and Airsonic serve, so that the phone and
 * desktop clients that speak it (Symfonium, DSub, Feishin, ...) play from Segue.
 *
 * The layer sits beside api/ at the top: routes.c lists every endpoint in the one route table
 * with AUTH_SUBSONIC (or AUTH_SUBSONIC_OPEN, no credentials) and hands the request to
 * subsonic_serve, which reads the parameters (query and form body), authenticates (auth.c),
 * applies the user's rate limit and runs the endpoint with a struct sub_call. Endpoints build
 * their answer as a jansson tree, one description that resp.c writes as JSON or as XML:
 *
 *   - an object's scalar members are XML attributes, except "value", the element's text;
 *   - an object member is a child element named by its key;
 *   - an array member is one child element per item, named by the key (an array of scalars:
 *     elements with the scalar as text).
 *
 * So {"artist": [{"id": "x", "name": "A"}]} is <artist id="x" name="A"/> in XML and the same
 * array in JSON, which is how the specification writes both.
 *
 * Adding an endpoint:
 *   1. write void sub_NAME(struct sub_call *c) in the file of its family (system.c,
 *      browse.c, ...; a new family gets a new file, listed in Makefile.am) and declare it
 *      in subsonic/endpoints.h;
 *   2. read parameters with sub_arg / sub_need / sub_int / sub_bool (each answers the
 *      specification's error itself when it returns false or NULL);
 *   3. answer with sub_ok(c, "elementName", tree) or sub_error(c, code, ...);
 *   4. add SUB("NAME", RL_category, sub_NAME) to the table in server/api/routes.c;
 *   5. test it in both formats (tests/subsonic*.py) and check the answer against the
 *      specification's schema (openapi/schemas in open-subsonic-api).
 * Catalog ids go through as they are (base62); an id that could be of several kinds (a
 * folder: artist or album) says which with a prefix (sub_folder_id). */
#ifndef SEGUE_SUBSONIC_H
#define SEGUE_SUBSONIC_H

#include <jansson.h>
#include <stdbool.h>

#include "http/http.h"
#include "http/ratelimit.h"

/* What this server says it speaks: the Subsonic REST version of the specification it
 * follows, and its name in "type". */
#define SUBSONIC_API_VERSION "1.16.1"
#define SUBSONIC_SERVER_TYPE "segue"

/* The specification's error codes. */
enum sub_code {
	SUB_ERR_GENERIC = 0,
	SUB_ERR_MISSING = 10,
	SUB_ERR_CLIENT_VERSION = 20,
	SUB_ERR_SERVER_VERSION = 30,
	SUB_ERR_CREDENTIALS = 40,
	SUB_ERR_TOKEN_UNSUPPORTED = 41,
	SUB_ERR_MECHANISM = 42,
	SUB_ERR_CONFLICT = 43,
	SUB_ERR_API_KEY = 44,
	SUB_ERR_FORBIDDEN = 50,
	SUB_ERR_NOT_FOUND = 70,
};

enum sub_format { SUB_XML, SUB_JSON, SUB_JSONP };

#define SUB_MAX_PARAMS 256     /* query and form fields together */
#define SUB_MAX_PARAM_LEN 4096 /* bytes of one decoded form field */

struct sub_param {
	char *name, *value;
};

/* One Subsonic call: the request (r->user is the authenticated user), the answer's format,
 * and every parameter, the query's then the form body's, in order (a name may repeat:
 * id=1&id=2). Lives on subsonic_serve's stack for the endpoint's run. */
struct sub_call {
	struct req *r;
	enum sub_format fmt;
	const char *callback; /* f=jsonp's */
	struct sub_param *params;
	int nparams;
	bool answered;
};

typedef void (*sub_fn)(struct sub_call *c);

/* Runs fn for r (a /rest/ route): parameters, authentication unless open, the rate limit of
 * category for the user, then fn. r is answered when it returns. */
void subsonic_serve(struct req *r, sub_fn fn, enum rl_category category, bool open);
/* Answers r, a /rest/ request refused before it was read whole (its head too large), with
 * error 0 in the format its query asked for (as far as it was read) and HTTP status. */
void subsonic_refuse(struct req *r, int status, const char *message);

/* Parameters. sub_arg: the first value of name, or NULL. sub_args: every value of name, in
 * order, up to max (their count). */
const char *sub_arg(const struct sub_call *c, const char *name);
int sub_args(const struct sub_call *c, const char *name, const char **out, int max);
/* The first value of name; when absent, answers error 10 and returns NULL. */
const char *sub_need(struct sub_call *c, const char *name);
/* An integer parameter in [min, max], def when absent; false after answering error 0 for
 * a malformed or out-of-range value. */
bool sub_int(struct sub_call *c, const char *name, long def, long min, long max, long *out);
/* A boolean parameter ("true" or "false"), def when absent; false after answering. */
bool sub_bool(struct sub_call *c, const char *name, bool def, bool *out);

/* Answers. sub_ok: a success with body (stolen; NULL for none) as the element key (NULL for
 * none). sub_error: the specification's error (HTTP 200). Both write the format asked for.
 * A call answers once; later answers are ignored. */
void sub_ok(struct sub_call *c, const char *key, json_t *body);
void sub_error(struct sub_call *c, enum sub_code code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The same error outside a call (the rate limit, the route's refusal), for a request whose
 * format is read from its query alone. */
void sub_error_status(struct sub_call *c, int http_status, enum sub_code code, const char *msg);

#endif
