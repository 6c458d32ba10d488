/* The account endpoints, in OAuth 2.0 shapes: the token endpoint (RFC 6749 §4.3 password
 * grant and §6 refresh), revocation (RFC 7009) and sign-up. Their errors follow RFC 6749
 * ({"error": code, "error_description": text}), not the Web API's error object. */
#include "config.h"
#include "api/handlers.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "accounts/auth.h"
#include "connect/hub.h"
#include "http/jobs.h"
#include "log.h"
#include "server.h"
#include "http/urlenc.h"
#include "accounts/users.h"

static void oauth_error(struct req *r, int status, const char *code, const char *desc)
{
	reply_json(r, status, json_pack("{s:s,s:s}", "error", code, "error_description", desc));
	reply_header(r, "cache-control:", "no-store");
	reply_header(r, "pragma:", "no-cache");
}

static bool is_form(const struct req *r)
{
	return !strncasecmp(r->content_type, "application/x-www-form-urlencoded", 33);
}

static void reply_tokens(struct req *r, const struct token_pair *t)
{
	reply_json(r, 200, json_pack("{s:s,s:s,s:i,s:s,s:s}", "access_token", t->access,
	                             "token_type", "Bearer", "expires_in", (int)t->expires_in,
	                             "refresh_token", t->refresh, "scope", ""));
	reply_header(r, "cache-control:", "no-store");
	reply_header(r, "pragma:", "no-cache");
}

/* Reads a form field; on a malformed or oversized one replies and returns -1. */
static int field(struct req *r, const char *name, char *out, size_t len, bool required)
{
	int rc = form_get(r->body.p ? r->body.p : "", r->body.len, name, out, len);

	if (rc < 0) {
		oauth_error(r, 400, "invalid_request", "a form field is malformed or too long");
		return -1;
	}
	if (!rc && required) {
		char msg[96];

		snprintf(msg, sizeof msg, "the %s parameter is missing", name);
		oauth_error(r, 400, "invalid_request", msg);
		return -1;
	}
	if (!rc)
		out[0] = '\0';
	return 0;
}

/* The password check runs on a worker: argon2id is ~90 ms of CPU the loop must not spend. */
struct login_job {
	struct job job;
	struct user user;
	bool found, ok;
	char hash[crypto_pwhash_STRBYTES];
	char password[PASSWORD_MAX + 1];
};

static void login_work(struct job *j)
{
	struct login_job *l = (struct login_job *)j;

	l->ok = user_password_ok(l->hash, l->password) && l->found;
	sodium_memzero(l->password, sizeof l->password);
}

static void login_done(struct req *r, struct job *j)
{
	struct login_job *l = (struct login_job *)j;
	struct token_pair tokens;

	if (!l->ok) {
		oauth_error(r, 400, "invalid_grant", "wrong user name or password");
		return;
	}
	if (auth_issue(&r->srv->store, l->user.id, r->srv->cfg.access_ttl, r->srv->cfg.refresh_ttl, &tokens) < 0) {
		oauth_error(r, 500, "server_error", "the token could not be stored");
		return;
	}
	reply_tokens(r, &tokens);
	sodium_memzero(&tokens, sizeof tokens);
}

void h_token(struct req *r)
{
	struct server *srv = r->srv;
	char grant[64], name[USER_NAME_MAX + 1], refresh[TOKEN_TEXT_MAX];
	struct token_pair tokens;

	if (!is_form(r)) {
		oauth_error(r, 400, "invalid_request",
		            "the body must be application/x-www-form-urlencoded");
		return;
	}
	if (field(r, "grant_type", grant, sizeof grant, true) < 0)
		return;
	if (!strcmp(grant, "password")) {
		struct login_job *l = calloc(1, sizeof *l);
		enum user_result found;

		if (!l) {
			oauth_error(r, 500, "server_error", "out of memory");
			return;
		}
		if (field(r, "username", name, sizeof name, true) < 0 ||
		    field(r, "password", l->password, sizeof l->password, true) < 0) {
			sodium_memzero(l, sizeof *l);
			free(l);
			return;
		}
		found = user_password_hash(&srv->store, name, &l->user, l->hash);
		if (found == USER_ERROR) {
			sodium_memzero(l, sizeof *l);
			free(l);
			oauth_error(r, 500, "server_error", "the account could not be checked");
			return;
		}
		l->found = found == USER_OK;
		l->job.work = login_work;
		l->job.done = login_done;
		jobs_submit(&srv->jobs, &l->job, r);
	} else if (!strcmp(grant, "refresh_token")) {
		char uid[72];

		if (field(r, "refresh_token", refresh, sizeof refresh, true) < 0)
			return;
		switch (auth_refresh(&srv->store, refresh, srv->cfg.access_ttl, srv->cfg.refresh_ttl,
		                     &tokens, uid)) {
		case REFRESH_OK:
			reply_tokens(r, &tokens);
			break;
		case REFRESH_INVALID:
			oauth_error(r, 400, "invalid_grant", "the refresh token is invalid, expired or revoked");
			break;
		case REFRESH_ERROR:
			oauth_error(r, 500, "server_error", "the token could not be stored");
			break;
		}
		sodium_memzero(&tokens, sizeof tokens);
	} else {
		oauth_error(r, 400, "unsupported_grant_type",
		            "grant_type must be password or refresh_token");
	}
}

void h_revoke(struct req *r)
{
	char token[TOKEN_TEXT_MAX * 2];

	if (!is_form(r)) {
		oauth_error(r, 400, "invalid_request",
		            "the body must be application/x-www-form-urlencoded");
		return;
	}
	if (field(r, "token", token, sizeof token, true) < 0)
		return;
	char owner[72];

	if (auth_revoke(&r->srv->store, token, owner) < 0) {
		oauth_error(r, 503, "temporarily_unavailable", "the token could not be revoked");
		return;
	}
	if (owner[0])
		hub_tokens_revoked(r->srv->hub, owner); /* its Connect sessions end too */
	reply_empty(r, 200);
}

struct signup_job {
	struct job job;
	char name[USER_NAME_MAX + 1];
	char country[4];
	char password[PASSWORD_MAX + 1];
	char hash[crypto_pwhash_STRBYTES];
	int rc;
};

static void signup_work(struct job *j)
{
	struct signup_job *u = (struct signup_job *)j;

	u->rc = user_hash_password(u->password, u->hash);
	sodium_memzero(u->password, sizeof u->password);
}

static void signup_done(struct req *r, struct job *j)
{
	struct signup_job *s = (struct signup_job *)j;
	char err[256];
	struct user u;

	if (s->rc != 0) {
		reply_error(r, 500, "out of memory while hashing the password");
		return;
	}
	switch (user_insert(&r->srv->store, s->name, s->hash, false, s->country, err, sizeof err)) {
	case USER_OK:
		if (user_get(&r->srv->store, s->name, &u) != USER_OK) {
			reply_error(r, 500, "the account was created but cannot be read back");
			break;
		}
		log_info("register: new user %s (%s)", u.id, u.country);
		reply_json(r, 201, json_pack("{s:s,s:s,s:s,s:s,s:s}", "id", u.id, "display_name",
		                             u.display_name, "country", u.country, "product", "free",
		                             "type", "user"));
		break;
	case USER_EXISTS:
		reply_error(r, 409, "%s", err);
		break;
	default:
		reply_error(r, 500, "%s", err);
		break;
	}
	sodium_memzero(s->hash, sizeof s->hash);
}

void h_register(struct req *r)
{
	const char *name, *password, *country;
	struct signup_job *s;
	struct user existing;
	char err[256];
	json_t *body;

	if (!r->srv->cfg.registration) {
		reply_error(r, 403, "sign-up is closed on this server");
		return;
	}
	if (!(body = req_json_body(r, false)))
		return;
	name = json_string_value(json_object_get(body, "username"));
	password = json_string_value(json_object_get(body, "password"));
	country = json_string_value(json_object_get(body, "country"));
	if (!name || !password) {
		reply_error(r, 400, "username and password are required strings");
		goto out;
	}
	if (!country)
		country = "US";
	if (user_check_new(name, password, country, err, sizeof err) != USER_OK) {
		reply_error(r, 400, "%s", err);
		goto out;
	}
	/* Refuse a taken name before spending a hash on it (the insert still decides). */
	if (user_get(&r->srv->store, name, &existing) == USER_OK) {
		reply_error(r, 409, "the name \"%s\" is taken", name);
		goto out;
	}
	if (!(s = calloc(1, sizeof *s))) {
		reply_error(r, 500, "out of memory");
		goto out;
	}
	snprintf(s->name, sizeof s->name, "%s", name);
	snprintf(s->country, sizeof s->country, "%s", country);
	snprintf(s->password, sizeof s->password, "%s", password);
	s->job.work = signup_work;
	s->job.done = signup_done;
	jobs_submit(&r->srv->jobs, &s->job, r);
out:
	json_decref(body);
}
