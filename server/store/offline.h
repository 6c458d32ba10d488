/* Offline listening in the store (doc/offline.md): the devices each user registered for
 * downloads, the licences each device holds, and the digests of encoded files that downloads
 * are checked against. What may be registered or licensed, and for how long, is the caller's
 * (api/offline.c); the store keeps that a device's licences go with it. Times are as the
 * caller gives them: devices in milliseconds, licences in seconds. */
#ifndef SEGUE_STORE_OFFLINE_H
#define SEGUE_STORE_OFFLINE_H

#include <stddef.h>

#include "store/store.h"

#define OFFLINE_DEVICE_ID_MAX 64   /* bytes, without the NUL; longer ids are refused upstream */
#define OFFLINE_DEVICE_NAME_MAX 64
#define AUDIO_DIGEST_HEX 65        /* a hex BLAKE2b-256 with its NUL */

struct offline_device {
	char id[OFFLINE_DEVICE_ID_MAX + 1];
	char name[OFFLINE_DEVICE_NAME_MAX + 1];
	long long registered_at, last_checkin; /* ms */
	long long tracks;                      /* licences it holds */
};

/* What is known of an encoded file: its digest, valid while the file keeps this size and
 * mtime. */
struct audio_digest {
	long long size, mtime_ns;
	char digest[AUDIO_DIGEST_HEX];
};

/* --- devices --- */

/* The device's registration time into *registered_at (when not NULL). Returns 1, 0 when the
 * user has no such device, -1 on error (logged). */
int store_offline_device_registered(struct store *s, const char *user, const char *device,
                                    long long *registered_at);
/* The device into d. Returns 1, 0 when the user has no such device, -1 on error. */
int store_offline_device_get(struct store *s, const char *user, const char *device,
                             struct offline_device *d);
/* Every device of the user, oldest registration first: *out (the caller frees it) holds *n.
 * Returns 0, -1 on error. */
int store_offline_devices(struct store *s, const char *user, struct offline_device **out,
                          size_t *n);
/* Registers a device, registered and checked in at now_ms. Returns 1, -1 on error (one
 * already registered under this id is an error). */
int store_offline_device_add(struct store *s, const char *user, const char *device,
                             const char *name, long long now_ms);
/* Returns 1 when renamed, 0 when the user has no such device, -1 on error. */
int store_offline_device_rename(struct store *s, const char *user, const char *device,
                                const char *name);
/* Removes the device and the licences it holds. Returns 1, 0 when the user had no such
 * device, -1 on error. */
int store_offline_device_remove(struct store *s, const char *user, const char *device);
/* Records a check-in at at_ms. Returns 1, 0 when the user has no such device, -1 on error. */
int store_offline_device_checked_in(struct store *s, const char *user, const char *device,
                                    long long at_ms);

/* --- licences --- */

/* How many licences the device holds, or -1 on error. */
long long store_offline_licence_count(struct store *s, const char *user, const char *device);
/* Returns 1 when the device holds a licence for track, 0 when not, -1 on error. */
int store_offline_licence_has(struct store *s, const char *user, const char *device,
                              const char *track);
/* Keeps the device's licence for track (quality by name), replacing the one it held. Returns
 * 1, -1 on error. */
int store_offline_licence_put(struct store *s, const char *user, const char *device,
                              const char *track, const char *quality, long long issued_at,
                              long long expires_at);
/* Drops every licence the device holds. Returns how many, or -1 on error. */
int store_offline_licences_clear(struct store *s, const char *user, const char *device);

/* --- digests of encoded files (quality is enum quality) --- */

/* The digest known for track at quality into d. Returns 1, 0 when none is, -1 on error. */
int store_audio_digest_get(struct store *s, const char *track, int quality,
                           struct audio_digest *d);
/* Keeps d for track at quality, replacing what was known. Returns 1, -1 on error. */
int store_audio_digest_put(struct store *s, const char *track, int quality,
                           const struct audio_digest *d);

#endif
