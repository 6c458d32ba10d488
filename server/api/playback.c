/* Playback authorization: the one place that decides whether a user may hear a track, and
 * at which qualities. It answers with signed audio URLs; the stream handler only checks
 * signatures. */
#include "config.h"
#include "api/handlers.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "audio/audio.h"
#include "catalog/catalog.h"
#include "catalog/playback.h"
#include "server.h"
#include "store/catalog.h"

json_t *playback_url(struct req *r, const char *id, int q, long long exp)
{
	char base[512], path[128], kid[SIGN_KID_MAX], sig[SIGN_SIG_MAX];

	req_base_url(r, base, sizeof base);
	snprintf(path, sizeof path, "/audio/%s/%s.ogg", id, quality_info[q].name);
	if (sign_url(&r->srv->keys, path, exp, r->user.id, kid, sig) < 0)
		return NULL;
	return json_sprintf("%s%s?exp=%lld&uid=%s&kid=%s&sig=%s", base, path, exp, r->user.id, kid, sig);
}

void h_playback(struct req *r)
{
	struct server *srv = r->srv;
	const char *id = r->params[0];
	const char *qname = req_arg(r, "quality");
	int q = r->user.premium ? Q_HIGH : Q_NORMAL;
	struct track_playback t;
	struct api_view v;
	long long exp;
	json_t *urls;

	if (!api_check_id(r, id, "track"))
		return;
	if (qname && (q = quality_from_name(qname)) < 0) {
		reply_error(r, 400, "unknown quality \"%.20s\": low, normal, high or very_high", qname);
		return;
	}
	switch (playback_check(api_view(r, &v), &r->user, id, q, &t)) {
	case PLAYBACK_DB_ERROR:
		reply_error(r, 500, "database error");
		return;
	case PLAYBACK_NO_TRACK:
		reply_error(r, 404, "no track with id %s", id);
		return;
	case PLAYBACK_WITHDRAWN:
		/* 410, not 404: the id is known and its object still served; only the audio left. */
		reply_error(r, 410, "this track is unavailable: its source file is no longer in the library");
		return;
	case PLAYBACK_MARKET:
		reply_error(r, 403, "this track is not available in your market (%s)", r->user.country);
		return;
	case PLAYBACK_TIER:
		reply_error(r, 403, "very_high quality (320 kbit/s) needs a premium account");
		return;
	case PLAYBACK_OK:
		break;
	}
	keyring_refresh(&srv->keys, time(NULL));
	exp = (long long)time(NULL) + srv->cfg.url_ttl;
	urls = json_object();
	/* The chosen quality and every lower one, so the player can step down on its own. */
	for (int i = 0; i <= q; i++) {
		json_t *url = playback_url(r, id, i, exp);

		if (!url) {
			json_decref(urls);
			reply_error(r, 500, "no signing key");
			return;
		}
		json_object_set_new(urls, quality_info[i].name, url);
	}
	reply_json(r, 200, json_pack("{s:s,s:I,s:f,s:s,s:o,s:I}", "track_id", id,
	                             "duration_ms", (json_int_t)t.duration_ms, "gain_db", t.gain_db,
	                             "quality", quality_info[q].name, "urls", urls,
	                             "expires_at", (json_int_t)exp));
}
