#include "config.h"
#include "subsonic/render.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audio/audio.h"
#include "base62.h"
#include "buf.h"
#include "catalog/catalog.h"
#include "server.h"

struct sub_scope sub_scope_of(const struct sub_call *c)
{
	const struct server *srv = c->r->srv;
	struct catalog_view v = { .markets = srv->cfg.markets };

	return (struct sub_scope){ c->r->user.country, catalog_available(&v, NULL, c->r->user.country),
	                           c->r->user.id };
}

json_t *sub_time(long long ms)
{
	return catalog_time(ms, true);
}

static void set(json_t *o, const char *key, json_t *v)
{
	if (v)
		json_object_set_new(o, key, v);
}

static void set_str(json_t *o, const char *key, const char *s)
{
	if (s && *s)
		json_object_set_new(o, key, json_string(s));
}

/* The year of a release date "YYYY[-MM[-DD]]", 0 when it has none. */
static int year_of(const char *date)
{
	return strlen(date) >= 4 ? atoi(date) : 0;
}

/* {"year", "month", "day"} as far as the date says, or NULL. */
static json_t *item_date(const char *date)
{
	int y = 0, m = 0, d = 0;
	json_t *o;

	if (sscanf(date, "%d-%d-%d", &y, &m, &d) < 1 || y <= 0)
		return NULL;
	o = json_pack("{s:i}", "year", y);
	if (o && m > 0)
		json_object_set_new(o, "month", json_integer(m));
	if (o && d > 0)
		json_object_set_new(o, "day", json_integer(d));
	return o;
}

static json_t *artist_ref(const char *id, const char *name)
{
	return json_pack("{s:s,s:s}", "id", id, "name", name);
}

struct names {
	json_t *list;
	struct buf text; /* "A, B": displayArtist */
};

static int add_artist(void *ud, const char *id, const char *name)
{
	struct names *n = ud;

	json_array_append_new(n->list, artist_ref(id, name));
	buf_printf(&n->text, "%s%s", n->text.len ? ", " : "", name);
	return 0;
}

/* The artists of a track or an album into o as key (a list) and display (their names). */
static void artists(json_t *o, struct store *s, bool album, const char *id, const char *key,
                    const char *display)
{
	struct names n = { json_array(), BUF_INIT };
	int rc = album ? store_album_artists(s, id, add_artist, &n) : store_track_artists(s, id, add_artist, &n);

	if (rc < 0 || !n.list || !n.text.p) {
		json_decref(n.list);
		buf_free(&n.text);
		return;
	}
	json_object_set_new(o, key, n.list);
	json_object_set_new(o, display, json_string(n.text.p));
	buf_free(&n.text);
}

static json_t *genre_list(const char *genres_json)
{
	json_t *in = json_loads(genres_json, 0, NULL), *out = json_array(), *g;
	size_t i;

	if (json_is_array(in))
		json_array_foreach(in, i, g)
			if (json_is_string(g) && json_string_length(g))
				json_array_append_new(out, json_pack("{s:O}", "name", g));
	json_decref(in);
	return out;
}

json_t *sub_song_json(struct sub_call *c, const struct sub_song *s)
{
	bool premium = c->r->user.premium;
	int q = premium ? Q_HIGH : Q_NORMAL;
	long long bytes = premium ? s->bytes_high : s->bytes_normal;
	json_t *o = json_pack("{s:s,s:s,s:b,s:s,s:s,s:s,s:s,s:s,s:I,s:i,s:b,s:s,s:s,s:s}",
	                      "id", s->id, "parent", "", "isDir", 0, "title", s->name,
	                      "album", s->album, "artist", s->artist, "contentType", "audio/ogg",
	                      "suffix", "ogg", "duration", (json_int_t)((s->duration_ms + 500) / 1000),
	                      "bitRate", quality_info[q].kbps, "isVideo", 0, "type", "music",
	                      "mediaType", "song", "albumId", s->album_id);
	char folder[64];
	int year = year_of(s->release_date);

	if (!o)
		return NULL;
	snprintf(folder, sizeof folder, SUB_ALBUM_PREFIX "%s", s->album_id);
	json_object_set_new(o, "parent", json_string(folder));
	json_object_set_new(o, "artistId", json_string(s->artist_id));
	if (s->track_number > 0)
		json_object_set_new(o, "track", json_integer(s->track_number));
	if (s->disc_number > 0)
		json_object_set_new(o, "discNumber", json_integer(s->disc_number));
	if (year)
		json_object_set_new(o, "year", json_integer(year));
	set_str(o, "genre", s->genre);
	if (s->image[0])
		json_object_set_new(o, "coverArt", json_string(folder));
	if (bytes > 0)
		json_object_set_new(o, "size", json_integer(bytes));
	json_object_set_new(o, "playCount", json_integer(s->play_count));
	set(o, "created", sub_time(s->created_ms));
	if (s->starred_ms)
		set(o, "starred", sub_time(s->starred_ms));
	if (s->tempo > 0)
		json_object_set_new(o, "bpm", json_integer((json_int_t)(s->tempo + 0.5)));
	set_str(o, "musicBrainzId", s->mb_recording_id);
	if (s->isrc[0])
		json_object_set_new(o, "isrc", json_pack("[s]", s->isrc));
	json_object_set_new(o, "genres", genre_list(s->genres));
	artists(o, &c->r->srv->store, false, s->id, "artists", "displayArtist");
	artists(o, &c->r->srv->store, true, s->album_id, "albumArtists", "displayAlbumArtist");
	/* Segue's streams are not normalised: the gain that brings the track to its target
	 * goes to the player, as ReplayGain does. */
	json_object_set_new(o, "replayGain", json_pack("{s:f,s:f}", "trackGain", s->gain_db,
	                                               "trackPeak", s->true_peak));
	json_object_set_new(o, "explicitStatus", json_string(s->explicit_ ? "explicit" : ""));
	return o;
}

static void album_common(struct sub_call *c, json_t *o, const struct sub_album *a)
{
	char cover[64];
	int year = year_of(a->release_date);

	(void)c;
	snprintf(cover, sizeof cover, SUB_ALBUM_PREFIX "%s", a->id);
	if (a->image[0])
		json_object_set_new(o, "coverArt", json_string(cover));
	json_object_set_new(o, "artist", json_string(a->artist));
	json_object_set_new(o, "artistId", json_string(a->artist_id));
	json_object_set_new(o, "playCount", json_integer(a->play_count));
	set(o, "created", sub_time(a->created_ms));
	if (a->starred_ms)
		set(o, "starred", sub_time(a->starred_ms));
	if (year)
		json_object_set_new(o, "year", json_integer(year));
	set_str(o, "genre", a->genre);
}

json_t *sub_album_json(struct sub_call *c, const struct sub_album *a)
{
	json_t *o = json_pack("{s:s,s:s,s:I,s:I}", "id", a->id, "name", a->name,
	                      "songCount", (json_int_t)a->song_count,
	                      "duration", (json_int_t)((a->duration_ms + 500) / 1000));
	json_t *genres;

	if (!o)
		return NULL;
	album_common(c, o, a);
	if (a->played_ms)
		set(o, "played", sub_time(a->played_ms));
	set_str(o, "musicBrainzId", a->mb_album_id);
	genres = json_array();
	if (a->genre[0])
		json_array_append_new(genres, json_pack("{s:s}", "name", a->genre));
	json_object_set_new(o, "genres", genres);
	artists(o, &c->r->srv->store, true, a->id, "artists", "displayArtist");
	json_object_set_new(o, "releaseTypes", a->release_type[0] ? json_pack("[s]", a->release_type)
	                                                           : json_array());
	json_object_set_new(o, "isCompilation", json_boolean(a->compilation));
	set(o, "releaseDate", item_date(a->release_date));
	set(o, "originalReleaseDate", item_date(a->original_date[0] ? a->original_date : a->release_date));
	if (a->label[0])
		json_object_set_new(o, "recordLabels", json_pack("[{s:s}]", "name", a->label));
	json_object_set_new(o, "explicitStatus", json_string(a->explicit_ ? "explicit" : ""));
	return o;
}

json_t *sub_album_child_json(struct sub_call *c, const struct sub_album *a)
{
	char id[64], parent[64];
	json_t *o;

	snprintf(id, sizeof id, SUB_ALBUM_PREFIX "%s", a->id);
	snprintf(parent, sizeof parent, SUB_ARTIST_PREFIX "%s", a->artist_id);
	o = json_pack("{s:s,s:s,s:b,s:s,s:s,s:s,s:I,s:s}", "id", id, "parent", parent, "isDir", 1,
	              "title", a->name, "album", a->name, "albumId", a->id,
	              "duration", (json_int_t)((a->duration_ms + 500) / 1000), "mediaType", "album");
	if (o)
		album_common(c, o, a);
	return o;
}

json_t *sub_artist_json(struct sub_call *c, const struct sub_artist *a)
{
	json_t *o = json_pack("{s:s,s:s,s:I}", "id", a->id, "name", a->name, "albumCount",
	                      (json_int_t)a->album_count);
	char cover[64], base[512];

	if (!o)
		return NULL;
	if (a->image[0]) {
		snprintf(cover, sizeof cover, SUB_ARTIST_PREFIX "%s", a->id);
		json_object_set_new(o, "coverArt", json_string(cover));
		/* Pictures need no credentials (api/images.c): the URL works as it is. It is the
		 * artist's own picture, or one of its albums' covers. */
		req_base_url(c->r, base, sizeof base);
		json_object_set_new(o, "artistImageUrl", json_sprintf("%s/images/%s/640.jpg", base, a->image));
	}
	if (a->starred_ms)
		set(o, "starred", sub_time(a->starred_ms));
	set_str(o, "musicBrainzId", a->mb_artist_id);
	return o;
}

bool sub_catalog_id(struct sub_call *c, const char *id, const char *what)
{
	if (!id) {
		sub_error(c, SUB_ERR_MISSING, "required parameter is missing: id");
		return false;
	}
	if (!base62_is_id(id)) {
		sub_error(c, SUB_ERR_NOT_FOUND, "%s not found", what);
		return false;
	}
	return true;
}
