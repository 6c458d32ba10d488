/* GET /v1/segue/lyrics/{id}: a track's lyrics, timed or not (lyrics/lyrics.h). */
#include "config.h"
#include "api/handlers.h"

#include "lyrics/lyrics.h"
#include "server.h"
#include "store/catalog.h"

void h_lyrics(struct req *r)
{
	const char *id = r->params[0];
	struct lyrics l;
	json_t *o;
	int found;

	if (!api_check_id(r, id, "track"))
		return;
	if ((found = lyrics_load(&r->srv->store, id, &l)) < 0) {
		reply_error(r, 500, "database error");
		return;
	}
	if (!found) {
		if (store_track_exists(&r->srv->store, id) > 0)
			reply_error(r, 404, "no lyrics for track %s", id);
		else
			reply_error(r, 404, "no track with id %s", id);
		return;
	}
	o = lyrics_json(id, &l);
	lyrics_free(&l);
	if (!o) {
		reply_error(r, 500, "out of memory");
		return;
	}
	reply_json(r, 200, o);
}
