/* See playlist_make.h. */
#include "config.h"
#include "playlist_make.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

enum seg_err playlist_post_patiently(struct api *api, const char *path, json_t *body, json_t **out)
{
	enum seg_err e;
	long status;

	for (int waited = 0, step = 1;; waited += step, step = step < 8 ? step * 2 : 8) {
		e = api_request(api, "POST", path, body, out, &status);
		if (!e || (status != 429 && status != 503) || waited >= PLAYLIST_PATIENCE_S)
			return e;
		sleep((unsigned)step);
	}
}

enum seg_err playlist_make(struct api *api, const char *name, const char *description,
                           bool public, bool patient, json_t **out)
{
	char *user, *path = NULL;
	json_t *body;
	enum seg_err e;

	if (!api_user(api))
		return seg_fail(SEG_EAUTH, "not logged in: run segue login");
	if (!(user = api_escape(api_user(api))) ||
	    asprintf(&path, "/v1/users/%s/playlists", user) < 0) {
		free(user);
		return seg_fail(SEG_ENOMEM, "out of memory");
	}
	body = json_pack("{s:s,s:b}", "name", name, "public", public);
	if (body && description)
		json_object_set_new(body, "description", json_string(description));
	if (!body)
		e = seg_fail(SEG_ENOMEM, "out of memory");
	else if (patient)
		e = playlist_post_patiently(api, path, body, out);
	else
		e = api_request(api, "POST", path, body, out, NULL);
	json_decref(body);
	free(path);
	free(user);
	return e;
}
