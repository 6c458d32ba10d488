/* The account endpoints, in OAuth 2.0 shapes: the token endpoint (RFC 6749 §4.3 password
 * grant and §6 refresh), revocation (RFC 7009) and sign-up. Their errors follow RFC 6749
 * ({"error": code, "error_description": text}), not the Web API's error object. */
#include "config.h"
#include "handlers.h"

#include <sodium.h>
#include <string.h>
#include <strings.h>

#include "auth.h"
#include "log.h"
#include "server.h"
#include "urlenc.h"
#include "users.h"

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

void h_token(struct req *r)
{
	struct server *srv = r->srv;
	char grant[64], name[USER_NAME_MAX + 1], password[PASSWORD_MAX + 1], refresh[TOKEN_TEXT_MAX];
	struct token_pair tokens;
	struct user u;

	if (!is_form(r)) {
		oauth_error(r, 400, "invalid_request",
		            "the body must be application/x-www-form-urlencoded");
		return;
	}
	if (field(r, "grant_type", grant, sizeof grant, true) < 0)
		return;
	if (!strcmp(grant, "password")) {
		if (field(r, "username", name, sizeof name, true) < 0 ||
		    field(r, "password", password, sizeof password, true) < 0)
			goto out;
		switch (user_authenticate(&srv->store, name, password, &u)) {
		case USER_OK:
			break;
		case USER_ERROR:
			oauth_error(r, 500, "server_error", "the account could not be checked");
			goto out;
		default:
			oauth_error(r, 400, "invalid_grant", "wrong user name or password");
			goto out;
		}
		if (auth_issue(&srv->store, u.id, srv->cfg.access_ttl, srv->cfg.refresh_ttl, &tokens) < 0) {
			oauth_error(r, 500, "server_error", "the token could not be stored");
			goto out;
		}
		reply_tokens(r, &tokens);
	} else if (!strcmp(grant, "refresh_token")) {
		char uid[72];

		if (field(r, "refresh_token", refresh, sizeof refresh, true) < 0)
			goto out;
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
	} else {
		oauth_error(r, 400, "unsupported_grant_type",
		            "grant_type must be password or refresh_token");
	}
out:
	sodium_memzero(password, sizeof password);
	sodium_memzero(&tokens, sizeof tokens);
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
	if (auth_revoke(&r->srv->store, token) < 0) {
		oauth_error(r, 503, "temporarily_unavailable", "the token could not be revoked");
		return;
	}
	reply_empty(r, 200);
}

void h_register(struct req *r)
{
	const char *name, *password, *country;
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
	switch (user_create(&r->srv->store, name, password, false, country, err, sizeof err)) {
	case USER_OK: {
		struct user u;

		if (user_get(&r->srv->store, name, &u) != USER_OK) {
			reply_error(r, 500, "the account was created but cannot be read back");
			break;
		}
		log_info("register: new user %s (%s)", u.id, u.country);
		reply_json(r, 201, json_pack("{s:s,s:s,s:s,s:s,s:s}", "id", u.id, "display_name",
		                             u.display_name, "country", u.country, "product", "free",
		                             "type", "user"));
		break;
	}
	case USER_EXISTS:
		reply_error(r, 409, "%s", err);
		break;
	case USER_INVALID:
		reply_error(r, 400, "%s", err);
		break;
	default:
		reply_error(r, 500, "%s", err);
		break;
	}
out:
	json_decref(body);
}
