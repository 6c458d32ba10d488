/* Downloaded tracks played without their plaintext touching the disk: a "segue-offline"
 * protocol registered with libmpv's stream callback API, whose reads decrypt the vault
 * (vault.h) chunk by chunk in memory.
 *
 * The player offers a track (its vault and key) before it loads "segue-offline://ID"; mpv
 * opens it on its own threads, so the offers are kept behind a lock. A chunk that fails its
 * tag ends the stream with an error and marks the track damaged, for the player to queue
 * its repair. */
#ifndef SEGUE_OFFLINE_STREAM_H
#define SEGUE_OFFLINE_STREAM_H

#include <mpv/client.h>
#include <stdbool.h>

#include "vault.h"

#define OFFLINE_SCHEME "segue-offline://"

/* Registers the protocol on an mpv handle (before mpv_initialize or after: both work). */
int offline_stream_register(mpv_handle *h);
/* Makes id playable as OFFLINE_SCHEME id. The key is copied. */
void offline_stream_offer(const char *id, const char *path, const unsigned char key[VAULT_KEY_BYTES]);
/* Whether a read of id found a damaged chunk since the last call (and forgets it). */
bool offline_stream_damaged(const char *id);

#endif
