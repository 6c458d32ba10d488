/* Ingest's pictures: an album's cover from the track's embedded picture or from the image
 * beside it (cover, folder, front, album; .jpg .jpeg .png .webp; any case, in that order of
 * preference), and an artist's from artist.{jpg,jpeg,png,webp} in the folder above the
 * album's when that folder bears the artist's name. A folder is looked at once per ingest
 * run (struct art_cache), however many tracks it holds and whichever worker asks first; the
 * others wait for its answer. A picture that is refused never fails a track: it is left out,
 * and a note says why. */
#ifndef SEGUE_ART_H
#define SEGUE_ART_H

#include <stdbool.h>
#include <stddef.h>

#include "images/images.h"

struct art_cache;

/* An empty cache for one ingest run, shared by its workers; NULL when out of memory. */
struct art_cache *art_cache_new(void);
void art_cache_free(struct art_cache *c);

/* The album's picture for the track at audio_path: embedded (NULL/0 for none) if it can be
 * stored, else the folder's. cache may be NULL. Returns 1 with hash set, 0 when there is
 * none. note gets "" or one line naming a picture that was ignored and why
 * ("PATH: picture ignored: REASON"); a folder's picture is noted once, by the first track
 * that looked at it. */
int art_for_track(struct art_cache *cache, const char *images_dir, const char *audio_path,
                  const unsigned char *embedded, size_t embedded_len, char hash[IMAGES_HASH_LEN + 1],
                  char *note, size_t notelen);

/* The album artist's picture for the track at audio_path, when the folder above its album's
 * folder is named artist_name (ignoring ASCII case). Returns and notes as art_for_track. */
int art_for_artist(struct art_cache *cache, const char *images_dir, const char *audio_path,
                   const char *artist_name, char hash[IMAGES_HASH_LEN + 1], char *note, size_t notelen);

/* Whether the folder of audio_path holds a file named as a cover is (whatever it holds):
 * ingest's fast path sends an unchanged file whose album has no cover to be looked at again
 * only then. */
bool art_folder_has_cover(const char *audio_path);

#endif
