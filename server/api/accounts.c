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
#include "accounts/guard.h"
#include "accounts/invites.h"
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
	char name[USER_NAME_MAX + 1];
	char address[GUARD_ADDRESS_MAX];
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
		guard_login_bad(&r->srv->guard, l->name, l->address, store_now_ms());
		oauth_error(r, 400, "invalid_grant", "wrong user name or password");
		return;
	}
	guard_login_good(&r->srv->guard, l->name, l->address);
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
		long wait;

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
		/* Before any hash: a guess that must wait costs the server nothing. */
		guard_address(req_peer(r), l->address);
		wait = guard_login(&srv->guard, name, l->address, store_now_ms());
		if (wait) {
			char msg[96];

			sodium_memzero(l, sizeof *l);
			free(l);
			snprintf(msg, sizeof msg, "too many failed logins: try again in %ld s", wait);
			oauth_error(r, 429, "slow_down", msg);
			reply_header(r, "retry-after:", "%ld", wait);
			return;
		}
		snprintf(l->name, sizeof l->name, "%s", name);
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
	char invite[INVITE_CODE_LEN + 1]; /* "" unless registration = invite */
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

/* Answers a sign-up whose invite cannot be used; true when it can. */
static bool invite_good(struct req *r, enum invite_result res)
{
	if (res == INVITE_OK)
		return true;
	if (res == INVITE_REFUSED)
		reply_error(r, 403, "the invite code is unknown, used up or expired");
	else
		reply_error(r, 500, "the invite could not be checked");
	return false;
}

static void signup_done(struct req *r, struct job *j)
{
	struct signup_job *s = (struct signup_job *)j;
	struct store *store = &r->srv->store;
	char err[256];
	struct user u;

	if (s->rc != 0) {
		reply_error(r, 500, "out of memory while hashing the password");
		goto out;
	}
	/* The invite was good before the hash; it is taken now, when the account is made, and
	 * given back if the account cannot be. */
	if (s->invite[0] && !invite_good(r, invite_take(store, s->invite)))
		goto out;
	switch (user_insert(store, s->name, s->hash, false, s->country, err, sizeof err)) {
	case USER_OK:
		if (user_get(store, s->name, &u) != USER_OK) {
			reply_error(r, 500, "the account was created but cannot be read back");
			break;
		}
		log_info("register: new user %s (%s)%s", u.id, u.country, s->invite[0] ? " by invite" : "");
		reply_json(r, 201, json_pack("{s:s,s:s,s:s,s:s,s:s}", "id", u.id, "display_name",
		                             u.display_name, "country", u.country, "product", "free",
		                             "type", "user"));
		break;
	case USER_EXISTS:
		if (s->invite[0])
			invite_give_back(store, s->invite);
		reply_error(r, 409, "%s", err);
		break;
	default:
		if (s->invite[0])
			invite_give_back(store, s->invite);
		reply_error(r, 500, "%s", err);
		break;
	}
out:
	sodium_memzero(s->hash, sizeof s->hash);
}

/* Who may learn anything here depends on registration: closed refuses before reading the
 * body; invite checks the code before it looks at the name; open makes every attempt cost
 * one hash whatever the name, so only the insert tells a taken name, and only to someone who
 * could have taken it. Every attempt past closed counts against its address. */
void h_register(struct req *r)
{
	const char *name, *password, *country, *invite = NULL;
	long mode = r->srv->cfg.registration, wait;
	char address[GUARD_ADDRESS_MAX], err[256];
	struct signup_job *s;
	json_t *body;

	if (mode == REG_CLOSED) {
		reply_error(r, 403, "sign-up is closed on this server");
		return;
	}
	guard_address(req_peer(r), address);
	if ((wait = guard_signup(&r->srv->guard, address, store_now_ms()))) {
		reply_error(r, 429, "too many sign-ups from this address: try again in %ld s", wait);
		reply_header(r, "retry-after:", "%ld", wait);
		return;
	}
	if (!(body = req_json_body(r, false)))
		return;
	if (mode == REG_INVITE) {
		if (!(invite = json_string_value(json_object_get(body, "invite")))) {
			reply_error(r, 403, "sign-up on this server needs an invite code");
			goto out;
		}
		if (!invite_good(r, invite_check(&r->srv->store, invite)))
			goto out;
	}
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
	if (!(s = calloc(1, sizeof *s))) {
		reply_error(r, 500, "out of memory");
		goto out;
	}
	snprintf(s->name, sizeof s->name, "%s", name);
	snprintf(s->country, sizeof s->country, "%s", country);
	snprintf(s->invite, sizeof s->invite, "%s", invite ? invite : "");
	snprintf(s->password, sizeof s->password, "%s", password);
	s->job.work = signup_work;
	s->job.done = signup_done;
	jobs_submit(&r->srv->jobs, &s->job, r);
out:
	json_decref(body);
}
