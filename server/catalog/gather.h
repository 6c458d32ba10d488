/* What the store holds for a list of tracks, albums or artists, gathered in a fixed number of
 * statements however long the list (on PostgreSQL each statement is a round trip): the rows,
 * their artists, library paths, pictures and an album's markets. catalog/catalog.c builds
 * the Web API's objects from a gathering; nothing here knows their shapes but the simplified
 * artists, which every list embeds. A gathering holds at most STORE_BATCH_MAX distinct ids of
 * each kind. */
#ifndef SEGUE_CATALOG_GATHER_H
#define SEGUE_CATALOG_GATHER_H

#include <jansson.h>
#include <stdbool.h>

#include "catalog/catalog.h"
#include "store/catalog.h"
#include "store/images.h"

struct gather_track {
	const struct track_row *row; /* NULL: no such track */
	struct track_row own;        /* the row when the store was asked for it */
	char *library_path;          /* NULL: not known */
	json_t *artists;             /* simplified artists; NULL: only the row's own */
};

struct gather_album {
	char id[BASE62_ID_LEN + 1];
	bool found;
	struct album_row row;
	char image[STORE_IMAGE_MAX]; /* "" for none */
	json_t *artists;             /* as a track's */
	json_t *markets;             /* every market a track of it plays in, once, in order met;
	                              * NULL unless gathered */
	char seen[4096];             /* the same, comma-separated */
	json_t *object;              /* the simplified object its tracks show, made at the first
	                              * (catalog.c) and shared by all of them; NULL till then */
};

struct gather_artist {
	char id[BASE62_ID_LEN + 1];
	bool found;
	struct artist_row row;
	char image[STORE_IMAGE_MAX];
};

struct gather {
	const struct catalog_view *v;
	int ntracks, nalbums, nartists;       /* held */
	int cap_tracks, cap_albums, cap_artists; /* room for */
	const char **track_ids, **album_ids, **artist_ids;
	struct gather_track *tracks;
	struct gather_album *albums;
	struct gather_artist *artists;
};

/* A new empty gathering over v with room for so many distinct tracks, albums and artists
 * (each at most STORE_BATCH_MAX; rows are a few KiB each), or NULL (logged) for want of
 * memory. */
struct gather *gather_new(const struct catalog_view *v, int tracks, int albums, int artists);
void gather_free(struct gather *g);

/* Adds an id, or finds it when it is in already: its index, or -1 when the gathering has no
 * room left for that kind. A track added with its row (borrowed: it must outlive g) is not
 * looked up. The id is borrowed too unless it is the row's. */
int gather_add_track(struct gather *g, const char *id, const struct track_row *row);
int gather_add_album(struct gather *g, const char *id);
int gather_add_artist(struct gather *g, const char *id);

/* The statements. gather_tracks looks up the rows of the tracks added without one, then the
 * library paths of those added with one, then every track's artists. gather_albums reads the
 * albums' rows and artists, and their markets when with_markets is set. gather_artists reads
 * the artists' rows and pictures. Each returns 0, or -1 after logging a database error (what
 * was not gathered is missing or falls back to the row's one artist). */
int gather_tracks(struct gather *g);
int gather_albums(struct gather *g, bool with_markets);
int gather_artists(struct gather *g);

/* The simplified artists of a track or album: its gathered list, or its row's one artist when
 * it has none. A new reference. */
json_t *gather_artist_list(const struct catalog_view *v, json_t *artists, const char *first_id,
                           const char *first_name);
/* An album's or a track's markets list as a JSON array of strings ("" or NULL: the server's). */
json_t *gather_markets_array(const struct catalog_view *v, const char *markets);
/* Whether the comma-separated list csv holds item. */
bool gather_csv_has(const char *csv, const char *item);

#endif
