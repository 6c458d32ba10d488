/* Search: an in-memory index of the catalog (tracks, artists, albums, public playlists),
 * built from the store in the background and swapped in whole, so queries never wait for the
 * database and never see a half-built index.
 *
 * Text is folded (case, diacritics, punctuation) into terms. Every term of a query must match;
 * the last one also matches as a prefix (typeahead), and a term the catalog does not have is
 * replaced by near spellings (edit distance 1, or 2 for longer terms). Candidates are drawn in
 * order of popularity from the rarest term's postings with early termination, so a query costs
 * about the same at a million tracks as at a thousand; the best few hundred are then ranked by
 * text relevance, popularity, the user's affinity, freshness and market availability.
 *
 * A change to the catalog is taken in without building everything again: a delta indexes just
 * the rows changed since its base was built (the change log, server/store/store.h) and marks the base's docs
 * they supersede; a query runs over both as if they were one index. */
#ifndef SEGUE_SEARCH_H
#define SEGUE_SEARCH_H

#include <stdbool.h>
#include <stddef.h>

#include "store/store.h"

enum search_type { ST_TRACK, ST_ARTIST, ST_ALBUM, ST_PLAYLIST, ST_NTYPES };

#define SEARCH_MAX_OFFSET 1000
#define SEARCH_QUERY_MAX 500 /* bytes */

struct search_index;

/* Builds an index of the whole catalog through s. NULL with err on failure. An index is
 * counted: it starts held once, and search_free drops a hold. */
struct search_index *search_build(struct store *s, char *err, size_t errlen);
/* Builds the delta of base: the changes logged since base was built, all of them (a newer
 * delta replaces an older one). base must outlive it. */
struct search_index *search_build_delta(struct store *s, const struct search_index *base, char *err,
                                        size_t errlen);
struct search_index *search_hold(struct search_index *ix);
void search_free(struct search_index *ix);
/* The last change-log row the index reflects. */
long long search_seq(const struct search_index *ix);
/* The base's docs a delta supersedes. */
long search_superseded(const struct search_index *delta);
/* Number of documents of a type, for logs and metrics. */
long search_count(const struct search_index *ix, enum search_type type);

/* A user's own signals: ids (tracks and artists) with weights, e.g. from plays and saves. */
struct search_affinity {
	const char (*ids)[23];
	const float *weights;
	int n; /* sorted by id, for binary search */
};

struct search_query {
	const char *q;
	unsigned types;       /* bit (1 << enum search_type) */
	const char *market;   /* may be NULL */
	int limit, offset;
	const struct search_affinity *affinity; /* may be NULL */
};

struct search_hit {
	char id[23];
	double score;
	bool playable; /* available in the market (always true without one) */
};

struct search_result {
	struct search_hit *hits[ST_NTYPES]; /* the requested page; malloc'd */
	int nhits[ST_NTYPES];
	long total[ST_NTYPES];              /* matches, counted up to SEARCH_MAX_OFFSET + 50 */
	char did_you_mean[SEARCH_QUERY_MAX + 64]; /* "" when the results look right */
	char error[160];                    /* set when the query is malformed */
};

/* Runs a query over ix and its delta (or NULL). Returns 0, or -1 with out->error for a
 * malformed query (empty, too long, an unknown filter, a bad year). out must be released with
 * search_result_free. */
int search_run(const struct search_index *ix, const struct search_index *delta, const struct search_query *q,
               struct search_result *out);
void search_result_free(struct search_result *out);

/* The tracks whose title folds to exactly title (folded already, as search_fold gives it), in
 * ix and its delta (or NULL), the most popular first within each: each gets a track's id and
 * its folded artist text (its artists' names in order, as one text), both borrowed, and
 * returns 0 to go on, anything else to stop. Returns how many were given (exact.c). */
long search_tracks_titled(const struct search_index *ix, const struct search_index *delta,
                          const char *title, int (*each)(void *ud, const char *id, const char *artist),
                          void *ud);

/* Folds UTF-8 text into the index's alphabet (lower case ASCII letters and digits for Latin
 * scripts, other letters kept), words separated by single spaces. Exposed for tests. */
size_t search_fold(const char *in, char *out, size_t outlen);

#endif
