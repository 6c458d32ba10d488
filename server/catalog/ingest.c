#include "config.h"
#include "catalog/ingest.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "audio/audio.h"
#include "base62.h"
#include "buf.h"
#include "log.h"
#include "catalog/media.h"
#include "catalog/sources.h"
#include "store/catalog.h"
#include "store/store.h"
#include "catalog/tags.h"

#define MAX_FILES 1000000
#define MAX_DEPTH 32

struct filelist {
	char **paths;
	size_t n, cap;
};

struct job {
	const struct settings *cfg;
	char media_dir[1100];
	struct filelist files;    /* every file found, sorted */
	char **todo;              /* those the fast path did not settle (borrowed from files) */
	size_t ntodo;
	size_t next;              /* next of todo to take; under lock */
	pthread_mutex_t lock;     /* guards next, the report and stderr */
	struct ingest_report *report;
	bool progress, quiet;
	struct timespec started;
	int fatal;
	const atomic_bool *stop; /* set by the caller to end early; may be NULL */
};

/* Extensions tried when walking folders; a file named on the command line is always tried. */
static const char *const audio_ext[] = {
	"wav", "wave", "flac", "ogg", "oga", "aif", "aiff", "aifc", "au", "snd", "w64", "caf",
	"mp3", "opus", "rf64", "sd2", "voc", "htk", "mat", "pvf", "xi", "paf", "sf", "ircam",
};

static bool has_audio_ext(const char *name)
{
	const char *dot = strrchr(name, '.');

	if (!dot)
		return false;
	for (size_t i = 0; i < sizeof audio_ext / sizeof audio_ext[0]; i++)
		if (!strcasecmp(dot + 1, audio_ext[i]))
			return true;
	return false;
}

bool ingest_audio_name(const char *name)
{
	return has_audio_ext(name);
}

static int add_file(struct filelist *fl, const char *path)
{
	if (fl->n == MAX_FILES)
		return -1;
	if (fl->n == fl->cap) {
		size_t cap = fl->cap ? fl->cap * 2 : 256;
		char **p = realloc(fl->paths, cap * sizeof *p);

		if (!p)
			return -1;
		fl->paths = p;
		fl->cap = cap;
	}
	if (!(fl->paths[fl->n] = strdup(path)))
		return -1;
	fl->n++;
	return 0;
}

static int walk(struct filelist *fl, const char *dir, int depth)
{
	DIR *d;
	struct dirent *e;
	char path[4096];

	if (depth > MAX_DEPTH)
		return 0;
	if (!(d = opendir(dir))) {
		fprintf(stderr, "segue-server: ingest: %s: %s\n", dir, strerror(errno));
		return 1;
	}
	int failures = 0;
	while ((e = readdir(d))) {
		struct stat st;

		if (e->d_name[0] == '.')
			continue; /* hidden files, and our own temporaries */
		if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= (int)sizeof path)
			continue;
		if (lstat(path, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode))
			failures += walk(fl, path, depth + 1);
		else if (S_ISREG(st.st_mode) && has_audio_ext(e->d_name) && add_file(fl, path) < 0)
			failures++;
	}
	closedir(d);
	return failures;
}

static int compare_paths(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

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

static int record(struct store *s, const char *id, const struct tags *t, const struct analysis *a,
                  const long long bytes[Q_COUNT], const char *source, bool *restored)
{
	char artist_id[23], album_artist_id[23], album_id[23], date[16], markets[TAG_MAX];
	char old_album[23] = "", old_artist[23] = "";
	long long now = store_now_ms();
	struct track_record tr;

	ingest_artist_id(t->artist, artist_id);
	ingest_artist_id(t->album_artist, album_artist_id);
	ingest_album_id(t->album_artist, t->album, album_id);
	normalise_date(t->date, date, sizeof date);
	normalise_markets(t->markets, markets, sizeof markets);
	tr = (struct track_record){
		.id = id, .name = t->title, .album_id = album_id, .artist_id = artist_id,
		.genre = t->genre, .markets = markets[0] ? markets : NULL, .source_path = source,
		.disc_number = t->disc_number > 0 ? t->disc_number : 1, .track_number = t->track_number,
		.explicit_ = t->explicit_, .duration_ms = a->duration_ms, .gain_db = a->gain_db,
		.true_peak = a->true_peak, .loudness = a->loudness_lufs, .tempo = a->tempo_bpm,
		.energy = a->energy, .brightness = a->brightness, .danceability = a->danceability,
		.acousticness = a->acousticness, .bytes = bytes,
	};
	if (store_begin(s) < 0)
		return -1;
	/* Where the track was filed, to tidy up if new tags move it; an album's date is its
	 * earliest track's. */
	if (store_track_filing(s, id, old_album, old_artist, restored) < 0 ||
	    store_artist_ensure(s, artist_id, t->artist, now) < 0 ||
	    store_artist_ensure(s, album_artist_id, t->album_artist, now) < 0 ||
	    store_album_ensure(s, album_id, t->album, album_artist_id, date, now) < 0 ||
	    store_track_put(s, &tr, now) < 0 || store_bump_tracks(s) < 0)
		goto fail;
	if (old_album[0] && (strcmp(old_album, album_id) || strcmp(old_artist, artist_id)) &&
	    (store_album_drop_if_empty(s, old_album) < 0 || store_artist_drop_if_unused(s, old_artist) < 0))
		goto fail;
	return store_commit(s);
fail:
	store_rollback(s);
	return -1;
}

static long long mtime_ns(const struct stat *sb)
{
	return (long long)sb->st_mtim.tv_sec * 1000000000LL + sb->st_mtim.tv_nsec;
}

/* The fast path, before any worker starts: a source file ingested before and not touched
 * since (same size and modification time to the nanosecond, its track still available and
 * encoded) needs no decoding, as tags live in the file and an edit of them changes its mtime
 * too. One stat and one lookup a file, all in one read transaction on one connection; the
 * rest, to decode, go to todo. Returns 0, -1 when out of memory. */
static int take_changed(struct job *j, struct store *s)
{
	char id[BASE62_ID_LEN + 1];
	bool snapshot;

	if (!(j->todo = malloc((j->files.n ? j->files.n : 1) * sizeof *j->todo)))
		return -1;
	/* Without the snapshot every lookup is a transaction of its own: slower, still right. */
	snapshot = store_snapshot_begin(s, false) == 0;
	for (size_t i = 0; i < j->files.n; i++) {
		char *path = j->files.paths[i];
		struct stat sb;

		if (stat(path, &sb) == 0 &&
		    store_ingest_file_track(s, path, (long long)sb.st_size, mtime_ns(&sb), id) > 0)
			j->report->updated++;
		else
			j->todo[j->ntodo++] = path;
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
	int done = r->added + r->updated + r->failed;
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

static void ingest_one(struct job *j, struct store *s, const char *path)
{
	struct tags t;
	struct analysis a;
	char err[512], id[BASE62_ID_LEN + 1], dir[1300];
	long long bytes[Q_COUNT];
	struct vcomment comments[8];
	size_t nc = 0;
	bool added = false, restored = false;
	int withdrawn = 0;
	struct stat sb;
	bool have_stat = stat(path, &sb) == 0;

	if (tags_read(path, &t, err, sizeof err) < 0 || audio_analyse(path, &a, err, sizeof err) < 0) {
		report_failure(j, path, err);
		return;
	}
	base62_encode128(a.content_hash, id);
	if (store_track_exists(s, id) <= 0 || !media_complete(j->media_dir, id)) {
		if (media_path(j->media_dir, id, -1, dir, sizeof dir) < 0 || mkdirs(dir) < 0) {
			snprintf(err, sizeof err, "cannot create %s: %s", dir, strerror(errno));
			report_failure(j, path, err);
			return;
		}
		comments[nc++] = (struct vcomment){ "TITLE", t.title };
		comments[nc++] = (struct vcomment){ "ARTIST", t.artist };
		comments[nc++] = (struct vcomment){ "ALBUM", t.album };
		comments[nc++] = (struct vcomment){ "ALBUMARTIST", t.album_artist };
		if (t.genre[0])
			comments[nc++] = (struct vcomment){ "GENRE", t.genre };
		if (t.date[0])
			comments[nc++] = (struct vcomment){ "DATE", t.date };
		comments[nc++] = (struct vcomment){ "SEGUE_TRACK_ID", id };
		if (audio_transcode(path, dir, &a, comments, nc, bytes, err, sizeof err) < 0) {
			report_failure(j, path, err);
			return;
		}
		added = true;
	}
	if (record(s, id, &t, &a, added ? bytes : NULL, path, &restored) < 0) {
		report_failure(j, path, "the catalog could not be updated (see the log above)");
		return;
	}
	if (have_stat)
		withdrawn = sources_remember(s, path, (long long)sb.st_size, mtime_ns(&sb), id);
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
}

static void *worker(void *arg)
{
	struct job *j = arg;
	struct store s;
	char err[512];

	if (store_open(&s, j->cfg->data_dir, err, sizeof err) < 0) {
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
		ingest_one(j, &s, j->todo[i]);
	}
	store_close(&s);
	return NULL;
}

int ingest_scan(const struct settings *cfg, char **paths, int npaths, int jobs, bool progress,
                bool quiet, const atomic_bool *stop, struct ingest_report *report)
{
	struct job j;
	pthread_t *threads = NULL;
	struct store s = { 0 };
	struct rusage ru0, ru1;
	char err[512];
	int started = 0, rc = -1, missing = 0;
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

	/* Opened first, so the schema exists before the workers race to make it. */
	if (store_open(&s, cfg->data_dir, err, sizeof err) < 0) {
		fprintf(stderr, "segue-server: %s\n", err);
		goto out;
	}
	if (npaths > 0 && !(walked = calloc((size_t)npaths, sizeof *walked)))
		goto out;
	for (int i = 0; i < npaths; i++) {
		struct stat st;

		if (stat(paths[i], &st) < 0) {
			fprintf(stderr, "segue-server: ingest: %s: %s\n", paths[i], strerror(errno));
			missing++;
		} else if (S_ISDIR(st.st_mode)) {
			missing += walk(&j.files, paths[i], 0);
			walked[i] = true;
		} else if (add_file(&j.files, paths[i]) < 0) {
			missing++;
		}
	}
	if (j.files.n)
		qsort(j.files.paths, j.files.n, sizeof *j.files.paths, compare_paths);
	report->files = (int)j.files.n;
	report->failed = missing;
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
	if (s.db)
		store_close(&s);
	for (size_t i = 0; i < j.files.n; i++)
		free(j.files.paths[i]);
	free(j.files.paths);
	free(j.todo);
	free(walked);
	free(threads);
	pthread_mutex_destroy(&j.lock);
	return rc;
}

int ingest_run(const struct settings *cfg, char **paths, int npaths, int jobs, bool progress,
               bool quiet, struct ingest_report *report)
{
	return ingest_scan(cfg, paths, npaths, jobs, progress, quiet, NULL, report);
}
