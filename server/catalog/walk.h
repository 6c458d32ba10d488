/* Finding what an ingest covers: every regular file under the paths it is given is either
 * tried as audio (by its extension), or counted as not audio -- in silence for the files
 * that sit next to music (covers, lyrics, cue sheets, rip logs), with one line on stderr
 * for anything else -- so no file is passed over unseen. Hidden files and folders (a name
 * starting with a dot: .DS_Store, .git, our own temporaries) are not the user's music and
 * are neither tried nor counted nor mentioned. */
#ifndef SEGUE_WALK_H
#define SEGUE_WALK_H

#include <stdbool.h>
#include <stddef.h>

#define WALK_MAX_FILES 1000000
#define WALK_MAX_DEPTH 32

struct walk {
	char **paths;   /* the files to try, sorted; owned, freed by walk_free */
	size_t n, cap;
	int not_audio;  /* files counted as not audio */
	int failed;     /* paths that could not be read (each got a line on stderr) */
};

/* Walks the given paths (folders, or files: a file named on its own is tried unless its
 * extension says it is a companion such as a cover). Lines go to stderr as
 * "segue-server: ingest: PATH: reason". Returns 0, or -1 when memory ran out. */
int walk_paths(struct walk *w, char **paths, int npaths);

void walk_free(struct walk *w);

/* Whether a file of this name is tried as audio (by its extension). */
bool walk_is_audio_name(const char *name);

#endif
