/* Every request handler, grouped by the file that holds it. Only server/api/routes.c uses these. */
#ifndef SEGUE_HANDLERS_H
#define SEGUE_HANDLERS_H

#include "api/args.h"
#include "http/http.h"

/* server/api/health.c */
void h_healthz(struct req *r);
void h_metrics(struct req *r);
/* server/api/accounts.c */
void h_token(struct req *r);
void h_revoke(struct req *r);
void h_register(struct req *r);
/* server/api/apikeys.c */
void h_api_keys(struct req *r);
void h_api_key(struct req *r);
void h_subsonic_password(struct req *r);
/* server/api/me.c */
void h_me(struct req *r);
/* server/api/tracks.c */
void h_track(struct req *r);
void h_tracks(struct req *r);
/* server/api/match.c */
void h_track_match(struct req *r);
/* server/api/albums.c */
void h_album(struct req *r);
void h_album_tracks(struct req *r);
void h_albums(struct req *r);
/* server/api/artists.c */
void h_artist(struct req *r);
void h_artist_albums(struct req *r);
void h_artist_top_tracks(struct req *r);
void h_popular(struct req *r);
void h_artists(struct req *r);
/* server/api/related.c */
void h_related_artists(struct req *r);
/* server/api/top.c */
void h_my_top(struct req *r);
/* server/api/users.c */
void h_user(struct req *r);
/* server/api/browse.c */
void h_new_releases(struct req *r);
void h_markets(struct req *r);
/* server/api/recommendations.c */
void h_recommendations(struct req *r);
void h_genre_seeds(struct req *r);
void h_audio_features(struct req *r);
void h_audio_features_one(struct req *r);
/* server/api/radio.c */
void h_radio(struct req *r);
/* server/api/made_for_you.c */
void h_made_for_you(struct req *r);
void h_taste(struct req *r);
void mfy_refresh(struct req *r);   /* before listing the user's playlists */
/* server/api/lyrics.c */
void h_lyrics(struct req *r);
/* server/api/playback.c */
void h_playback(struct req *r);
/* A signed URL of track id's audio at quality q, valid until exp (unix s); NULL without a
 * signing key. Also what offline licences hand out for the download. */
json_t *playback_url(struct req *r, const char *id, int q, long long exp);
/* server/api/offline.c */
void h_offline_devices(struct req *r);
void h_offline_device(struct req *r);
void h_offline_licences(struct req *r);
void h_offline_checkin(struct req *r);
/* server/api/player.c */
void h_player(struct req *r);
void h_player_currently_playing(struct req *r);
void h_player_devices(struct req *r);
void h_player_play(struct req *r);
void h_player_pause(struct req *r);
void h_player_next(struct req *r);
void h_player_previous(struct req *r);
void h_player_seek(struct req *r);
void h_player_volume(struct req *r);
void h_player_shuffle(struct req *r);
void h_player_repeat(struct req *r);
void h_player_queue(struct req *r);
/* server/api/library.c */
void h_saved_tracks(struct req *r);
void h_saved_tracks_contains(struct req *r);
void h_saved_albums(struct req *r);
void h_saved_albums_contains(struct req *r);
void h_following(struct req *r);
void h_following_contains(struct req *r);
void h_library(struct req *r);
void h_library_contains(struct req *r);
/* server/api/history.c */
void h_events(struct req *r);
void h_recently_played(struct req *r);
/* server/api/playlists.c */
void h_playlist_create(struct req *r);
void h_my_playlist_create(struct req *r);
void h_playlist(struct req *r);
void h_playlist_details(struct req *r);
void h_my_playlists(struct req *r);
void h_user_playlists(struct req *r);
void h_playlist_tracks(struct req *r);
void h_playlist_followers(struct req *r);
void h_playlist_followers_contains(struct req *r);
void h_user_playlist_followers_contains(struct req *r);
/* server/api/search.c */
void h_search(struct req *r);
/* server/api/stream.c */
void h_audio(struct req *r);
/* server/api/images.c */
void h_image(struct req *r);
void h_playlist_images(struct req *r);

#endif
