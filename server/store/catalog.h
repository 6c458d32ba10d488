/* The catalog in the store: tracks, albums and artists as rows. (Its queries are moving here
 * from catalog/ and api/ one at a time; see doc/architecture.md.) */
#ifndef SEGUE_STORE_CATALOG_H
#define SEGUE_STORE_CATALOG_H

#include <stdbool.h>

#include "base62.h"
#include "store/store.h"

/* The durations of tracks ids[0..n) in one statement (a play batch's): ms[i] is that of
 * ids[i] (repeats allowed), or -1 when there is no such track. Returns 0, -1 on error. */
int store_track_durations(struct store *s, const char *const *ids, int n, long long *ms);
/* Returns 1 when track id exists, 0 when not, -1 on error. */
int store_track_exists(struct store *s, const char *id);

#define CATALOG_ARTISTS_MAX 16 /* artists a track or an album names; more are dropped */

/* A track as ingest files it: its tags, where it is filed, what analysis measured and the
 * sizes of its encodings (bytes NULL: keep the sizes already recorded). Strings are borrowed;
 * genre and markets may be NULL. artist_ids are the track's artists in tag order (the first is
 * also artist_id); genres is a JSON array of strings. */
struct track_record {
	const char *id, *name, *album_id, *artist_id, *genre, *markets, *source_path;
	const char *const *artist_ids;
	int nartists;
	const char *genres, *disc_subtitle, *isrc, *mb_track_id, *mb_recording_id;
	const char *library_path; /* the path under the library folder, NULL when not known */
	int disc_number, track_number, disc_total, track_total;
	bool explicit_;
	long long duration_ms;
	double gain_db, true_peak, loudness, tempo, energy, brightness, danceability, acousticness;
	const long long *bytes; /* low, normal, high, very high */
};

/* An album as ingest files it; strings borrowed, "" when untagged. release_type is the tag
 * (MusicBrainz's "album", "single", "ep", "compilation"…), lowercased. */
struct album_record {
	const char *id, *name, *artist_id, *release_date, *original_date, *release_type, *label,
		*mb_album_id;
	bool compilation;
};

/* Where track id is filed now (album and artist ids), and (withdrawn, may be NULL) whether it
 * is withdrawn. Returns 1, 0 for a new track, -1. */
int store_track_filing(struct store *s, const char *id, char album_id[BASE62_ID_LEN + 1],
                       char artist_id[BASE62_ID_LEN + 1], bool *withdrawn);
/* The artist, made if it is new (a known one keeps its name; its MusicBrainz id is filled in
 * when it had none; mb_artist_id may be NULL). Returns 0, -1 on error. */
int store_artist_ensure(struct store *s, const char *id, const char *name, const char *mb_artist_id,
                        long long now);
/* The album, made if it is new; its release date becomes the earliest one any of its tracks
 * gave, and tags a track brings fill in what the album lacked (compilation sticks once set).
 * Returns 0, -1 on error. */
int store_album_ensure(struct store *s, const struct album_record *a, long long now);
/* The release date of album id, or "" when it has none, into date. Returns 1, 0 when there is
 * no such album, -1 on error. */
int store_album_release_date(struct store *s, const char *id, char date[16]);
/* The track, added or its tags and sizes brought up to date (its analysis is kept: the audio
 * is the same, the id is its hash), with its artists, and available again if it was
 * withdrawn. Returns 0, -1 on error. */
int store_track_put(struct store *s, const struct track_record *t, long long now);
/* Sets an album's artists (n >= 1; the first becomes albums.artist_id), leaving the rows
 * alone when they already say so (search then sees no change). Returns 0, -1 on error. */
int store_album_artists_set(struct store *s, const char *album_id, const char *const *artist_ids,
                            int n, bool compilation);
/* The distinct first artists of an album's tracks: how many (up to 2 are told apart) and the
 * first one into artist_id. Returns the count, -1 on error. */
int store_album_lead_artists(struct store *s, const char *album_id,
                             char artist_id[BASE62_ID_LEN + 1]);
/* An album named name (case-insensitively) that holds a track filed from under folder (a
 * path without the trailing slash): its id and lead artist. Returns 1, 0 when there is none,
 * -1 on error. */
int store_album_in_folder(struct store *s, const char *folder, const char *name,
                          char album_id[BASE62_ID_LEN + 1], char artist_id[BASE62_ID_LEN + 1]);
/* Calls each with a track's artists before it is filed again, so the ones it drops can be
 * tidied. Returns 0, -1 on error. */
int store_track_artist_ids(struct store *s, const char *track_id,
                           int (*each)(void *ud, const char *artist_id), void *ud);
/* Removes an album no track is on any more, and an artist with no track or album left.
 * Return 0 (whether or not anything went), -1 on error. */
int store_album_drop_if_empty(struct store *s, const char *id);
int store_artist_drop_if_unused(struct store *s, const char *id);

/* Ingest's memory of source files, so an unchanged file is not decoded again: the track a
 * file of this path, size and modification time (ns) gave, when that track is still in the
 * catalog, available, with its encodings. Returns 1 with track_id set, 0 when unknown,
 * changed or the track needs work, -1 on error. */
int store_ingest_file_track(struct store *s, const char *path, long long size, long long mtime_ns,
                            char track_id[BASE62_ID_LEN + 1]);
int store_ingest_file_remember(struct store *s, const char *path, long long size,
                               long long mtime_ns, const char *track_id);
/* The track path was last remembered as giving, whatever its size and time. Returns 1, 0
 * when path is not remembered, -1. */
int store_ingest_file_get(struct store *s, const char *path, char track_id[BASE62_ID_LEN + 1]);
/* The remembered files at root or below it (root names a folder, without a trailing '/'), in
 * path order; and those of one track. each gets values borrowed for the call, must not write
 * to the store, and returns 0 to go on, more to stop, less to fail. Return 0, -1. */
int store_ingest_files_under(struct store *s, const char *root,
                             int (*each)(void *ud, const char *path, const char *track_id), void *ud);
int store_ingest_files_of_track(struct store *s, const char *track_id,
                                int (*each)(void *ud, const char *path, const char *track_id), void *ud);
/* Forgets a remembered file. Returns 1, 0 when it was not remembered, -1. */
int store_ingest_file_forget(struct store *s, const char *path);
/* Withdraws track id (available 0, withdrawn_at now in ms) when no remembered file gives it
 * any more. Returns 1 when it was withdrawn now, 0 (a file is left, or it was withdrawn
 * already, or there is no such track), -1. */
int store_track_withdraw_if_orphaned(struct store *s, const char *id, long long now);
/* How many tracks are withdrawn, or -1. */
long long store_tracks_withdrawn(struct store *s);

#define TRACK_MARKETS_MAX 1024 /* the markets column with its NUL; ingest keeps it under 512 */

/* The markets track id plays in, comma-separated, into markets ("" for everywhere), whether
 * or not it is available. Returns 1, 0 when there is no such track, -1 on error. */
int store_track_markets(struct store *s, const char *id, char markets[TRACK_MARKETS_MAX]);

/* Catalog names are at most 512 bytes from ingest; the rows keep twice that. */
#define CATALOG_NAME_MAX 1024

/* A track as the Web API shows it. markets: "" when the track plays wherever the server's
 * markets say (has_markets false). available is false for a withdrawn track (its source files
 * left the library), which plays nowhere. */
struct track_row {
	char id[BASE62_ID_LEN + 1], album_id[BASE62_ID_LEN + 1], artist_id[BASE62_ID_LEN + 1];
	char name[CATALOG_NAME_MAX], artist_name[CATALOG_NAME_MAX];
	char markets[TRACK_MARKETS_MAX];
	char isrc[32];
	bool has_markets, explicit_, available, has_lyrics;
	int disc_number, track_number, popularity;
	long long duration_ms;
};

struct album_row {
	char name[CATALOG_NAME_MAX], artist_id[BASE62_ID_LEN + 1], artist_name[CATALOG_NAME_MAX];
	char release_date[16], original_date[16], release_type[64], label[CATALOG_NAME_MAX];
	char mb_album_id[64];
	bool compilation;
	long long total_tracks, duration_ms; /* duration: of all its tracks */
};

struct artist_row {
	char name[CATALOG_NAME_MAX];
	char genres[CATALOG_NAME_MAX]; /* of its most played tracks, sorted, separated by \x1f */
	int popularity;                /* of its most played tracks */
	long long followers;
};

enum catalog_kind { CATALOG_TRACK, CATALOG_ALBUM, CATALOG_ARTIST };

/* Returns 1 when a track, album or artist with this id exists, 0 when not, -1 on error. */
int store_catalog_exists(struct store *s, enum catalog_kind k, const char *id);
/* The index of the first of ids[0..n) that names no item of kind k, n when they all do (one
 * statement whatever n), or -1 on error. */
int store_catalog_missing(struct store *s, enum catalog_kind k, const char *const *ids, int n);
/* One row into *out. Each returns 1, 0 when there is no such id, -1 on error. */
int store_track_row(struct store *s, const char *id, struct track_row *out);
int store_album_row(struct store *s, const char *id, struct album_row *out);
/* A track's artists in tag order, an album's album artists: each gets an id and a name (both
 * borrowed for the call); each returns 0 to go on, anything else to stop. A track or album
 * filed before artists were listed gives its one artist. Return 0, -1 on error. */
int store_track_artists(struct store *s, const char *track_id,
                        int (*each)(void *ud, const char *id, const char *name), void *ud);
int store_album_artists(struct store *s, const char *album_id,
                        int (*each)(void *ud, const char *id, const char *name), void *ud);
/* What a list's rows come with, in the same statement (on PostgreSQL each statement is a round
 * trip): artist, when set, gets each owner's artists in order (the owner's id, the artist's
 * id and name; an owner filed before artists were listed gives none: its row names its one
 * artist); markets, when set (albums only), gets every distinct markets value among an
 * album's available tracks (NULL: the server's markets), NULL first, then by value, on every
 * engine. Both get the list call's ud; artist returns as each below. */
struct store_batch_with {
	int (*artist)(void *ud, const char *owner, const char *id, const char *name);
	void (*markets)(void *ud, const char *album_id, const char *markets);
};
/* The same for lists, each in a fixed number of statements: up to STORE_BATCH_MAX ids (they
 * may repeat; unknown ones are skipped), each called once per row found, in no set order,
 * with values borrowed for the call, then with's callbacks for that row; each returns 0 to go
 * on, a positive value to stop, or -1 for an error of its own, which the call then returns.
 * Return 0, -1 on error. with may be NULL. store_tracks_rows gives the track's library path
 * too (NULL when not known); store_tracks_library_paths gives each known one, for rows the
 * caller has; store_albums_rows and store_artists_rows give the id and the picture's name
 * ("" for none). */
int store_tracks_rows(struct store *s, const char *const *ids, int n,
                      int (*each)(void *ud, const struct track_row *t, const char *library_path),
                      const struct store_batch_with *with, void *ud);
int store_tracks_library_paths(struct store *s, const char *const *ids, int n,
                               int (*each)(void *ud, const char *id, const char *library_path),
                               const struct store_batch_with *with, void *ud);
int store_albums_rows(struct store *s, const char *const *ids, int n,
                      int (*each)(void *ud, const char *id, const struct album_row *a,
                                  const char *image),
                      const struct store_batch_with *with, void *ud);
int store_artists_rows(struct store *s, const char *const *ids, int n,
                       int (*each)(void *ud, const char *id, const struct artist_row *a,
                                   const char *image),
                       void *ud);
/* An album's available tracks in disc and track order, up to max from offset (total_tracks of
 * its row counts the same). Returns how many, -1. */
int store_album_tracks(struct store *s, const char *album_id, int offset, struct track_row *rows,
                       int max);
/* An album's popularity (its most popular track's) and its tracks' genres, sorted, separated
 * by \x1f, of its available tracks. Returns 1, 0 when it has none, -1 on error. */
int store_album_stats(struct store *s, const char *album_id, int *popularity,
                      char genres[CATALOG_NAME_MAX]);

/* What playback needs of a track. markets as in track_row. */
struct track_playback {
	long long duration_ms;
	double gain_db;
	char markets[TRACK_MARKETS_MAX];
	bool has_markets;
	bool available; /* false: withdrawn, plays nowhere */
};
/* Returns 1, 0 when there is no such track, -1 on error. */
int store_track_playback(struct store *s, const char *id, struct track_playback *out);
/* Whether track id is withdrawn: 1, 0 when it is available or unknown, -1 on error. Answered
 * from memory while the database is unchanged, for every audio request
 * (store/withdrawn.c); a withdrawal by any connection or process is seen at once. */
int store_track_withdrawn(struct store *s, const char *id);
/* How many tracks the catalog holds, or -1 on error. */
long long store_tracks_count(struct store *s);

/* The tracks whose library path is path (suffix false), or is path or ends with "/" path
 * (suffix true: path is the last components of a file's path, as another player names it).
 * The first one's id goes into id. Returns how many there are, counted up to 2 (2: several),
 * -1 on error. */
int store_tracks_by_library_path(struct store *s, const char *path, bool suffix,
                                 char id[BASE62_ID_LEN + 1]);

/* Lists of ids, each given to each in order (borrowed for the call); each returns 0 to go
 * on, anything else to stop. They return 0 (done or stopped), -1 on error. Withdrawn tracks,
 * and albums with no available track, are left out. */
/* An artist's albums, latest release first, then by name: first those it is an album artist
 * of (appears_on false), then those it only plays on (true). */
int store_artist_albums(struct store *s, const char *artist_id,
                        int (*each)(void *ud, const char *album_id, bool appears_on), void *ud);
/* An artist's tracks (any artist of theirs), most played first (then most popular, oldest,
 * by id). */
int store_artist_top_tracks(struct store *s, const char *artist_id,
                            int (*each)(void *ud, const char *track_id), void *ud);
/* The tracks anyone has played or that have a popularity, most played first (then most
 * popular, by id). */
int store_tracks_popular(struct store *s, int (*each)(void *ud, const char *track_id), void *ud);
/* The tracks nobody has played and with no popularity: albums latest release first (then by
 * id), each in disc and track order. */
int store_tracks_unplayed(struct store *s, int (*each)(void *ud, const char *track_id), void *ud);

#endif
