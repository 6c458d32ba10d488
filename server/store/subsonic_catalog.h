/* The catalog as the Subsonic API lists it: songs, albums and artists in the rows its
 * answers need (one query each, with what the user may play counted in), and the lists it
 * pages through (album lists by type, random songs, genres, everything for a client's
 * sync). Only what a user may play is listed or counted: a withdrawn track, or one outside
 * the user's market, is left out, as the Web API leaves it unplayable. */
#ifndef SEGUE_STORE_SUBSONIC_CATALOG_H
#define SEGUE_STORE_SUBSONIC_CATALOG_H

#include <stdbool.h>

#include "store/catalog.h"
#include "store/store.h"

/* Whom a list is for: the market their tracks must play in, whether the server's own
 * markets hold it (for tracks that name none), and the user (saves, plays). */
struct sub_scope {
	const char *market;
	bool server_market;
	const char *user_id;
};

struct sub_song {
	char id[BASE62_ID_LEN + 1], album_id[BASE62_ID_LEN + 1], artist_id[BASE62_ID_LEN + 1];
	char name[CATALOG_NAME_MAX], album[CATALOG_NAME_MAX], artist[CATALOG_NAME_MAX];
	char genre[256], genres[CATALOG_NAME_MAX]; /* genres: a JSON array of strings */
	char release_date[16], mb_recording_id[64], isrc[32], image[64];
	int track_number, disc_number;
	long long duration_ms, created_ms, play_count, starred_ms; /* starred 0: not saved */
	long long bytes_normal, bytes_high;
	double gain_db, true_peak, tempo;
	bool explicit_, playable;
};

struct sub_album {
	char id[BASE62_ID_LEN + 1], artist_id[BASE62_ID_LEN + 1];
	char name[CATALOG_NAME_MAX], artist[CATALOG_NAME_MAX], genre[256];
	char release_date[16], original_date[16], release_type[64], label[CATALOG_NAME_MAX];
	char mb_album_id[64], image[64];
	bool compilation, explicit_;
	long long created_ms, starred_ms, played_ms; /* played: the user's last play, 0 none */
	long long song_count, duration_ms, play_count; /* of its playable tracks */
};

struct sub_artist {
	/* image: its own picture, else one of its albums' covers; "" for none */
	char id[BASE62_ID_LEN + 1], name[CATALOG_NAME_MAX], mb_artist_id[64], image[64];
	long long album_count, starred_ms;
};

/* One row by id into out. Each returns 1, 0 when there is no such id, -1 on error. A song
 * is found whether or not the user may play it (out->playable says); an album or artist
 * counts only what is playable. */
int store_sub_song(struct store *s, const struct sub_scope *sc, const char *id, struct sub_song *out);
int store_sub_album(struct store *s, const struct sub_scope *sc, const char *id, struct sub_album *out);
int store_sub_artist(struct store *s, const struct sub_scope *sc, const char *id, struct sub_artist *out);

/* Lists: each gets a row (borrowed for the call) and returns 0 to go on, more to stop, less
 * to fail. They return 0, or -1 (logged, or a failed each). */
typedef int (*sub_song_fn)(void *ud, const struct sub_song *s);
typedef int (*sub_album_fn)(void *ud, const struct sub_album *a);
typedef int (*sub_artist_fn)(void *ud, const struct sub_artist *a);

/* An album's playable songs in disc and track order. */
int store_sub_album_songs(struct store *s, const struct sub_scope *sc, const char *album_id,
                          sub_song_fn each, void *ud);
/* Up to limit random playable songs, of genre (NULL: any; a track's first genre, in any
 * case) and released from from_year to to_year (0: unbounded). */
int store_sub_random_songs(struct store *s, const struct sub_scope *sc, int limit, const char *genre,
                           int from_year, int to_year, sub_song_fn each, void *ud);
/* An artist's playable songs, most played first, up to limit. */
int store_sub_artist_top_songs(struct store *s, const struct sub_scope *sc, const char *artist_id,
                               int limit, sub_song_fn each, void *ud);
/* Every playable song, in id order, a page at a time (a client's full sync): from offset,
 * or, when after is not NULL, from the first id after it (the same page when after is the
 * id before offset and nothing changed, without walking to it). */
int store_sub_all_songs(struct store *s, const struct sub_scope *sc, const char *after, int offset,
                        int limit, sub_song_fn each, void *ud);

enum sub_album_list {
	SUB_ALBUMS_RANDOM, SUB_ALBUMS_NEWEST, SUB_ALBUMS_FREQUENT, SUB_ALBUMS_RECENT,
	SUB_ALBUMS_STARRED, SUB_ALBUMS_BY_NAME, SUB_ALBUMS_BY_ARTIST, SUB_ALBUMS_BY_YEAR,
	SUB_ALBUMS_BY_GENRE, SUB_ALBUMS_ALL,
};
/* A page of albums with a playable track: random; newest added; the user's most played and
 * last played; the user's saved, latest first; by name; by artist then name; released from
 * from_year to to_year (descending when from_year > to_year); with a track of genre (its
 * first, in any case); every
 * one in id order. */
struct sub_album_query {
	enum sub_album_list type;
	int offset, limit;
	int from_year, to_year;
	const char *genre;
	const char *after; /* SUB_ALBUMS_ALL: start after this id instead of at offset */
};
int store_sub_albums(struct store *s, const struct sub_scope *sc, const struct sub_album_query *q,
                     sub_album_fn each, void *ud);
/* An artist's albums (it is their album artist), latest release first, then by name. */
int store_sub_artist_albums(struct store *s, const struct sub_scope *sc, const char *artist_id,
                            sub_album_fn each, void *ud);

/* Artists that are the album artist of an album with a playable track, by name; limit -1
 * for all of them. */
int store_sub_artists(struct store *s, const struct sub_scope *sc, int offset, int limit,
                      sub_artist_fn each, void *ud);
/* The artist named name (any case) into id. Returns 1, 0, -1. */
int store_sub_artist_by_name(struct store *s, const char *name, char id[BASE62_ID_LEN + 1]);

/* Every genre of a playable track (a track's first genre, the one indexed, as byGenre and
 * random songs match it, in any case), by name, with how many playable songs and albums
 * have it. */
int store_sub_genres(struct store *s, const struct sub_scope *sc,
                     int (*each)(void *ud, const char *genre, long long songs, long long albums),
                     void *ud);
/* The newest change to the catalog's tracks (ms), for getIndexes' lastModified. */
long long store_sub_last_modified(struct store *s);

#endif
