/* A consistent copy of the database while the server serves it (segue-server backup). */
#ifndef SEGUE_STORE_BACKUP_H
#define SEGUE_STORE_BACKUP_H

#include <stddef.h>

#include "store/store.h"

/* Copies the database of s into the file at dest, which must exist, be empty and be private
 * (the caller makes it 0600 and renames it into place after). The copy is taken through
 * SQLite's online backup in steps, so the server's writers are never held up for longer
 * than one step's read; a write by another connection between steps makes SQLite start
 * over, and each restart doubles the step until the copy fits in one. The copy is then
 * checked (PRAGMA quick_check), synced and left in rollback-journal mode, one self-contained
 * file. *pages gets its size in pages. Returns 0, or -1 with a message in err. */
int store_backup(struct store *s, const char *dest, long long *pages, char *err, size_t errlen);

#endif
