#include "config.h"
#include "catalog/ingest.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "audio/audio.h"
#include "base62.h"
#include "buf.h"
#include "log.h"
#include "catalog/art.h"
#include "catalog/media.h"
#include "lyrics/lyrics.h"
#include "catalog/sources.h"
#include "store/catalog.h"
#include "store/images.h"
#include "store/store.h"
#include "catalog/tags.h"
#include "catalog/walk.h"

/* A file for the workers: path borrowed from the walk; id set when its audio is unchanged
 * (its track's id) and only its lyrics and pictures are to be looked at again. */
struct todo {
	const char *path;
	char id[BASE62_ID_LEN + 1];
};

struct job {
	const struct settings *cfg;
	char media_dir[1100];
	char images_dir[1100];
	struct art_cache *art;    /* the folders' pictures, looked at once per run */
	struct walk files;        /* every file found, sorted */
	struct todo *todo;        /* those the fast path did not settle */
	size_t ntodo;
	size_t next;              /* next of todo to take; under lock */
	const atomic_bool *stop;  /* set: end after the files under way (may be NULL) */
	pthread_mutex_t lock;     /* guards next, the report and stderr */
	struct ingest_report *report;
	bool progress, quiet;
	char **roots;             /* the paths ingest was given */
	int nroots;
	/* The artist_separators setting, parsed once: words get spaces around them. */
	char separator_text[8][64];
	const char *separators[8];
	int nseparators;
	struct timespec started;
	int fatal;
};

static void lower_ascii(const char *in, char *out, size_t len)
{
	size_t i;

	for (i = 0; in[i] && i + 1 < len; i++)
		out[i] = (char)tolower((unsigned char)in[i]);
	out[i] = '\0';
}

void ingest_artist_id(const char *name, char out[23])
{
	char key[TAG_MAX + 16];

	snprintf(key, sizeof key, "artist\x1f");
	lower_ascii(name, key + 7, sizeof key - 7);
	base62_id_from_bytes(key, strlen(key), out);
}

void ingest_album_id(const char *album_artist, const char *album, char out[23])
{
	char a[TAG_MAX], b[TAG_MAX], key[2 * TAG_MAX + 16];

	lower_ascii(album_artist, a, sizeof a);
	lower_ascii(album, b, sizeof b);
	snprintf(key, sizeof key, "album\x1f%s\x1f%s", a, b);
	base62_id_from_bytes(key, strlen(key), out);
}

/* "2004", "2004-03", "2004-03-17" (a longer stamp is cut to the day); anything else: "". */
static void normalise_date(const char *in, char *out, size_t len)
{
	size_t n = 0;

	while (n < 10 && in[n] && (isdigit((unsigned char)in[n]) || (in[n] == '-' && (n == 4 || n == 7))))
		n++;
	if (n != 4 && n != 7 && n != 10)
		n = n >= 4 && isdigit((unsigned char)in[0]) ? 4 : 0;
	if (n >= len)
		n = 0;
	memcpy(out, in, n);
	out[n] = '\0';
}

/* "us, GB ;de" -> "US,GB,DE"; codes that are not two letters are dropped. */
static void normalise_markets(const char *in, char *out, size_t len)
{
	size_t o = 0;

	out[0] = '\0';
	for (const char *p = in; *p; ) {
		while (*p && !isalpha((unsigned char)*p))
			p++;
		const char *s = p;
		while (isalpha((unsigned char)*p))
			p++;
		if (p - s == 2 && o + 4 < len) {
			if (o)
				out[o++] = ',';
			out[o++] = (char)toupper((unsigned char)s[0]);
			out[o++] = (char)toupper((unsigned char)s[1]);
			out[o] = '\0';
		}
	}
}

static bool media_complete(const char *media_dir, const char *id)
{
	char path[1300];
	struct stat st;

	for (int q = 0; q < Q_COUNT; q++)
		if (media_path(media_dir, id, q, path, sizeof path) < 0 || stat(path, &st) < 0 || !st.st_size)
			return false;
	return true;
}

static int mkdirs(const char *path)
{
	char tmp[1300];

	snprintf(tmp, sizeof tmp, "%s", path);
	for (char *p = tmp + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
				return -1;
			*p = '/';
		}
	return mkdir(tmp, 0755) < 0 && errno != EEXIST ? -1 : 0;
}

#define VARIOUS_ARTISTS "Various Artists"

/* A disc folder ("CD1", "Disc 2", "disk03") is part of its album's folder, not one of its own. */
static bool is_disc_folder(const char *name, size_t n)
{
	size_t i = 0;

	if (n >= 4 && !strncasecmp(name, "disc", 4))
		i = 4;
	else if (n >= 4 && !strncasecmp(name, "disk", 4))
		i = 4;
	else if (n >= 2 && !strncasecmp(name, "cd", 2))
		i = 2;
	else
		return false;
	while (i < n && (name[i] == ' ' || name[i] == '_' || name[i] == '-'))
		i++;
	if (i == n)
		return false;
	for (; i < n; i++)
		if (!isdigit((unsigned char)name[i]))
			return false;
	return true;
}

/* The folder an album without album artists is grouped by: the file's, or its parent's when
 * the file sits in a disc folder. */
static void album_folder(const char *path, char *out, size_t len)
{
	const char *slash = strrchr(path, '/');
	size_t n = slash ? (size_t)(slash - path) : 0;

	if (n) {
		const char *up = memrchr(path, '/', n);
		const char *name = up ? up + 1 : path;

		if (is_disc_folder(name, (size_t)(path + n - name)) && up)
			n = (size_t)(up - path);
	}
	snprintf(out, len, "%.*s", (int)n, path);
}

/* The album's id. By MusicBrainz release when tagged. Else the album of the same name that a
 * track in the same album folder is already filed under, so one release stays one album when
 * some of its files lack the album artist tag (a WAV among FLACs) -- unless both name album
 * artists and they differ. Else by album artists and name, with the year added when another
 * release of the same artists and name is already filed under another year; else, with no
 * album artist, by folder (the album artist is then decided from its tracks: see record()).
 * aa_id: the first album artist's id, NULL when none is tagged. *by_folder tells whether the
 * id is the folder's. */
static int album_key(struct store *s, const struct tags *t, const char *aa_names, const char *aa_id,
                     const char *path, const char *date, char id[23], bool *by_folder)
{
	char key[3 * TAG_MAX + 1200], a[2 * TAG_MAX], b[TAG_MAX], folder[1100], other[16];
	char folder_id[23], found[23], found_artist[23];
	int rc;

	*by_folder = false;
	if (t->mb_album_id[0]) {
		lower_ascii(t->mb_album_id, b, sizeof b);
		snprintf(key, sizeof key, "album\x1fmb\x1f%s", b);
		base62_id_from_bytes(key, strlen(key), id);
		return 0;
	}
	lower_ascii(t->album, b, sizeof b);
	album_folder(path, folder, sizeof folder);
	snprintf(key, sizeof key, "album\x1f" "dir\x1f%s\x1f%s", folder, b);
	base62_id_from_bytes(key, strlen(key), folder_id);
	if ((rc = store_album_in_folder(s, folder, t->album, found, found_artist)) < 0)
		return -1;
	if (rc > 0 && (!aa_id || !strcmp(found, folder_id) || !strcmp(found_artist, aa_id))) {
		memcpy(id, found, 23);
		*by_folder = !strcmp(found, folder_id);
		return 0;
	}
	if (!aa_id) {
		memcpy(id, folder_id, 23);
		*by_folder = true;
		return 0;
	}
	ingest_album_id(aa_names, t->album, id);
	if (!date[0] || (rc = store_album_release_date(s, id, other)) == 0 || !other[0] ||
	    !strncmp(other, date, 4))
		return 0;
	if (rc < 0)
		return -1;
	lower_ascii(aa_names, a, sizeof a);
	snprintf(key, sizeof key, "album\x1f%s\x1f%s\x1f%.4s", a, b, date);
	base62_id_from_bytes(key, strlen(key), id);
	return 0;
}

/* The artists a track was filed under before, so those it no longer names can be tidied. */
struct old_artists {
	int n;
	char id[CATALOG_ARTISTS_MAX][23];
};

static int keep_old_artist(void *ud, const char *id)
{
	struct old_artists *o = ud;

	if (o->n < CATALOG_ARTISTS_MAX)
		snprintf(o->id[o->n++], 23, "%s", id);
	return 0;
}

/* The artists of a list, made if new; ids into ids. mb: their MusicBrainz ids when the list
 * gives one for each. */
static int ensure_artists(struct store *s, const struct tag_list *names, const struct tag_list *mb,
                          char ids[][23], const char **ptrs, long long now)
{
	int n = names->n < CATALOG_ARTISTS_MAX ? names->n : CATALOG_ARTISTS_MAX;

	for (int i = 0; i < n; i++) {
		ingest_artist_id(names->v[i], ids[i]);
		ptrs[i] = ids[i];
		if (store_artist_ensure(s, ids[i], names->v[i], mb->n == names->n ? mb->v[i] : NULL,
		                        now) < 0)
			return -1;
	}
	return n;
}

/* The genres as the JSON array the store keeps (heap; NULL when out of memory). */
static char *genres_json(const struct tag_list *g)
{
	json_t *a = json_array();
	char *out;

	for (int i = 0; i < g->n; i++)
		json_array_append_new(a, json_string(g->v[i]));
	out = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	return out;
}

static const struct tag_list no_ids;

/* The file's path under the folder it was found in (the longest root given that holds it), or
 * its name when it was given itself. */
static const char *library_path(const struct job *j, const char *path)
{
	const char *best = NULL;
	size_t best_len = 0;

	for (int i = 0; i < j->nroots; i++) {
		size_t n = strlen(j->roots[i]);

		while (n > 1 && j->roots[i][n - 1] == '/')
			n--;
		if (n > best_len && !strncmp(path, j->roots[i], n) && path[n] == '/') {
			best = path + n + 1;
			best_len = n;
		}
	}
	if (best)
		return best;
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

static int record(struct job *j, struct store *s, const char *id, struct tags *t,
                  const struct analysis *a, const long long bytes[Q_COUNT], const char *source,
                  bool *restored)
{
	char artist_ids[CATALOG_ARTISTS_MAX][23], aa_ids[CATALOG_ARTISTS_MAX][23], album_id[23];
	const char *artist_ptrs[CATALOG_ARTISTS_MAX], *aa_ptrs[CATALOG_ARTISTS_MAX];
	char date[16], original[16], markets[TAG_MAX], aa_names[TAG_MAX], lead[23];
	char old_album[23] = "", old_artist[23] = "", *genres = NULL;
	struct old_artists old = { 0 };
	struct tag_list *various = NULL;
	long long now = store_now_ms();
	struct track_record tr;
	struct album_record ar;
	bool compilation, tagged, by_folder;
	int nartists, naa, rc = -1;

	tags_split_artists(&t->artists, j->separators, j->nseparators);
	tags_split_artists(&t->album_artists, j->separators, j->nseparators);
	compilation = t->compilation ||
	              (t->album_artists.n == 1 && !strcasecmp(t->album_artists.v[0], VARIOUS_ARTISTS));
	tagged = compilation || t->album_artists.n;
	if (compilation) {
		if (!(various = calloc(1, sizeof *various)))
			return -1;
		various->n = 1;
		snprintf(various->v[0], TAG_MAX, VARIOUS_ARTISTS);
	}
	const struct tag_list *aa = compilation ? various : tagged ? &t->album_artists : &t->artists;

	aa_names[0] = '\0';
	for (int i = 0; i < aa->n; i++)
		snprintf(aa_names + strlen(aa_names), sizeof aa_names - strlen(aa_names), "%s%s",
		         i ? "; " : "", aa->v[i]);
	normalise_date(t->date, date, sizeof date);
	normalise_date(t->original_date, original, sizeof original);
	normalise_markets(t->markets, markets, sizeof markets);
	if (!(genres = genres_json(&t->genres)))
		goto out;
	if (store_begin(s) < 0)
		goto out;
	/* Where the track was filed, to tidy up if new tags move it; an album's date is its
	 * earliest track's. */
	if (store_track_filing(s, id, old_album, old_artist, restored) < 0 ||
	    store_track_artist_ids(s, id, keep_old_artist, &old) < 0 ||
	    (nartists = ensure_artists(s, &t->artists, &t->mb_artist_ids, artist_ids, artist_ptrs,
	                               now)) < 1 ||
	    (naa = ensure_artists(s, aa, compilation ? &no_ids : &t->mb_album_artist_ids, aa_ids,
	                          aa_ptrs, now)) < 1 ||
	    album_key(s, t, aa_names, tagged ? aa_ids[0] : NULL, source, date, album_id, &by_folder) < 0)
		goto fail;
	ar = (struct album_record){
		.id = album_id, .name = t->album, .artist_id = aa_ids[0], .release_date = date,
		.original_date = original, .release_type = t->release_type, .label = t->label,
		.mb_album_id = t->mb_album_id, .compilation = compilation,
	};
	tr = (struct track_record){
		.id = id, .name = t->title, .album_id = album_id, .artist_id = artist_ids[0],
		.artist_ids = artist_ptrs, .nartists = nartists,
		.genre = t->genres.n ? t->genres.v[0] : "", .genres = genres,
		.markets = markets[0] ? markets : NULL, .source_path = source,
		.disc_number = t->disc_number > 0 ? t->disc_number : 1, .track_number = t->track_number,
		.disc_total = t->disc_total, .track_total = t->track_total,
		.disc_subtitle = t->disc_subtitle, .isrc = t->isrc, .mb_track_id = t->mb_track_id,
		.mb_recording_id = t->mb_recording_id, .library_path = library_path(j, source),
		.explicit_ = t->explicit_, .duration_ms = a->duration_ms, .gain_db = a->gain_db,
		.true_peak = a->true_peak, .loudness = a->loudness_lufs, .tempo = a->tempo_bpm,
		.energy = a->energy, .brightness = a->brightness, .danceability = a->danceability,
		.acousticness = a->acousticness, .bytes = bytes,
	};
	if (store_album_ensure(s, &ar, now) < 0 || store_track_put(s, &tr, now) < 0)
		goto fail;
	if (!tagged && by_folder) {
		/* No album artist tagged: the album is its tracks' artist's, or, when its tracks
		 * have different lead artists, a compilation. */
		int n = store_album_lead_artists(s, album_id, lead);
		const char *one[1] = { lead };
		char va[23];

		if (n < 0)
			goto fail;
		if (n >= 2) {
			ingest_artist_id(VARIOUS_ARTISTS, va);
			one[0] = va;
			if (store_artist_ensure(s, va, VARIOUS_ARTISTS, NULL, now) < 0)
				goto fail;
		}
		if (store_album_artists_set(s, album_id, one, 1, n >= 2) < 0)
			goto fail;
	} else if (tagged && store_album_artists_set(s, album_id, aa_ptrs, naa, compilation) < 0) {
		goto fail;
	}
	if (store_bump_tracks(s) < 0)
		goto fail;
	if (old_album[0] && strcmp(old_album, album_id) && store_album_drop_if_empty(s, old_album) < 0)
		goto fail;
	for (int i = 0; i < old.n; i++)
		if (store_artist_drop_if_unused(s, old.id[i]) < 0)
			goto fail;
	if (old_artist[0] && store_artist_drop_if_unused(s, old_artist) < 0)
		goto fail;
	rc = store_commit(s);
	goto out;
fail:
	store_rollback(s);
out:
	free(genres);
	free(various);
	return rc;
}

static long long mtime_ns(const struct stat *sb)
{
	return (long long)sb->st_mtim.tv_sec * 1000000000LL + sb->st_mtim.tv_nsec;
}

/* The fast path, before any worker starts: a file ingested before and not touched since,
 * whose track is still available and encoded (the catalog's row vouches for it), whose .lrc
 * has not come, changed or gone, and whose album has its cover or whose folder holds no
 * picture named as a cover, needs nothing: one stat and a few lookups a file, all in one read
 * transaction on one connection. The rest go to todo: to decode, or (unchanged audio) to look
 * again for lyrics and pictures. Returns 0, -1 when out of memory. */
static int take_changed(struct job *j, struct store *s)
{
	char id[BASE62_ID_LEN + 1], dir[1100] = "";
	bool snapshot, dir_has_cover = false;

	if (!(j->todo = malloc((j->files.n ? j->files.n : 1) * sizeof *j->todo)))
		return -1;
	/* Without the snapshot every lookup is a transaction of its own: slower, still right. */
	snapshot = store_snapshot_begin(s, false) == 0;
	for (size_t i = 0; i < j->files.n; i++) {
		struct todo *td = &j->todo[j->ntodo];
		const char *path = j->files.paths[i], *slash = strrchr(path, '/');
		size_t dlen = slash ? (size_t)(slash - path) : 0;
		struct stat sb;

		td->path = path;
		td->id[0] = '\0';
		if (stat(path, &sb) < 0 ||
		    store_ingest_file_track(s, path, (long long)sb.st_size, mtime_ns(&sb), id) <= 0) {
			j->ntodo++;
			continue;
		}
		/* Unchanged audio: settled, unless its .lrc came, changed or went, or its album has
		 * no cover while its folder now holds one. */
		if (lyrics_sidecar_changed(s, path) != 0) {
			memcpy(td->id, id, sizeof td->id);
			j->ntodo++;
			continue;
		}
		if (store_track_has_cover(s, id) == 0) {
			/* The paths are sorted: a folder's files come together, its listing is read once. */
			if (dlen >= sizeof dir || strncmp(dir, path, dlen) || dir[dlen]) {
				snprintf(dir, sizeof dir, "%.*s", (int)dlen, path);
				dir_has_cover = art_folder_has_cover(path);
			}
			if (dir_has_cover) {
				memcpy(td->id, id, sizeof td->id);
				j->ntodo++;
				continue;
			}
		}
		j->report->known++;
	}
	if (snapshot)
		store_snapshot_end(s, false);
	return 0;
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Draws the bar in place; called under the lock. */
static void draw_progress(struct job *j)
{
	const struct ingest_report *r = j->report;
	int done = r->added + r->known + r->updated + r->not_audio + r->failed;
	int width = 30, fill = r->files ? done * width / r->files : width;
	double el = seconds_since(&j->started);

	fprintf(stderr, "\r[%.*s%*s] %d/%d", fill, "##############################", width - fill, "",
	        done, r->files);
	if (r->failed)
		fprintf(stderr, ", %d failed", r->failed);
	if (el > 0.5)
		fprintf(stderr, ", %.0fx real time", r->audio_seconds / el);
	fprintf(stderr, "\033[K");
	fflush(stderr);
}

static void report_failure(struct job *j, const char *path, const char *why)
{
	pthread_mutex_lock(&j->lock);
	if (j->progress)
		fprintf(stderr, "\r\033[K");
	fprintf(stderr, "segue-server: ingest: %s: %s\n", path, why);
	j->report->failed++;
	if (j->progress)
		draw_progress(j);
	pthread_mutex_unlock(&j->lock);
}

/* Says what was left out of a track that was ingested all the same; called unlocked. */
static void report_note(struct job *j, const char *path, const char *what, const char *note)
{
	pthread_mutex_lock(&j->lock);
	if (j->progress)
		fprintf(stderr, "\r\033[K");
	fprintf(stderr, "segue-server: ingest: %s: %s: %s\n", path, what, note);
	if (j->progress)
		draw_progress(j);
	pthread_mutex_unlock(&j->lock);
}

/* The track's lyrics: from an .lrc beside the file, else from its tags. A bad .lrc is a note,
 * never a failure of the track. */
static void ingest_lyrics(struct job *j, struct store *s, const char *path, const char *id,
                          const struct tags *t)
{
	char note[1024];

	lyrics_ingest(s, path, id, t->lyrics, t->lyrics_synced,
	              t->lyrics_lang[0] ? t->lyrics_lang : NULL, note, sizeof note);
	if (note[0])
		report_note(j, path, "lyrics", note);
}

/* One line about a picture that was left out; the track is not failed for it. */
static void report_picture(struct job *j, const char *note)
{
	if (!note[0])
		return;
	pthread_mutex_lock(&j->lock);
	if (j->progress)
		fprintf(stderr, "\r\033[K");
	fprintf(stderr, "segue-server: ingest: %s\n", note);
	if (j->progress)
		draw_progress(j);
	pthread_mutex_unlock(&j->lock);
}

/* The pictures of track id's album and album artist, when they have none yet: the first
 * track with art gives its album's cover. Re-ingesting unchanged files comes here too, so
 * a cover put beside them later is found. A failure costs the picture, never the track. */
static void ingest_art(struct job *j, struct store *s, const char *path, const char *id,
                       const unsigned char *embedded, size_t embedded_len)
{
	char album[BASE62_ID_LEN + 1], artist[BASE62_ID_LEN + 1], hash[IMAGES_HASH_LEN + 1], note[4600];
	struct album_art *a = malloc(sizeof *a);

	if (!a || store_track_filing(s, id, album, artist, NULL) <= 0 || store_album_art(s, album, a) <= 0)
		goto out;
	if (!a->has_image) {
		if (art_for_track(j->art, j->images_dir, path, embedded, embedded_len, hash, note, sizeof note) > 0)
			store_album_image_set(s, album, hash);
		report_picture(j, note);
	}
	if (!a->artist_has_image) {
		if (art_for_artist(j->art, j->images_dir, path, a->artist_name, hash, note, sizeof note) > 0)
			store_artist_image_set(s, a->artist_id, hash);
		report_picture(j, note);
	}
out:
	free(a);
}

/* A file whose audio is unchanged (track id): the lyrics and pictures that may have come
 * beside it since, without decoding it. */
static void look_again(struct job *j, struct store *s, const char *path, const char *id)
{
	struct tags *t = NULL;
	char err[512];

	if (lyrics_sidecar_changed(s, path) > 0 && (t = calloc(1, sizeof *t)) &&
	    tags_read(path, t, err, sizeof err) == 0)
		ingest_lyrics(j, s, path, id, t);
	if (t)
		tags_free(t);
	free(t);
	ingest_art(j, s, path, id, NULL, 0);
	pthread_mutex_lock(&j->lock);
	j->report->known++;
	if (j->progress)
		draw_progress(j);
	pthread_mutex_unlock(&j->lock);
}

static void ingest_one(struct job *j, struct store *s, const char *path)
{
	struct tags *t = NULL;
	struct analysis a;
	struct audio_pcm *pcm = NULL; /* the decoded master, so the transcode need not decode it */
	char err[512], id[BASE62_ID_LEN + 1], dir[1300], album_artists[TAG_MAX] = "";
	long long bytes[Q_COUNT];
	struct vcomment comments[8];
	size_t nc = 0;
	bool added = false, restored = false;
	int withdrawn = 0;
	struct stat sb;
	bool have_stat = stat(path, &sb) == 0;

	if (!(t = calloc(1, sizeof *t))) { /* tags hold tens of KiB of lists */
		report_failure(j, path, "out of memory");
		return;
	}
	if (tags_read(path, t, err, sizeof err) < 0 || audio_analyse(path, &a, &pcm, err, sizeof err) < 0) {
		report_failure(j, path, err);
		goto out;
	}
	base62_encode128(a.content_hash, id);
	if (store_track_exists(s, id) <= 0 || !media_complete(j->media_dir, id)) {
		if (media_path(j->media_dir, id, -1, dir, sizeof dir) < 0 || mkdirs(dir) < 0) {
			snprintf(err, sizeof err, "cannot create %s: %s", dir, strerror(errno));
			report_failure(j, path, err);
			goto out;
		}
		for (int i = 0; i < t->album_artists.n; i++)
			snprintf(album_artists + strlen(album_artists),
			         sizeof album_artists - strlen(album_artists), "%s%s", i ? "; " : "",
			         t->album_artists.v[i]);
		comments[nc++] = (struct vcomment){ "TITLE", t->title };
		comments[nc++] = (struct vcomment){ "ARTIST", t->artist };
		comments[nc++] = (struct vcomment){ "ALBUM", t->album };
		if (album_artists[0])
			comments[nc++] = (struct vcomment){ "ALBUMARTIST", album_artists };
		if (t->genres.n)
			comments[nc++] = (struct vcomment){ "GENRE", t->genres.v[0] };
		if (t->date[0])
			comments[nc++] = (struct vcomment){ "DATE", t->date };
		comments[nc++] = (struct vcomment){ "SEGUE_TRACK_ID", id };
		if (audio_transcode(path, pcm, dir, &a, comments, nc, bytes, err, sizeof err) < 0) {
			report_failure(j, path, err);
			goto out;
		}
		added = true;
	}
	audio_pcm_free(pcm);
	pcm = NULL;
	if (record(j, s, id, t, &a, added ? bytes : NULL, path, &restored) < 0) {
		report_failure(j, path, "the catalog could not be updated (see the log above)");
		goto out;
	}
	ingest_lyrics(j, s, path, id, t);
	if (have_stat)
		withdrawn = sources_remember(s, path, (long long)sb.st_size, mtime_ns(&sb), id);
	if (t->picture_note[0])
		report_note(j, path, "picture ignored", t->picture_note);
	ingest_art(j, s, path, id, t->picture, t->picture_len);
	pthread_mutex_lock(&j->lock);
	if (added)
		j->report->added++;
	else
		j->report->updated++;
	j->report->restored += restored;
	j->report->withdrawn += withdrawn;
	j->report->audio_seconds += (double)a.duration_ms / 1000.0;
	if (j->progress)
		draw_progress(j);
	pthread_mutex_unlock(&j->lock);
out:
	audio_pcm_free(pcm);
	if (t)
		tags_free(t);
	free(t);
}

/* artist_separators: "a|b|c"; a separator with a letter in it is a word and matches with a
 * space on each side ("feat." splits "A feat. B" but not "Feat.ures"). */
static void parse_separators(struct job *j, const char *setting)
{
	char copy[256], *save = NULL;

	snprintf(copy, sizeof copy, "%s", setting);
	for (char *tok = strtok_r(copy, "|", &save); tok && j->nseparators < 8;
	     tok = strtok_r(NULL, "|", &save)) {
		bool word = false;

		while (*tok == ' ')
			tok++;
		for (size_t n = strlen(tok); n && tok[n - 1] == ' '; n--)
			tok[n - 1] = '\0';
		if (!*tok)
			continue;
		for (const char *p = tok; *p; p++)
			word = word || isalpha((unsigned char)*p);
		snprintf(j->separator_text[j->nseparators], sizeof j->separator_text[0],
		         word ? " %s " : "%s", tok);
		j->separators[j->nseparators] = j->separator_text[j->nseparators];
		j->nseparators++;
	}
}

static void *worker(void *arg)
{
	struct job *j = arg;
	struct store s;
	char err[512];

	if (store_open(&s, settings_database(j->cfg), err, sizeof err) < 0) {
		pthread_mutex_lock(&j->lock);
		fprintf(stderr, "segue-server: ingest: %s\n", err);
		j->fatal = 1;
		pthread_mutex_unlock(&j->lock);
		return NULL;
	}
	for (;;) {
		size_t i;

		pthread_mutex_lock(&j->lock);
		i = j->fatal || (j->stop && atomic_load(j->stop)) ? j->ntodo : j->next++;
		pthread_mutex_unlock(&j->lock);
		if (i >= j->ntodo)
			break;
		if (j->todo[i].id[0])
			look_again(j, &s, j->todo[i].path, j->todo[i].id);
		else
			ingest_one(j, &s, j->todo[i].path);
	}
	store_close(&s);
	return NULL;
}

bool ingest_audio_name(const char *name)
{
	return walk_is_audio_name(name);
}

int ingest_scan(const struct settings *cfg, char **paths, int npaths, int jobs, bool progress,
                bool quiet, const atomic_bool *stop, struct ingest_report *report)
{
	struct job j;
	pthread_t *threads = NULL;
	struct store s = { 0 };
	struct rusage ru0, ru1;
	char err[512];
	int started = 0, rc = -1;
	bool *walked = NULL;

	memset(&j, 0, sizeof j);
	memset(report, 0, sizeof *report);
	j.cfg = cfg;
	j.report = report;
	j.progress = progress && !quiet;
	j.quiet = quiet;
	j.stop = stop;
	pthread_mutex_init(&j.lock, NULL);
	snprintf(j.media_dir, sizeof j.media_dir, "%s/media", cfg->data_dir);
	parse_separators(&j, cfg->artist_separators);
	j.roots = paths;
	j.nroots = npaths;
	snprintf(j.images_dir, sizeof j.images_dir, "%s/images", cfg->data_dir);
	if (!(j.art = art_cache_new()))
		goto out;

	/* Opened first, so the schema exists before the workers race to make it. */
	if (store_open(&s, settings_database(cfg), err, sizeof err) < 0) {
		fprintf(stderr, "segue-server: %s\n", err);
		goto out;
	}
	if (npaths > 0 && !(walked = calloc((size_t)npaths, sizeof *walked)))
		goto out;
	for (int i = 0; i < npaths; i++) {
		struct stat st;

		walked[i] = stat(paths[i], &st) == 0 && S_ISDIR(st.st_mode);
	}
	if (walk_paths(&j.files, paths, npaths) < 0) {
		fprintf(stderr, "segue-server: ingest: out of memory\n");
		goto out;
	}
	report->not_audio = j.files.not_audio;
	report->failed = j.files.failed;
	report->files = (int)j.files.n + j.files.not_audio + j.files.failed;
	if (take_changed(&j, &s) < 0)
		goto out;
	clock_gettime(CLOCK_MONOTONIC, &j.started);
	getrusage(RUSAGE_SELF, &ru0);
	if (jobs <= 0)
		jobs = (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (jobs < 1)
		jobs = 1;
	if ((size_t)jobs > j.ntodo)
		jobs = (int)j.ntodo;
	if (jobs && !(threads = calloc((size_t)jobs, sizeof *threads)))
		goto out;
	for (int i = 0; i < jobs; i++) {
		if (pthread_create(&threads[i], NULL, worker, &j) != 0)
			break;
		started++;
	}
	for (int i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	getrusage(RUSAGE_SELF, &ru1);
	report->wall_seconds = seconds_since(&j.started);
	report->cpu_seconds = (double)(ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec) +
	                      (double)(ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec) / 1e6 +
	                      (double)(ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) +
	                      (double)(ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec) / 1e6;
	if (j.progress)
		fprintf(stderr, "\r\033[K");
	if (jobs && !started)
		goto out;
	rc = j.fatal ? -1 : 0;
	/* Withdrawal: after a walk of a folder, what was remembered there and is gone. */
	for (int i = 0; i < npaths && !rc && !(stop && atomic_load(stop)); i++)
		if (walked[i] && sources_prune(&s, paths[i], j.files.paths, j.files.n, report) < 0)
			report->failed++;
out:
	if (store_is_open(&s))
		store_close(&s);
	walk_free(&j.files);
	free(j.todo);
	free(walked);
	free(threads);
	art_cache_free(j.art);
	pthread_mutex_destroy(&j.lock);
	return rc;
}

int ingest_run(const struct settings *cfg, char **paths, int npaths, int jobs, bool progress,
               bool quiet, struct ingest_report *report)
{
	return ingest_scan(cfg, paths, npaths, jobs, progress, quiet, NULL, report);
}
