/* The credentials of Subsonic clients (phones, desktop players that speak the Subsonic API):
 * API keys, made, listed and revoked; and the separate Subsonic password that older clients'
 * token authentication needs (segue(1), SUBSONIC CLIENTS). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api.h"
#include "cmd.h"
#include "prompt.h"
#include "render.h"

#define SUBSONIC_PW_MAX 128

static enum seg_err apikey_create_exec(struct seg *s, struct cmd_args *a, json_t **out)
{
	struct api *api = seg_api(s);
	json_t *body;
	enum seg_err e;

	if (!api)
		return SEG_ENOMEM;
	if (!(body = json_pack("{s:s}", "name", a->argv[0])))
		return seg_fail(SEG_EUSAGE, "the name is not valid UTF-8");
	e = api_request(api, "POST", "/v1/segue/api-keys", body, out, NULL);
	json_decref(body);
	return e;
}

static void apikey_create_print(json_t *o, FILE *f)
{
	fprintf(f, "%s\n", json_string_value(json_object_get(o, "key")));
	fprintf(stderr, "API key %s (%s) made: give it to the player as its API key; it is not shown "
	        "again.\n", json_string_value(json_object_get(o, "name")),
	        json_string_value(json_object_get(o, "id")));
}

const struct cmd_entry cmd_apikey_create = {
	"apikey create", "NAME", "Makes an API key named NAME (1 to 64 bytes: the player it is "
	"for) for Subsonic clients, which send it as apiKey. The key is printed once, alone on "
	"standard output; the server keeps only its hash. Keys do not expire: revoke one with "
	"apikey rm.", NULL, 1, 1, CMD_ANY, 0, apikey_create_exec, apikey_create_print, NULL
};

static enum seg_err apikey_ls_exec(struct seg *s, struct cmd_args *a, json_t **out)
{
	struct api *api = seg_api(s);

	(void)a;
	if (!api)
		return SEG_ENOMEM;
	return api_get(api, "/v1/segue/api-keys", out);
}

static void apikey_ls_print(json_t *o, FILE *f)
{
	json_t *items = json_object_get(o, "items"), *k;
	size_t i;

	if (!json_array_size(items)) {
		fputs("no API keys\n", f);
		return;
	}
	fputs("ID                      NAME                  MADE                  LAST USED\n", f);
	json_array_foreach(items, i, k) {
		const char *used = json_string_value(json_object_get(k, "last_used_at"));

		render_pad(f, json_string_value(json_object_get(k, "id")), 24);
		render_column(f, json_string_value(json_object_get(k, "name")), 20);
		fprintf(f, "  %-20s  %s\n", json_string_value(json_object_get(k, "created_at")),
		        used ? used : "never");
	}
}

const struct cmd_entry cmd_apikey_ls = {
	"apikey ls", "", "Lists the account's API keys: id, name, when each was made and last "
	"used (never the keys themselves).", NULL, 0, 0, CMD_ANY, 0, apikey_ls_exec,
	apikey_ls_print, NULL
};

/* The id of the key named or numbered which: an id as it is, a name when exactly one key
 * has it. */
static enum seg_err key_id(struct api *api, const char *which, char id[64])
{
	json_t *list = NULL, *k;
	enum seg_err e;
	size_t i;
	int found = 0;

	if ((e = api_get(api, "/v1/segue/api-keys", &list)))
		return e;
	json_array_foreach(json_object_get(list, "items"), i, k) {
		const char *kid = json_string_value(json_object_get(k, "id"));
		const char *name = json_string_value(json_object_get(k, "name"));

		if (kid && !strcmp(kid, which)) {
			snprintf(id, 64, "%s", kid);
			json_decref(list);
			return SEG_OK;
		}
		if (kid && name && !strcmp(name, which) && found++ == 0)
			snprintf(id, 64, "%s", kid);
	}
	json_decref(list);
	if (found == 1)
		return SEG_OK;
	if (found > 1)
		return seg_fail(SEG_EUSAGE, "%d keys are named %s: give the id (segue apikey ls)", found, which);
	return seg_fail(SEG_ENOTFOUND, "no API key %s", which);
}

static enum seg_err apikey_rm_exec(struct seg *s, struct cmd_args *a, json_t **out)
{
	struct api *api = seg_api(s);
	char id[64], path[128];
	enum seg_err e;

	if (!api)
		return SEG_ENOMEM;
	if ((e = key_id(api, a->argv[0], id)))
		return e;
	snprintf(path, sizeof path, "/v1/segue/api-keys/%s", id);
	if ((e = api_request(api, "DELETE", path, NULL, NULL, NULL)))
		return e;
	*out = json_pack("{s:s,s:b}", "id", id, "revoked", 1);
	return SEG_OK;
}

static void apikey_rm_print(json_t *o, FILE *f)
{
	fprintf(f, "API key %s revoked\n", json_string_value(json_object_get(o, "id")));
}

const struct cmd_entry cmd_apikey_rm = {
	"apikey rm", "ID|NAME", "Revokes an API key, by its id or its name: the player that used "
	"it is refused from its next request.", NULL, 1, 1, CMD_ANY, 0, apikey_rm_exec,
	apikey_rm_print, NULL
};

static enum seg_err subsonic_password_exec(struct seg *s, struct cmd_args *a, json_t **out)
{
	char pw[SUBSONIC_PW_MAX + 2];
	struct api *api = seg_api(s);
	json_t *body = NULL;
	enum seg_err e;

	if (!api)
		return SEG_ENOMEM;
	if (cmd_has(a, "remove")) {
		if ((e = api_request(api, "DELETE", "/v1/segue/subsonic-password", NULL, NULL, NULL)))
			return e;
		*out = json_pack("{s:b}", "subsonic_password", 0);
		return SEG_OK;
	}
	if ((e = cmd_read_new_password("Subsonic password (not your account's): ", pw, sizeof pw)))
		return e;
	if (!(body = json_pack("{s:s}", "password", pw))) {
		e = seg_fail(SEG_EUSAGE, "the password is not valid UTF-8");
		goto out;
	}
	if (!(e = api_request(api, "PUT", "/v1/segue/subsonic-password", body, NULL, NULL)))
		*out = json_pack("{s:b}", "subsonic_password", 1);
out:
	explicit_bzero(pw, sizeof pw);
	if (body) {
		/* jansson's copy of the password goes too. */
		json_t *p = json_object_get(body, "password");

		explicit_bzero((char *)json_string_value(p), json_string_length(p));
		json_decref(body);
	}
	return e;
}

static void subsonic_password_print(json_t *o, FILE *f)
{
	fputs(json_is_true(json_object_get(o, "subsonic_password"))
	      ? "Subsonic password set: clients may now log in with it (token or p authentication)\n"
	      : "Subsonic password removed: only API keys log Subsonic clients in\n", f);
}

const struct cmd_entry cmd_subsonic_password = {
	"subsonic-password", "[--remove]", "Sets the account's Subsonic password (8 to 128 bytes), "
	"read as login reads a password (on a terminal twice), for Subsonic clients that cannot "
	"use an API key: they log in with the user name and this password, never the account's. "
	"The server must be able to read it back to check their md5 tokens, so it is kept "
	"encrypted rather than hashed; prefer an API key (apikey create). --remove takes it away.",
	"remove", 0, 0, CMD_FACE, 0, subsonic_password_exec, subsonic_password_print, NULL
};
