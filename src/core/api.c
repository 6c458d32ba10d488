/* The server's REST API over libcurl and jansson: the OAuth 2.0 token dance and the session's
 * requests. One exchange with its retries is http.c's, the credentials file creds.c's. See
 * api.h for the contract. */
#include "config.h"
#include "api.h"
#include "api_internal.h"

#include <curl/curl.h>
#include <limits.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define DEFAULT_CONNECT_TIMEOUT_MS 3000
#define DEFAULT_TIMEOUT_MS 15000
#define DEFAULT_RETRIES 3
#define EXPIRY_MARGIN 30 /* seconds: renew the access token this early */

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static bool global_ok;

static void global_init(void)
{
	global_ok = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK && sodium_init() >= 0;
}

static bool global_ready(void)
{
	return pthread_once(&global_once, global_init) == 0 && global_ok;
}

static bool expiring(const struct session *s)
{
	return s->expires_at && s->expires_at - EXPIRY_MARGIN < (long long)time(NULL);
}

/* One line that says what to run. */
static enum seg_err not_logged_in(const struct api *a)
{
	if (a->foreign)
		return seg_fail(SEG_EAUTH, "not logged in at %s (the session kept here is another "
		                "server's): run segue login NAME", a->server);
	return seg_fail(SEG_EAUTH, "not logged in: run segue login NAME");
}

/* Reads a token response into s (user left alone). issued: when the request was sent. */
static enum seg_err take_tokens(const struct call *c, time_t issued, struct session *s)
{
	enum seg_err rc = SEG_EPROTO;
	json_t *j = json_loadb(c->resp.p ? c->resp.p : "", c->resp.len, 0, NULL);
	const char *access = json_string_value(json_object_get(j, "access_token"));
	const char *refresh = json_string_value(json_object_get(j, "refresh_token"));
	const char *type = json_string_value(json_object_get(j, "token_type"));
	json_t *ttl = json_object_get(j, "expires_in");
	char *na = NULL, *nr = NULL;

	if (!access || !*access || !refresh || !*refresh || (type && strcasecmp(type, "Bearer"))) {
		seg_fail(SEG_EPROTO, "the server sent a token answer segue cannot read");
		goto out;
	}
	if (!(na = strdup(access)) || !(nr = strdup(refresh))) {
		rc = seg_fail(SEG_ENOMEM, "out of memory");
		goto out;
	}
	api_wipe_free(&s->access);
	api_wipe_free(&s->refresh);
	s->access = na;
	s->refresh = nr;
	na = nr = NULL;
	s->expires_at = json_is_integer(ttl) && json_integer_value(ttl) > 0
	                        ? (long long)issued + json_integer_value(ttl)
	                        : 0;
	rc = SEG_OK;
out:
	api_wipe_free(&na);
	api_wipe_free(&nr);
	api_wipe_json_string(j, "access_token");
	api_wipe_json_string(j, "refresh_token");
	json_decref(j);
	return rc;
}

/* Revokes a refresh token (and with it its whole family). Best effort: a failure is ignored,
 * and the message of an error being reported survives it. */
static void revoke_token(struct api *a, const char *token)
{
	const char *kv[] = { "token", token };
	struct call c = { 0 };
	char msg[1024];

	snprintf(msg, sizeof msg, "%s", seg_errmsg());
	api_post_form(a, "/api/revoke", kv, 1, &c);
	api_answer_free(&c.resp);
	seg_fail(SEG_OK, "%s", msg);
}

/* Renews the access token. Under the lock, the file comes first: when another process or
 * thread already rotated the tokens, its newer session is taken as is (using our old refresh
 * token would get the session revoked), and the network is only asked when that one is due
 * too. */
static enum seg_err refresh(struct api *a)
{
	const char *kv[] = { "grant_type", "refresh_token", "refresh_token", NULL };
	struct session disk = { 0 };
	struct call c = { 0 };
	char oauth[64];
	enum seg_err rc;
	enum load seen;
	time_t issued;
	int lock;

	if ((rc = api_lock_creds(a, false, &lock)) != SEG_OK)
		return rc;
	seen = api_load_session(a, &disk);
	if (seen == LOAD_NOMEM) {
		rc = seg_fail(SEG_ENOMEM, "out of memory");
		goto out;
	}
	if (seen == LOAD_OK && strcmp(disk.refresh, a->s.refresh) &&
	    disk.expires_at >= a->s.expires_at) {
		api_session_clear(&a->s);
		a->s = disk;
		memset(&disk, 0, sizeof disk);
		if (!expiring(&a->s))
			goto out;
	}
	kv[3] = a->s.refresh;
	issued = time(NULL);
	if ((rc = api_post_form(a, "/api/token", kv, 2, &c)) != SEG_OK)
		goto out;
	if (c.status == 200) {
		if ((rc = take_tokens(&c, issued, &a->s)) == SEG_OK && seen != LOAD_FOREIGN)
			rc = api_save_session(a);
		goto out;
	}
	rc = api_answer_error(&c, oauth, sizeof oauth);
	if (c.status == 401 || !strcmp(oauth, "invalid_grant")) {
		api_session_clear(&a->s);
		api_drop_file(a, seen);
		rc = seg_fail(SEG_EAUTH, "the session has expired: run segue login NAME");
	}
out:
	if (seen == LOAD_FOREIGN)
		a->foreign = true;
	api_session_clear(&disk);
	api_answer_free(&c.resp);
	api_unlock_creds(lock);
	return rc;
}

enum seg_err api_access_token(struct api *a, bool force, char *out, size_t len)
{
	enum seg_err rc;

	if (!a->s.refresh || a->foreign)
		return not_logged_in(a);
	if ((force || expiring(&a->s)) && (rc = refresh(a)) != SEG_OK)
		return rc;
	if (!a->s.access || strlen(a->s.access) >= len)
		return not_logged_in(a);
	snprintf(out, len, "%s", a->s.access);
	return SEG_OK;
}

struct api *api_new(const struct api_opts *o)
{
	struct api *a;
	size_t n;

	if (!o || !o->server || !o->creds_path || !global_ready())
		return NULL;
	if (!(a = calloc(1, sizeof *a)))
		return NULL;
	n = api_server_len(o->server);
	if (!(a->server = strndup(o->server, n)) || !(a->creds_path = strdup(o->creds_path)) ||
	    !(a->lock_path = api_concat(o->creds_path, ".lock")) || !(a->curl = curl_easy_init()))
		goto fail;
	a->connect_timeout_ms = o->connect_timeout_ms > 0 ? o->connect_timeout_ms
	                                                  : DEFAULT_CONNECT_TIMEOUT_MS;
	a->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : DEFAULT_TIMEOUT_MS;
	a->retries = o->retries < 0 ? DEFAULT_RETRIES : o->retries;
	/* A missing, foreign or unsafe file leaves the client logged out; the reason stays in
	 * seg_errmsg() for whoever wants to tell. */
	switch (api_load_session(a, &a->s)) {
	case LOAD_NOMEM:
		goto fail;
	case LOAD_FOREIGN:
		a->foreign = true;
		break;
	default:
		break;
	}
	return a;
fail:
	api_free(a);
	return NULL;
}

void api_free(struct api *a)
{
	if (!a)
		return;
	if (a->curl)
		curl_easy_cleanup(a->curl);
	api_session_clear(&a->s);
	free(a->server);
	free(a->creds_path);
	free(a->lock_path);
	free(a);
}

const char *api_server(const struct api *a)
{
	return a->server;
}

const char *api_user(const struct api *a)
{
	return api_logged_in(a) ? a->s.user : NULL;
}

bool api_logged_in(const struct api *a)
{
	return a && a->s.refresh;
}

int api_set_retries(struct api *a, int retries)
{
	int old = a->retries;

	a->retries = retries < 0 ? DEFAULT_RETRIES : retries;
	return old;
}

/* The user id of the account an access token belongs to; NULL when the server will not say. */
static char *whoami(struct api *a, const char *access)
{
	struct call c = { .method = "GET", .bearer = access };
	char *url = api_concat(a->server, "/v1/me"), *id = NULL;
	json_t *me;

	if (!url)
		return NULL;
	c.url = url;
	if (api_exchange(a, &c, true) == SEG_OK && c.status == 200 &&
	    (me = json_loadb(c.resp.p ? c.resp.p : "", c.resp.len, 0, NULL))) {
		const char *s = json_string_value(json_object_get(me, "id"));

		if (s && *s)
			id = strdup(s);
		json_decref(me);
	}
	api_answer_free(&c.resp);
	free(url);
	return id;
}

enum seg_err api_login(struct api *a, const char *username, const char *password)
{
	const char *kv[] = { "grant_type", "password", "username", username, "password", password };
	struct session fresh = { 0 }, old;
	struct call c = { 0 };
	char oauth[64];
	enum seg_err rc;
	time_t issued = time(NULL);
	int lock = -1;

	if (!username || !*username || !password || !*password)
		return seg_fail(SEG_EUSAGE, "a user name and a password are needed to log in");
	if ((rc = api_post_form(a, "/api/token", kv, 3, &c)) != SEG_OK)
		goto out;
	if (c.status != 200) {
		rc = api_answer_error(&c, oauth, sizeof oauth);
		if (!strcmp(oauth, "invalid_grant"))
			rc = seg_fail(SEG_EAUTH, "wrong user name or password");
		goto out;
	}
	if ((rc = take_tokens(&c, issued, &fresh)) != SEG_OK)
		goto out;
	/* The user id is the user name on this server, so a /v1/me that fails costs nothing. */
	fresh.user = whoami(a, fresh.access);
	if (!fresh.user && !(fresh.user = strdup(username))) {
		rc = seg_fail(SEG_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = api_lock_creds(a, true, &lock)) != SEG_OK)
		goto out;
	old = a->s;
	a->s = fresh; /* api_save_session writes a->s */
	if ((rc = api_save_session(a)) != SEG_OK)
		a->s = old; /* an unsaved session is of no use: keep the old one, end the new */
	else
		fresh = old; /* the replaced session would otherwise stay valid for weeks */
	api_unlock_creds(lock);
	lock = -1;
	if (fresh.refresh)
		revoke_token(a, fresh.refresh);
	if (rc == SEG_OK)
		seg_clear_error();
out:
	api_unlock_creds(lock);
	api_session_clear(&fresh);
	api_answer_free(&c.resp);
	return rc;
}

enum seg_err api_register(struct api *a, const char *username, const char *password,
                          const char *country, const char *invite, json_t **out)
{
	json_t *body = json_pack("{s:s,s:s}", "username", username ? username : "", "password",
	                         password ? password : "");
	struct call c = { 0 };
	enum seg_err rc = SEG_ENOMEM;
	char *text = NULL, *url = NULL;

	*out = NULL;
	if (!username || !*username || !password || !*password) {
		rc = seg_fail(SEG_EUSAGE, "a user name and a password are needed to sign up");
		goto out;
	}
	if (!body || (country && json_object_set_new(body, "country", json_string(country))) ||
	    (invite && json_object_set_new(body, "invite", json_string(invite))) ||
	    !(text = json_dumps(body, JSON_COMPACT)) || !(url = api_concat(a->server, "/api/register"))) {
		rc = seg_fail(SEG_ENOMEM, "out of memory");
		goto out;
	}
	c.method = "POST";
	c.url = url;
	c.body = text;
	c.body_len = strlen(text);
	c.ctype = "Content-Type: application/json";
	/* Never retried: a retried sign-up that had gone through would read as a taken name. */
	if ((rc = api_exchange(a, &c, false)) != SEG_OK)
		goto out;
	if (c.status != 201) {
		rc = api_answer_error(&c, NULL, 0);
		goto out;
	}
	if (!(*out = json_loadb(c.resp.p, c.resp.len, 0, NULL)))
		rc = seg_fail(SEG_EPROTO, "the server's answer to a sign-up is not JSON");
out:
	if (text) {
		sodium_memzero(text, strlen(text));
		free(text);
	}
	api_wipe_json_string(body, "password");
	json_decref(body);
	free(url);
	api_answer_free(&c.resp);
	return rc;
}

enum seg_err api_logout(struct api *a)
{
	enum seg_err rc;
	int lock;

	if (api_logged_in(a))
		revoke_token(a, a->s.refresh);
	api_session_clear(&a->s);
	if ((rc = api_lock_creds(a, false, &lock)) != SEG_OK)
		return rc;
	rc = api_drop_file(a, LOAD_NONE);
	api_unlock_creds(lock);
	if (rc == SEG_OK)
		seg_clear_error();
	return rc;
}

static bool known_method(const char *m, bool *idempotent)
{
	*idempotent = !strcmp(m, "GET") || !strcmp(m, "PUT") || !strcmp(m, "DELETE");
	return *idempotent || !strcmp(m, "POST");
}

enum seg_err api_request(struct api *a, const char *method, const char *path, json_t *body,
                         json_t **out, long *status)
{
	struct call c = { .method = method, .ctype = "Content-Type: application/json" };
	char *url = NULL, *text = NULL;
	bool idempotent, refreshed = false;
	enum seg_err rc;

	if (out)
		*out = NULL;
	if (status)
		*status = 0;
	if (!a || !method || !known_method(method, &idempotent) || !path || path[0] != '/')
		return seg_fail(SEG_EUSAGE, "bad request: %s %s", method ? method : "(null)",
		                path ? path : "(null)");
	if (!api_logged_in(a))
		return not_logged_in(a);
	if (body) {
		if (!(text = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY))) {
			rc = seg_fail(SEG_EUSAGE, "the request body cannot be written as JSON");
			goto out;
		}
		c.body = text;
		c.body_len = strlen(text);
	}
	if (!(url = api_concat(a->server, path))) {
		rc = seg_fail(SEG_ENOMEM, "out of memory");
		goto out;
	}
	c.url = url;
	if (expiring(&a->s) && (rc = refresh(a)) != SEG_OK)
		goto out;
	for (;;) {
		c.bearer = a->s.access;
		if ((rc = api_exchange(a, &c, idempotent)) != SEG_OK)
			break;
		if (c.status != 401 || refreshed)
			break;
		/* The server did not act on a 401, so even a POST may be sent again. */
		refreshed = true;
		if ((rc = refresh(a)) != SEG_OK)
			break;
	}
	if (status)
		*status = c.status;
	if (rc != SEG_OK)
		goto out;
	if (c.status < 200 || c.status > 299) {
		rc = api_answer_error(&c, NULL, 0);
		goto out;
	}
	if (c.status != 204 && c.resp.len) {
		json_t *j = json_loadb(c.resp.p, c.resp.len, JSON_DECODE_ANY, NULL);

		if (!j) {
			rc = seg_fail(SEG_EPROTO, "the server sent an answer that is not JSON");
			goto out;
		}
		if (out)
			*out = j;
		else
			json_decref(j);
	}
	rc = SEG_OK;
out:
	api_answer_free(&c.resp);
	free(text);
	free(url);
	return rc;
}

enum seg_err api_get(struct api *a, const char *path, json_t **out)
{
	return api_request(a, "GET", path, NULL, out, NULL);
}

char *api_escape(const char *s)
{
	char *esc, *copy;

	if (!s || strlen(s) > INT_MAX)
		return NULL;
#if LIBCURL_VERSION_NUM >= 0x075200
	esc = curl_easy_escape(NULL, s, (int)strlen(s));
#else
	CURL *h;

	if (!global_ready() || !(h = curl_easy_init()))
		return NULL;
	esc = curl_easy_escape(h, s, (int)strlen(s));
	curl_easy_cleanup(h);
#endif
	if (!esc)
		return NULL;
	copy = strdup(esc);
	curl_free(esc);
	return copy;
}

enum seg_err api_get_all(struct api *a, const char *path, const char *within, size_t max,
                         json_t **items)
{
	char *next = strdup(path);
	enum seg_err e = SEG_OK;

	*items = json_array();
	if (!next || !*items) {
		e = seg_fail(SEG_ENOMEM, "out of memory");
		goto out;
	}
	while (next && json_array_size(*items) < max) {
		json_t *answer = NULL, *page, *list;
		const char *n, *v1;

		if ((e = api_get(a, next, &answer)))
			goto out;
		page = within ? json_object_get(answer, within) : answer;
		list = json_object_get(page, "items");
		if (!json_is_array(list)) {
			json_decref(answer);
			e = seg_fail(SEG_EPROTO, "the server sent a page without items");
			goto out;
		}
		json_array_extend(*items, list);
		free(next);
		next = NULL;
		/* "next" is an absolute URL; requests take the path. */
		if ((n = json_string_value(json_object_get(page, "next"))) && (v1 = strstr(n, "/v1/")))
			next = strdup(v1);
		json_decref(answer);
	}
out:
	free(next);
	if (e) {
		json_decref(*items);
		*items = NULL;
	}
	return e;
}
