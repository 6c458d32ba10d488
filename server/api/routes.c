#include "config.h"
#include "api/routes.h"

#include <stdlib.h>
#include <sodium.h>
#include <string.h>

#include "accounts/auth.h"
#include "api/handlers.h"
#include "log.h"
#include "server.h"

#define GET (M_GET | M_HEAD)

static const struct route routes[] = {
	{ GET, "/healthz", RL_NONE, AUTH_NONE, h_healthz },
	{ GET, "/metrics", RL_NONE, AUTH_NONE, h_metrics },
	{ M_POST, "/api/token", RL_NONE, AUTH_NONE, h_token },
	{ M_POST, "/api/revoke", RL_NONE, AUTH_NONE, h_revoke },
	{ M_POST, "/api/register", RL_NONE, AUTH_NONE, h_register },
	{ GET, "/audio/{id}/{file}", RL_NONE, AUTH_NONE, h_audio },
	{ GET, "/images/{hash}/{file}", RL_NONE, AUTH_NONE, h_image },

	{ GET, "/v1/me", RL_STANDARD, AUTH_BEARER, h_me },
	{ GET, "/v1/search", RL_SEARCH, AUTH_BEARER, h_search },
	{ GET, "/v1/tracks", RL_STANDARD, AUTH_BEARER, h_tracks },
	{ GET, "/v1/tracks/{id}", RL_STANDARD, AUTH_BEARER, h_track },
	{ M_POST, "/v1/segue/tracks/match", RL_STANDARD, AUTH_BEARER, h_track_match },
	{ GET, "/v1/albums", RL_STANDARD, AUTH_BEARER, h_albums },
	{ GET, "/v1/albums/{id}", RL_STANDARD, AUTH_BEARER, h_album },
	{ GET, "/v1/albums/{id}/tracks", RL_STANDARD, AUTH_BEARER, h_album_tracks },
	{ GET, "/v1/artists", RL_STANDARD, AUTH_BEARER, h_artists },
	{ GET, "/v1/artists/{id}/related-artists", RL_STANDARD, AUTH_BEARER, h_related_artists },
	{ GET, "/v1/users/{user}", RL_STANDARD, AUTH_BEARER, h_user },
	{ GET, "/v1/me/top/{type}", RL_STANDARD, AUTH_BEARER, h_my_top },
	{ GET, "/v1/browse/new-releases", RL_STANDARD, AUTH_BEARER, h_new_releases },
	{ GET, "/v1/markets", RL_STANDARD, AUTH_BEARER, h_markets },
	{ M_POST, "/v1/me/playlists", RL_PLAYLIST, AUTH_BEARER, h_my_playlist_create },
	{ GET, "/v1/artists/{id}", RL_STANDARD, AUTH_BEARER, h_artist },
	{ GET, "/v1/artists/{id}/albums", RL_STANDARD, AUTH_BEARER, h_artist_albums },
	{ GET, "/v1/artists/{id}/top-tracks", RL_STANDARD, AUTH_BEARER, h_artist_top_tracks },
	{ GET, "/v1/segue/playback/{id}", RL_PLAYER, AUTH_BEARER, h_playback },
	{ GET, "/v1/segue/popular", RL_STANDARD, AUTH_BEARER, h_popular },
	{ GET, "/v1/segue/lyrics/{id}", RL_STANDARD, AUTH_BEARER, h_lyrics },
	{ GET, "/v1/recommendations", RL_STANDARD, AUTH_BEARER, h_recommendations },
	{ GET, "/v1/recommendations/available-genre-seeds", RL_STANDARD, AUTH_BEARER, h_genre_seeds },
	{ GET, "/v1/audio-features", RL_STANDARD, AUTH_BEARER, h_audio_features },
	{ GET, "/v1/audio-features/{id}", RL_STANDARD, AUTH_BEARER, h_audio_features_one },
	{ M_POST, "/v1/segue/radio", RL_STANDARD, AUTH_BEARER, h_radio },
	{ GET, "/v1/segue/made-for-you", RL_STANDARD, AUTH_BEARER, h_made_for_you },
	{ GET | M_PUT, "/v1/me/taste", RL_STANDARD, AUTH_BEARER, h_taste },
	{ GET, "/v1/segue/offline/devices", RL_STANDARD, AUTH_BEARER, h_offline_devices },
	{ M_PUT | M_DELETE, "/v1/segue/offline/devices/{id}", RL_STANDARD, AUTH_BEARER, h_offline_device },
	{ M_POST, "/v1/segue/offline/devices/{id}/licences", RL_STANDARD, AUTH_BEARER, h_offline_licences },
	{ M_POST, "/v1/segue/offline/devices/{id}/checkin", RL_STANDARD, AUTH_BEARER, h_offline_checkin },
	{ GET | M_PUT | M_DELETE, "/v1/me/tracks", RL_STANDARD, AUTH_BEARER, h_saved_tracks },
	{ GET, "/v1/me/tracks/contains", RL_STANDARD, AUTH_BEARER, h_saved_tracks_contains },
	{ GET | M_PUT | M_DELETE, "/v1/me/albums", RL_STANDARD, AUTH_BEARER, h_saved_albums },
	{ GET, "/v1/me/albums/contains", RL_STANDARD, AUTH_BEARER, h_saved_albums_contains },
	{ M_PUT | M_DELETE, "/v1/me/library", RL_STANDARD, AUTH_BEARER, h_library },
	{ GET, "/v1/me/library/contains", RL_STANDARD, AUTH_BEARER, h_library_contains },
	{ GET | M_PUT | M_DELETE, "/v1/me/following", RL_STANDARD, AUTH_BEARER, h_following },
	{ GET, "/v1/me/following/contains", RL_STANDARD, AUTH_BEARER, h_following_contains },
	{ M_POST, "/v1/segue/events", RL_STANDARD, AUTH_BEARER, h_events },
	{ GET, "/v1/me/playlists", RL_STANDARD, AUTH_BEARER, h_my_playlists },
	{ GET, "/v1/users/{user}/playlists", RL_STANDARD, AUTH_BEARER, h_user_playlists },
	{ M_POST, "/v1/users/{user}/playlists", RL_PLAYLIST, AUTH_BEARER, h_playlist_create },
	{ GET, "/v1/playlists/{id}", RL_STANDARD, AUTH_BEARER, h_playlist },
	{ M_PUT, "/v1/playlists/{id}", RL_PLAYLIST, AUTH_BEARER, h_playlist_details },
	{ GET, "/v1/playlists/{id}/tracks", RL_STANDARD, AUTH_BEARER, h_playlist_tracks },
	{ M_POST | M_PUT | M_DELETE, "/v1/playlists/{id}/tracks", RL_PLAYLIST, AUTH_BEARER, h_playlist_tracks },
	/* The reference's newer name for the same items. */
	{ GET, "/v1/playlists/{id}/items", RL_STANDARD, AUTH_BEARER, h_playlist_tracks },
	{ M_POST | M_PUT | M_DELETE, "/v1/playlists/{id}/items", RL_PLAYLIST, AUTH_BEARER, h_playlist_tracks },
	{ M_PUT | M_DELETE, "/v1/playlists/{id}/followers", RL_PLAYLIST, AUTH_BEARER, h_playlist_followers },
	{ GET, "/v1/playlists/{id}/followers/contains", RL_STANDARD, AUTH_BEARER, h_playlist_followers_contains },
	{ GET, "/v1/users/{user}/playlists/{id}/followers/contains", RL_STANDARD, AUTH_BEARER,
	  h_user_playlist_followers_contains },
	{ GET, "/v1/playlists/{id}/images", RL_STANDARD, AUTH_BEARER, h_playlist_images },
	{ M_PUT, "/v1/playlists/{id}/images", RL_PLAYLIST, AUTH_BEARER, h_playlist_images },
	{ GET, "/v1/me/player/recently-played", RL_PLAYER, AUTH_BEARER, h_recently_played },
	{ GET | M_PUT, "/v1/me/player", RL_PLAYER, AUTH_BEARER, h_player },
	{ GET, "/v1/me/player/currently-playing", RL_PLAYER, AUTH_BEARER, h_player_currently_playing },
	{ GET, "/v1/me/player/devices", RL_PLAYER, AUTH_BEARER, h_player_devices },
	{ M_PUT, "/v1/me/player/play", RL_PLAYER, AUTH_BEARER, h_player_play },
	{ M_PUT, "/v1/me/player/pause", RL_PLAYER, AUTH_BEARER, h_player_pause },
	{ M_POST, "/v1/me/player/next", RL_PLAYER, AUTH_BEARER, h_player_next },
	{ M_POST, "/v1/me/player/previous", RL_PLAYER, AUTH_BEARER, h_player_previous },
	{ M_PUT, "/v1/me/player/seek", RL_PLAYER, AUTH_BEARER, h_player_seek },
	{ M_PUT, "/v1/me/player/volume", RL_PLAYER, AUTH_BEARER, h_player_volume },
	{ M_PUT, "/v1/me/player/shuffle", RL_PLAYER, AUTH_BEARER, h_player_shuffle },
	{ M_PUT, "/v1/me/player/repeat", RL_PLAYER, AUTH_BEARER, h_player_repeat },
	{ GET | M_POST, "/v1/me/player/queue", RL_PLAYER, AUTH_BEARER, h_player_queue },
};

#define NROUTES (sizeof routes / sizeof routes[0])

static void clear_params(struct req *r)
{
	for (int i = 0; i < r->nparams; i++)
		free(r->params[i]);
	r->nparams = 0;
}

/* Matches path against pattern, collecting {x} segments into r->params. */
static bool match(struct req *r, const char *pattern, const char *path)
{
	clear_params(r);
	while (*pattern && *path) {
		if (*pattern != '/' || *path != '/')
			return false;
		pattern++;
		path++;
		const char *pe = strchrnul(pattern, '/');
		const char *se = strchrnul(path, '/');

		if (*pattern == '{') {
			if (se == path || r->nparams == REQ_MAX_PARAMS)
				return false;
			r->params[r->nparams] = strndup(path, (size_t)(se - path));
			if (!r->params[r->nparams])
				return false;
			r->nparams++;
		} else if (pe - pattern != se - path || memcmp(pattern, path, (size_t)(pe - pattern))) {
			return false;
		}
		pattern = pe;
		path = se;
	}
	/* One trailing slash is the same resource: client libraries send /v1/search/. */
	return !*pattern && (!*path || !strcmp(path, "/"));
}

void routes_dispatch(struct req *r)
{
	const struct route *found = NULL;
	unsigned allowed = 0;
	long wait;

	for (size_t i = 0; i < NROUTES; i++) {
		if (!match(r, routes[i].pattern, r->path))
			continue;
		allowed |= routes[i].methods;
		if (routes[i].methods & r->method) {
			found = &routes[i];
			break;
		}
	}
	if (!found) {
		clear_params(r);
		if (allowed) {
			char allow[64] = "";

			for (unsigned m = M_GET; m <= M_OPTIONS; m <<= 1)
				if (allowed & m) {
					static const char *names[] = { "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS" };
					int bit = __builtin_ctz(m);

					if (allow[0])
						strcat(allow, ", ");
					strcat(allow, names[bit]);
				}
			reply_error(r, 405, "method %s not allowed here", r->method_name);
			reply_header(r, "allow:", "%s", allow);
			return;
		}
		reply_error(r, 404, "no such resource: %s", r->path);
		return;
	}
	r->route_name = found->pattern;
	if (found->auth == AUTH_BEARER) {
		const char *why = auth_bearer(&r->srv->store, r->authorization, &r->user);

		r->authed = !why;
		if (why) {
			reply_error(r, 401, "%s", why);
			reply_header(r, "www-authenticate:", "Bearer realm=\"segue\"");
			return;
		}
		/* Per user, not per token: logging in again must not buy a fresh budget. */
		unsigned char key[crypto_generichash_BYTES_MIN];
		uint64_t client;

		crypto_generichash(key, sizeof key, (const unsigned char *)r->user.id,
		                   strlen(r->user.id), NULL, 0);
		memcpy(&client, key, sizeof client);
		wait = ratelimit_hit(&r->srv->rl, client, found->category, store_now_ms());
		if (wait) {
			reply_error(r, 429, "rate limit exceeded for %s requests: retry in %ld s",
			            rl_category_name(found->category), wait);
			reply_header(r, "retry-after:", "%ld", wait);
			return;
		}
	}
	found->handler(r);
	store_release(&r->srv->store);
}
