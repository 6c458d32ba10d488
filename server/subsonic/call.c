/* A Subsonic call from a request: its parameters (the query's, then a form body's), its
 * format, its credentials and its rate limit, then the endpoint. */
#include "config.h"
#include "subsonic/subsonic.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/urlenc.h"
#include "http/utf8.h"
#include "log.h"
#include "server.h"
#include "subsonic/auth.h"

static int add_param(void *ud, const char *name, const char *value)
{
	struct sub_call *c = ud;
	struct sub_param *p;

	if (c->nparams == SUB_MAX_PARAMS)
		return 1;
	if (!utf8_valid(name, strlen(name)) || !utf8_valid(value, strlen(value)))
		return 2;
	p = &c->params[c->nparams];
	if (!(p->name = strdup(name)) || !(p->value = strdup(value))) {
		free(p->name);
		p->name = NULL;
		return 3;
	}
	c->nparams++;
	return 0;
}

static void free_params(struct sub_call *c)
{
	for (int i = 0; i < c->nparams; i++) {
		/* A form may carry a password (p): it goes no further than this call. */
		explicit_bzero(c->params[i].value, strlen(c->params[i].value));
		free(c->params[i].name);
		free(c->params[i].value);
	}
	free(c->params);
}

/* The format a call asks for, from the query alone, so that even a call whose body cannot
 * be read gets its error in the right form. False for f=jsonp without a usable callback
 * (the error then goes out as JSON). */
static bool read_format(struct sub_call *c)
{
	const char *f = sub_arg(c, "f"), *cb = sub_arg(c, "callback");

	c->fmt = SUB_XML;
	if (f && !strcmp(f, "json"))
		c->fmt = SUB_JSON;
	if (!f || strcmp(f, "jsonp"))
		return true;
	/* A callback is JavaScript the caller's page runs: only a name is allowed. */
	if (cb && *cb && strlen(cb) <= 64 &&
	    strspn(cb, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_$.") == strlen(cb)) {
		c->fmt = SUB_JSONP;
		c->callback = cb;
		return true;
	}
	c->fmt = SUB_JSON;
	return false;
}

static bool is_form(const struct req *r)
{
	return !strncasecmp(r->content_type, "application/x-www-form-urlencoded", 33);
}

/* Reads the form body into c's parameters. False after answering. */
static bool read_body(struct sub_call *c)
{
	struct req *r = c->r;
	int rc;

	if (r->method != M_POST || !r->body.len)
		return true;
	if (!is_form(r)) {
		sub_error_status(c, 415, SUB_ERR_GENERIC,
		                 "a POST body must be application/x-www-form-urlencoded (the formPost extension)");
		return false;
	}
	rc = form_each(r->body.p, r->body.len, SUB_MAX_PARAM_LEN, add_param, c);
	if (rc == 1) {
		sub_error(c, SUB_ERR_GENERIC, "too many parameters (at most %d)", SUB_MAX_PARAMS);
		return false;
	} else if (rc == 2) {
		sub_error(c, SUB_ERR_GENERIC, "a form field is not valid UTF-8");
		return false;
	} else if (rc != 0) {
		sub_error(c, SUB_ERR_GENERIC, rc == 3 ? "out of memory"
		          : "a form field is malformed or longer than %d bytes", SUB_MAX_PARAM_LEN);
		return false;
	}
	return true;
}

void subsonic_serve(struct req *r, sub_fn fn, enum rl_category category, bool open)
{
	struct sub_call c = { .r = r };
	long wait;

	if (!(c.params = calloc(SUB_MAX_PARAMS, sizeof *c.params))) {
		reply_error(r, 500, "out of memory");
		return;
	}
	/* http/ checked the query's text and count (REQ_MAX_ARGS < SUB_MAX_PARAMS). */
	for (int i = 0; i < r->nargs; i++)
		if (add_param(&c, r->args[i].name, r->args[i].value) != 0) {
			reply_error(r, 500, "out of memory");
			goto out;
		}
	if (!read_format(&c)) {
		sub_error(&c, SUB_ERR_MISSING, "f=jsonp needs a callback that is a JavaScript name");
		goto out;
	}
	if (!read_body(&c))
		goto out;
	/* Again, with the body's fields: a form may say f=json too. */
	if (!read_format(&c)) {
		sub_error(&c, SUB_ERR_MISSING, "f=jsonp needs a callback that is a JavaScript name");
		goto out;
	}
	if (!open) {
		if (!sub_need(&c, "v") || !sub_need(&c, "c"))
			goto out;
		if (!sub_authenticate(&c))
			goto out;
		r->authed = true;
		if ((wait = ratelimit_hit_user(&r->srv->rl, r->user.id, category, store_now_ms()))) {
			char msg[96];

			snprintf(msg, sizeof msg, "rate limit exceeded for %s requests: retry in %ld s",
			         rl_category_name(category), wait);
			sub_error_status(&c, 429, SUB_ERR_GENERIC, msg);
			reply_header(r, "retry-after:", "%ld", wait);
			goto out;
		}
	}
	fn(&c);
	if (!c.answered) {
		log_err("subsonic: %s answered nothing", r->path);
		sub_error(&c, SUB_ERR_GENERIC, "the server had no answer");
	}
out:
	free_params(&c);
}

void subsonic_refuse(struct req *r, int status, const char *message)
{
	struct sub_call c = { .r = r };

	if (!(c.params = calloc(SUB_MAX_PARAMS, sizeof *c.params))) {
		reply_error(r, 500, "out of memory");
		return;
	}
	for (int i = 0; i < r->nargs; i++)
		if (add_param(&c, r->args[i].name, r->args[i].value) != 0) {
			reply_error(r, 500, "out of memory");
			goto out;
		}
	read_format(&c);
	sub_error_status(&c, status, SUB_ERR_GENERIC, message);
out:
	free_params(&c);
}

const char *sub_arg(const struct sub_call *c, const char *name)
{
	for (int i = 0; i < c->nparams; i++)
		if (!strcmp(c->params[i].name, name))
			return c->params[i].value;
	return NULL;
}

int sub_args(const struct sub_call *c, const char *name, const char **out, int max)
{
	int n = 0;

	for (int i = 0; i < c->nparams && n < max; i++)
		if (!strcmp(c->params[i].name, name))
			out[n++] = c->params[i].value;
	return n;
}

const char *sub_need(struct sub_call *c, const char *name)
{
	const char *v = sub_arg(c, name);

	if (!v)
		sub_error(c, SUB_ERR_MISSING, "required parameter is missing: %s", name);
	return v;
}

bool sub_int(struct sub_call *c, const char *name, long def, long min, long max, long *out)
{
	const char *v = sub_arg(c, name);
	char *end;
	long n;

	*out = def;
	if (!v)
		return true;
	errno = 0;
	n = strtol(v, &end, 10);
	if (!*v || *end || errno || n < min || n > max) {
		sub_error(c, SUB_ERR_GENERIC, "%s must be an integer from %ld to %ld", name, min, max);
		return false;
	}
	*out = n;
	return true;
}

bool sub_bool(struct sub_call *c, const char *name, bool def, bool *out)
{
	const char *v = sub_arg(c, name);

	*out = def;
	if (!v)
		return true;
	if (strcmp(v, "true") && strcmp(v, "false")) {
		sub_error(c, SUB_ERR_GENERIC, "%s must be true or false", name);
		return false;
	}
	*out = !strcmp(v, "true");
	return true;
}
