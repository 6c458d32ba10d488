/* The server's secrets (the keys that sign audio links, the offline licence keys, the
 * Subsonic key), each one short text under a name. Where they live follows the database:
 * beside SQLite, the file DATA_DIR/NAME, mode 0600, as a one-process server always kept
 * them (and backup copies them); on PostgreSQL, the table server_secrets (migration 20), so
 * that every instance over the database signs and verifies with the same keys. Their text is
 * never logged: errors name the secret, never its contents. */
#ifndef SEGUE_STORE_SECRETS_H
#define SEGUE_STORE_SECRETS_H

#include <stddef.h>

#include "store/store.h"

/* The longest secret's text with its NUL (a keyring of 16 keys takes about 1 KiB). */
#define SECRET_MAX 4096

/* Every secret's name: what copy-to carries into PostgreSQL and backup copies beside the
 * database. */
extern const char *const store_secret_names[];
#define STORE_NSECRETS 3

/* In each function s is the store (NULL, or an SQLite one: the files in dir) and name a
 * plain file name. version receives a number that changes whenever the text does (the
 * file's inode and change time; the table's version column). */

/* Reads name's text into out (len bytes). Returns 1, 0 when there is none, or -1 with err
 * (a file others may read is refused, not tightened: someone may have read it already). */
int store_secret_read(struct store *s, const char *dir, const char *name, char *out, size_t len,
                      long long *version, char *err, size_t errlen);
/* Stores text under name unless one is already there: of two servers starting at once,
 * both then read the first one's. Returns 0 when name holds a secret afterwards, or -1. */
int store_secret_create(struct store *s, const char *dir, const char *name, const char *text,
                        char *err, size_t errlen);
/* Replaces name's text whole (a file is renamed into place, never seen half written). On
 * PostgreSQL a read, change and replace belongs in a write transaction (store_begin). */
int store_secret_replace(struct store *s, const char *dir, const char *name, const char *text,
                         char *err, size_t errlen);
/* Only the version: 1, 0 when there is none, -1 (a cheap look for a change). */
int store_secret_version(struct store *s, const char *dir, const char *name, long long *version);

#endif
