/* Files that hold secrets (password hashes, tokens, keys) are their owner's alone: mode 0600.
 * A file created looser by an older version, or by hand, is tightened when it is opened, and
 * the log says so; one that cannot be tightened (another owner, not a regular file) is an
 * error, so a secret is never used from a file others may read or replace. */
#ifndef SEGUE_FILEPERM_H
#define SEGUE_FILEPERM_H

#include <stddef.h>

/* Makes path mode 0600 if it exists with any group or other bit set. Returns 0 when it is
 * absent or already private, 1 when it was tightened (logged as a warning), -1 with a
 * message in err when it is not a regular file or cannot be changed. Symbolic links are not
 * followed (refused). */
int file_make_private(const char *path, char *err, size_t errlen);

/* The same for an SQLite database and the files SQLite keeps beside it (-wal, -shm,
 * -journal). Call it before the database is opened: SQLite creates -wal and -shm with the
 * mode of the database file, so a private database keeps them private. */
int sqlite_files_make_private(const char *db_path, char *err, size_t errlen);

/* Creates path empty with mode 0600 when it does not exist (SQLite itself would create it
 * 0644 less the umask). Returns 0, or -1 with a message in err. */
int file_create_private(const char *path, char *err, size_t errlen);

/* Creates path holding text (a key file): written to a temporary file beside it (0600),
 * flushed to disk, then linked into place, so the file is never seen half written and a
 * file already there is kept (of two servers starting at once, both use the first one's
 * key). Returns 0 when path holds a key file afterwards, or -1 with a message in err. */
int file_create_secret(const char *path, const char *text, char *err, size_t errlen);
/* The same, replacing whatever path held: renamed into place, never seen half written. */
int file_replace_secret(const char *path, const char *text, char *err, size_t errlen);

#endif
