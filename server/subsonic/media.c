/* The Media retrieval family's pictures and lyrics (stream and download are the transcoder's):
 * getCoverArt serves the stored square that fits the size asked, getLyricsBySongId (the
 * songLyrics extension) a song's lyrics, timed or not. */
#include "config.h"
#include "subsonic/endpoints.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base62.h"
#include "http/file.h"
#include "images/images.h"
#include "lyrics/lyrics.h"
#include "server.h"
#include "store/catalog.h"
#include "store/images.h"
#include "store/subsonic_catalog.h"
#include "subsonic/render.h"

/* The picture a coverArt id names (render.h): "al-" an album's cover, "ar-" an artist's
 * picture (its own, else an album's), a bare id an album's, an artist's or a song's album's,
 * or a picture's own name. 1 with hash, 0 for none, -1 on error. */
static int picture_of(struct store *s, const char *id, char hash[STORE_IMAGE_MAX])
{
	char album[BASE62_ID_LEN + 1], artist[BASE62_ID_LEN + 1];
	int rc;

	if (!strncmp(id, SUB_ALBUM_PREFIX, 3) && base62_is_id(id + 3))
		return store_album_image(s, id + 3, hash);
	if (!strncmp(id, SUB_ARTIST_PREFIX, 3) && base62_is_id(id + 3))
		return store_artist_image(s, id + 3, hash);
	if (images_hash_valid(id)) {
		snprintf(hash, STORE_IMAGE_MAX, "%s", id);
		return 1;
	}
	if (!base62_is_id(id))
		return 0;
	if ((rc = store_album_image(s, id, hash)) != 0 || (rc = store_artist_image(s, id, hash)) != 0)
		return rc;
	if ((rc = store_track_filing(s, id, album, artist, NULL)) != 1)
		return rc;
	return store_album_image(s, album, hash);
}

void sub_get_cover_art(struct sub_call *c)
{
	const char *id = sub_need(c, "id");
	char hash[STORE_IMAGE_MAX], path[1400], etag[64];
	struct stat st;
	long size;
	int side = images_sizes[0], rc, fd;

	if (!id || !sub_int(c, "size", 0, 1, 100000, &size))
		return;
	if ((rc = picture_of(&c->r->srv->store, id, hash)) <= 0) {
		if (rc == 0)
			sub_error(c, SUB_ERR_NOT_FOUND, "cover art not found");
		else
			sub_error(c, SUB_ERR_GENERIC, "the cover art could not be looked up");
		return;
	}
	/* The smallest stored square at least as large as asked (sizes run widest first), so a
	 * client never gets a picture blown up; past the widest, the widest. */
	for (int i = 0; size && i < IMAGES_NSIZES; i++)
		if (images_sizes[i] >= size)
			side = images_sizes[i];
	if (images_path(c->r->srv->images_dir, hash, side, path, sizeof path) < 0 ||
	    (fd = http_open_file(c->r, path, "image", &st)) < 0) {
		sub_error_status(c, 404, SUB_ERR_NOT_FOUND, "cover art not found");
		return;
	}
	snprintf(etag, sizeof etag, "\"%s-%d\"", hash, side);
	http_send_file(c->r, fd, &st, etag, "image/jpeg");
	c->answered = true;
}

void sub_get_lyrics_by_song_id(struct sub_call *c)
{
	const char *id = sub_arg(c, "id");
	struct sub_scope sc = sub_scope_of(c);
	struct sub_song *s;
	struct lyrics l;
	json_t *list, *lines, *one;
	int rc;

	if (!sub_catalog_id(c, id, "song"))
		return;
	if (!(s = malloc(sizeof *s)) || (rc = store_sub_song(&c->r->srv->store, &sc, id, s)) < 0) {
		free(s);
		sub_error(c, SUB_ERR_GENERIC, "the song could not be read");
		return;
	}
	if (rc == 0 || !s->playable) {
		sub_error(c, SUB_ERR_NOT_FOUND, rc ? "song not available to you" : "song not found");
		free(s);
		return;
	}
	list = json_array();
	if ((rc = lyrics_load(&c->r->srv->store, id, &l)) < 0) {
		sub_error(c, SUB_ERR_GENERIC, "the lyrics could not be read");
		goto out;
	}
	if (rc == 1) {
		lines = json_array();
		for (size_t i = 0; lines && i < l.n; i++) {
			json_t *line = json_pack("{s:s}", "value", l.lines[i].text);

			if (line && l.synced)
				json_object_set_new(line, "start", json_integer(l.lines[i].start_ms));
			json_array_append_new(lines, line);
		}
		/* "und": ISO 639's undetermined, which the specification asks for when the
		 * language is not known. */
		one = json_pack("{s:s,s:s,s:s,s:b,s:i,s:o}", "displayArtist", s->artist,
		                "displayTitle", s->name, "lang", l.language[0] ? l.language : "und",
		                "synced", l.synced, "offset", 0, "line", lines);
		json_array_append_new(list, one);
		lyrics_free(&l);
	}
	sub_ok(c, "lyricsList", json_pack("{s:O}", "structuredLyrics", list));
out:
	json_decref(list);
	free(s);
}
