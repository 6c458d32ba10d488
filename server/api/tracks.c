/* GET /v1/tracks/{id} and GET /v1/tracks?ids= (at most 50). */
#include "config.h"
#include "api/handlers.h"

void h_track(struct req *r)
{
	api_reply_one(r, "track", api_track);
}

/* The list is rendered at once (a few statements for all of it); an unknown id is null. */
void h_tracks(struct req *r)
{
	api_reply_several(r, "tracks", API_SEVERAL_MAX, api_tracks);
}
