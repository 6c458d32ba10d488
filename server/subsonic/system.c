/* The System family: what the server is and speaks. */
#include "config.h"
#include "subsonic/endpoints.h"

#include <stdio.h>
#include <string.h>

/* The OpenSubsonic extensions this server implements, each at the versions it implements:
 * a client turns features on from this list, so it names nothing that is not served. */
static const struct {
	const char *name;
	int version;
} extensions[] = {
	{ "apiKeyAuthentication", 1 },
	{ "formPost", 1 },
};

void sub_get_open_subsonic_extensions(struct sub_call *c)
{
	json_t *list = json_array();

	for (size_t i = 0; list && i < sizeof extensions / sizeof extensions[0]; i++)
		json_array_append_new(list, json_pack("{s:s,s:[i]}", "name", extensions[i].name,
		                                      "versions", extensions[i].version));
	sub_ok(c, "openSubsonicExtensions", list);
}

void sub_ping(struct sub_call *c)
{
	sub_ok(c, NULL, NULL);
}

/* Segue has no licence to sell: every server is licensed. */
void sub_get_license(struct sub_call *c)
{
	sub_ok(c, "license", json_pack("{s:b}", "valid", 1));
}

void sub_unknown(struct sub_call *c)
{
	const char *name = c->r->path + strlen("/rest/");
	char msg[128] = "no such endpoint";

	/* Echoed whole or not at all: a cut could split a character. */
	if (strlen(name) <= 64)
		snprintf(msg, sizeof msg, "no such endpoint: %s", name);
	/* 404, not 200: a client probing for an endpoint (or a person with a typo) learns it
	 * is not here whichever it reads, the status or the body. */
	sub_error_status(c, 404, SUB_ERR_NOT_FOUND, msg);
}
