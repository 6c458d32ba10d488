/* The download manager: the daemon's threads that fetch queued tracks (offline.h) into
 * vaults. Work comes from the state database in priority order (what the user asked for, in
 * the order asked, then background work such as a followed playlist's new tracks), at most
 * download_parallel at a time, all together at most download_rate KB/s.
 *
 * A download asks the server for the track's licence and a signed URL, makes room under
 * offline_max_size, and continues the vault from its last complete chunk with an HTTP Range
 * request, so a kill -9, a lost network or a reboot costs at most the chunk in memory. A
 * vault counts as downloaded only when all of it decrypts and its digest is the licence's.
 * A failed network waits with exponential backoff; a refusal (market, limit, tier) marks the
 * track failed with the server's message.
 *
 * Each thread has its own API client and database connection; nothing here runs on the
 * daemon's loop. */
#ifndef SEGUE_DOWNLOAD_H
#define SEGUE_DOWNLOAD_H

#include <jansson.h>

#include "err.h"

struct seg;
struct downloader;

enum seg_err downloader_start(struct seg *s, struct downloader **out);
/* Stops the threads (a download in progress stops at once and resumes next time). */
void downloader_stop(struct downloader *d);
/* New work was queued. */
void downloader_kick(struct downloader *d);
/* Check in, bring followed playlists up to date, then download what that queued. */
void downloader_sync(struct downloader *d);
/* {"active": [{"id", "name", "bytes", "done"}], "syncing": bool, "last_sync": {...} | null,
 *  "waiting_network": bool}: a new reference. */
json_t *downloader_progress(struct downloader *d);
/* Readable when the downloads changed (one started, ended, moved on by a few percent, or a
 * sync ended): the daemon tells its subscribers. downloader_drain() rearms it. */
int downloader_fd(struct downloader *d);
void downloader_drain(struct downloader *d);
/* What `segue offline status` shows and subscribers get as "downloads": offline_status()
 * with "downloads": downloader_progress() (null without a downloader). NULL on a database
 * error. */
json_t *downloader_report(struct seg *s);

#endif
