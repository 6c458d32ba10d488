/* Every request handler, grouped by the file that holds it. Only routes.c uses these. */
#ifndef SEGUE_HANDLERS_H
#define SEGUE_HANDLERS_H

#include "http.h"

/* h_health.c */
void h_healthz(struct req *r);
void h_metrics(struct req *r);
/* h_auth.c */
void h_token(struct req *r);
void h_revoke(struct req *r);
void h_register(struct req *r);
/* h_me.c */
void h_me(struct req *r);
/* h_tracks.c */
void h_track(struct req *r);
void h_tracks(struct req *r);
/* h_albums.c */
void h_album(struct req *r);
void h_album_tracks(struct req *r);
void h_albums(struct req *r);
/* h_artists.c */
void h_artist(struct req *r);
void h_artist_albums(struct req *r);
void h_artist_top_tracks(struct req *r);
void h_popular(struct req *r);
/* h_recs.c */
void h_recommendations(struct req *r);
void h_genre_seeds(struct req *r);
void h_audio_features(struct req *r);
void h_audio_features_one(struct req *r);
/* h_radio.c */
void h_radio(struct req *r);
/* h_mfy.c */
void h_made_for_you(struct req *r);
void h_taste(struct req *r);
void mfy_refresh(struct req *r);   /* before listing the user's playlists */
/* h_playback.c */
void h_playback(struct req *r);
/* A signed URL of track id's audio at quality q, valid until exp (unix s); NULL without a
 * signing key. Also what offline licences hand out for the download. */
json_t *playback_url(struct req *r, const char *id, int q, long long exp);
/* h_offline.c */
void h_offline_devices(struct req *r);
void h_offline_device(struct req *r);
void h_offline_licences(struct req *r);
void h_offline_checkin(struct req *r);
/* h_player.c */
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
/* h_library.c */
void h_saved_tracks(struct req *r);
void h_saved_tracks_contains(struct req *r);
void h_saved_albums(struct req *r);
void h_saved_albums_contains(struct req *r);
void h_following(struct req *r);
void h_following_contains(struct req *r);
/* h_history.c */
void h_events(struct req *r);
void h_recently_played(struct req *r);
/* h_playlists.c */
void h_playlist_create(struct req *r);
void h_playlist(struct req *r);
void h_playlist_details(struct req *r);
void h_my_playlists(struct req *r);
void h_user_playlists(struct req *r);
void h_playlist_tracks(struct req *r);
void h_playlist_followers(struct req *r);
void h_playlist_followers_contains(struct req *r);
/* h_search.c */
void h_search(struct req *r);
/* stream.c */
void h_audio(struct req *r);

#endif
