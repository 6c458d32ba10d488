#include "config.h"
#include "subsonic/objects.h"

#include <stdlib.h>
#include <string.h>

#include "base62.h"
#include "server.h"
#include "store/catalog.h"

const struct catalog_view *sub_catalog_view(struct sub_call *c, struct sub_view *out)
{
	struct req *r = c->r;

	req_base_url(r, out->base, sizeof out->base);
	out->v = (struct catalog_view){ &r->srv->store, out->base, r->srv->cfg.markets, r->srv->images_dir };
	return &out->v;
}

/* "2019", "2019-05" or "2019-05-17": the year, or 0. */
static int year_of(const char *date)
{
	return date[0] ? atoi(date) : 0;
}

static int add_artist(void *ud, const char *id, const char *name)
{
	json_array_append_new(ud, json_pack("{s:s,s:s}", "id", id, "name", name));
	return 0;
}

/* An album has no time it was added: its release date stands in for OpenSubsonic's
 * "created", which the specification requires. */
static json_t *created_of(const char *date)
{
	int y = 1970, m = 1, d = 1;

	if (date[0])
		sscanf(date, "%d-%d-%d", &y, &m, &d);
	return json_sprintf("%04d-%02d-%02dT00:00:00Z", y, m, d);
}

json_t *sub_song(struct sub_call *c, const char *track_id)
{
	struct store *s = &c->r->srv->store;
	struct track_row t;
	struct album_row al;
	json_t *o, *artists = json_array(), *album_artists = json_array();

	if (!base62_is_id(track_id) || store_track_row(s, track_id, &t) <= 0 ||
	    store_album_row(s, t.album_id, &al) <= 0 || !artists || !album_artists ||
	    store_track_artists(s, track_id, add_artist, artists) < 0 ||
	    store_album_artists(s, t.album_id, add_artist, album_artists) < 0) {
		json_decref(artists);
		json_decref(album_artists);
		return NULL;
	}
	o = json_pack("{s:s,s:s,s:b,s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:s,s:s,s:b,s:s,s:s,s:o,s:o,s:s,s:s}",
	              "id", t.id, "parent", t.album_id, "isDir", 0, "title", t.name, "album", al.name,
	              "albumId", t.album_id, "artist", t.artist_name, "artistId", t.artist_id,
	              "coverArt", t.album_id, "duration", (json_int_t)(t.duration_ms / 1000),
	              "contentType", "audio/ogg", "suffix", "ogg", "isVideo", 0, "type", "music",
	              "mediaType", "song", "artists", artists, "albumArtists", album_artists,
	              "displayArtist", t.artist_name, "displayAlbumArtist", al.artist_name);
	if (!o)
		return NULL;
	if (t.track_number > 0)
		json_object_set_new(o, "track", json_integer(t.track_number));
	if (t.disc_number > 0)
		json_object_set_new(o, "discNumber", json_integer(t.disc_number));
	if (year_of(al.release_date) > 0)
		json_object_set_new(o, "year", json_integer(year_of(al.release_date)));
	if (t.isrc[0])
		json_object_set_new(o, "isrc", json_pack("[s]", t.isrc));
	json_object_set_new(o, "explicitStatus", json_string(t.explicit_ ? "explicit" : ""));
	return o;
}

json_t *sub_album(struct sub_call *c, const char *album_id)
{
	struct album_row al;
	json_t *o, *artists = json_array();

	if (!base62_is_id(album_id) || !artists || store_album_row(&c->r->srv->store, album_id, &al) <= 0 ||
	    store_album_artists(&c->r->srv->store, album_id, add_artist, artists) < 0) {
		json_decref(artists);
		return NULL;
	}
	o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:o,s:o,s:s,s:b}", "id", album_id, "name", al.name,
	              "artist", al.artist_name, "artistId", al.artist_id, "coverArt", album_id,
	              "songCount", (json_int_t)al.total_tracks, "duration", (json_int_t)(al.duration_ms / 1000),
	              "created", created_of(al.release_date), "artists", artists,
	              "displayArtist", al.artist_name, "isCompilation", al.compilation);
	if (o && year_of(al.release_date) > 0)
		json_object_set_new(o, "year", json_integer(year_of(al.release_date)));
	return o;
}

json_t *sub_artist(struct sub_call *c, const char *artist_id)
{
	struct artist_row a;

	if (!base62_is_id(artist_id) || store_artist_row(&c->r->srv->store, artist_id, &a) <= 0)
		return NULL;
	return json_pack("{s:s,s:s}", "id", artist_id, "name", a.name);
}
