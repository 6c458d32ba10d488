/* Made for you: Discover Weekly (thirty tracks the user has never played, weekly), up to six
 * Daily Mixes (clusters of the user's taste, familiar tracks among new ones, daily) and
 * Release Radar (the last four weeks' releases of followed and often-played artists, weekly).
 * They are real playlists owned by the system user "_segue", private, followed by the user,
 * so they list with the user's playlists and play like any other. Each is generated when the
 * user first asks after its period (ISO week or day, UTC) began, and then stays as it is for
 * the rest of the period: the same Discover Weekly all week. */
#ifndef SEGUE_RECS_MADE_FOR_YOU_H
#define SEGUE_RECS_MADE_FOR_YOU_H

#include "base62.h"
#include "recs/profile.h"
#include "store/store.h"

#define RECS_MFY_MIXES 6
#define RECS_MFY_LISTS (RECS_MFY_MIXES + 2)   /* Discover Weekly, the mixes, Release Radar */

/* Brings c->user's made-for-you playlists up to their periods at c->now, in c->market: those
 * made for another period, or made provisionally from a catalog-only model while c->m is one
 * of listening, are generated anew in one transaction. Returns 0 (also when none was due), or
 * -1 after logging, and then the lists stay as they were. */
int recs_mfy_refresh(const struct recs_ctx *c);

/* The ids of user's made-for-you playlists in the order they are listed: Discover Weekly,
 * the mixes in order, Release Radar; those never made are left out. Returns how many, or -1 on
 * error. */
int recs_mfy_lists(struct store *s, const char *user, char ids[RECS_MFY_LISTS][BASE62_ID_LEN + 1]);

#endif
