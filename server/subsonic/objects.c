#include "config.h"
#include "subsonic/objects.h"

#include <stdio.h>
#include <string.h>

#include "base62.h"
#include "server.h"
#include "subsonic/render.h"

json_t *sub_song(struct sub_call *c, const char *track_id)
{
	struct sub_scope sc = sub_scope_of(c);
	struct sub_song s;

	if (!base62_is_id(track_id) || store_sub_song(&c->r->srv->store, &sc, track_id, &s) <= 0)
		return NULL;
	return sub_song_json(c, &s);
}

json_t *sub_album(struct sub_call *c, const char *album_id)
{
	struct sub_scope sc = sub_scope_of(c);
	struct sub_album a;

	if (!base62_is_id(album_id) || store_sub_album(&c->r->srv->store, &sc, album_id, &a) <= 0)
		return NULL;
	return sub_album_json(c, &a);
}

json_t *sub_artist(struct sub_call *c, const char *artist_id)
{
	struct sub_scope sc = sub_scope_of(c);
	struct sub_artist a;

	if (!base62_is_id(artist_id) || store_sub_artist(&c->r->srv->store, &sc, artist_id, &a) <= 0)
		return NULL;
	return sub_artist_json(c, &a);
}

const struct catalog_view *sub_catalog_view(struct sub_call *c, struct sub_view *out)
{
	struct req *r = c->r;

	req_base_url(r, out->base, sizeof out->base);
	out->v = (struct catalog_view){ &r->srv->store, out->base, r->srv->cfg.markets, r->srv->images_dir };
	return &out->v;
}

const char *sub_echo(const char *value)
{
	return strlen(value) <= 64 ? value : "(too long to repeat)";
}

void sub_client_name(struct sub_call *c, char *out, size_t size)
{
	const char *name = sub_arg(c, "c");

	/* Whole or not at all: a cut could split a character. */
	snprintf(out, size, "%s", name && *name && strlen(name) < size ? name : "a Subsonic client");
}
