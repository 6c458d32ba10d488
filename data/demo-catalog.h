/* The demo catalog's metadata: artists, albums and tracks with names, dates, markets and
 * explicit flags, all drawn deterministically from one seed. No audio here.
 *
 * Contract with data/make-demo: the tracks are listed in manifest order, and every track
 * whose 0-based position p has p % 8 == 5 is "plain" — make-demo keeps it as an untagged WAV,
 * so the ingest can only learn its artist, album, number and title from the path
 * Artist/Album/NN - Title.wav. Plain tracks therefore have ASCII, path-safe titles, the album
 * artist as artist, disc 1, every market, and are not explicit. */
#ifndef SEGUE_DEMO_CATALOG_H
#define SEGUE_DEMO_CATALOG_H

#include <stdint.h>

#include "demo-song.h"

#define CAT_MARKETS "US,GB,DE,FR,SE,JP,BR,CA,AU,ES"
#define CAT_REF_DATE "2026-11-01" /* "now" for release dates, fixed for determinism */
#define CAT_PLAIN_EVERY 8
#define CAT_PLAIN_AT 5

#define CAT_MAX_ARTISTS 12
#define CAT_MAX_ALBUMS 24
#define CAT_MAX_TRACKS 160

struct cat_artist {
	char name[96];
	enum genre genre;
	int style;
};

struct cat_album {
	char title[128];
	int artist;
	char date[16];   /* YYYY-MM-DD */
	int discs;
};

struct cat_track {
	char title[128];
	char artist[192];  /* the album artist, or "Album Artist feat. Guest" */
	int album;
	int number, disc;
	double seconds;
	double lufs;       /* mastering target */
	char markets[64];  /* comma-separated subset of CAT_MARKETS, never empty */
	int explicit_;
	int plain;
	uint64_t seed;     /* audio seed */
};

struct catalog {
	int nartists, nalbums, ntracks;
	struct cat_artist artists[CAT_MAX_ARTISTS];
	struct cat_album albums[CAT_MAX_ALBUMS];
	struct cat_track tracks[CAT_MAX_TRACKS];
};

/* Fills c. The full catalog is 6 genres x 2 artists x 2 albums x 5-6 tracks of 30-90 s;
 * small is 2 genres x 1 artist x 1 album x 3 tracks of 8-12 s. */
void catalog_build(struct catalog *c, uint64_t seed, int small);

#endif
