/* Every Subsonic endpoint, grouped by the file that holds it. Only server/api/routes.c uses
 * these; subsonic/subsonic.h says how to add one. */
#ifndef SEGUE_SUBSONIC_ENDPOINTS_H
#define SEGUE_SUBSONIC_ENDPOINTS_H

#include "subsonic/subsonic.h"

/* server/subsonic/system.c */
void sub_get_open_subsonic_extensions(struct sub_call *c);
void sub_ping(struct sub_call *c);
void sub_get_license(struct sub_call *c);
void sub_unknown(struct sub_call *c);
void sub_get_user(struct sub_call *c);
void sub_get_scan_status(struct sub_call *c);
void sub_start_scan(struct sub_call *c);
/* server/subsonic/browse.c */
void sub_get_music_folders(struct sub_call *c);
void sub_get_indexes(struct sub_call *c);
void sub_get_music_directory(struct sub_call *c);
void sub_get_artists(struct sub_call *c);
void sub_get_artist(struct sub_call *c);
void sub_get_album(struct sub_call *c);
void sub_get_song(struct sub_call *c);
void sub_get_genres(struct sub_call *c);
/* server/subsonic/lists.c */
void sub_get_album_list2(struct sub_call *c);
void sub_get_random_songs(struct sub_call *c);
void sub_get_top_songs(struct sub_call *c);
void sub_search3(struct sub_call *c);
/* server/subsonic/similar.c */
void sub_get_similar_songs2(struct sub_call *c);
void sub_get_artist_info2(struct sub_call *c);
/* server/subsonic/media.c */
void sub_get_cover_art(struct sub_call *c);
void sub_get_lyrics_by_song_id(struct sub_call *c);

/* server/subsonic/annotate.c */
void sub_star(struct sub_call *c);
void sub_unstar(struct sub_call *c);
void sub_get_starred2(struct sub_call *c);
void sub_scrobble(struct sub_call *c);
void sub_get_now_playing(struct sub_call *c);

/* server/subsonic/playlists.c */
void sub_get_playlists(struct sub_call *c);
void sub_get_playlist(struct sub_call *c);
void sub_create_playlist(struct sub_call *c);
void sub_update_playlist(struct sub_call *c);
void sub_delete_playlist(struct sub_call *c);

/* server/subsonic/playqueue.c */
void sub_get_play_queue(struct sub_call *c);
void sub_save_play_queue(struct sub_call *c);

/* server/subsonic/stream.c */
void sub_stream(struct sub_call *c);
void sub_download(struct sub_call *c);

#endif
