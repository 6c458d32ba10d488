/* Playlist edits by index, as OpenSubsonic's playlist endpoints make them: the songs replaced
 * whole (createPlaylist with a playlistId), or some removed by their index and others
 * appended (updatePlaylist). The Web API's edits by URI, position and snapshot are
 * api/playlists.c's. Both run inside the caller's transaction and end in
 * playlist_items_rewrite, so a picture and a version follow either. */
#ifndef SEGUE_LIBRARY_PLAYLIST_EDIT_H
#define SEGUE_LIBRARY_PLAYLIST_EDIT_H

#include "base62.h"
#include "library/playlists.h"

/* p's items become tracks[0..n), added by user at now. Returns 0, -1 on error. */
int playlist_replace(struct store *s, const char *images_dir, struct playlist *p, const char *user,
                     const char (*tracks)[BASE62_ID_LEN + 1], long long n, long long now);

/* Removes the items at indexes remove[0..nremove) (of the list as it was; repeats count
 * once), then appends add[0..nadd), added by user at now. *from is the first position the
 * change touched (p->length when it touched none). Returns 0; 1 when an index is out of range
 * or the playlist would hold more than PLAYLIST_MAX_ITEMS (nothing changed); -1 on error. */
int playlist_edit(struct store *s, const char *images_dir, struct playlist *p, const char *user,
                  const long long *remove, int nremove, const char (*add)[BASE62_ID_LEN + 1], int nadd,
                  long long now, long long *from);

#endif
