/* Open files kept between requests for the audio and picture answers, as nginx's
 * open_file_cache keeps them: a player reads one file in many Range requests, and each paid
 * an open, an fstat and a close (three of an audio request's six system calls).
 *
 * A request for a kept path shares its descriptor (sendfile takes its own offset, so sharing
 * is safe) and the stat taken at the open. The path is looked at again (stat) once
 * FDCACHE_VALID_MS has passed since the open or the last look, and the descriptor is used
 * on only while the path names the same file, unchanged (inode, size, modification time). So
 * a file replaced or removed on disk is served as it was for at most that long, whole and
 * with its own ETag. A file no request has used for that long is closed within about twice
 * it, so a removed file's space comes back.
 *
 * Only the service thread keeps files (the table has no lock); on any other thread these
 * calls are plain open/fstat and close. */
#ifndef SEGUE_HTTP_FDCACHE_H
#define SEGUE_HTTP_FDCACHE_H

#include <sys/stat.h>

struct lws_context;

#define FDCACHE_VALID_MS 1000

/* Called on the service thread (from a connection's callback): the thread that keeps files,
 * and the context whose timer closes idle ones. */
void fdcache_bind(struct lws_context *cx);
/* path opened for reading (O_CLOEXEC), or the descriptor kept for it; its stat in st.
 * Returns the descriptor, to be given back with fdcache_close, or -1 with errno. */
int fdcache_open(const char *path, struct stat *st);
/* Gives back a descriptor of fdcache_open (closed unless the cache keeps it). */
void fdcache_close(int fd);

#endif
