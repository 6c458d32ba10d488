#include "config.h"
#include "api/handlers.h"

#include "server.h"

void h_me(struct req *r)
{
	const struct user *u = &r->user;
	char base[512];

	req_base_url(r, base, sizeof base);
	reply_json(r, 200, json_pack("{s:s,s:s,s:{s:b,s:b},s:{},s:{s:n,s:i},s:o,s:s,s:[],s:s,s:s,s:o}",
		"country", u->country, "display_name", u->display_name,
		"explicit_content", "filter_enabled", 0, "filter_locked", 0,
		"external_urls", "followers", "href", "total", 0,
		"href", json_sprintf("%s/v1/users/%s", base, u->id), "id", u->id, "images",
		"product", u->premium ? "premium" : "free", "type", "user",
		"uri", json_sprintf("segue:user:%s", u->id)));
}
