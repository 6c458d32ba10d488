#include "config.h"
#include "api/routes.h"

#include <stdlib.h>
#include <string.h>

#include "accounts/auth.h"
#include "api/handlers.h"
#include "log.h"
#include "server.h"
#include "subsonic/endpoints.h"

#define GET (M_GET | M_HEAD)
/* A Subsonic endpoint: /rest/NAME (and NAME.view), by GET or form POST. */
#define SUB(name, category, fn) { GET | M_POST, "/rest/" name, category, AUTH_SUBSONIC, ROUTE_SUB(fn) }
#define SUB_OPEN(name, fn) { GET | M_POST, "/rest/" name, RL_NONE, AUTH_SUBSONIC_OPEN, ROUTE_SUB(fn) }

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
	{ GET | M_POST, "/v1/segue/api-keys", RL_STANDARD, AUTH_BEARER, h_api_keys },
	{ M_DELETE, "/v1/segue/api-keys/{id}", RL_STANDARD, AUTH_BEARER, h_api_key },
	{ M_PUT | M_DELETE, "/v1/segue/subsonic-password", RL_STANDARD, AUTH_BEARER, h_subsonic_password },
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

	/* The Subsonic API (server/subsonic/). */
	SUB_OPEN("getOpenSubsonicExtensions", sub_get_open_subsonic_extensions),
	SUB("ping", RL_STANDARD, sub_ping),
	SUB("getLicense", RL_STANDARD, sub_get_license),
	SUB("getMusicFolders", RL_STANDARD, sub_get_music_folders),
	SUB("getIndexes", RL_STANDARD, sub_get_indexes),
	SUB("getMusicDirectory", RL_STANDARD, sub_get_music_directory),
	SUB("getArtists", RL_STANDARD, sub_get_artists),
	SUB("getArtist", RL_STANDARD, sub_get_artist),
	SUB("getAlbum", RL_STANDARD, sub_get_album),
	SUB("getSong", RL_STANDARD, sub_get_song),
	SUB("getGenres", RL_STANDARD, sub_get_genres),
	SUB("getArtistInfo2", RL_STANDARD, sub_get_artist_info2),
	SUB("getAlbumList2", RL_STANDARD, sub_get_album_list2),
	SUB("getRandomSongs", RL_STANDARD, sub_get_random_songs),
	SUB("getTopSongs", RL_STANDARD, sub_get_top_songs),
	SUB("getSimilarSongs2", RL_STANDARD, sub_get_similar_songs2),
	SUB("search3", RL_SEARCH, sub_search3),
	SUB("getCoverArt", RL_NONE, sub_get_cover_art),
	/* as GET /audio: no rate limit (players fetch ahead and seek with ranges); transcodes
	 * have their own cap (transcode_max) */
	SUB("stream", RL_NONE, sub_stream),
	SUB("download", RL_NONE, sub_download),
	SUB("getLyricsBySongId", RL_STANDARD, sub_get_lyrics_by_song_id),
	SUB("getUser", RL_STANDARD, sub_get_user),
	SUB("getScanStatus", RL_STANDARD, sub_get_scan_status),
	SUB("startScan", RL_STANDARD, sub_start_scan),
	SUB("star", RL_STANDARD, sub_star),
	SUB("unstar", RL_STANDARD, sub_unstar),
	SUB("getStarred2", RL_STANDARD, sub_get_starred2),
	SUB("scrobble", RL_PLAYER, sub_scrobble),
	SUB("getNowPlaying", RL_PLAYER, sub_get_now_playing),
	SUB("getPlaylists", RL_STANDARD, sub_get_playlists),
	SUB("getPlaylist", RL_STANDARD, sub_get_playlist),
	SUB("createPlaylist", RL_PLAYLIST, sub_create_playlist),
	SUB("updatePlaylist", RL_PLAYLIST, sub_update_playlist),
	SUB("deletePlaylist", RL_PLAYLIST, sub_delete_playlist),
	SUB("getPlayQueue", RL_PLAYER, sub_get_play_queue),
	SUB("savePlayQueue", RL_PLAYER, sub_save_play_queue),
	/* Last: any other /rest/ name gets the specification's answer, not a Web API 404. */
	SUB_OPEN("{name}", sub_unknown),
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

/* Subsonic clients name an endpoint NAME or NAME.view: the table has NAME. */
static const char *route_path(const struct req *r, char *alt, size_t len)
{
	size_t n = strlen(r->path);

	if (strncmp(r->path, "/rest/", 6) || n < 11 || strcmp(r->path + n - 5, ".view") || n - 5 >= len)
		return r->path;
	memcpy(alt, r->path, n - 5);
	alt[n - 5] = '\0';
	return alt;
}

void routes_dispatch(struct req *r)
{
	const struct route *found = NULL;
	unsigned allowed = 0;
	char alt[sizeof r->path];
	const char *path = route_path(r, alt, sizeof alt);
	long wait;

	for (size_t i = 0; i < NROUTES; i++) {
		if (!match(r, routes[i].pattern, path))
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
	if (found->auth == AUTH_SUBSONIC || found->auth == AUTH_SUBSONIC_OPEN) {
		subsonic_serve(r, ROUTE_SUB_FN(found->handler), found->category, found->auth == AUTH_SUBSONIC_OPEN);
		store_release(&r->srv->store);
		return;
	}
	if (found->auth == AUTH_BEARER) {
		const char *why = auth_bearer(&r->srv->store, r->authorization, &r->user);

		r->authed = !why;
		if (why) {
			reply_error(r, 401, "%s", why);
			reply_header(r, "www-authenticate:", "Bearer realm=\"segue\"");
			return;
		}
		if ((wait = ratelimit_hit_user(&r->srv->rl, r->user.id, found->category, store_now_ms()))) {
			reply_error(r, 429, "rate limit exceeded for %s requests: retry in %ld s",
			            rl_category_name(found->category), wait);
			reply_header(r, "retry-after:", "%ld", wait);
			return;
		}
	}
	found->handler(r);
	store_release(&r->srv->store);
}

void routes_refuse(struct req *r, int status, const char *message)
{
	if (!strncmp(r->path, "/rest/", 6))
		subsonic_refuse(r, status, message);
	else
		reply_error(r, status, "%s", message);
}
