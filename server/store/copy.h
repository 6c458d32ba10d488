/* A whole SQLite store copied into an empty PostgreSQL one (segue-server copy-to), table by
 * table, in one transaction on the PostgreSQL side: what moves a server from one machine's
 * file to a database several servers share. */
#ifndef SEGUE_STORE_COPY_H
#define SEGUE_STORE_COPY_H

#include "store/store.h"

/* Copies every table of from (SQLite, in data directory dir) into to (PostgreSQL, migrated to
 * the same version and holding nothing but what its migrations made), and the secrets kept
 * as files in dir (store/secrets.h) into to's table of them, so that links, licences and
 * Subsonic passwords made before the move stay good. progress(ud, table, rows) runs after
 * each table. Returns the rows copied, or -1 with err (nothing is kept of a failed copy); -2
 * when to already holds data (nothing was written). */
long long store_copy(struct store *from, const char *dir, struct store *to,
                     void (*progress)(void *ud, const char *table, long long rows), void *ud,
                     char *err, size_t errlen);

#endif
