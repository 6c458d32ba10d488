/* GET /v1/users/{id}: a user's public profile. Segue has no following of users, so every
 * profile's followers are none. */
#include "config.h"

#include "accounts/users.h"
#include "api/handlers.h"
#include "server.h"

void h_user(struct req *r)
{
	struct user u;
	char base[512];

	switch (user_get(&r->srv->store, r->params[0], &u)) {
	case USER_OK:
		break;
	case USER_NOT_FOUND:
		reply_error(r, 404, "no user named %.64s", r->params[0]);
		return;
	default:
		reply_error(r, 500, "database error");
		return;
	}
	req_base_url(r, base, sizeof base);
	reply_json(r, 200, json_pack("{s:s,s:{},s:{s:n,s:i},s:o,s:s,s:[],s:s,s:o}",
		"display_name", u.display_name, "external_urls", "followers", "href", "total", 0,
		"href", json_sprintf("%s/v1/users/%s", base, u.id), "id", u.id, "images",
		"type", "user", "uri", json_sprintf("segue:user:%s", u.id)));
}
