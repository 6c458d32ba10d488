/* Matching playlist entries to tracks. See library/match.h. */
#include "config.h"
#include "library/match.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "store/catalog.h"

/* Folded text: folding never lengthens text much (a separator becomes one space). */
#define FOLD_MAX (2 * CATALOG_NAME_MAX)

/* in as search folds it, once combining diacritical marks (U+0300..U+036F) are dropped: a
 * file named on macOS spells é as e and a combining accent, which the catalog's tags (and
 * search's fold) write as one character. */
static void fold(const char *in, char out[FOLD_MAX])
{
	char composed[FOLD_MAX];
	size_t n = 0;

	for (const unsigned char *p = (const unsigned char *)in; *p && n + 1 < sizeof composed; p++) {
		if ((p[0] == 0xcc && p[1] >= 0x80 && p[1] <= 0xbf) ||
		    (p[0] == 0xcd && p[1] >= 0x80 && p[1] <= 0xaf)) {
			p++;
			continue;
		}
		composed[n++] = (char)*p;
	}
	composed[n] = '\0';
	search_fold(composed, out, FOLD_MAX);
}

/* The path as components: backslashes read as slashes, empty and "." components dropped,
 * joined by single slashes into out (never longer than in). tail[k] points into out at the
 * last k + 1 components. Returns how many components there are. */
static int split_path(const char *in, char *out, const char *tail[3])
{
	size_t n = 0;
	int count = 0;

	tail[0] = tail[1] = tail[2] = NULL;
	for (const char *p = in; *p; ) {
		size_t len;

		while (*p == '/' || *p == '\\')
			p++;
		len = strcspn(p, "/\\");
		if (len && !(len == 1 && *p == '.')) {
			if (n)
				out[n++] = '/';
			tail[2] = tail[1];
			tail[1] = tail[0];
			tail[0] = out + n;
			memcpy(out + n, p, len);
			n += len;
			count++;
		}
		p += len;
	}
	out[n] = '\0';
	return count;
}

/* By path: the whole of it, then its last three and two components; one track alone. */
static int by_path(const struct match_ctx *c, const char *path, char id[BASE62_ID_LEN + 1])
{
	char *norm = malloc(strlen(path) + 1);
	const char *tail[3];
	int n, rc = MATCH_NONE;

	if (!norm)
		return -1;
	n = split_path(path, norm, tail);
	if (!n)
		goto out;
	if ((rc = store_tracks_by_library_path(c->store, norm, false, id)) != 0) {
		rc = rc == 1 ? MATCH_PATH : rc < 0 ? -1 : MATCH_NONE;
		goto out;
	}
	/* A shorter suffix fits every track a longer one fits: once several fit, stop. */
	for (int k = 3; k >= 2; k--) {
		if (n < k)
			continue;
		if ((rc = store_tracks_by_library_path(c->store, tail[k - 1], true, id)) != 0) {
			rc = rc == 1 ? MATCH_PATH : rc < 0 ? -1 : MATCH_NONE;
			goto out;
		}
	}
out:
	free(norm);
	return rc;
}

/* The entry's artist names: the whole of its artist text and, when it lists several ("A, B",
 * "A feat. B", "A & B"), each of them, folded. */
#define ENTRY_ARTISTS_MAX 8

struct entry_artists {
	char names[ENTRY_ARTISTS_MAX][FOLD_MAX];
	int n;
};

static void entry_artists(const char *artist, struct entry_artists *ea)
{
	static const char *const seps[] = { ", ", "; ", " & ", " / ", " feat. ", " ft. ",
	                                    " featuring ", " x " };
	char part[FOLD_MAX];

	ea->n = 0;
	fold(artist, ea->names[ea->n]);
	if (ea->names[ea->n][0])
		ea->n++;
	for (const char *p = artist; *p && ea->n < ENTRY_ARTISTS_MAX; ) {
		const char *end = p + strlen(p);
		size_t skip = 0;

		for (size_t i = 0; i < sizeof seps / sizeof seps[0]; i++) {
			const char *hit = strcasestr(p, seps[i]);

			if (hit && hit < end) {
				end = hit;
				skip = strlen(seps[i]);
			}
		}
		if (p == artist && !*end)
			break; /* one name: the whole is already there */
		snprintf(part, sizeof part, "%.*s", (int)(end - p), p);
		fold(part, ea->names[ea->n]);
		if (ea->names[ea->n][0])
			ea->n++;
		p = end + skip;
	}
}

/* Whether one of a track's artists, or all of them listed, is one of the entry's. */
struct artist_check {
	const struct entry_artists *want;
	char all[FOLD_MAX];  /* the track's artists so far, folded, separated by spaces */
	bool found;
};

static int check_artist(void *ud, const char *id, const char *name)
{
	struct artist_check *ac = ud;
	char f[FOLD_MAX];
	size_t len = strlen(ac->all);

	(void)id;
	fold(name, f);
	for (int i = 0; i < ac->want->n; i++)
		if (!strcmp(f, ac->want->names[i]))
			ac->found = true;
	snprintf(ac->all + len, sizeof ac->all - len, "%s%s", len ? " " : "", f);
	return ac->found;
}

/* Whether word (folded) is in text (folded) as whole words. */
static bool has_words(const char *text, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = text; (p = strstr(p, word)); p++)
		if ((p == text || p[-1] == ' ') && (p[n] == ' ' || !p[n]))
			return true;
	return false;
}

/* A tags match among the tracks of the entry's title: the search index names them with
 * their artists' text, which rules most out before the store is asked. */
struct tags_walk {
	const struct match_ctx *c;
	const struct match_entry *e;
	const struct entry_artists *want;
	struct track_row *row;
	int looked, rc; /* rc: MATCH_NONE, MATCH_TAGS with id set, -1 */
	char id[BASE62_ID_LEN + 1];
};

#define TAGS_LOOKS_MAX 200 /* tracks of one title whose artists are read from the store */

static int tags_candidate(void *ud, const char *id, const char *artist)
{
	struct tags_walk *w = ud;
	struct artist_check ac = { .want = w->want };
	bool named = false;

	for (int i = 0; i < w->want->n && !named; i++)
		named = has_words(artist, w->want->names[i]);
	if (!named)
		return 0;
	if (++w->looked > TAGS_LOOKS_MAX)
		return 1;
	if (w->e->duration_ms > 0) {
		int found = store_track_row(w->c->store, id, w->row);

		if (found < 0)
			goto fail;
		if (!found || llabs(w->row->duration_ms - w->e->duration_ms) > 3000)
			return 0;
	}
	if (store_track_artists(w->c->store, id, check_artist, &ac) < 0)
		goto fail;
	if (!ac.found && strcmp(ac.all, w->want->names[0]))
		return 0;
	snprintf(w->id, sizeof w->id, "%s", id);
	w->rc = MATCH_TAGS;
	return 1;
fail:
	w->rc = -1;
	return 1;
}

/* "artist title" for the search engine: folded words, which hold no filter or quote, cut at
 * a word to the query's limit. */
static void search_text(const char *artist, const char *title, char q[SEARCH_QUERY_MAX + 1])
{
	snprintf(q, SEARCH_QUERY_MAX + 1, "%s%s%s", artist, *artist ? " " : "", title);
	if (strlen(q) == SEARCH_QUERY_MAX) {
		char *space = strrchr(q, ' ');

		if (space)
			*space = '\0';
	}
}

/* By search: the engine's best track for "artist title", when its title is the entry's. */
static int by_search(const struct match_ctx *c, const char *artist, const char *title,
                     struct track_row *row, char id[BASE62_ID_LEN + 1])
{
	char q[SEARCH_QUERY_MAX + 1], name[FOLD_MAX];
	struct search_query sq = { .q = q, .types = 1u << ST_TRACK, .limit = 1 };
	struct search_result res;
	int rc = MATCH_NONE, found;

	search_text(artist, title, q);
	/* A query search cannot take (too many words) finds nothing. */
	if (search_run(c->base, c->delta, &sq, &res) == 0 && res.nhits[ST_TRACK] > 0) {
		if ((found = store_track_row(c->store, res.hits[ST_TRACK][0].id, row)) < 0) {
			rc = -1;
		} else if (found) {
			fold(row->name, name);
			if (!strcmp(name, title)) {
				snprintf(id, BASE62_ID_LEN + 1, "%s", row->id);
				rc = MATCH_SEARCH;
			}
		}
	}
	search_result_free(&res);
	return rc;
}

/* By tags, else by search. */
static int by_text(const struct match_ctx *c, const struct match_entry *e,
                   char id[BASE62_ID_LEN + 1])
{
	struct entry_artists *want = malloc(sizeof *want);
	struct track_row *row = malloc(sizeof *row);
	struct tags_walk w = { .c = c, .e = e, .want = want, .row = row, .rc = MATCH_NONE };
	char title[FOLD_MAX];
	int rc = -1;

	if (!want || !row)
		goto out;
	rc = MATCH_NONE;
	fold(e->title, title);
	entry_artists(e->artist ? e->artist : "", want);
	if (!title[0] || !c->base)
		goto out;
	if (want->n) {
		search_tracks_titled(c->base, c->delta, title, tags_candidate, &w);
		if ((rc = w.rc) != MATCH_NONE) {
			memcpy(id, w.id, sizeof w.id);
			goto out;
		}
	}
	rc = by_search(c, want->n ? want->names[0] : "", title, row, id);
out:
	free(want);
	free(row);
	return rc;
}

int match_track(const struct match_ctx *c, const struct match_entry *e,
                char id[BASE62_ID_LEN + 1])
{
	int rc = MATCH_NONE;

	if (e->path && *e->path && (rc = by_path(c, e->path, id)) != MATCH_NONE)
		return rc;
	if (e->title && *e->title)
		rc = by_text(c, e, id);
	return rc;
}

const char *match_by_name(enum match_by by)
{
	switch (by) {
	case MATCH_PATH:
		return "path";
	case MATCH_TAGS:
		return "tags";
	case MATCH_SEARCH:
		return "search";
	default:
		return NULL;
	}
}
