#include "config.h"
#include "subsonic/auth.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "accounts/apikeys.h"
#include "accounts/subsonic_pw.h"
#include "accounts/users.h"
#include "log.h"
#include "server.h"
#include "store/accounts.h"
#include "store/subsonic.h"

static bool by_key(struct sub_call *c, const char *key)
{
	switch (apikey_user(&c->r->srv->store, key, &c->r->user)) {
	case 1:
		return true;
	case 0:
		sub_error(c, SUB_ERR_API_KEY, "invalid API key");
		return false;
	default:
		sub_error(c, SUB_ERR_GENERIC, "the API key could not be checked");
		return false;
	}
}

enum pw_state { PW_OK, PW_NONE, PW_ERROR };

/* name's Subsonic password into pw (SUBSONIC_PW_MAX + 1 bytes) and its account into u. */
static enum pw_state subsonic_password(struct server *srv, const char *name, struct user *u, char *pw)
{
	unsigned char sealed[SUBSONIC_SEALED_MAX];
	size_t len = 0;
	int rc;

	if (strlen(name) > USER_NAME_MAX || !strcmp(name, SYSTEM_USER))
		return PW_NONE;
	if ((rc = store_user_get(&srv->store, name, u, NULL)) != 1)
		return rc == 0 ? PW_NONE : PW_ERROR;
	if ((rc = store_subsonic_pw_get(&srv->store, u->id, sealed, sizeof sealed, &len)) != 1)
		return rc == 0 ? PW_NONE : PW_ERROR;
	if (subsonic_pw_open(&srv->subsonic_key, u->id, sealed, len, pw) < 0) {
		log_err("subsonic: %s's Subsonic password does not open under subsonic.key", u->id);
		return PW_ERROR;
	}
	return PW_OK;
}

static bool by_password(struct sub_call *c, const char *name, const char *t, const char *s,
                        const char *p)
{
	struct server *srv = c->r->srv;
	char address[GUARD_ADDRESS_MAX], pw[SUBSONIC_PW_MAX + 1];
	struct user u;
	bool ok = false;
	long wait;

	if (t && !s) {
		sub_error(c, SUB_ERR_MISSING, "required parameter is missing: s (the salt of t)");
		return false;
	}
	guard_address(req_peer(c->r), address);
	if ((wait = guard_login(&srv->guard, name, address, store_now_ms()))) {
		sub_error(c, SUB_ERR_CREDENTIALS, "too many failed logins: try again in %ld s", wait);
		reply_header(c->r, "retry-after:", "%ld", wait);
		return false;
	}
	switch (subsonic_password(srv, name, &u, pw)) {
	case PW_OK:
		ok = t ? subsonic_pw_token_ok(pw, s, t) : subsonic_pw_plain_ok(pw, p);
		if (!ok)
			sub_error(c, SUB_ERR_CREDENTIALS, "wrong username or password");
		break;
	case PW_NONE:
		if (t)
			sub_error(c, SUB_ERR_TOKEN_UNSUPPORTED, "token authentication is not available for "
			          "this user: use an API key (segue apikey create), or set a Subsonic "
			          "password (segue subsonic-password)");
		else
			sub_error(c, SUB_ERR_MECHANISM, "password authentication is not available for "
			          "this user: use an API key (segue apikey create), or set a Subsonic "
			          "password (segue subsonic-password)");
		break;
	case PW_ERROR:
		sub_error(c, SUB_ERR_GENERIC, "the password could not be checked");
		sodium_memzero(pw, sizeof pw);
		/* The server's fault: the attempt is not the caller's. */
		guard_login_good(&srv->guard, name, address);
		return false;
	}
	sodium_memzero(pw, sizeof pw);
	if (ok) {
		guard_login_good(&srv->guard, name, address);
		c->r->user = u;
	} else {
		guard_login_bad(&srv->guard, name, address, store_now_ms());
	}
	return ok;
}

bool sub_authenticate(struct sub_call *c)
{
	const char *key = sub_arg(c, "apiKey"), *u = sub_arg(c, "u");
	const char *t = sub_arg(c, "t"), *s = sub_arg(c, "s"), *p = sub_arg(c, "p");

	if (key) {
		if (u || t || s || p) {
			sub_error(c, SUB_ERR_CONFLICT, "multiple conflicting authentication mechanisms "
			          "provided: apiKey goes alone, without u, p, t or s");
			return false;
		}
		return by_key(c, key);
	}
	if (!u) {
		sub_error(c, SUB_ERR_MISSING, "required parameter is missing: apiKey, or u with t and s, or u with p");
		return false;
	}
	if (t && p) {
		sub_error(c, SUB_ERR_CONFLICT, "multiple conflicting authentication mechanisms provided: "
		          "t and p together");
		return false;
	}
	if (!t && !p) {
		sub_error(c, SUB_ERR_MISSING, "required parameter is missing: t and s, or p");
		return false;
	}
	return by_password(c, u, t, s, p);
}
