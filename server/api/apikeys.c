/* The Subsonic API's credentials, managed over the Web API with a bearer token:
 *
 *   POST   /v1/segue/api-keys             {"name": "phone"} -> 201 {id, name, key, created_at}
 *   GET    /v1/segue/api-keys             {"items": [{id, name, created_at, last_used_at}]}
 *   DELETE /v1/segue/api-keys/{id}        revokes one of the caller's keys (204; else 404)
 *   PUT    /v1/segue/subsonic-password    {"password": ...} -> 204
 *   DELETE /v1/segue/subsonic-password    -> 204, 404 when none is set
 *
 * A key is shown once, in the answer that makes it. See accounts/apikeys.h and
 * accounts/subsonic_pw.h for what is kept and why. */
#include "config.h"
#include "api/handlers.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "accounts/apikeys.h"
#include "accounts/subsonic_pw.h"
#include "base62.h"
#include "catalog/catalog.h"
#include "server.h"
#include "store/subsonic.h"

static void create(struct req *r)
{
	json_t *body = req_json_body(r, false), *name;
	struct apikey_made k;

	if (!body)
		return;
	name = json_object_get(body, "name");
	if (!json_is_string(name)) {
		reply_error(r, 400, "name (a string) is required");
		goto out;
	}
	switch (apikey_create(&r->srv->store, r->user.id, json_string_value(name), &k)) {
	case APIKEY_OK:
		reply_json(r, 201, json_pack("{s:s,s:O,s:s,s:o}", "id", k.id, "name", name, "key", k.key,
		                             "created_at", catalog_time(k.created_at * 1000, false)));
		break;
	case APIKEY_BAD_NAME:
		reply_error(r, 400, "a key's name is 1 to %d bytes without control characters",
		            APIKEY_NAME_MAX - 1);
		break;
	case APIKEY_TOO_MANY:
		reply_error(r, 409, "an account has at most %d API keys: revoke one first",
		            APIKEY_MAX_PER_USER);
		break;
	case APIKEY_ERROR:
		reply_error(r, 500, "the key could not be stored");
		break;
	}
	sodium_memzero(&k, sizeof k);
out:
	json_decref(body);
}

static void list(struct req *r)
{
	struct apikey_row *keys;
	size_t n;
	json_t *items;

	if (store_apikey_list(&r->srv->store, r->user.id, &keys, &n) < 0) {
		reply_error(r, 500, "the keys could not be read");
		return;
	}
	items = json_array();
	for (size_t i = 0; items && i < n; i++)
		json_array_append_new(items, json_pack("{s:s,s:s,s:o,s:o}", "id", keys[i].id, "name",
		                                       keys[i].name, "created_at",
		                                       catalog_time(keys[i].created_at * 1000, false),
		                                       "last_used_at", keys[i].last_used_at
		                                       ? catalog_time(keys[i].last_used_at * 1000, false)
		                                       : json_null()));
	free(keys);
	reply_json(r, 200, json_pack("{s:o}", "items", items));
}

void h_api_keys(struct req *r)
{
	if (r->method == M_POST)
		create(r);
	else
		list(r);
}

void h_api_key(struct req *r)
{
	const char *id = r->params[0];

	/* Another user's key answers as one that does not exist: ids are not to be probed. */
	if (!base62_is_id(id)) {
		reply_error(r, 404, "no such API key");
		return;
	}
	switch (store_apikey_delete(&r->srv->store, r->user.id, id)) {
	case 1:
		reply_empty(r, 204);
		break;
	case 0:
		reply_error(r, 404, "no such API key");
		break;
	default:
		reply_error(r, 500, "the key could not be revoked");
	}
}

static void set_password(struct req *r)
{
	json_t *body = req_json_body(r, false), *pw;
	unsigned char sealed[SUBSONIC_SEALED_MAX];
	size_t len;

	if (!body)
		return;
	pw = json_object_get(body, "password");
	if (!json_is_string(pw)) {
		reply_error(r, 400, "password (a string) is required");
		goto out;
	}
	len = json_string_length(pw);
	if (len < SUBSONIC_PW_MIN || len > SUBSONIC_PW_MAX || strlen(json_string_value(pw)) != len) {
		reply_error(r, 400, "a Subsonic password is %d to %d bytes, without NUL",
		            SUBSONIC_PW_MIN, SUBSONIC_PW_MAX);
		goto out;
	}
	len = subsonic_pw_seal(&r->srv->subsonic_key, r->user.id, json_string_value(pw), sealed);
	if (store_subsonic_pw_set(&r->srv->store, r->user.id, sealed, len, store_now_ms()) == 1)
		reply_empty(r, 204);
	else
		reply_error(r, 500, "the password could not be stored");
out:
	/* The body's copy of the password goes too. */
	if (json_is_string(pw = json_object_get(body, "password")))
		sodium_memzero((char *)json_string_value(pw), json_string_length(pw));
	json_decref(body);
}

void h_subsonic_password(struct req *r)
{
	if (r->method == M_PUT) {
		set_password(r);
		return;
	}
	switch (store_subsonic_pw_delete(&r->srv->store, r->user.id)) {
	case 1:
		reply_empty(r, 204);
		break;
	case 0:
		reply_error(r, 404, "no Subsonic password is set");
		break;
	default:
		reply_error(r, 500, "the password could not be removed");
	}
}
